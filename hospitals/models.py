"""Hospitals, regulators and other institutions, and their programmes for therapies."""

import functools

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Prefetch, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from genetx.counts import keep_count
from genetx.links import record_url
from genetx.models import ListedFromParent, Publishable, PublishableQuerySet, Status

from .validators import validate_country_code, validate_ror_id


class InstitutionQuerySet(PublishableQuerySet):
    def offering(self, therapy):
        """Institutions with a published programme (any role) for this therapy."""
        return self.filter(
            programmes__therapy=therapy, programmes__status=Status.PUBLISHED
        ).distinct()

    def for_listing(self):
        """Published institutions (each row keeps its programme count)."""
        return self.published()

    def for_detail(self):
        """Published institutions with published programmes and their therapies."""
        return self.published().with_detail_related()

    def with_detail_related(self):
        """Published programmes with therapies, and decisions about published therapies.

        Claims are not here: the page also shows claims about the institution's
        programmes, which the view reads in one query of its own.
        """
        return self.with_decisions().prefetch_related(
            Prefetch(
                "programmes",
                queryset=Programme.objects.published()
                .filter(therapy__status=Status.PUBLISHED)
                .select_related("therapy__modality"),
            ),
        )

    def with_decisions(self):
        """Decisions it took about published therapies, with their published sources."""
        return self.prefetch_related(Prefetch("decisions", queryset=_published_decisions()))

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


def _published_decisions():
    from therapies.models import RegulatoryDecision

    return (
        RegulatoryDecision.objects.filter(
            therapy__status=Status.PUBLISHED, source__status=Status.PUBLISHED
        )
        .select_related("therapy")
        .with_source_reference()
    )


class InstitutionKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    CHILDRENS_HOSPITAL = "childrens_hospital", _("Children's hospital")
    RESEARCH_CENTRE = "research_centre", _("Research centre")
    REGULATOR = "regulator", _("Regulator")
    MINISTRY = "ministry", _("Ministry or health authority")
    COMPANY = "company", _("Company")
    PUBLISHER = "publisher", _("Publisher")


