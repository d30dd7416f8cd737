"""What every public list shares: facets with counts, sorting, bad-input handling, exports.

A list page is a `FacetedListView` (django-filter's FilterView) over a `FacetedFilterSet`.
The filter set names its facets; the view counts the rows per facet value with one
aggregate query per facet (whatever the number of values or rows), answers an invalid
filter with the form's errors and status 400, and serves the same filtered rows as CSV or
JSON when asked with ?format=csv or ?format=json.
"""

import csv
from dataclasses import dataclass, field

import django_filters
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import HttpResponse, JsonResponse
from django_filters.views import FilterView

from genetx.text import MAX_QUERY_LENGTH

from . import throttle

# A search box longer than this is cut: no reader types more, and long patterns cost the
# database time for nothing.
# A facet lists at most this many values, the most frequent (plus the selected one): a facet
# over thousands of conditions or therapies would otherwise make every list page as big as
# the table. The search box and the filtered list reach the rest.
FACET_LIMIT = 25
# Cells starting with these are formulas to a spreadsheet; a leading quote keeps them text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Facet:
    """One filter shown with a count per value.

    param: the query parameter (and filter name); value: the lookup whose distinct values
    are counted; label: a lookup giving each value's label, or None to use `choices`;
    only: extra conditions a counted row must meet (a published programme, say);
    newest_first: list values in descending order (years) instead of by label;
    limit: the most values listed, by count (the selected value always is).
    """

    param: str
    title: str
    value: str
    label: str | None = None
    choices: dict = field(default_factory=dict)
    only: Q = field(default_factory=Q)
    newest_first: bool = False
    limit: int = FACET_LIMIT


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class FacetView:
    param: str
    title: str
    options: list[Option]
    selected: str


