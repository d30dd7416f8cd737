from urllib.parse import urlencode

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers

from genetx import dates
from genetx.cache import per_version
from genetx.listing import FacetedListView
from genetx.pages import PreviewDetailView
from therapies.models import RegulatoryDecision, Trial

from . import citations
from .charts import sources_by_kind
from .filters import ClaimFilter, SourceFilter
from .models import Claim, Source
from .references import ReferenceList

_SCHEMA_TYPES = {
    Source.Kind.JOURNAL_ARTICLE: "ScholarlyArticle",
    Source.Kind.NEWS_ARTICLE: "NewsArticle",
    Source.Kind.WEB_ARTICLE: "Article",
    Source.Kind.PRESS_RELEASE: "Article",
    Source.Kind.REPORT: "Report",
    Source.Kind.BOOK: "Book",
    Source.Kind.DATABASE: "Dataset",
}


class SourceListView(FacetedListView):
    filterset_class = SourceFilter
    template_name = "sources/source_list.html"
    row_template, row_name = "sources/includes/source_row.html", "source"
    export_name = "sources"
    export_columns = [
        ("key", lambda s: s.key),
        ("kind", lambda s: s.get_kind_display()),
        ("reference", citations.apa_text),
        ("year", lambda s: s.year or ""),
        ("language", lambda s: s.language_name),
        ("journal_or_site", lambda s: s.container_title),
        ("doi", lambda s: s.doi),
        ("link", lambda s: s.url),
        ("cited_by_claims", lambda s: s.citation_count),
    ]

    def get_queryset(self):
        # Meta ordering does not apply to grouped (annotated) queries: order explicitly.
        return Source.objects.for_listing().order_by("-issued", "key")


class SourceDetailView(PreviewDetailView):
    model = Source
    slug_field = "key"
    slug_url_kwarg = "key"
    template_name = "sources/source_detail.html"
    # A much-cited source would list thousands of claims: show the first ones, the total,
    # and a link to the claims list filtered by this source for the rest.
    cited_by_limit = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        source = self.object
        # The citing claims, formatted with their references, are the same for every
        # reader until content changes: computed and rendered once per content version.
        context.update(per_version("source-cited-by", source.pk, self.cited_by))
        context["cited_by_url"] = (
            reverse("sources:claim-list") + "?" + urlencode({"source": source.key})
        )
        context["decisions"] = RegulatoryDecision.objects.documented_in(source)
        # Capped like the claims: a registry record is cited by a few trials, not thousands.
        context["trials"] = Trial.objects.published().citing(source)[: self.cited_by_limit]
        context["attributions"] = source.attributions.published().order_by("container_title")
        context["reference_html"] = citations.apa_html(source)
        context["citation_meta"] = highwire_meta(source)
        return context

    def cited_by(self) -> dict:
        """How many published claims cite the source and how many are shown, with the
        first ones and their reference list rendered. Only counts and HTML are kept: kept
        as model instances, the 50 claims with their subjects and sources (some 650
        objects) were unpickled on every request, half of the page's time."""
        refs = ReferenceList()
        citing = Claim.objects.published().citing(self.object)
        claims = citing.with_subjects().with_sources()[: self.cited_by_limit]
        cited_by = [refs.claim(claim) for claim in claims]
        return {
            "cited_by_shown": len(cited_by),
            "cited_by_count": citing.count(),
            "cited_by_html": render_to_string(
                "sources/includes/cited_by_claims.html", {"cited_by": cited_by}
            ),
            "references_html": render_to_string(
                "includes/reference_list.html", {"references": refs.references}
            ),
        }

    def json_ld(self, url):
        source = self.object
        data = {
            "@context": "https://schema.org",
            "@type": _SCHEMA_TYPES.get(source.kind, "CreativeWork"),
            "url": url,
        }
        if source.display_title:
            data["headline"] = source.display_title[:110]
            data["name"] = source.display_title
        authors = [
            {"@type": "Organization", "name": a.literal}
            if a.literal
            else {"@type": "Person", "familyName": a.family, "givenName": a.given}
            for a in source.authors.all()
        ]
        if authors:
            data["author"] = authors
        if source.issued:
            data["datePublished"] = dates.iso(source.issued, source.issued_precision)
        if source.container_title:
            data["isPartOf"] = {
                "@type": "Periodical" if source.kind == Source.Kind.JOURNAL_ARTICLE else "WebSite",
                "name": source.container_title,
            }
        if source.publisher:
            data["publisher"] = {"@type": "Organization", "name": source.publisher}
        if source.language:
            data["inLanguage"] = source.language
        same_as = [link for link in (source.doi_url, source.url) if link]
        if same_as:
            data["sameAs"] = same_as
        if source.doi:
            data["identifier"] = {
                "@type": "PropertyValue",
                "propertyID": "DOI",
                "value": source.doi,
            }
        return data


