"""Modalities, conditions, therapies and the regulators' decisions about them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Length, Substr
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from genetx import dates
from genetx.counts import keep_count
from genetx.links import record_url
from genetx.models import (
    DatePrecision,
    ListedFromParent,
    Publishable,
    PublishableQuerySet,
    Status,
    Versioned,
    partial_date_constraints,
)
from sources.models import CitingQuerySet, SourceReferenceQuerySet

from .validators import (
    normalise_registry_number,
    validate_euct_number,
    validate_eudract_number,
    validate_icd10_code,
    validate_nct_number,
    validate_orpha_code,
)


class ModalityQuerySet(models.QuerySet):
    def with_therapy_count(self):
        """Annotate therapy_count: published therapies of each modality."""
        return self.annotate(
            therapy_count=Count("therapies", filter=Q(therapies__status=Status.PUBLISHED))
        )

    def in_use(self):
        """Modalities of at least one published therapy, by name, with their counts."""
        return self.with_therapy_count().filter(therapy_count__gt=0).order_by("name")

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class ModalityDelivery(models.TextChoices):
    IN_VIVO = "in_vivo", _("In vivo")
    EX_VIVO = "ex_vivo", _("Ex vivo")
    BOTH = "both", _("In vivo or ex vivo")


class Modality(Versioned):
    """A way of making a gene therapy: CAR-T cells, AAV gene addition, ..."""

    Delivery = ModalityDelivery

    name = models.CharField(max_length=120, unique=True, verbose_name=_("name"))
    slug = models.SlugField(max_length=120, unique=True, verbose_name=_("slug"))
    delivery = models.CharField(
        max_length=10,
        choices=Delivery,
        help_text=_(
            "In vivo: the gene is delivered inside the body. Ex vivo: the patient's "
            "cells are modified outside the body and given back."
        ),
        verbose_name=_("delivery"),
    )
    description = models.TextField(blank=True, verbose_name=_("description"))

    history = HistoricalRecords()

    objects = ModalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("modality")
        ordering = ["name"]
        verbose_name_plural = _("modalities")
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery__in=ModalityDelivery.values), name="modality_delivery_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("therapies:therapy-list") + f"?modality={self.slug}"

    def natural_key(self):
        return (self.slug,)


class ConditionQuerySet(PublishableQuerySet):
    def most_treated(self):
        """Published conditions with published therapies, most therapies first; only the
        name and slug (grouping whole rows made PostgreSQL sort them on disk)."""
        return (
            self.published()
            .only("name", "slug", "therapy_count")
            .filter(therapy_count__gt=0)
            .order_by("-therapy_count", "name")
        )

    def for_listing(self):
        """Published conditions with their parent (each row keeps its therapy count)."""
        return self.published().select_related("parent")

    def for_detail(self):
        """Published conditions with their parent and published sub-conditions."""
        return self.published().with_detail_related()

    def with_detail_related(self):
        """Parent and published sub-conditions, for the detail page (and staff preview)."""
        return self.select_related("parent").prefetch_related(
            Prefetch("children", queryset=Condition.objects.published())
        )

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class ConditionCategory(models.TextChoices):
    GENETIC = "genetic", _("Genetic disorder")
    HAEMATOLOGICAL_CANCER = "haematological_cancer", _("Haematological cancer")
    NEURODEGENERATIVE = "neurodegenerative", _("Neurodegenerative disease")
    OTHER = "other", _("Other")


class Condition(Publishable):
    Category = ConditionCategory

    name = models.CharField(max_length=200, unique=True, verbose_name=_("name"))
    slug = models.SlugField(max_length=200, unique=True, verbose_name=_("slug"))
    therapy_count = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=_("How many published therapies it has; kept up to date on every save."),
        verbose_name=_("therapy count"),
    )
    category = models.CharField(
        max_length=24, choices=Category, db_index=True, verbose_name=_("category")
    )
    is_rare = models.BooleanField(
        _("rare disease"), default=False, help_text=_("Rare by the EU definition (< 1 in 2,000).")
    )
    orpha_code = models.CharField(
        _("ORPHA code"),
        max_length=14,
        blank=True,
        validators=[validate_orpha_code],
        help_text=_("Orphanet identifier, e.g. ORPHA:98896."),
    )
    icd10_code = models.CharField(
        _("ICD-10 code"),
        max_length=8,
        blank=True,
        validators=[validate_icd10_code],
        help_text=_("WHO ICD-10 code, e.g. G71.0."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("A broader condition this one belongs to (haemophilia A under haemophilia)."),
        verbose_name=_("parent"),
    )
    summary = models.TextField(blank=True, verbose_name=_("summary"))

    objects = ConditionQuerySet.as_manager()

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        permissions = [("publish_condition", "Can publish, unpublish and archive conditions")]
        ordering = ["name"]
        # "Most therapies first" reads a page in order (the name breaks ties, in the
        # reader's language) rather than count and sort them all.
        indexes = [models.Index(fields=["-therapy_count"], name="condition_most_therapies")]
        constraints = [
            *Publishable._meta.constraints,
            models.CheckConstraint(
                condition=Q(category__in=ConditionCategory.values), name="condition_category_valid"
            ),
            models.UniqueConstraint(
                fields=["orpha_code"], condition=~Q(orpha_code=""), name="condition_orpha_unique"
            ),
            models.CheckConstraint(
                condition=Q(orpha_code="") | Q(orpha_code__startswith="ORPHA:"),
                name="condition_orpha_format",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="condition_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return record_url("therapies:condition-detail", slug=self.slug)

    @property
    def orpha_url(self) -> str:
        number = self.orpha_code.removeprefix("ORPHA:")
        return f"https://www.orpha.net/en/disease/detail/{number}" if number else ""


def _linked_to_condition(links, to: str, condition):
    """The `to` ids of condition links (therapy or trial) to this condition or a direct
    sub-condition of it, as a subquery.

    Written as one OR across the join to the condition (and DISTINCT over whole rows), it
    made PostgreSQL read every link: ~40 ms at 100,000 therapies for each of a condition
    page's four queries over its therapies and programmes. These are two indexed lookups.
    """
    conditions = Condition.objects.filter(Q(pk=condition.pk) | Q(parent=condition.pk))
    return links.objects.filter(condition__in=conditions.values("pk")).values(to)


class TherapyQuerySet(PublishableQuerySet):
    def for_condition(self, condition):
        """Therapies for this condition or any of its direct sub-conditions."""
        return self.filter(
            pk__in=_linked_to_condition(Therapy.conditions.through, "therapy", condition)
        )

    def recorded_on_parent_of(self, condition, *, besides=()):
        """Therapies recorded on this condition's parent (haemophilia, for haemophilia A)
        and not among ``besides`` (pks, or a query of them): what the condition's page rolls
        up from above."""
        if condition.parent_id is None:
            return self.none()
        return self.filter(conditions=condition.parent_id).exclude(pk__in=besides)

    def for_listing(self):
        """Published therapies with modality, approach and published conditions."""
        return (
            self.published()
            .select_related("modality", "approach")
            .prefetch_related(Prefetch("conditions", queryset=Condition.objects.published()))
        )

    def for_mentions(self):
        """Published therapies with their modality: what a one-line mention on another
        record's page shows (name, modality, summary), without the conditions a list row
        shows; only those columns, since a condition page mentions up to 20)."""
        return (
            self.published()
            .select_related("modality")
            .only("name", "slug", "summary", "modality__name")
        )

    def for_detail(self):
        """Published therapies with everything the detail page shows, no query per row."""
        return self.published().with_detail_related()

    def with_detail_related(self):
        """Modality, published conditions, decisions with sources, published programmes.

        Claims are not here: the page also shows claims about the therapy's programmes,
        which the view reads in one query of its own.
        """
        from hospitals.models import Programme

        return self.select_related("modality", "approach").prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.published()),
            Prefetch("products", queryset=Therapy.objects.published().select_related("modality")),
            Prefetch(
                "decisions",
                queryset=RegulatoryDecision.objects.filter(
                    agency__status=Status.PUBLISHED, source__status=Status.PUBLISHED
                )
                .select_related("agency")
                .with_source_reference(),
            ),
            Prefetch(
                "programmes",
                queryset=Programme.objects.published()
                .filter(institution__status=Status.PUBLISHED)
                .select_related("institution"),
            ),
        )

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class TherapyKind(models.TextChoices):
    APPROACH = "approach", _("Therapeutic approach")
    PRODUCT = "product", _("Medicine or investigational product")
    HOSPITAL = "hospital", _("Hospital treatment programme")


class TherapyDevelopment(models.TextChoices):
    NOT_STATED = "", _("Not stated")
    RESEARCH = "research", _("Research")
    CLINICAL_TRIAL = "clinical_trial", _("Clinical trial")
    APPROVED = "approved", _("Approved")
    IN_USE = "in_use", _("In clinical use")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Therapy(ListedFromParent, Publishable):
    Kind = TherapyKind

    Development = TherapyDevelopment

    name = models.CharField(
        max_length=200, help_text=_("The name readers know it by."), verbose_name=_("name")
    )
    slug = models.SlugField(max_length=200, unique=True, verbose_name=_("slug"))
    kind = models.CharField(
        max_length=10,
        choices=Kind,
        default=Kind.PRODUCT,
        help_text=_(
            "An approach (CAR-T therapy) groups many products; a product is one "
            "medicine; a hospital programme is a treatment a hospital has put in place."
        ),
        verbose_name=_("kind"),
    )
    inn = models.CharField(
        _("INN"),
        max_length=200,
        blank=True,
        help_text=_("International non-proprietary name, e.g. delandistrogene moxeparvovec."),
    )
    brand_name = models.CharField(max_length=120, blank=True, verbose_name=_("brand name"))
    code = models.CharField(
        _("development code"), max_length=60, blank=True, help_text=_("e.g. SRP-9001, ARI0002h.")
    )
    modality = models.ForeignKey(
        Modality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="therapies",
        verbose_name=_("modality"),
    )
    approach = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
        limit_choices_to={"kind": TherapyKind.APPROACH},
        help_text=_(
            "For a product or hospital programme: the approach it belongs to "
            "(ARI0002h belongs to CAR-T therapy). The approach's page lists its products."
        ),
        verbose_name=_("approach"),
    )
    conditions = models.ManyToManyField(
        Condition, blank=True, related_name="therapies", verbose_name=_("conditions")
    )
    summary = models.TextField(
        help_text=_("What it is, in two or three plain sentences."), verbose_name=_("summary")
    )
    mechanism = models.TextField(
        blank=True, help_text=_("How it works."), verbose_name=_("mechanism")
    )
    development_status = models.CharField(
        max_length=16,
        choices=Development,
        blank=True,
        default="",
        db_index=True,
        verbose_name=_("development status"),
    )

    objects = TherapyQuerySet.as_manager()

    # History keeps the conditions with each version, so reverting restores them too.
    _history_m2m_fields = ["conditions"]

    class Meta:
        verbose_name = _("therapy")
        permissions = [("publish_therapy", "Can publish, unpublish and archive therapies")]
        ordering = ["name"]
        verbose_name_plural = _("therapies")
        constraints = [
            *Publishable._meta.constraints,
            models.CheckConstraint(
                condition=Q(kind__in=TherapyKind.values), name="therapy_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(development_status__in=TherapyDevelopment.values),
                name="therapy_development_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(approach=models.F("pk")), name="therapy_not_own_approach"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "name"]),
            # "Newest first": a page read in publication order, the name breaking ties
            # after it (without it every therapy was sorted: 123 ms at 100,000 therapies).
            models.Index(fields=["-published_at"], name="therapy_newest"),
            # (The API's, whose empty dates sort last, is PostgreSQL's only:
            # genetx/migrations/0019_api_sort_indexes.py.)
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        super().clean()
        approach = self.approach
        if approach is None:
            return
        if self.pk is not None and approach.pk == self.pk:
            raise ValidationError({"approach": _("A therapy cannot be its own approach.")})
        if approach.kind != TherapyKind.APPROACH:
            raise ValidationError(
                {
                    "approach": gettext(
                        "“%(record)s” is not an approach; choose a therapeutic approach."
                    )
                    % {"record": approach}
                }
            )
        if self.kind == TherapyKind.APPROACH:
            raise ValidationError(
                {"approach": _("An approach does not belong to another approach; leave it empty.")}
            )

    def get_absolute_url(self):
        return record_url("therapies:therapy-detail", slug=self.slug)


class RegulatoryDecisionQuerySet(SourceReferenceQuerySet):
    def published(self):
        """Decisions readers may see: about a published therapy, by a published agency.

        The timeline's rule; the decision's source is shown only when it is published too.
        """
        return self.filter(therapy__status=Status.PUBLISHED, agency__status=Status.PUBLISHED)

    def for_listing(self):
        """Published decisions with their therapy, agency and source (and its authors)."""
        return self.published().select_related("therapy", "agency").with_source_reference()

    def documented_in(self, source):
        """Published decisions this source documents, with therapy and agency, newest first."""
        return (
            self.published()
            .filter(source=source)
            .select_related("therapy", "agency")
            .order_by("-date")
        )

    def get_by_natural_key(self, therapy_slug, agency_slug, kind, date):
        return self.get(therapy__slug=therapy_slug, agency__slug=agency_slug, kind=kind, date=date)


class RegulatoryDecisionKind(models.TextChoices):
    APPROVAL = "approval", _("Approval")
    ACCELERATED_APPROVAL = "accelerated_approval", _("Accelerated approval")
    CONDITIONAL_APPROVAL = "conditional_approval", _("Conditional approval")
    HOSPITAL_EXEMPTION = "hospital_exemption", _("Hospital exemption")
    DESIGNATION = "designation", _("Designation")
    REFUSAL = "refusal", _("Refusal")
    WITHDRAWAL = "withdrawal", _("Withdrawal")


class RegulatoryDecision(Versioned):
    Kind = RegulatoryDecisionKind

    therapy = models.ForeignKey(
        Therapy, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("therapy")
    )
    agency = models.ForeignKey(
        "hospitals.Institution",
        on_delete=models.PROTECT,
        related_name="decisions",
        help_text=_("The regulator or ministry that decided."),
        verbose_name=_("agency"),
    )
    kind = models.CharField(max_length=24, choices=Kind, verbose_name=_("kind"))
    date = models.DateField(verbose_name=_("date"))
    indication = models.TextField(
        help_text=_("For whom, as the decision words it."), verbose_name=_("indication")
    )
    source = models.ForeignKey(
        "sources.Source",
        on_delete=models.PROTECT,
        related_name="decisions",
        help_text=_("Where the decision is documented."),
        verbose_name=_("source"),
    )

    history = HistoricalRecords()

    objects = RegulatoryDecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("regulatory decision")
        verbose_name_plural = _("regulatory decisions")
        ordering = ["-date"]
        indexes = [
            # The decision list's order, newest first with the id breaking ties
            # (genetx.listing.with_unique_order): without it PostgreSQL joined and sorted
            # every decision for each page (100 ms at 10,000 decisions).
            models.Index(fields=["-date", "id"], name="decision_list_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RegulatoryDecisionKind.values), name="decision_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["therapy", "agency", "kind", "date"], name="decision_unique"
            ),
            models.CheckConstraint(
                condition=Q(date__gte="1950-01-01", date__lte="2100-12-31"),
                name="decision_date_range",
            ),
        ]

    def __str__(self):
        return f"{self.agency} {self.get_kind_display().lower()} of {self.therapy} ({self.date})"

    def natural_key(self):
        return (self.therapy.slug, self.agency.slug, self.kind, self.date.isoformat())

    natural_key.dependencies = ["therapies.therapy", "hospitals.institution"]


# Clinical trials ----------------------------------------------------------------------------


class TrialPhase(models.TextChoices):
    """The phases ClinicalTrials.gov records (its API's EARLY_PHASE1 ... NA, combined)."""

    NOT_STATED = "", _("Not stated")
    EARLY_PHASE_1 = "early_phase_1", _("Early phase 1")
    PHASE_1 = "phase_1", _("Phase 1")
    PHASE_1_2 = "phase_1_2", _("Phase 1/2")
    PHASE_2 = "phase_2", _("Phase 2")
    PHASE_2_3 = "phase_2_3", _("Phase 2/3")
    PHASE_3 = "phase_3", _("Phase 3")
    PHASE_4 = "phase_4", _("Phase 4")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class TrialStatus(models.TextChoices):
    """ClinicalTrials.gov's overall recruitment statuses."""

    NOT_STATED = "", _("Not stated")
    NOT_YET_RECRUITING = "not_yet_recruiting", _("Not yet recruiting")
    RECRUITING = "recruiting", _("Recruiting")
    ENROLLING_BY_INVITATION = "enrolling_by_invitation", _("Enrolling by invitation")
    ACTIVE_NOT_RECRUITING = "active_not_recruiting", _("Active, not recruiting")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    UNKNOWN = "unknown", _("Unknown status")


class TrialFigureKind(models.TextChoices):
    """Whether a trial's date or enrolment already happened or is the registry's estimate."""

    NOT_STATED = "", _("Not stated")
    ACTUAL = "actual", _("Actual")
    ANTICIPATED = "anticipated", _("Anticipated")


def _matches_shape(field: str, length: int, dashes: tuple[int, ...], prefix: str = "") -> Q:
    """Empty, or the length and fixed characters of a registry number (the digits are
    checked by the field's validator: a portable CHECK cannot test character classes)."""
    shape = Q(Exact(Length(field), length))
    for position in dashes:
        shape &= Q(Exact(Substr(field, position, 1), "-"))
    if prefix:
        shape &= Q(**{f"{field}__startswith": prefix})
    return Q(**{field: ""}) | shape


class TrialQuerySet(PublishableQuerySet):
    def for_therapy(self, therapy):
        """Trials testing this therapy, or, for an approach, any of its products.

        The therapy and its products, then their trial links: two indexed lookups. As one
        OR across the join to the therapy (with DISTINCT over whole rows) PostgreSQL read
        every trial's links, as condition pages once did (_linked_to_condition).
        """
        therapies = Therapy.objects.filter(Q(pk=therapy.pk) | Q(approach=therapy.pk))
        links = Trial.therapies.through.objects.filter(therapy__in=therapies.values("pk"))
        return self.filter(pk__in=links.values("trial"))

    def for_condition(self, condition):
        """Trials of this condition or any of its direct sub-conditions."""
        return self.filter(
            pk__in=_linked_to_condition(Trial.conditions.through, "trial", condition)
        )

    def at_institution(self, institution):
        """Trials this institution sponsors or is a site of."""
        return self.filter(
            Q(sponsor=institution)
            | Exists(TrialSite.objects.filter(trial=OuterRef("pk"), institution=institution))
        )

    def citing(self, source):
        """Trials that cite this source, in the citing source's page's order (by title)."""
        return self.filter(
            Exists(TrialCitation.objects.filter(trial=OuterRef("pk"), source=source))
        ).order_by("title", "slug")

    def for_cards(self):
        """Published trials as the trial sections of other pages list them, latest first."""
        return self.published().order_by("-start_date", "slug")

    def with_card_related(self):
        """What a trial's card shows: sponsor, published therapies and conditions."""
        return self.select_related("sponsor").prefetch_related(
            Prefetch("therapies", queryset=Therapy.objects.published()),
            Prefetch("conditions", queryset=Condition.objects.published()),
        )

    def for_listing(self):
        """Published trials with what a list row shows, a fixed number of queries."""
        return self.published().with_card_related()

    def for_detail(self):
        """Published trials with everything the detail page shows."""
        return self.published().with_detail_related()

    def with_detail_related(self):
        """Sponsor, published therapies, conditions, sites at published institutions, and
        citations of published sources in order (with authors)."""

        return self.with_card_related().prefetch_related(
            Prefetch(
                "sites",
                queryset=TrialSite.objects.filter(
                    institution__status=Status.PUBLISHED
                ).select_related("institution"),
            ),
            Prefetch("citations", queryset=TrialCitation.objects.for_reference_list()),
        )

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Trial(ListedFromParent, Publishable):
    """A clinical trial as its registries record it, cited like a claim."""

    Phase = TrialPhase
    OverallStatus = TrialStatus
    FigureKind = TrialFigureKind

    slug = models.SlugField(
        max_length=120,
        unique=True,
        help_text=_("Used in the trial's address, e.g. embark."),
        verbose_name=_("slug"),
    )
    title = models.CharField(
        max_length=500,
        help_text=_("The trial's title as its registry gives it (brief title)."),
        verbose_name=_("title"),
    )
    acronym = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("The trial's short name, e.g. EMBARK."),
        verbose_name=_("acronym"),
    )
    nct_number = models.CharField(
        _("ClinicalTrials.gov number"),
        # Room for what editors paste ("NCT 04309981"); stored normalised, and the
        # database checks the exact length.
        max_length=30,
        blank=True,
        validators=[validate_nct_number],
        help_text=_("NCT and eight digits, e.g. NCT04309981. Unique."),
    )
    eudract_number = models.CharField(
        _("EudraCT number"),
        # Room for what editors paste ("NCT 04309981"); stored normalised, and the
        # database checks the exact length.
        max_length=30,
        blank=True,
        validators=[validate_eudract_number],
        help_text=_("EU Clinical Trials Register, e.g. 2019-003374-91. Unique."),
    )
    euct_number = models.CharField(
        _("EU CT number"),
        # Room for what editors paste ("NCT 04309981"); stored normalised, and the
        # database checks the exact length.
        max_length=30,
        blank=True,
        validators=[validate_euct_number],
        help_text=_(
            "EU Clinical Trials Information System (since 2023), e.g. 2023-503456-12-00. Unique."
        ),
    )
    phase = models.CharField(
        max_length=16, choices=TrialPhase, blank=True, db_index=True, verbose_name=_("phase")
    )
    overall_status = models.CharField(
        _("overall status"),
        max_length=24,
        choices=TrialStatus,
        blank=True,
        db_index=True,
        help_text=_("Recruitment status as the registry states it; leave empty when not known."),
    )
    start_date = models.DateField(
        null=True,
        blank=True,
        help_text=_(
            "When the first participant was enrolled. Enter the first day of the "
            "month or year when only those are known, and set the precision."
        ),
        verbose_name=_("start date"),
    )
    start_date_precision = models.CharField(
        max_length=5, choices=DatePrecision, blank=True, verbose_name=_("start date precision")
    )
    start_date_kind = models.CharField(
        _("start date is"), max_length=12, choices=TrialFigureKind, blank=True
    )
    completion_date = models.DateField(
        null=True,
        blank=True,
        help_text=_("Study completion date, as the registry gives it."),
        verbose_name=_("completion date"),
    )
    completion_date_precision = models.CharField(
        max_length=5, choices=DatePrecision, blank=True, verbose_name=_("completion date precision")
    )
    completion_date_kind = models.CharField(
        _("completion date is"), max_length=12, choices=TrialFigureKind, blank=True
    )
    enrolment = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Number of participants."), verbose_name=_("enrolment")
    )
    enrolment_kind = models.CharField(
        _("enrolment is"),
        max_length=12,
        choices=TrialFigureKind,
        blank=True,
        help_text=_("Actual (enrolled) or anticipated (planned) participants."),
    )
    sponsor = models.ForeignKey(
        "hospitals.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sponsored_trials",
        help_text=_("The lead sponsor; leave empty when not verified."),
        verbose_name=_("sponsor"),
    )
    therapies = models.ManyToManyField(
        Therapy,
        blank=True,
        related_name="trials",
        help_text=_("The therapies it tests."),
        verbose_name=_("therapies"),
    )
    conditions = models.ManyToManyField(
        Condition,
        blank=True,
        related_name="trials",
        help_text=_("The conditions it studies."),
        verbose_name=_("conditions"),
    )
    summary = models.TextField(
        blank=True, help_text=_("What the trial tests, in plain words."), verbose_name=_("summary")
    )

    objects = TrialQuerySet.as_manager()

    # History keeps the therapies and conditions with each version, so reverting restores them.
    _history_m2m_fields = ["therapies", "conditions"]

    class Meta:
        verbose_name = _("trial")
        verbose_name_plural = _("trials")
        permissions = [("publish_trial", "Can publish, unpublish and archive trials")]
        ordering = ["-start_date", "slug"]
        constraints = [
            *Publishable._meta.constraints,
            *partial_date_constraints("start_date", "start_date_precision"),
            *partial_date_constraints("completion_date", "completion_date_precision"),
            models.CheckConstraint(
                condition=Q(phase__in=TrialPhase.values), name="trial_phase_valid"
            ),
            models.CheckConstraint(
                condition=Q(overall_status__in=TrialStatus.values),
                name="trial_overall_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(start_date_kind__in=TrialFigureKind.values)
                & Q(completion_date_kind__in=TrialFigureKind.values)
                & Q(enrolment_kind__in=TrialFigureKind.values),
                name="trial_figure_kinds_valid",
            ),
            models.CheckConstraint(
                condition=Q(enrolment__isnull=False) | Q(enrolment_kind=""),
                name="trial_enrolment_kind_needs_enrolment",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(completion_date__isnull=True)
                | Q(completion_date__gte=models.F("start_date")),
                name="trial_completion_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(nct_number="", eudract_number="", euct_number=""),
                name="trial_has_registry_number",
            ),
            models.CheckConstraint(
                condition=_matches_shape("nct_number", 11, (), prefix="NCT"),
                name="trial_nct_number_format",
            ),
            models.CheckConstraint(
                condition=_matches_shape("eudract_number", 14, (5, 12)),
                name="trial_eudract_number_format",
            ),
            models.CheckConstraint(
                condition=_matches_shape("euct_number", 17, (5, 12, 15)),
                name="trial_euct_number_format",
            ),
            models.UniqueConstraint(
                fields=["nct_number"], condition=~Q(nct_number=""), name="trial_nct_unique"
            ),
            models.UniqueConstraint(
                fields=["eudract_number"],
                condition=~Q(eudract_number=""),
                name="trial_eudract_unique",
            ),
            models.UniqueConstraint(
                fields=["euct_number"], condition=~Q(euct_number=""), name="trial_euct_unique"
            ),
        ]
        indexes = [models.Index(fields=["-start_date", "slug"], name="trial_list_order")]

    def __str__(self):
        return f"{self.acronym} ({self.registry_number})" if self.acronym else self.display_name

    def natural_key(self):
        return (self.slug,)

    def clean_fields(self, exclude=None):
        # Normalised before the field validators run, so a pasted "nct 04309981" passes.
        self.normalise()
        super().clean_fields(exclude)

    def clean(self):
        self.normalise()
        super().clean()
        errors = {}
        if not (self.nct_number or self.eudract_number or self.euct_number):
            errors["nct_number"] = _(
                "Give at least one registry number: ClinicalTrials.gov, EudraCT or EU CT."
            )
        for field in ("start_date", "completion_date"):
            if getattr(self, field) and not getattr(self, f"{field}_precision"):
                setattr(self, f"{field}_precision", DatePrecision.DAY)
        if self.enrolment is None and self.enrolment_kind:
            errors["enrolment_kind"] = _("Give the number of participants, or leave this empty.")
        if self.start_date and self.completion_date and self.completion_date < self.start_date:
            errors["completion_date"] = _("The completion date cannot be before the start date.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Normalised on every save path (imports, fixtures, the shell), not only in forms,
        # so the unique constraints compare like with like.
        self.normalise()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return record_url("therapies:trial-detail", slug=self.slug)

    def normalise(self) -> None:
        self.nct_number = normalise_registry_number(self.nct_number, "NCT")
        self.eudract_number = normalise_registry_number(self.eudract_number)
        self.euct_number = normalise_registry_number(self.euct_number)

    @property
    def registry_number(self) -> str:
        """The number readers know it by: ClinicalTrials.gov's first, then the EU ones."""
        return self.nct_number or self.euct_number or self.eudract_number

    @property
    def display_name(self) -> str:
        return self.acronym or self.title

    @property
    def registry_links(self) -> list[tuple[str, str, str]]:
        """(registry, number, URL) of each registry record, ClinicalTrials.gov first."""
        links = []
        if self.nct_number:
            links.append(
                (
                    "ClinicalTrials.gov",
                    self.nct_number,
                    f"https://clinicaltrials.gov/study/{self.nct_number}",
                )
            )
        if self.euct_number:
            links.append(
                (
                    "EU Clinical Trials (CTIS)",
                    self.euct_number,
                    f"https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT="
                    f"{self.euct_number}",
                )
            )
        if self.eudract_number:
            links.append(
                (
                    "EU Clinical Trials Register",
                    self.eudract_number,
                    "https://www.clinicaltrialsregister.eu/ctr-search/search?query="
                    f"{self.eudract_number}",
                )
            )
        return links

    @property
    def start_date_display(self) -> str:
        return dates.display(self.start_date, self.start_date_precision)

    @property
    def completion_date_display(self) -> str:
        return dates.display(self.completion_date, self.completion_date_precision)

    @property
    def enrolment_display(self) -> str:
        """125 participants (actual)."""
        if self.enrolment is None:
            return ""
        text = ngettext("%(count)s participant", "%(count)s participants", self.enrolment) % {
            "count": number_format(self.enrolment, force_grouping=True)
        }
        if self.enrolment_kind:
            text += f" ({self.get_enrolment_kind_display().lower()})"
        return text


class TrialSiteQuerySet(models.QuerySet):
    def get_by_natural_key(self, trial_slug, institution_slug):
        return self.get(trial__slug=trial_slug, institution__slug=institution_slug)


class TrialSite(Versioned):
    """An institution where a trial enrols participants; its country is the institution's."""

    trial = models.ForeignKey(
        Trial, on_delete=models.CASCADE, related_name="sites", verbose_name=_("trial")
    )
    institution = models.ForeignKey(
        "hospitals.Institution",
        on_delete=models.PROTECT,
        related_name="trial_sites",
        help_text=_("The hospital or centre; its country is the site's country."),
        verbose_name=_("institution"),
    )

    history = HistoricalRecords()

    objects = TrialSiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("trial site")
        verbose_name_plural = _("trial sites")
        ordering = ["trial", "institution__name"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "institution"], name="trialsite_unique"),
        ]

    def __str__(self):
        return f"{self.institution} (site of {self.trial.display_name})"

    def natural_key(self):
        return (self.trial.slug, self.institution.slug)

    natural_key.dependencies = ["therapies.trial", "hospitals.institution"]