class SearchField(django_filters.CharFilter):
    """The free-text box: matches any of `fields`, case-insensitively."""

    def __init__(self, *fields, **kwargs):
        self.search_fields = fields
        kwargs.setdefault("label", "Search")
        kwargs.setdefault("max_length", MAX_QUERY_LENGTH)
        super().__init__(**kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        condition = Q()
        for name in self.search_fields:
            condition |= Q(**{f"{name}__icontains": value})
        return qs.filter(condition).distinct()


class SortFilter(django_filters.ChoiceFilter):
    """The `sort` choice: each choice names an ordering (a tuple of order_by terms)."""

    def __init__(self, orderings: dict[str, tuple[str, tuple[str, ...]]], **kwargs):
        self.orderings = {key: terms for key, (_, terms) in orderings.items()}
        choices = [(key, label) for key, (label, _) in orderings.items()]
        kwargs.setdefault("label", "Sort by")
        kwargs.setdefault("empty_label", None)
        super().__init__(choices=choices, **kwargs)

    def filter(self, qs, value):
        terms = self.orderings.get(value)
        return qs.order_by(*terms) if terms else qs


class FacetedFilterSet(django_filters.FilterSet):
    facets: list[Facet] = []

    def facet_views(self, base_queryset) -> list[FacetView]:
        """Each facet's values with the number of rows that have them.

        A facet's counts apply every other filter but not its own, so a reader sees what
        choosing another value would give. One query per facet, which returns the selected
        value and then the most frequent ones, at most `facet.limit`.
        """
        if not self.is_valid():
            return []
        views = []
        for facet in self.facets:
            lookups = [facet.value] + ([facet.label] if facet.label else [])
            selected = str(self.data.get(facet.param, "") or "")
            rows = (
                self._filtered(base_queryset, without=facet.param)
                .filter(facet.only)
                .order_by()
                .values(*lookups)
                .annotate(
                    count=Count("pk", distinct=True),
                    is_selected=self._selected_first(facet, selected),
                )
                .order_by("is_selected", "-count", *lookups)[: facet.limit + bool(selected)]
            )
            counts: dict[str, tuple[str, int]] = {}
            for row in rows:
                value = _as_param(row[facet.value])
                if value == "":
                    continue
                label = row[facet.label] if facet.label else facet.choices.get(row[facet.value])
                counts[value] = (str(label if label is not None else value), row["count"])
            if facet.choices:
                order = [_as_param(key) for key in facet.choices]
                options = [
                    Option(v, counts[v][0], counts[v][1], v == selected)
                    for v in order
                    if v in counts
                ]
            else:
                ordered = sorted(
                    counts.items(),
                    key=lambda item: item[1][0].lower(),
                    reverse=facet.newest_first,
                )
                options = [Option(v, label, count, v == selected) for v, (label, count) in ordered]
            if selected and selected not in counts:
                label = facet.choices.get(selected, selected) if facet.choices else selected
                options.insert(0, Option(selected, str(label), 0, True))
            views.append(FacetView(facet.param, facet.title, options, selected))
        return views

    def _selected_first(self, facet: Facet, selected: str):
        """0 for the row of the selected value (when it is a valid one), 1 for the others."""
        value = self.form.cleaned_data.get(facet.param)
        if not selected or value in (None, ""):
            return Value(1, output_field=IntegerField())
        if hasattr(value, "_meta"):
            # A model choice: compare the counted lookup (a slug, say) with the text given.
            value = selected
        elif isinstance(value, bool) or facet.choices and True in facet.choices:
            value = selected == "true"
        # Text filters match case-insensitively (a country code, say), so does this.
        lookup = f"{facet.value}__iexact" if isinstance(value, str) else facet.value
        return Case(
            When(**{lookup: value}, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )

    def _filtered(self, queryset, *, without: str):
        """The queryset with every valid filter applied but `without` (and the sort).

        Uses the values this form already cleaned, so no filter is validated twice.
        """
        for name, value in self.form.cleaned_data.items():
            if name not in {without, "sort"}:
                queryset = self.filters[name].filter(queryset, value)
        return queryset


def _as_param(value) -> str:
    """A value as it appears in a query string: booleans as django-filter reads them."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class FacetedListView(FilterView):
    """A filtered, faceted, sorted, paginated list with CSV and JSON downloads."""

    paginate_by = 20
    # The downloaded file's name, before .csv or .json.
    export_name = "export"
    # (column, function of a row) pairs for CSV and JSON.
    export_columns: list = []
    # Query parameters read besides the filters, the page and the format (see
    # cache_query_params): a subclass adding one must name it here.
    extra_query_params: frozenset = frozenset()

    @classmethod
    def cache_query_params(cls) -> frozenset:
        """Every query parameter this list reads; any other is redirected away
        (genetx.cache.CanonicalQueryMiddleware)."""
        filters = cls.filterset_class.base_filters if cls.filterset_class else {}
        return frozenset(filters) | {cls.page_kwarg, "format"} | cls.extra_query_params

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        # Always bound, even with no query string, so "no filters" is a valid form.
        data = self.request.GET.copy()
        if "q" in data:
            data["q"] = data["q"][:MAX_QUERY_LENGTH]
        kwargs["data"] = data
        return kwargs

    def facet_base_queryset(self):
        """The rows facets count: published, without the list's prefetches."""
        return self.filterset_class._meta.model.objects.published()

    def get(self, request, *args, **kwargs):
        # Any query (filters, search, sort, page, export) is a page the cache may not hold:
        # limited per client. The bare list is one page, cached for everyone.
        if request.GET and (refused := throttle.refuse_if_over_limit(request)):
            return refused
        filterset_class = self.get_filterset_class()
        self.filterset = self.get_filterset(filterset_class)
        valid = self.filterset.is_valid()
        self.object_list = self.filterset.qs if valid else self.filterset.queryset.none()
        export = request.GET.get("format", "")
        if valid and export in {"csv", "json"}:
            return self.export(export)
        context = self.get_context_data(filter=self.filterset, object_list=self.object_list)
        # An invalid filter is the reader's mistake: say so with the form's errors and 400.
        return self.render_to_response(context, status=200 if valid else 400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["facets"] = self.filterset.facet_views(self.facet_base_queryset())
        # Filters without counts (a yes/no choice, say) still appear in the form.
        counted = {facet.param for facet in self.filterset.facets} | {"q", "sort"}
        form = self.filterset.form
        context["plain_filters"] = [form[name] for name in form.fields if name not in counted]
        # Filtered and sorted variants are the same page to a search engine.
        context["canonical_url"] = self.request.build_absolute_uri(self.request.path)
        context["filters_active"] = any(
            value for key, value in self.request.GET.items() if key not in {"page", "sort"}
        )
        return context

    def export_rows(self):
        for obj in self.object_list:
            row = {column: value(obj) for column, value in self.export_columns}
            row["url"] = self.request.build_absolute_uri(obj.get_absolute_url())
            yield row

    def export(self, kind: str):
        rows = list(self.export_rows())
        if kind == "json":
            response = JsonResponse(
                {"count": len(rows), "results": rows}, json_dumps_params={"ensure_ascii": False}
            )
        else:
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            writer = csv.writer(response)
            writer.writerow([column for column, _ in self.export_columns] + ["url"])
            for row in rows:
                writer.writerow([safe_cell(value) for value in row.values()])
        response["Content-Disposition"] = f'attachment; filename="{self.export_name}.{kind}"'
        return response