class Institution(Publishable):
    Kind = InstitutionKind

    name = models.CharField(max_length=250, verbose_name=_("name"))
    slug = models.SlugField(max_length=250, unique=True, verbose_name=_("slug"))
    programme_count = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=_("How many published programmes it runs; kept up to date on every save."),
        verbose_name=_("programme count"),
    )
    kind = models.CharField(max_length=20, choices=Kind, db_index=True, verbose_name=_("kind"))
    city = models.CharField(max_length=120, blank=True, db_index=True, verbose_name=_("city"))
    region = models.CharField(
        max_length=120,
        blank=True,
        db_index=True,
        help_text=_("e.g. Community of Madrid, Catalonia."),
        verbose_name=_("region"),
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        db_index=True,
        validators=[validate_country_code],
        help_text=_("Two-letter ISO code: ES, US."),
        verbose_name=_("country"),
    )
    website = models.URLField(max_length=300, blank=True, verbose_name=_("website"))
    ror_id = models.CharField(
        _("ROR id"),
        max_length=9,
        blank=True,
        validators=[validate_ror_id],
        help_text=_("Research Organization Registry id, e.g. 05mc5tw50."),
    )
    latitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text=_(
            "Degrees north (negative south), -90 to 90, e.g. 40.41650 for Madrid. "
            "City level is enough: it places the institution's marker on the maps. "
            "Give both coordinates or neither."
        ),
        verbose_name=_("latitude"),
    )
    longitude = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text=_("Degrees east (negative west), -180 to 180, e.g. -3.70256 for Madrid."),
        verbose_name=_("longitude"),
    )
    summary = models.TextField(blank=True, verbose_name=_("summary"))

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        permissions = [("publish_institution", "Can publish, unpublish and archive institutions")]
        ordering = ["name"]
        # The list's default order: a page read in order instead of every institution sorted
        # (django-modeltranslation adds one per language, on name_en and name_es).
        indexes = [
            models.Index(fields=["status", "name"]),
            # "Newest first", as for therapies.
            models.Index(fields=["-published_at"], name="institution_newest"),
            # "Most programmes first", likewise.
            models.Index(fields=["-programme_count"], name="institution_most_programmes"),
        ]
        constraints = [
            *Publishable._meta.constraints,
            models.CheckConstraint(
                condition=Q(kind__in=InstitutionKind.values), name="institution_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["ror_id"], condition=~Q(ror_id=""), name="institution_ror_unique"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="institution_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="institution_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="institution_coordinates_pair",
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return record_url("hospitals:institution-detail", slug=self.slug)

    @property
    def ror_url(self) -> str:
        return f"https://ror.org/{self.ror_id}" if self.ror_id else ""

    def clean(self):
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            missing = "longitude" if self.longitude is None else "latitude"
            raise ValidationError(
                {missing: _("Give both latitude and longitude, or leave both empty.")}
            )

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @property
    def place(self) -> str:
        """City, region and country as one line: Madrid, Community of Madrid, Spain."""
        return format_place(self.city, self.region, self.country)


def country_name(code: str) -> str:
    """The country's name for an ISO 3166 code (Spain for ES); the code if unknown."""
    return _country_name(code, get_language()) if code else ""


@functools.lru_cache(maxsize=1024)
def _country_name(code: str, language: str | None) -> str:
    # django-countries finds and translates the name on every call: a tenth of a condition
    # page listing 100 programmes. A name depends only on the code and the language.
    return str(countries.name(code) or code)


def format_place(city: str, region: str, country: str) -> str:
    return ", ".join(part for part in (city, region, country_name(country)) if part)


class ProgrammeQuerySet(PublishableQuerySet):
    def public(self):
        """Published programmes whose institution and therapy are published too."""
        return self.published().filter(
            institution__status=Status.PUBLISHED, therapy__status=Status.PUBLISHED
        )

    def for_listing(self):
        """Public programmes with their institution and therapy, one query."""
        return self.public().select_related("institution", "therapy")

    def for_condition(self, condition):
        """Public programmes for therapies of this condition (or its direct sub-conditions),
        with institution and therapy, by institution, therapy and role."""
        from therapies.models import Therapy

        return (
            self.published()
            .filter(
                institution__status=Status.PUBLISHED,
                therapy__in=Therapy.objects.published().for_condition(condition).values("pk"),
            )
            .select_related("institution", "therapy")
            # The columns a condition page shows of its up to 20 programmes.
            .only(
                "role",
                "since",
                "institution__name",
                "institution__slug",
                "institution__city",
                "institution__region",
                "institution__country",
                "therapy__name",
                "therapy__slug",
            )
            .order_by("institution__name", "therapy__name", "role")
        )

    def at_institution(self, institution):
        """Published programmes of this institution for published therapies, with therapy
        and modality, by role."""
        return (
            self.published()
            .filter(institution=institution, therapy__status=Status.PUBLISHED)
            .select_related("therapy__modality")
            # The columns an institution page shows: up to 20 rows of three records each,
            # whose dates and bookkeeping columns were most of the rows' reading time.
            .only(
                "role",
                "since",
                "summary",
                "institution",
                "therapy__name",
                "therapy__slug",
                "therapy__modality__name",
            )
            .order_by("role", "pk")
        )

    def get_by_natural_key(self, institution_slug, therapy_slug, role):
        return self.get(institution__slug=institution_slug, therapy__slug=therapy_slug, role=role)


class ProgrammeRole(models.TextChoices):
    DEVELOPS = "develops", _("Develops")
    IMPLEMENTS = "implements", _("Implements")
    TREATS = "treats", _("Treats patients")
    TRIAL_SITE = "trial_site", _("Trial site")
    DESIGNATED_CENTRE = "designated_centre", _("Designated centre")
    AUTHORISES = "authorises", _("Authorises treatment requests")


class Programme(ListedFromParent, Publishable):
    """What an institution does with a therapy: develops it, gives it, trials it, ..."""

    Role = ProgrammeRole

    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="programmes",
        verbose_name=_("institution"),
    )
    therapy = models.ForeignKey(
        "therapies.Therapy",
        on_delete=models.CASCADE,
        related_name="programmes",
        verbose_name=_("therapy"),
    )
    role = models.CharField(max_length=20, choices=Role, verbose_name=_("role"))
    since = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("The year the role began, when known."),
        verbose_name=_("since"),
    )
    summary = models.TextField(blank=True, verbose_name=_("summary"))

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        permissions = [("publish_programme", "Can publish, unpublish and archive programmes")]
        ordering = ["institution__name", "role"]
        # An institution's published programmes counted from the index alone (the
        # institution list's count column, genetx.models.per_row_count).
        indexes = [
            models.Index(fields=["institution", "status"], name="programme_institution_status")
        ]
        constraints = [
            *Publishable._meta.constraints,
            models.CheckConstraint(
                condition=Q(role__in=ProgrammeRole.values), name="programme_role_valid"
            ),
            models.UniqueConstraint(
                fields=["institution", "therapy", "role"], name="programme_unique_role"
            ),
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(since__gte=1950, since__lte=2100),
                name="programme_since_range",
            ),
        ]

    def __str__(self):
        return f"{self.institution} {self.get_role_display().lower()} {self.therapy}"

    def natural_key(self):
        return (self.institution.slug, self.therapy.slug, self.role)

    natural_key.dependencies = ["hospitals.institution", "therapies.therapy"]

    def get_absolute_url(self):
        return self.institution.get_absolute_url() + f"#programme-{self.pk}"


# What the institution list shows and sorts "Most programmes" by (hospitals.signals keeps
# it).
PROGRAMME_COUNT = keep_count(
    model=Institution,
    field="programme_count",
    counted=lambda: Programme.objects.filter(status=Status.PUBLISHED),
    to_row="institution",
)
