"""The facets of the source and claim lists."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from genetx.listing import (
    Facet,
    FacetedFilterSet,
    ModelMultipleChoiceFilter,
    MultipleChoiceFilter,
    SearchField,
    SortFilter,
    TextValuesField,
    TextValuesFilter,
    rows_matching,
)
from genetx.models import EARLIEST_DATE, LATEST_DATE, Status
from genetx.text import is_integer
from therapies.models import Therapy

from .models import Claim, ClaimReview, Source, SourceKind, language_name


class YearsField(TextValuesField):
    """Years within the range the database accepts: letters and huge numbers are errors."""

    def __init__(self, **kwargs):
        kwargs["max_length"] = 4
        super().__init__(**kwargs)

    def clean(self, value):
        years = []
        for text in super().clean(value):
            if not is_integer(text) or not (EARLIEST_DATE.year <= int(text) <= LATEST_DATE.year):
                raise forms.ValidationError(
                    gettext("Enter years from %(first)s to %(last)s.")
                    % {"first": EARLIEST_DATE.year, "last": LATEST_DATE.year},
                    code="invalid_year",
                )
            years.append(int(text))
        return years


class YearsFilter(TextValuesFilter):
    """Publication years combined with OR (?year=2022&year=2023)."""

    field_class = YearsField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, lookup_expr="exact", **kwargs)


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
    kind = MultipleChoiceFilter(choices=SourceKind.choices, label=_("Kind"))
    year = YearsFilter(field_name="issued__year", label=_("Year"))
    language = TextValuesFilter(label=_("Language"), max_length=12, lookup_expr="exact")
    journal = TextValuesFilter(
        field_name="container_title",
        label=_("Journal or site"),
        max_length=300,
        lookup_expr="exact",
    )
    sort = SortFilter(
        {
            "newest": (_("Newest first"), ("-issued", "key")),
            "oldest": (_("Oldest first"), ("issued", "key")),
            "title": (_("Title"), ("title", "key")),
            "cited": (_("Most cited"), ("-citation_count", "key")),
        }
    )

    facets = [
        Facet("kind", _("Kind"), "kind", choices=dict(SourceKind.choices)),
        Facet("year", _("Year"), "issued__year", newest_first=True),
        Facet("language", _("Language"), "language", display=language_name),
        Facet("journal", _("Journal or site"), "container_title"),
    ]

    class Meta:
        model = Source
        fields = []


class ClaimFilter(FacetedFilterSet):
    q = SearchField("statement", "measure", "measure_name")
    review = MultipleChoiceFilter(
        field_name="review_status", choices=ClaimReview.choices, label=_("Review status")
    )
    therapy = ModelMultipleChoiceFilter(
        queryset=Therapy.objects.published(), to_field_name="slug", label=_("Therapy")
    )
    measure = TextValuesFilter(label=_("Measure"), max_length=120, lookup_expr="exact")
    # The claims citing one source: where a source page sends readers for its full list.
    # A text box, not a <select>: listing every source would make the page as big as the
    # source table.
    source = django_filters.CharFilter(
        method="filter_source", label=_("Cited source (key)"), max_length=100
    )
    figures = django_filters.ChoiceFilter(
        choices=[("yes", _("Figures only")), ("no", _("Statements without a figure"))],
        method="filter_figures",
        label=_("Figures"),
    )
    sort = SortFilter(
        {
            "newest": (_("Newest first"), ("-event_date", "-as_of", "slug")),
            "oldest": (_("Oldest first"), ("event_date", "as_of", "slug")),
            "updated": (_("Recently updated"), ("-updated_at", "slug")),
        }
    )

    facets = [
        Facet("review", _("Review status"), "review_status", choices=dict(ClaimReview.choices)),
        Facet(
            "therapy",
            _("Therapy"),
            "therapy__slug",
            "therapy__name",
            only=Q(therapy__status=Status.PUBLISHED),
        ),
        Facet("measure", _("Measure"), "measure", "measure_name"),
    ]

    class Meta:
        model = Claim
        fields = []

    def filter_source(self, queryset, name, value):
        return rows_matching(
            queryset,
            Q(citations__source__key=value, citations__source__status=Status.PUBLISHED),
        )

    def filter_figures(self, queryset, name, value):
        return queryset.filter(value__isnull=value != "yes")
