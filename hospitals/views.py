from django.utils.functional import SimpleLazyObject

from genetx.listing import FacetedListView
from genetx.maps import institution_map
from genetx.pages import EvidenceMixin, PreviewDetailView, TrialsMixin, first_and_count
from sources.models import Claim
from sources.views import PageReferencesMixin
from therapies.models import Trial

from .filters import InstitutionFilter
from .maps import point_for_institution, points_for_institutions
from .models import Institution, Programme

# schema.org types per institution kind; anything else is an Organization.
_SCHEMA_TYPES = {
    Institution.Kind.HOSPITAL: "Hospital",
    Institution.Kind.CHILDRENS_HOSPITAL: "Hospital",
    Institution.Kind.REGULATOR: "GovernmentOrganization",
    Institution.Kind.MINISTRY: "GovernmentOrganization",
    Institution.Kind.RESEARCH_CENTRE: "ResearchOrganization",
    Institution.Kind.COMPANY: "Corporation",
}


class InstitutionListView(FacetedListView):
    filterset_class = InstitutionFilter
    template_name = "hospitals/institution_list.html"
    row_template, row_name = "hospitals/includes/institution_row.html", "institution"
    export_name = "institutions"
    export_columns = [
        ("name", lambda i: i.name),
        ("kind", lambda i: i.get_kind_display()),
        ("city", lambda i: i.city),
        ("region", lambda i: i.region),
        ("country", lambda i: i.country_name),
        ("website", lambda i: i.website),
        ("ror_id", lambda i: i.ror_id),
        ("programmes", lambda i: i.programme_count),
    ]

    def get_queryset(self):
        # Meta ordering does not apply to grouped (annotated) queries: order explicitly.
        return Institution.objects.for_listing().order_by("name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The map shows every institution the filters match, not only this page's.
        if self.filterset.is_valid():
            paginator = context.get("paginator")

            def whole_map():
                points = points_for_institutions(self.filterset.qs)
                return institution_map(points, total=paginator.count if paginator else len(points))

            # Drawn once per content version and filter combination: the template keys the
            # map's fragment by the filters, so its points (up to 2,000) are read from the
            # cache only when it is drawn. Keyed by the points, every request unpickled them
            # and wrote out their repr for the key, a fifth of the page.
            context["map"] = SimpleLazyObject(lambda: self.per_filter("map", whole_map))
            context["map_key"] = self.filter_key()
        return context


class InstitutionDetailView(PageReferencesMixin, EvidenceMixin, TrialsMixin, PreviewDetailView):
    model = Institution
    references_url_name = "hospitals:institution-references"
    template_name = "hospitals/institution_detail.html"
    # A big hospital or company runs thousands of programmes: the page lists the first
    # ones, says how many there are and links to the therapy list filtered to this
    # institution for the rest, so it stays the same size as the table grows.
    programme_limit = 20

    def with_page_related(self, queryset):
        # Programmes are read by the view, capped; decisions come with the record.
        return queryset.with_decisions()

    def evidence_decisions(self):
        return self.object.decisions.all()

    def evidence_claims(self):
        return Claim.objects.published().with_sources().about_institution(self.object)

    def page_trials(self):
        return Trial.objects.for_cards().at_institution(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution = self.object
        shown = Programme.objects.at_institution(institution)
        programmes, context["programme_count"] = first_and_count(shown, self.programme_limit)
        if context["programme_count"] > len(programmes):
            roles = shown.values_list("role", flat=True).distinct().order_by()
        else:
            roles = [programme.role for programme in programmes]
        context["programmes"] = programmes
        context["published_sources"] = list(
            institution.published_sources.published()
            .select_related("reported_by")
            .prefetch_related("authors", "reported_by__authors")
        )
        if institution.latitude is not None:
            context["map"] = institution_map([point_for_institution(institution, roles)])
        return context

    def json_ld(self, url):
        institution = self.object
        data = {
            "@context": "https://schema.org",
            "@type": _SCHEMA_TYPES.get(institution.kind, "Organization"),
            "name": institution.name,
            "url": url,
        }
        if institution.summary:
            data["description"] = institution.summary
        address = {
            key: value
            for key, value in (
                ("addressLocality", institution.city),
                ("addressRegion", institution.region),
                ("addressCountry", institution.country),
            )
            if value
        }
        if address:
            data["address"] = {"@type": "PostalAddress", **address}
        same_as = [link for link in (institution.website, institution.ror_url) if link]
        if same_as:
            data["sameAs"] = same_as
        if institution.latitude is not None:
            data["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": float(institution.latitude),
                "longitude": float(institution.longitude),
            }
        return data