def highwire_meta(source) -> list[tuple[str, str]]:
    """Google Scholar's citation_* tags, which reference managers also read."""
    if not source.is_full_reference:
        return []
    meta = [("citation_title", source.display_title)]
    for author in source.authors.all():
        meta.append(("citation_author", author.sort_name))
    if source.issued:
        date = dates.iso(source.issued, source.issued_precision).replace("-", "/")
        meta.append(("citation_publication_date", date))
    if source.kind == Source.Kind.JOURNAL_ARTICLE:
        meta.append(("citation_journal_title", source.container_title))
    first, _, last = source.pages.replace("\u2013", "-").partition("-")
    meta += [
        ("citation_volume", source.volume),
        ("citation_issue", source.issue),
        ("citation_firstpage", first.strip()),
        ("citation_lastpage", last.strip()),
        ("citation_doi", source.doi),
        ("citation_publisher", source.publisher),
        ("citation_language", source.language),
        ("citation_public_url", source.url),
    ]
    return [(name, content) for name, content in meta if content]


class SourceDownloadView(PreviewDetailView):
    """One source as a BibTeX, RIS or CSL-JSON file, for reference managers."""

    model = Source
    slug_field = "key"
    slug_url_kwarg = "key"
    formats = {
        "bib": (citations.bibtex, "application/x-bibtex"),
        "ris": (citations.ris, "application/x-research-info-systems"),
        "json": (citations.csl_json_text, "application/vnd.citationstyles.csl+json"),
    }
    file_format = "bib"

    def get(self, request, *args, **kwargs):
        source = self.get_object()
        write, content_type = self.formats[self.file_format]
        response = HttpResponse(write(source), content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{source.key}.{self.file_format}"'
        return response


class PageReferencesMixin:
    """A detail page whose numbered reference list can be downloaded whole.

    The page's view gets the links to the downloads (`references_downloads`); its download
    views (`download_paths()`, in the urls) are the same view answering with the file: it
    builds the same context, so the file holds exactly the page's references, in the page's
    numbering.
    Entries come from the per-source writers (citations.py), one CSL-JSON item each.
    """

    references_url_name = ""  # e.g. "therapies:therapy-references"; + "-bib" / "-ris"
    file_format = ""

    @classmethod
    def download_paths(cls, page_route: str) -> list:
        """The URL patterns of the downloads, beside the page's: <page_route>references.bib
        and .ris, named as references_url_name says (therapy-references-bib, -ris)."""
        name = cls.references_url_name.split(":")[-1]
        return [
            path(
                f"{page_route}references.{kind}",
                cls.as_view(file_format=kind),
                name=f"{name}-{kind}",
            )
            for kind in ("bib", "ris")
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Shown only with a reference list (includes/reference_list.html), which the page's
        # view adds after this runs.
        kwargs = {self.slug_url_kwarg: getattr(self.object, self.slug_field)}
        context["references_downloads"] = {
            kind: reverse(f"{self.references_url_name}-{kind}", kwargs=kwargs)
            for kind in ("bib", "ris")
        }
        return context

    def get(self, request, *args, **kwargs):
        if not self.file_format:
            return super().get(request, *args, **kwargs)
        self.object = self.get_object()
        context = self.get_context_data(object=self.object)
        items = [citations.csl_item(ref.source) for ref in context.get("references", [])]
        if self.file_format == "bib":
            body = citations.bibtex_text(items)
            content_type = "application/x-bibtex"
        else:
            body = citations.ris_records([citations.ris_entry_of(item) for item in items])
            content_type = "application/x-research-info-systems"
        response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
        name = f"{getattr(self.object, self.slug_field)}-references.{self.file_format}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        # What a reader's browser saves is a file: keep it out of search engines' indexes.
        response["X-Robots-Tag"] = "noindex"
        if context.get("is_preview"):
            # A draft's references must never land in a shared cache either.
            add_never_cache_headers(response)
        return response


class ClaimListView(FacetedListView):
    filterset_class = ClaimFilter
    template_name = "sources/claim_list.html"
    export_name = "claims"
    export_columns = [
        ("slug", lambda c: c.slug),
        ("statement", lambda c: c.statement),
        ("figure", lambda c: c.value_display),
        ("value", lambda c: str(c.value) if c.value is not None else ""),
        ("unit", lambda c: c.unit),
        ("as_of", lambda c: c.as_of.isoformat() if c.as_of else ""),
        ("measure", lambda c: c.measure),
        ("measure_name", lambda c: c.measure_label),
        ("review_status", lambda c: c.review_status),
        ("review_note", lambda c: c.review_note),
        ("therapy", lambda c: c.therapy.name if c.therapy and c.therapy.is_published else ""),
        ("sources", lambda c: "; ".join(cit.source.key for cit in c.citations.all())),
    ]

    def get_queryset(self):
        return Claim.objects.for_list_page()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        refs = ReferenceList()
        context["claims"] = [refs.claim(claim) for claim in context["object_list"]]
        if self.filterset.is_valid():
            context["charts"] = self.per_filter(
                "charts", lambda: [sources_by_kind(self.filterset.qs)]
            )
        context["references"] = refs.references
        return context


class ClaimDetailView(PreviewDetailView):
    model = Claim
    template_name = "sources/claim_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        claim = self.object
        refs = ReferenceList()
        context["cited"] = refs.claim(claim)
        context["history"] = [refs.claim(old) for old in claim.supersedes.all()]
        context["references"] = refs.references
        return context

    def json_ld(self, url):
        return {
            "@context": "https://schema.org",
            "@type": "Claim",
            "text": self.object.statement,
            "url": url,
        }
