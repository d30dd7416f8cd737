"""References and the claims they support."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.db.models.functions import Lower
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from genetx import dates
from genetx.counts import keep_count
from genetx.links import record_url
from genetx.models import (
    DatePrecision,
    Publishable,
    PublishableQuerySet,
    Status,
    Versioned,
    partial_date_constraints,
)

from .validators import normalise_doi, validate_doi


class SourceQuerySet(PublishableQuerySet):
    def cited(self):
        """Sources that at least one claim cites."""
        return self.filter(citations__isnull=False).distinct()

    def for_listing(self):
        """Published sources with what a list row shows, in one query per page."""
        return (
            self.published()
            .select_related("reported_by")
            .prefetch_related("authors", "reported_by__authors")
        )

    def for_detail(self):
        """Published sources with authors; the view reads the claims that cite them."""
        return self.published().with_detail_related()

    def with_detail_related(self):
        """Authors in order, and the reporting source with its authors."""
        return self.select_related("reported_by").prefetch_related(
            "authors", "reported_by__authors"
        )

    def get_by_natural_key(self, key):
        return self.get(key=key)


class SourceKind(models.TextChoices):
    JOURNAL_ARTICLE = "journal_article", _("Journal article")
    NEWS_ARTICLE = "news_article", _("News article")
    WEB_ARTICLE = "web_article", _("Web article")
    PRESS_RELEASE = "press_release", _("Press release")
    REPORT = "report", _("Report")
    BOOK = "book", _("Book")
    DATABASE = "database", _("Database or registry")
    ATTRIBUTION = "attribution", _("Attribution without a full reference")


# How each kind of source is described to readers beside its reference.
EVIDENCE_KINDS = {
    SourceKind.JOURNAL_ARTICLE: _("Peer-reviewed journal article"),
    SourceKind.NEWS_ARTICLE: _("News report"),
    SourceKind.WEB_ARTICLE: _("Web article"),
    SourceKind.PRESS_RELEASE: _("Official statement"),
    SourceKind.REPORT: _("Report"),
    SourceKind.BOOK: _("Book"),
    SourceKind.DATABASE: _("Registry or database record"),
    SourceKind.ATTRIBUTION: _("Attribution, not fully referenced (a journal named, no reference)"),
}


class Source(Publishable):
    Kind = SourceKind

    key = models.SlugField(
        max_length=80,
        unique=True,
        help_text=_("A short stable citation key, e.g. catala-2022. Used in URLs and imports."),
        verbose_name=_("key"),
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind,
        help_text=_("What kind of work this is."),
        verbose_name=_("kind"),
    )
    citation_count = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=_("How many published claims cite it; kept up to date on every save."),
        verbose_name=_("citation count"),
    )
    title = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("The title in English as cited. Leave empty when the title is not known."),
        verbose_name=_("title"),
    )
    original_title = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("The title in the work's own language when it is not English."),
        verbose_name=_("original title"),
    )
    container_title = models.CharField(
        _("journal or site"),
        max_length=300,
        blank=True,
        help_text=_("The journal, newspaper or website the work appeared in."),
    )
    publisher = models.CharField(max_length=300, blank=True, verbose_name=_("publisher"))
    institution = models.ForeignKey(
        "hospitals.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_sources",
        help_text=_(
            "The institution in GeneTx that published or reported this work (a "
            "hospital's report, a CRO's article); its page lists the work."
        ),
        verbose_name=_("institution"),
    )
    issued = models.DateField(
        null=True,
        blank=True,
        help_text=_(
            "Publication date. Enter the first day of the month or year when only "
            "those are known, and set the precision."
        ),
        verbose_name=_("issued"),
    )
    issued_precision = models.CharField(
        max_length=5,
        choices=DatePrecision,
        blank=True,
        help_text=_("How much of the publication date is known."),
        verbose_name=_("issued precision"),
    )
    volume = models.CharField(max_length=20, blank=True, verbose_name=_("volume"))
    issue = models.CharField(max_length=20, blank=True, verbose_name=_("issue"))
    pages = models.CharField(
        max_length=40, blank=True, help_text=_("e.g. 327-332"), verbose_name=_("pages")
    )
    doi = models.CharField(
        _("DOI"),
        max_length=200,
        blank=True,
        validators=[validate_doi],
        help_text=_("Bare or as a link; stored as the bare lower-case DOI, unique."),
    )
    pmid = models.CharField(
        _("PMID"),
        max_length=9,
        blank=True,
        validators=[
            RegexValidator(
                r"^[1-9][0-9]{0,8}$",
                _("A PubMed id is a number of up to nine digits, e.g. 37414060."),
                code="invalid_pmid",
            )
        ],
        help_text=_("PubMed id, digits only, when the work is indexed in PubMed: 37414060."),
    )
    url = models.URLField(_("URL"), max_length=500, blank=True)
    language = models.CharField(
        max_length=12,
        blank=True,
        help_text=_("Language of the work as a code: en, es, ..."),
        verbose_name=_("language"),
    )
    accessed = models.DateField(
        null=True,
        blank=True,
        help_text=_("When the URL was last read."),
        verbose_name=_("accessed"),
    )
    reported_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attributions",
        help_text=_(
            "For an attribution without a full reference: the source that makes it "
            "(e.g. the article that says 'a study in The Lancet')."
        ),
        verbose_name=_("reported by"),
    )
    note = models.TextField(
        blank=True, help_text=_("Editorial note shown with the reference."), verbose_name=_("note")
    )

    objects = SourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        permissions = [("publish_source", "Can publish, unpublish and archive sources")]
        ordering = ["-issued", "key"]
        constraints = [
            *Publishable._meta.constraints,
            *partial_date_constraints("issued", "issued_precision"),
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="source_kind_valid"
            ),
            models.UniqueConstraint(Lower("doi"), condition=~Q(doi=""), name="source_doi_unique"),
            models.UniqueConstraint(
                fields=["pmid"], condition=~Q(pmid=""), name="source_pmid_unique"
            ),
            models.CheckConstraint(
                condition=Q(doi="") | Q(doi__startswith="10."), name="source_doi_format"
            ),
            models.CheckConstraint(
                condition=~Q(kind="attribution") | Q(reported_by__isnull=False),
                name="source_attribution_reported_by",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "issued"]),
            models.Index(fields=["language"]),
            # The list's default order, so a page is read in order instead of sorted whole.
            models.Index(fields=["-issued", "key"], name="source_list_order"),
            # "Most cited first": read a page in order rather than count and sort them all.
            models.Index(fields=["-citation_count", "key"], name="source_most_cited"),
            # "Title": it sorted all 300,000 sources at 100,000 therapies. (The API's newest
            # first, whose empty dates sort last, has an index on PostgreSQL only:
            # genetx/migrations/0019_api_sort_indexes.py.)
            models.Index(fields=["title", "key"], name="source_title_order"),
            # The list's facet counts and total (kind, language, year, journal) read this
            # narrow index alone instead of the wide rows (index-only scans): 57-98 ms ->
            # 14 ms each at 30,000 sources.
            models.Index(
                fields=["status", "kind", "language", "issued", "container_title"],
                name="source_facets",
            ),
        ]

    def __str__(self):
        return self.short_label

    def natural_key(self):
        return (self.key,)

    def clean(self):
        self.doi = normalise_doi(self.doi)
        if self.kind == self.Kind.ATTRIBUTION and self.reported_by_id is None:
            raise ValidationError(
                {"reported_by": _("An attribution must name the source that makes it.")}
            )
        if self.issued and not self.issued_precision:
            self.issued_precision = DatePrecision.DAY

    def save(self, *args, **kwargs):
        # Normalise on every save path (imports, fixtures, shell), not only through forms,
        # so the unique constraint compares like with like.
        self.doi = normalise_doi(self.doi)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return record_url("sources:source-detail", key=self.key)

    @property
    def evidence_kind(self) -> str:
        """The kind of evidence in words, shown with each reference so readers can weigh it."""
        if self.kind in (self.Kind.PRESS_RELEASE, self.Kind.REPORT):
            # An organisation's own statement (a regulator's announcement): name who says it.
            organisation = next((a.literal for a in self.authors.all() if a.literal), "")
            if organisation:
                return gettext("%(kind)s by %(organisation)s") % {
                    "kind": EVIDENCE_KINDS[self.kind],
                    "organisation": organisation,
                }
        return str(EVIDENCE_KINDS[self.kind])

    @property
    def display_title(self) -> str:
        """The title readers see: the English title, else the original-language one."""
        return self.title or self.original_title

    @property
    def public_reporter(self):
        """The source reporting this attribution, or None while readers may not see it.

        Pages and downloads name the reporter through this, so an unpublished source is
        never named or linked from a published one.
        """
        reporter = self.reported_by
        return reporter if reporter is not None and reporter.is_published else None

    @property
    def is_full_reference(self) -> bool:
        return self.kind != self.Kind.ATTRIBUTION

    @property
    def year(self):
        return self.issued.year if self.issued else None

    @property
    def issued_display(self) -> str:
        return dates.display(self.issued, self.issued_precision)

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    @property
    def pubmed_url(self) -> str:
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/" if self.pmid else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def short_label(self) -> str:
        """Author-year label for lists: Catalá et al. (2022)."""
        if self.kind == self.Kind.ATTRIBUTION:
            return gettext("A study in %(journal)s (as reported)") % {
                "journal": self.container_title
            }
        authors = list(self.authors.all())
        if not authors:
            name = self.publisher or self.container_title or self.title
        elif len(authors) == 1:
            name = authors[0].family_or_literal
        elif len(authors) == 2:
            name = f"{authors[0].family_or_literal} & {authors[1].family_or_literal}"
        else:
            name = f"{authors[0].family_or_literal} et al."
        return f"{name} ({self.year})" if self.year else name


class AuthorQuerySet(models.QuerySet):
    def get_by_natural_key(self, source_key, position):
        return self.get(source__key=source_key, position=position)


class Author(Versioned):
    """One author of a source, in the order the work lists them."""

    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="authors", verbose_name=_("source")
    )
    position = models.PositiveSmallIntegerField(
        help_text=_("1 for the first author."), verbose_name=_("position")
    )
    family = models.CharField(_("family name"), max_length=200, blank=True)
    given = models.CharField(_("given names or initials"), max_length=200, blank=True)
    literal = models.CharField(
        _("organisation"),
        max_length=300,
        blank=True,
        help_text=_(
            "For an organisation as author (U.S. Food and Drug Administration); "
            "leave the names empty."
        ),
    )
    et_al = models.BooleanField(
        _("followed by et al."),
        default=False,
        help_text=_("Tick on the last recorded author when the full author list is not known."),
    )

    history = HistoricalRecords()

    objects = AuthorQuerySet.as_manager()

    class Meta:
        verbose_name = _("author")
        verbose_name_plural = _("authors")
        ordering = ["source", "position"]
        constraints = [
            models.UniqueConstraint(fields=["source", "position"], name="author_unique_position"),
            models.CheckConstraint(
                condition=~Q(family="") | ~Q(literal=""), name="author_has_name"
            ),
            models.CheckConstraint(condition=Q(position__gte=1), name="author_position_positive"),
        ]

    def __str__(self):
        return self.family_or_literal

    def natural_key(self):
        return (*self.source.natural_key(), self.position)

    natural_key.dependencies = ["sources.source"]

    @property
    def family_or_literal(self) -> str:
        return self.literal or self.family

    @property
    def sort_name(self) -> str:
        """The name as reference lists sort it: "Family, Given", or the organisation."""
        if self.literal:
            return self.literal
        return f"{self.family}, {self.given}" if self.given else self.family


class ClaimQuerySet(PublishableQuerySet):
    def needing_review(self):
        """Claims an editor flagged for review or marked disputed."""
        return self.filter(review_status__in=[Claim.Review.NEEDS_REVIEW, Claim.Review.DISPUTED])

    def current(self):
        """Claims no published newer claim replaces.

        A draft or in-review successor takes effect only once it is published, so until
        then the claim it will replace stays current and readers keep seeing it.
        """
        return self.filter(
            Q(superseded_by__isnull=True) | ~Q(superseded_by__status=Status.PUBLISHED)
        )

    def superseded(self):
        """Claims a published newer claim replaces: shown only as history."""
        return self.filter(superseded_by__status=Status.PUBLISHED)

    def figures(self):
        """Claims that carry a number."""
        return self.filter(value__isnull=False)

    def key_figures(self):
        """Current published figures, newest first, each with its citations of published
        sources (and their authors), in citation order."""
        citations = (
            Citation.objects.filter(source__status=Status.PUBLISHED)
            .select_related("source")
            .prefetch_related("source__authors")
            .order_by("position", "pk")
        )
        return (
            self.published()
            .current()
            .figures()
            .prefetch_related(Prefetch("citations", queryset=citations))
            .order_by("-as_of", "slug")
        )

    def citing(self, source):
        """Claims that cite this source.

        A subquery rather than a join: no DISTINCT over whole rows, which costs a sort of
        every citing claim when a source is cited thousands of times.
        """
        return self.filter(pk__in=Citation.objects.filter(source=source).values("claim_id"))

    def about_therapy(self, therapy):
        """Claims about this therapy, directly or through one of its programmes.

        Two indexed lookups joined by UNION: the same condition written as `therapy=... OR
        programme__therapy=...` joins every claim to its programme and scans the whole
        table, which grew with the corpus (25 ms at 10,000 therapies, 180 ms at 100,000).
        """
        from hospitals.models import Programme

        return self._either(
            Q(therapy=therapy), Q(programme__in=Programme.objects.filter(therapy=therapy))
        )

    def about_institution(self, institution):
        """Claims about this institution, directly or through one of its programmes."""
        from hospitals.models import Programme

        return self._either(
            Q(institution=institution),
            Q(programme__in=Programme.objects.filter(institution=institution)),
        )

    def about_programme(self, programme):
        """Claims about this programme."""
        return self.filter(programme=programme)

    def about_condition(self, condition):
        """Claims about this condition."""
        return self.filter(condition=condition)

    def _either(self, first: Q, second: Q):
        ids = (
            Claim.objects.filter(first)
            .order_by()
            .values("pk")
            .union(Claim.objects.filter(second).order_by().values("pk"))
        )
        return self.filter(pk__in=ids)

    def with_sources(self):
        """Prefetch each claim's citations of published sources, with authors, in order."""
        return self.prefetch_related(
            Prefetch("citations", queryset=Citation.objects.for_reference_list()),
            Prefetch("superseded_by", queryset=Claim.objects.published()),
        )

    def with_subjects(self):
        """The therapy, condition, institution and programme each claim is about."""
        return self.select_related(
            "therapy", "condition", "institution", "programme__institution", "programme__therapy"
        )

    def for_listing(self):
        """Published claims with their subjects and sources, a fixed number of queries."""
        return self.published().with_subjects().with_sources()

    def for_list_page(self):
        """Published claims with what a row of the claim list shows: the therapy a claim is
        about and the sources. Not every subject: PostgreSQL spent 6.5 ms planning the
        seven-table join of with_subjects() for 0.5 ms of running it."""
        return self.published().select_related("therapy").with_sources()

    def for_detail(self):
        """Published claims with subjects, sources and the older claims they replaced."""
        return self.published().with_detail_related()

    def with_detail_related(self):
        """Subjects, sources, and the published claims this one replaced, with sources."""
        return (
            self.with_subjects()
            .with_sources()
            .prefetch_related(
                # With their subjects too: the API shows each replaced claim in full.
                Prefetch(
                    "supersedes",
                    queryset=Claim.objects.published().with_subjects().with_sources(),
                )
            )
        )

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class ClaimReview(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    NEEDS_REVIEW = "needs_review", _("Needs review")
    DISPUTED = "disputed", _("Disputed")
    SUPERSEDED = "superseded", _("Superseded")


class ClaimUnit(models.TextChoices):
    PERCENT = "percent", _("%")
    COUNT = "count", _("count")
    PATIENTS = "patients", _("patients")
    MONTHS = "months", _("months")
    YEARS = "years", _("years")
    EUR = "eur", _("EUR")
    USD = "usd", _("USD")


class ClaimQualifier(models.TextChoices):
    EXACT = "", _("exactly")
    MORE_THAN = "more_than", _("more than")
    LESS_THAN = "less_than", _("less than")
    ABOUT = "about", _("about")


class Claim(Publishable):
    """A statement readers see, with the sources behind it and, optionally, a figure."""

    Review = ClaimReview

    Unit = ClaimUnit

    Qualifier = ClaimQualifier

    slug = models.SlugField(
        max_length=120,
        unique=True,
        help_text=_("A stable key for this claim, used in imports."),
        verbose_name=_("slug"),
    )
    statement = models.TextField(
        help_text=_("The claim in one or two plain sentences."), verbose_name=_("statement")
    )
    measure = models.SlugField(
        max_length=120,
        blank=True,
        help_text=_(
            "For a figure: what it measures, shared by every figure of the same measure "
            "(e.g. spain-car-t-requests) so a newer one can supersede an older one."
        ),
        verbose_name=_("measure"),
    )
    measure_name = models.CharField(
        max_length=200,
        blank=True,
        help_text=_(
            "What readers see for the measure, in words (e.g. “Requests for CAR-T "
            "treatment by Spanish hospitals since 2018”): the same for every figure of the measure."
        ),
        verbose_name=_("measure name"),
    )
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The number, when the claim is a figure."),
        verbose_name=_("value"),
    )
    unit = models.CharField(max_length=10, choices=Unit, blank=True, verbose_name=_("unit"))
    qualifier = models.CharField(
        max_length=10, choices=Qualifier, blank=True, default="", verbose_name=_("qualifier")
    )
    as_of = models.DateField(
        null=True,
        blank=True,
        help_text=_("The date the figure describes or was reported."),
        verbose_name=_("as of"),
    )
    as_of_precision = models.CharField(
        max_length=5, choices=DatePrecision, blank=True, verbose_name=_("as of precision")
    )
    event_date = models.DateField(
        null=True,
        blank=True,
        help_text=_(
            "When the claim is about a dated event (a plan, an approval), its date. "
            "Dated claims appear on the timeline."
        ),
        verbose_name=_("event date"),
    )
    event_date_precision = models.CharField(
        max_length=5, choices=DatePrecision, blank=True, verbose_name=_("event date precision")
    )
    therapy = models.ForeignKey(
        "therapies.Therapy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("therapy"),
    )
    condition = models.ForeignKey(
        "therapies.Condition",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("condition"),
    )
    institution = models.ForeignKey(
        "hospitals.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("institution"),
    )
    programme = models.ForeignKey(
        "hospitals.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("programme"),
    )
    review_status = models.CharField(
        max_length=16,
        choices=Review,
        default=Review.VERIFIED,
        db_index=True,
        help_text=_("Needs review and Disputed are shown to readers as such."),
        verbose_name=_("review status"),
    )
    review_note = models.TextField(
        blank=True,
        help_text=_("Why the claim needs review or is disputed; readers see it."),
        verbose_name=_("review note"),
    )
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supersedes",
        help_text=_(
            "A newer claim or figure that replaces this one; the old one stays as "
            "history. Only a published claim supersedes a published one: a draft successor takes "
            "effect when it is published, never before. Set Review status to Superseded too."
        ),
        verbose_name=_("superseded by"),
    )

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        permissions = [("publish_claim", "Can publish, unpublish and archive claims")]
        ordering = ["-event_date", "-as_of", "slug"]
        constraints = [
            *Publishable._meta.constraints,
            *partial_date_constraints("as_of", "as_of_precision"),
            *partial_date_constraints("event_date", "event_date_precision"),
            models.CheckConstraint(
                condition=Q(review_status__in=ClaimReview.values), name="claim_review_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(unit__in=[*ClaimUnit.values, ""]), name="claim_unit_valid"
            ),
            models.CheckConstraint(
                condition=Q(qualifier__in=ClaimQualifier.values), name="claim_qualifier_valid"
            ),
            models.CheckConstraint(
                condition=~Q(unit="percent") | Q(value__gte=0, value__lte=100),
                name="claim_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | ~Q(unit=""), name="claim_value_has_unit"
            ),
            models.CheckConstraint(
                condition=Q(superseded_by__isnull=True) | Q(review_status="superseded"),
                name="claim_superseded_status",
            ),
            models.CheckConstraint(
                condition=~Q(superseded_by=models.F("pk")), name="claim_not_superseding_itself"
            ),
        ]
        indexes = [
            models.Index(fields=["measure", "as_of"]),
            # The default order (claim list, citing claims of a source): read a page in order.
            models.Index(fields=["-event_date", "-as_of", "slug"], name="claim_list_order"),
            # "Oldest first" cannot read that one backwards (its slug would run the other
            # way): without its own, PostgreSQL sorted every claim for each page (2.3 s at
            # 400,000 claims).
            models.Index(fields=["event_date", "as_of", "slug"], name="claim_list_oldest"),
            # (The API's newest first, whose empty dates sort last, has an index on
            # PostgreSQL only: genetx/migrations/0019_api_sort_indexes.py.)
            # The claim list's facet counts and total read these narrow indexes alone
            # (index-only scans) instead of the wide rows: 93-138 ms -> 8-18 ms each at
            # 40,000 claims, and no longer past the statement timeout at 400,000.
            models.Index(fields=["status", "review_status"], name="claim_review_facet"),
            # With the id, the published claims' ids too (the claim list's sources chart).
            models.Index(fields=["status", "therapy"], include=["id"], name="claim_therapy_facet"),
            # The facet reads the measure's name in both languages (django-modeltranslation's
            # columns; named as expressions, or it would copy the index once per language).
            models.Index(
                models.F("status"),
                models.F("measure"),
                models.F("measure_name_en"),
                models.F("measure_name_es"),
                name="claim_measure_facet",
            ),
        ]

    def __str__(self):
        return self.statement[:80]

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        errors = {}
        if self.value is not None and not self.unit:
            errors["unit"] = _("A figure needs a unit.")
        if (
            self.unit == self.Unit.PERCENT
            and self.value is not None
            and not (0 <= self.value <= 100)
        ):
            errors["value"] = _("A percentage must be between 0 and 100.")
        if self.superseded_by_id and self.review_status != self.Review.SUPERSEDED:
            errors["review_status"] = _("A claim with a newer one replacing it is Superseded.")
        if self.superseded_by_id and self.superseded_by_id == self.pk:
            errors["superseded_by"] = _("A claim cannot supersede itself.")
        elif self.superseded_by_id:
            successor = self.superseded_by
            if successor.status == Status.ARCHIVED:
                errors["superseded_by"] = gettext(
                    "“%(claim)s” is archived, so it cannot replace this claim. Only a "
                    "published claim supersedes a published one; a draft or in-review "
                    "successor takes effect when it is published, never before."
                ) % {"claim": successor}
            elif successor.superseded_by_id == self.pk:
                errors["superseded_by"] = gettext(
                    "“%(claim)s” is itself superseded by this claim; two claims cannot "
                    "replace each other."
                ) % {"claim": successor}
        if self.measure_name and not self.measure:
            errors["measure"] = _("Give the measure's key too, or leave its name empty.")
        elif self.measure and self.measure_name:
            # One name per measure: the measure facet and exports group figures by it.
            named = (
                Claim._base_manager.filter(measure=self.measure)
                .exclude(pk=self.pk)
                .exclude(measure_name="")
                .exclude(measure_name=self.measure_name)
                .values_list("measure_name", flat=True)
                .first()
            )
            if named:
                errors["measure_name"] = gettext(
                    "Other figures of the measure “%(measure)s” call it “%(name)s”: use "
                    "the same name (or change theirs)."
                ) % {"measure": self.measure, "name": named}
        if self.measure and self.measure_name_es:
            # The same in Spanish: the Spanish measure facet groups by the Spanish name.
            named = (
                Claim._base_manager.filter(measure=self.measure)
                .exclude(pk=self.pk)
                .exclude(measure_name_es__isnull=True)
                .exclude(measure_name_es="")
                .exclude(measure_name_es=self.measure_name_es)
                .values_list("measure_name_es", flat=True)
                .first()
            )
            if named:
                errors["measure_name_es"] = gettext(
                    "Other figures of the measure “%(measure)s” call it “%(name)s” in "
                    "Spanish: use the same name (or change theirs)."
                ) % {"measure": self.measure, "name": named}
        for field in ("as_of", "event_date"):
            if getattr(self, field) and not getattr(self, f"{field}_precision"):
                setattr(self, f"{field}_precision", DatePrecision.DAY)
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self):
        return record_url("sources:claim-detail", slug=self.slug)

    @property
    def measure_label(self) -> str:
        """The measure as readers see it: its name, or its key when it has none."""
        return self.measure_name or self.measure

    @property
    def is_figure(self) -> bool:
        return self.value is not None

    @property
    def is_flagged(self) -> bool:
        return self.review_status in {self.Review.NEEDS_REVIEW, self.Review.DISPUTED}

    @property
    def is_superseded(self) -> bool:
        """Whether a published newer claim replaces this one (a draft successor does not)."""
        if self.superseded_by_id is None:
            return False
        successor = self.superseded_by  # None when a prefetch of published claims left it out
        return successor is not None and successor.is_published

    @property
    def public_review_display(self) -> str:
        """The review status readers see: "Superseded" only once the successor is public."""
        if self.review_status == self.Review.SUPERSEDED and not self.is_superseded:
            return self.Review.VERIFIED.label
        return self.get_review_status_display()

    @property
    def value_display(self) -> str:
        """The figure as readers read it, in the active language's number format: more than
        1,859; 85.5% (más de 1.859; 85,5 %)."""
        if self.value is None:
            return ""
        number = self.value.normalize()
        if number == number.to_integral():
            number = number.quantize(1)
        text = number_format(number, force_grouping=True)
        qualifier = self.get_qualifier_display() if self.qualifier else ""
        if self.unit == self.Unit.PERCENT:
            # Translators: a percentage; Spanish puts a (non-breaking) space before the sign.
            text = gettext("%(number)s%%") % {"number": text}
        elif self.unit != self.Unit.COUNT:
            text = f"{text} {self.get_unit_display()}"
        return f"{qualifier} {text}".strip()

    @property
    def as_of_display(self) -> str:
        return dates.display(self.as_of, self.as_of_precision)

    @property
    def event_date_display(self) -> str:
        return dates.display(self.event_date, self.event_date_precision)


