"""The facets of the institution list."""

import django_filters
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
from therapies.models import Condition, Therapy

from .models import Institution, InstitutionKind, Programme, ProgrammeRole

_PUBLIC_PROGRAMME = Q(
    programmes__status=Status.PUBLISHED, programmes__therapy__status=Status.PUBLISHED
)


class InstitutionFilter(FacetedFilterSet):
    q = SearchField("name", "city", "region", "summary")
    kind = MultipleChoiceFilter(choices=InstitutionKind.choices, label=_("Kind"))
    region = TextValuesFilter(label=_("Region"), max_length=120)
    city = TextValuesFilter(label=_("City"), max_length=120)
    therapy = ModelMultipleChoiceFilter(
        queryset=Therapy.objects.published(),
        to_field_name="slug",
        method="filter_therapy",
        label=_("Therapy"),
    )
    condition = ModelMultipleChoiceFilter(
        queryset=Condition.objects.published(),
        to_field_name="slug",
        method="filter_condition",
        label=_("Condition"),
    )
    sort = SortFilter(
        {
            "name": (_("Name"), ("name",)),
            "programmes": (_("Most programmes"), ("-programme_count", "name")),
            "newest": (_("Newest first"), ("-published_at", "name")),
        }
    )

    facets = [
        Facet("kind", _("Kind"), "kind", choices=dict(InstitutionKind.choices)),
        Facet("region", _("Region"), "region"),
        Facet("city", _("City"), "city"),
        Facet(
            "therapy",
            _("Therapy"),
            "programmes__therapy__slug",
            "programmes__therapy__name",
            only=_PUBLIC_PROGRAMME,
        ),
        Facet(
            "condition",
            _("Condition (programmes)"),
            "programmes__therapy__conditions__slug",
            "programmes__therapy__conditions__name",
            only=_PUBLIC_PROGRAMME & Q(programmes__therapy__conditions__status=Status.PUBLISHED),
        ),
    ]

    class Meta:
        model = Institution
        fields = []

    def filter_therapy(self, queryset, name, value):
        if not value:
            return queryset
        return rows_matching(queryset, _PUBLIC_PROGRAMME & Q(programmes__therapy__in=value))

    def filter_condition(self, queryset, name, conditions):
        """Institutions with a public programme of a therapy for any of these conditions
        (the whole list behind a condition page's capped programmes)."""
        if not conditions:
            return queryset
        # A subquery, not a join: a join to programmes here and another in a facet's count
        # multiply each other's rows (seconds for a common condition at 100,000 therapies).
        programmes = Programme.objects.public().filter(therapy__conditions__in=conditions)
        return queryset.filter(pk__in=programmes.values("institution"))


class ProgrammeFilter(django_filters.FilterSet):
    """Programmes (no public list of their own; the API lists them)."""

    institution = ModelMultipleChoiceFilter(
        queryset=Institution.objects.published(), to_field_name="slug", label=_("Institution")
    )
    therapy = ModelMultipleChoiceFilter(
        queryset=Therapy.objects.published(), to_field_name="slug", label=_("Therapy")
    )
    role = MultipleChoiceFilter(choices=ProgrammeRole.choices, label=_("Role"))
    country = TextValuesFilter(field_name="institution__country", label=_("Country"), max_length=2)
    sort = SortFilter(
        {
            "institution": (_("Institution"), ("institution__name",)),
            "since": (_("Oldest first"), ("since",)),
            "updated": (_("Recently updated"), ("-updated_at",)),
        }
    )

    class Meta:
        model = Programme
        fields = []
