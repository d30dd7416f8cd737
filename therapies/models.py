"""Modalities, conditions, therapies and the regulators' decisions about them."""

from django.db import models
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from genetx.models import Publishable, PublishableQuerySet, Status, Versioned

from .validators import validate_icd10_code, validate_orpha_code


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

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    delivery = models.CharField(
        max_length=10,
        choices=Delivery,
        help_text="In vivo: the gene is delivered inside the body. Ex vivo: the patient's "
        "cells are modified outside the body and given back.",
    )
    description = models.TextField(blank=True)

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
    def with_therapy_count(self):
        """Annotate therapy_count: published therapies for each condition.

        Not DISTINCT: a therapy is linked to a condition at most once, and a distinct count
        made PostgreSQL sort every link (on disk, at thousands of therapies) instead of
        hashing. Annotate before any filter across another many-valued relation.
        """
        return self.annotate(
            therapy_count=Count("therapies", filter=Q(therapies__status=Status.PUBLISHED))
        )

    def most_treated(self):
        """Published conditions with published therapies, most therapies first; only the
        name and slug (grouping whole rows made PostgreSQL sort them on disk)."""
        return (
            self.published()
            .only("name", "slug")
            .with_therapy_count()
            .filter(therapy_count__gt=0)
            .order_by("-therapy_count", "name")
        )

    def for_listing(self):
        """Published conditions with their parent and therapy counts."""
        return self.published().select_related("parent").with_therapy_count()

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

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    category = models.CharField(max_length=24, choices=Category, db_index=True)
    is_rare = models.BooleanField(
        "rare disease", default=False, help_text="Rare by the EU definition (< 1 in 2,000)."
    )
    orpha_code = models.CharField(
        "ORPHA code",
        max_length=14,
        blank=True,
        validators=[validate_orpha_code],
        help_text="Orphanet identifier, e.g. ORPHA:98896.",
    )
    icd10_code = models.CharField(
        "ICD-10 code",
        max_length=8,
        blank=True,
        validators=[validate_icd10_code],
        help_text="WHO ICD-10 code, e.g. G71.0.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="A broader condition this one belongs to (haemophilia A under haemophilia).",
    )
    summary = models.TextField(blank=True)

    objects = ConditionQuerySet.as_manager()

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        permissions = [("publish_condition", "Can publish, unpublish and archive conditions")]
        ordering = ["name"]
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
        return reverse("therapies:condition-detail", kwargs={"slug": self.slug})

    @property
    def orpha_url(self) -> str:
        number = self.orpha_code.removeprefix("ORPHA:")
        return f"https://www.orpha.net/en/disease/detail/{number}" if number else ""


class TherapyQuerySet(PublishableQuerySet):
    def for_condition(self, condition):
        """Therapies for this condition or any of its direct sub-conditions."""
        return self.filter(Q(conditions=condition) | Q(conditions__parent=condition)).distinct()

    def for_listing(self):
        """Published therapies with modality and published conditions, one query each."""
        return (
            self.published()
            .select_related("modality")
            .prefetch_related(Prefetch("conditions", queryset=Condition.objects.published()))
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

        return self.select_related("modality").prefetch_related(
            Prefetch("conditions", queryset=Condition.objects.published()),
            Prefetch(
                "decisions",
                queryset=RegulatoryDecision.objects.filter(
                    agency__status=Status.PUBLISHED, source__status=Status.PUBLISHED
                )
                .select_related("agency", "source__reported_by")
                .prefetch_related("source__authors", "source__reported_by__authors"),
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


class Therapy(Publishable):
    Kind = TherapyKind

    Development = TherapyDevelopment

    name = models.CharField(max_length=200, help_text="The name readers know it by.")
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(
        max_length=10,
        choices=Kind,
        default=Kind.PRODUCT,
        help_text="An approach (CAR-T therapy) groups many products; a product is one "
        "medicine; a hospital programme is a treatment a hospital has put in place.",
    )
    inn = models.CharField(
        "INN",
        max_length=200,
        blank=True,
        help_text="International non-proprietary name, e.g. delandistrogene moxeparvovec.",
    )
    brand_name = models.CharField(max_length=120, blank=True)
    code = models.CharField(
        "development code", max_length=60, blank=True, help_text="e.g. SRP-9001, ARI0002h."
    )
    modality = models.ForeignKey(
        Modality, on_delete=models.PROTECT, null=True, blank=True, related_name="therapies"
    )
    conditions = models.ManyToManyField(Condition, blank=True, related_name="therapies")
    summary = models.TextField(help_text="What it is, in two or three plain sentences.")
    mechanism = models.TextField(blank=True, help_text="How it works.")
    development_status = models.CharField(
        max_length=16, choices=Development, blank=True, default="", db_index=True
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
        ]
        indexes = [models.Index(fields=["status", "name"])]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return reverse("therapies:therapy-detail", kwargs={"slug": self.slug})


class RegulatoryDecisionQuerySet(models.QuerySet):
    def published(self):
        """Decisions readers may see: about a published therapy, by a published agency.

        The timeline's rule; the decision's source is shown only when it is published too.
        """
        return self.filter(therapy__status=Status.PUBLISHED, agency__status=Status.PUBLISHED)

    def for_listing(self):
        """Published decisions with their therapy, agency and source (and its authors)."""
        return (
            self.published()
            .select_related("therapy", "agency", "source__reported_by")
            .prefetch_related("source__authors", "source__reported_by__authors")
        )

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

    therapy = models.ForeignKey(Therapy, on_delete=models.CASCADE, related_name="decisions")
    agency = models.ForeignKey(
        "hospitals.Institution",
        on_delete=models.PROTECT,
        related_name="decisions",
        help_text="The regulator or ministry that decided.",
    )
    kind = models.CharField(max_length=24, choices=Kind)
    date = models.DateField()
    indication = models.TextField(help_text="For whom, as the decision words it.")
    source = models.ForeignKey(
        "sources.Source",
        on_delete=models.PROTECT,
        related_name="decisions",
        help_text="Where the decision is documented.",
    )

    history = HistoricalRecords()

    objects = RegulatoryDecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("regulatory decision")
        verbose_name_plural = _("regulatory decisions")
        ordering = ["-date"]
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