class SourceReferenceQuerySet(models.QuerySet):
    """Rows that name a source to show as a reference: citations, regulatory decisions."""

    def with_source_reference(self):
        """Each row's source with what its reference shows: the source reporting it, and
        the authors of both."""
        return self.select_related("source__reported_by").prefetch_related(
            "source__authors", "source__reported_by__authors"
        )


class CitingQuerySet(SourceReferenceQuerySet):
    """Queries shared by the models that cite sources: a claim's citations and a trial's."""

    def for_reference_list(self):
        """Citations of published sources, in citation order, with what a reference shows."""
        return (
            self.filter(source__status=Status.PUBLISHED)
            .with_source_reference()
            .order_by("position", "pk")
        )


class CitationQuerySet(CitingQuerySet):
    def get_by_natural_key(self, claim_slug, source_key):
        return self.get(claim__slug=claim_slug, source__key=source_key)


class Citation(Versioned):
    """A claim citing a source, optionally with where in it and in what words."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="citations", verbose_name=_("claim")
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="citations",
        help_text=_("A cited source cannot be deleted while this citation exists."),
        verbose_name=_("source"),
    )
    locator = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Where in the source: p. 329, section 'CAR-T'."),
        verbose_name=_("locator"),
    )
    quote = models.TextField(
        blank=True, help_text=_("The supporting words, quoted exactly."), verbose_name=_("quote")
    )
    position = models.PositiveSmallIntegerField(
        default=1, help_text=_("Order among the claim's sources."), verbose_name=_("position")
    )

    history = HistoricalRecords()

    objects = CitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        ordering = ["claim", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "source"], name="citation_unique_pair"),
        ]

    def __str__(self):
        return f"{self.claim.slug} cites {self.source.key}"

    def natural_key(self):
        return (*self.claim.natural_key(), *self.source.natural_key())

    natural_key.dependencies = ["sources.claim", "sources.source"]


# What the source list shows and sorts "Most cited" by (sources.signals keeps it).
CITATION_COUNT = keep_count(
    model=Source,
    field="citation_count",
    counted=lambda: Citation.objects.filter(claim__status=Status.PUBLISHED),
    to_row="source",
    distinct="claim",
)


def language_name(code: str) -> str:
    """The name of a language code in the reader's language (es -> Spanish, español); the
    code itself if unknown."""
    from django.conf.locale import LANG_INFO

    info = LANG_INFO.get((code or "").lower()) or LANG_INFO.get((code or "").split("-")[0].lower())
    if info and "fallback" in info:
        info = LANG_INFO.get(info["fallback"][0])
    # Django's own catalogue translates the language names.
    return str(_(info["name"])) if info else code