class TrialCitationQuerySet(CitingQuerySet):
    def get_by_natural_key(self, trial_slug, source_key):
        return self.get(trial__slug=trial_slug, source__key=source_key)


class TrialCitation(Versioned):
    """A trial's record citing a source (its registry record, a paper), like a claim's."""

    trial = models.ForeignKey(
        Trial, on_delete=models.CASCADE, related_name="citations", verbose_name=_("trial")
    )
    source = models.ForeignKey(
        "sources.Source",
        on_delete=models.PROTECT,
        related_name="trial_citations",
        help_text=_("A cited source cannot be deleted while this citation exists."),
        verbose_name=_("source"),
    )
    locator = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Where in the source: a section, a page."),
        verbose_name=_("locator"),
    )
    position = models.PositiveSmallIntegerField(
        default=1, help_text=_("Order among the trial's sources."), verbose_name=_("position")
    )

    history = HistoricalRecords()

    objects = TrialCitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("trial citation")
        verbose_name_plural = _("trial citations")
        ordering = ["trial", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "source"], name="trialcitation_unique_pair"),
        ]

    def __str__(self):
        return f"{self.trial.slug} cites {self.source.key}"

    def natural_key(self):
        return (self.trial.slug, self.source.key)

    natural_key.dependencies = ["therapies.trial", "sources.source"]


# What the condition list shows and sorts "Most therapies" by: links to published
# therapies (therapies.signals keeps it).
THERAPY_COUNT = keep_count(
    model=Condition,
    field="therapy_count",
    counted=lambda: Therapy.conditions.through.objects.filter(therapy__status=Status.PUBLISHED),
    to_row="condition",
)
