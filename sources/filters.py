"""The facets of the source and claim lists."""

import django_filters
from django import forms
from django.db.models import Q

from genetx.listing import Facet, FacetedFilterSet, SearchField, SortFilter
from genetx.models import EARLIEST_DATE, LATEST_DATE, Status
from therapies.models import Therapy

from .models import Claim, ClaimReview, Source, SourceKind


class YearField(forms.IntegerField):
    """A year within the range the database accepts: letters and huge numbers are errors."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", EARLIEST_DATE.year)
        kwargs.setdefault("max_value", LATEST_DATE.year)
        super().__init__(**kwargs)


class YearFilter(django_filters.NumberFilter):
    field_class = YearField


class SourceFilter(FacetedFilterSet):
    q = SearchField(
        "title",
        "original_title",
        "container_title",
        "publisher",
        "doi",
        "authors__family",
        "authors__literal",
    )
    kind = django_filters.ChoiceFilter(choices=SourceKind.choices, label="Kind")
    year = YearFilter(field_name="issued__year", label="Year")
    language = django_filters.CharFilter(label="Language", max_length=12)
    journal = django_filters.CharFilter(
        field_name="container_title", label="Journal or site", max_length=300
    )
    sort = SortFilter(
        {
            "newest": ("Newest first", ("-issued", "key")),
            "oldest": ("Oldest first", ("issued", "key")),
            "title": ("Title", ("title", "key")),
            "cited": ("Most cited", ("-citation_count", "key")),
        }
    )

    facets = [
        Facet("kind", "Kind", "kind", choices=dict(SourceKind.choices)),
        Facet("year", "Year", "issued__year", newest_first=True),
        Facet("language", "Language", "language"),
        Facet("journal", "Journal or site", "container_title"),
    ]

    class Meta:
        model = Source
        fields = []


class ClaimFilter(FacetedFilterSet):
    q = SearchField("statement", "measure")
    review = django_filters.ChoiceFilter(
        field_name="review_status", choices=ClaimReview.choices, label="Review status"
    )
    therapy = django_filters.ModelChoiceFilter(
        queryset=Therapy.objects.published(), to_field_name="slug", label="Therapy"
    )
    measure = django_filters.CharFilter(label="Measure", max_length=120)
    # The claims citing one source: where a source page sends readers for its full list.
    # A text box, not a <select>: listing every source would make the page as big as the
    # source table.
    source = django_filters.CharFilter(
        method="filter_source", label="Cited source (key)", max_length=100
    )
    figures = django_filters.ChoiceFilter(
        choices=[("yes", "Figures only"), ("no", "Statements without a figure")],
        method="filter_figures",
        label="Figures",
    )
    sort = SortFilter(
        {
            "newest": ("Newest first", ("-event_date", "-as_of", "slug")),
            "oldest": ("Oldest first", ("event_date", "as_of", "slug")),
            "updated": ("Recently updated", ("-updated_at", "slug")),
        }
    )

    facets = [
        Facet("review", "Review status", "review_status", choices=dict(ClaimReview.choices)),
        Facet(
            "therapy",
            "Therapy",
            "therapy__slug",
            "therapy__name",
            only=Q(therapy__status=Status.PUBLISHED),
        ),
        Facet("measure", "Measure", "measure"),
    ]

    class Meta:
        model = Claim
        fields = []

    def filter_source(self, queryset, name, value):
        return queryset.filter(
            citations__source__key=value, citations__source__status=Status.PUBLISHED
        ).distinct()

    def filter_figures(self, queryset, name, value):
        return queryset.filter(value__isnull=value != "yes")
