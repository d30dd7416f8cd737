"""The facets of the institution list."""

import django_filters
from django.db.models import Q

from genetx.listing import (
    Facet,
    FacetedFilterSet,
    ModelMultipleChoiceFilter,
    MultipleChoiceFilter,
    SearchField,
    SortFilter,
    TextValuesFilter,
)
from genetx.models import Status
from therapies.models import Therapy

from .models import Institution, InstitutionKind, Programme, ProgrammeRole

_PUBLIC_PROGRAMME = Q(
    programmes__status=Status.PUBLISHED, programmes__therapy__status=Status.PUBLISHED
)


class InstitutionFilter(FacetedFilterSet):
    q = SearchField("name", "city", "region", "summary")
    kind = MultipleChoiceFilter(choices=InstitutionKind.choices, label="Kind")
    region = TextValuesFilter(label="Region", max_length=120)
    city = TextValuesFilter(label="City", max_length=120)
    therapy = ModelMultipleChoiceFilter(
        queryset=Therapy.objects.published(),
        to_field_name="slug",
        method="filter_therapy",
        label="Therapy",
    )
    sort = SortFilter(
        {
            "name": ("Name", ("name",)),
            "programmes": ("Most programmes", ("-programme_count", "name")),
            "newest": ("Newest first", ("-published_at", "name")),
        }
    )

    facets = [
        Facet("kind", "Kind", "kind", choices=dict(InstitutionKind.choices)),
        Facet("region", "Region", "region"),
        Facet("city", "City", "city"),
        Facet(
            "therapy",
            "Therapy",
            "programmes__therapy__slug",
            "programmes__therapy__name",
            only=_PUBLIC_PROGRAMME,
        ),
    ]

    class Meta:
        model = Institution
        fields = []

    def filter_therapy(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(_PUBLIC_PROGRAMME, programmes__therapy__in=value).distinct()


class ProgrammeFilter(django_filters.FilterSet):
    """Programmes (no public list of their own; the API lists them)."""

    institution = ModelMultipleChoiceFilter(
        queryset=Institution.objects.published(), to_field_name="slug", label="Institution"
    )
    therapy = ModelMultipleChoiceFilter(
        queryset=Therapy.objects.published(), to_field_name="slug", label="Therapy"
    )
    role = MultipleChoiceFilter(choices=ProgrammeRole.choices, label="Role")
    country = TextValuesFilter(field_name="institution__country", label="Country", max_length=2)
    sort = SortFilter(
        {
            "institution": ("Institution", ("institution__name",)),
            "since": ("Oldest first", ("since",)),
            "updated": ("Recently updated", ("-updated_at",)),
        }
    )

    class Meta:
        model = Programme
        fields = []
