"""The facets of the therapy and condition lists."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from genetx.listing import (
    Facet,
    FacetedFilterSet,
    ModelMultipleChoiceFilter,
    MultipleChoiceFilter,
    SearchField,
    SortFilter,
    TextValuesFilter,
    rows_matching,
)
from genetx.models import Status
from hospitals.models import Institution, Programme, country_name
from hospitals.validators import validate_country_code
from sources.filters import YearsFilter

from .models import (
    Condition,
    ConditionCategory,
    Modality,
    RegulatoryDecision,
    RegulatoryDecisionKind,
    Therapy,
    TherapyDevelopment,
    TherapyKind,
    Trial,
    TrialPhase,
    TrialStatus,
)

# A therapy counts for a place only through a published programme at a published institution.
_PUBLIC_PROGRAMME = Q(
    programmes__status=Status.PUBLISHED, programmes__institution__status=Status.PUBLISHED
)


class TherapyFilter(FacetedFilterSet):
    q = SearchField("name", "inn", "brand_name", "code", "summary")
    modality = ModelMultipleChoiceFilter(
        queryset=Modality.objects.all(), to_field_name="slug", label=_("Modality")
    )
    condition = ModelMultipleChoiceFilter(
        field_name="conditions",
        queryset=Condition.objects.published(),
        to_field_name="slug",
        label=_("Condition"),
        distinct=True,
    )
    category = MultipleChoiceFilter(
        field_name="conditions__category",
        choices=ConditionCategory.choices,
        label=_("Condition category"),
        distinct=True,
    )
    development = MultipleChoiceFilter(
        field_name="development_status",
        choices=[c for c in TherapyDevelopment.choices if c[0]],
        label=_("Development status"),
    )
    kind = MultipleChoiceFilter(choices=TherapyKind.choices, label=_("Kind"))
    institution = ModelMultipleChoiceFilter(
        queryset=Institution.objects.published(),
        to_field_name="slug",
        method="filter_institution",
        label=_("Institution with a programme"),
    )
    country = TextValuesFilter(
        method="filter_place",
        label=_("Country of an institution with a programme"),
        max_length=2,
        validators=[validate_country_code],
    )
    region = TextValuesFilter(
        method="filter_place", label=_("Region of an institution with a programme"), max_length=120
    )
    sort = SortFilter(
        {
            "name": (_("Name"), ("name",)),
            "newest": (_("Newest first"), ("-published_at", "name")),
            "updated": (_("Recently updated"), ("-updated_at", "name")),
        }
    )

    facets = [
        Facet("modality", _("Modality"), "modality__slug", "modality__name"),
        Facet(
            "condition",
            _("Condition"),
            "conditions__slug",
            "conditions__name",
            only=Q(conditions__status=Status.PUBLISHED),
        ),
        Facet(
            "category",
            _("Condition category"),
            "conditions__category",
            choices=dict(ConditionCategory.choices),
            only=Q(conditions__status=Status.PUBLISHED),
        ),
        Facet(
            "development",
            _("Development status"),
            "development_status",
            choices=dict(TherapyDevelopment.choices[1:]),
        ),
        Facet("kind", _("Kind"), "kind", choices=dict(TherapyKind.choices)),
        Facet(
            "institution",
            _("Institution (programmes)"),
            "programmes__institution__slug",
            "programmes__institution__name",
            only=_PUBLIC_PROGRAMME,
        ),
        Facet(
            "country",
            _("Country (programmes)"),
            "programmes__institution__country",
            only=_PUBLIC_PROGRAMME,
            display=country_name,
        ),
        Facet(
            "region",
            _("Region (programmes)"),
            "programmes__institution__region",
            only=_PUBLIC_PROGRAMME,
        ),
    ]

    class Meta:
        model = Therapy
        fields = []

    def filter_institution(self, queryset, name, institutions):
        """Therapies with a public programme at any of these institutions (the whole list
        behind an institution page's capped programmes)."""
        if not institutions:
            return queryset
        # A subquery, not a join: a join to programmes here and another in a facet's count
        # multiply each other's rows (seconds for a big hospital at 100,000 therapies).
        programmes = Programme.objects.public().filter(institution__in=institutions)
        return queryset.filter(pk__in=programmes.values("therapy"))

    def filter_place(self, queryset, name, values):
        """Therapies with a public programme in any of these places (countries, regions)."""
        place = Q()
        for value in values:
            place |= Q(**{f"programmes__institution__{name}__iexact": value})
        return rows_matching(queryset, _PUBLIC_PROGRAMME & place)


class ConditionFilter(FacetedFilterSet):
    q = SearchField("name", "orpha_code", "icd10_code", "summary")
    category = MultipleChoiceFilter(choices=ConditionCategory.choices, label=_("Category"))
    rare = MultipleChoiceFilter(
        choices=[("true", _("Yes")), ("false", _("No"))],
        method="filter_rare",
        label=_("Rare disease"),
    )
    sort = SortFilter(
        {
            "name": (_("Name"), ("name",)),
            "therapies": (_("Most therapies"), ("-therapy_count", "name")),
            "newest": (_("Newest first"), ("-published_at", "name")),
        }
    )

    facets = [
        Facet("category", _("Category"), "category", choices=dict(ConditionCategory.choices)),
        Facet("rare", _("Rare disease"), "is_rare", choices={True: _("Yes"), False: _("No")}),
    ]

    class Meta:
        model = Condition
        fields = []

    def filter_rare(self, queryset, name, values):
        if not values or set(values) == {"true", "false"}:
            return queryset
        return queryset.filter(is_rare=values[0] == "true")


class DecisionFilter(FacetedFilterSet):
    """Regulatory decisions: the /decisions/ page and the API's list read this one filter
    set, over the one queryset rule RegulatoryDecision.objects.for_listing()."""

    therapy = ModelMultipleChoiceFilter(
        queryset=Therapy.objects.published(), to_field_name="slug", label=_("Therapy")
    )
    agency = ModelMultipleChoiceFilter(
        queryset=Institution.objects.published(), to_field_name="slug", label=_("Agency")
    )
    kind = MultipleChoiceFilter(choices=RegulatoryDecisionKind.choices, label=_("Kind"))
    year = YearsFilter(field_name="date__year", label=_("Year"))
    sort = SortFilter(
        {
            "newest": (_("Newest first"), ("-date",)),
            "oldest": (_("Oldest first"), ("date",)),
        }
    )

    facets = [
        Facet("agency", _("Agency"), "agency__slug", "agency__name"),
        Facet("kind", _("Kind"), "kind", choices=dict(RegulatoryDecisionKind.choices)),
        Facet("year", _("Year"), "date__year", newest_first=True),
        Facet("therapy", _("Therapy"), "therapy__slug", "therapy__name"),
    ]

    class Meta:
        model = RegulatoryDecision
        fields = []


# A trial counts for a country only through a site at a published institution.
_PUBLIC_SITE = Q(sites__institution__status=Status.PUBLISHED)


class TrialFilter(FacetedFilterSet):
    q = SearchField("acronym", "nct_number", "eudract_number", "euct_number", "title", "summary")
    phase = MultipleChoiceFilter(choices=TrialPhase.choices[1:], label=_("Phase"))
    status = MultipleChoiceFilter(
        field_name="overall_status", choices=TrialStatus.choices[1:], label=_("Overall status")
    )
    country = TextValuesFilter(
        method="filter_country",
        label=_("Country of a site"),
        max_length=2,
        validators=[validate_country_code],
    )
    condition = ModelMultipleChoiceFilter(
        field_name="conditions",
        queryset=Condition.objects.published(),
        to_field_name="slug",
        label=_("Condition"),
        distinct=True,
    )
    therapy = ModelMultipleChoiceFilter(
        field_name="therapies",
        queryset=Therapy.objects.published(),
        to_field_name="slug",
        label=_("Therapy"),
        distinct=True,
    )
    sponsor = ModelMultipleChoiceFilter(
        queryset=Institution.objects.published(), to_field_name="slug", label=_("Sponsor")
    )
    sort = SortFilter(
        {
            "start": (_("Latest start first"), ("-start_date", "slug")),
            "name": (_("Name"), ("acronym", "title", "slug")),
            "updated": (_("Recently updated"), ("-updated_at", "slug")),
        }
    )

    facets = [
        Facet("phase", _("Phase"), "phase", choices=dict(TrialPhase.choices[1:])),
        Facet(
            "status", _("Overall status"), "overall_status", choices=dict(TrialStatus.choices[1:])
        ),
        Facet(
            "country",
            _("Country of a site"),
            "sites__institution__country",
            only=_PUBLIC_SITE,
            display=country_name,
        ),
        Facet(
            "condition",
            _("Condition"),
            "conditions__slug",
            "conditions__name",
            only=Q(conditions__status=Status.PUBLISHED),
        ),
        Facet(
            "therapy",
            _("Therapy"),
            "therapies__slug",
            "therapies__name",
            only=Q(therapies__status=Status.PUBLISHED),
        ),
        Facet(
            "sponsor",
            _("Sponsor"),
            "sponsor__slug",
            "sponsor__name",
            only=Q(sponsor__status=Status.PUBLISHED),
        ),
    ]

    class Meta:
        model = Trial
        fields = []

    def filter_country(self, queryset, name, values):
        """Trials with a site at a published institution in any of these countries."""
        place = Q()
        for value in values:
            place |= Q(sites__institution__country__iexact=value)
        return rows_matching(queryset, _PUBLIC_SITE & place)
