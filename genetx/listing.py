"""What every public list shares: facets with counts, sorting, bad-input handling, exports.

A list page is a `FacetedListView` (django-filter's FilterView) over a `FacetedFilterSet`.
The filter set names its facets; the view counts the rows per facet value with one
aggregate query per facet (whatever the number of values or rows), answers an invalid
filter with the form's errors and status 400, and serves the same filtered rows as CSV or
JSON when asked with ?format=csv or ?format=json: streamed, at most
settings.EXPORT_MAX_ROWS rows per request, with a link to the next page.
"""

import copy
import csv
from dataclasses import dataclass, field

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import InvalidPage, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, StreamingHttpResponse
from django.template.loader import get_template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.views import FilterView

from genetx.text import MAX_QUERY_LENGTH, is_integer

from . import throttle
from .cache import per_record, per_version
from .translation_sync import in_shown_language

# A search box longer than this is cut: no reader types more, and long patterns cost the
# database time for nothing.
# A facet lists at most this many values, the most frequent (plus the selected one): a facet
# over thousands of conditions or therapies would otherwise make every list page as big as
# the table. The search box and the filtered list reach the rest.
FACET_LIMIT = 25
# One facet takes at most this many values at once (?modality=a&modality=b...): more is no
# reader's choice, and each value adds a condition to every count query.
MAX_FACET_VALUES = 20
# Cells starting with these are formulas to a spreadsheet; a leading quote keeps them text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows of an export read from the database at a time: the memory an export holds.
EXPORT_CHUNK_ROWS = 250


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
    # A function naming each value for readers (a country code's name), when neither a
    # label lookup nor choices do.
    display: object = None


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
    selected: list[str]

    @property
    def selected_count(self) -> int:
        return len(self.selected)


@dataclass
class Chip:
    """One selected facet value, with the link that removes only it."""

    title: str
    label: str
    remove_url: str


def _too_many(values) -> None:
    if len(values) > MAX_FACET_VALUES:
        raise forms.ValidationError(
            gettext("Choose at most %(count)s values.") % {"count": MAX_FACET_VALUES},
            code="too_many_values",
        )


class LimitedMultipleChoiceField(forms.MultipleChoiceField):
    """Several choices from a list, at most MAX_FACET_VALUES of them."""

    def validate(self, value):
        _too_many(value)
        super().validate(value)


class LimitedModelMultipleChoiceField(django_filters.fields.ModelMultipleChoiceField):
    """Several records by slug, at most MAX_FACET_VALUES of them."""

    def clean(self, value):
        _too_many(value or [])
        return super().clean(value)


class TextValuesField(forms.Field):
    """Several free-text values of one parameter (?region=a&region=b), each checked like a
    CharField: stripped, empty ones dropped, at most `max_length` characters, validators."""

    widget = forms.SelectMultiple

    def __init__(self, *, max_length: int, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        values = [str(item).strip() for item in value]
        return [item for item in values if item]

    def validate(self, value):
        super().validate(value)
        _too_many(value)
        for item in value:
            if len(item) > self.max_length:
                raise forms.ValidationError(
                    gettext("Each value may have at most %(count)s characters.")
                    % {"count": self.max_length},
                    code="max_length",
                )
            if "\x00" in item:
                raise forms.ValidationError(
                    gettext("Null characters are not allowed."), code="null"
                )

    def run_validators(self, value):
        for item in value:
            super().run_validators(item)


def crosses_many(model, path: str) -> bool:
    """Whether the lookup `path` from `model` follows a to-many relation, so that filtering
    on it can repeat a row (and the query needs DISTINCT)."""
    for name in path.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            # A transform (issued__year) or an unknown name: no relation beyond this point.
            return False
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


def repeats_rows(query) -> bool:
    """Whether a query joins a to-many relation, so that a row of its model can appear
    more than once (and counting rows needs COUNT(DISTINCT))."""
    for join in query.alias_map.values():
        field = getattr(join, "join_field", None)
        if field is not None and (field.many_to_many or field.one_to_many):
            return True
    return False


def rows_matching(queryset, condition):
    """The rows of `queryset` that meet `condition`, a condition across a to-many relation
    (a therapy's conditions, an institution's programmes), as `pk IN (subquery)`.

    Joined instead, a row repeats once per related match and needs DISTINCT, which makes
    PostgreSQL plan and sort every matching row with all its columns before the LIMIT. The
    subquery is planned and run as a semi-join (the therapy list with a condition and a
    modality at 10,000 therapies: 6-10 -> 2.6-3.6 ms of SQL, planning included); every
    row that matches appears once, and counts need no COUNT(DISTINCT).
    """
    return queryset.filter(pk__in=queryset.model._base_manager.filter(condition).values("pk"))


class NoDistinctAcrossMany:
    """django-filter's multiple-choice filters add DISTINCT by default, for to-many
    relations. On a column of the row itself or a foreign key it cannot remove a row but
    makes PostgreSQL sort every matching row (with its correlated counts) before the LIMIT
    and count through a DISTINCT subquery: 1.3 s for the source list filtered by kind at
    10,000 therapies, past the statement timeout at 100,000. Across a to-many relation
    the filter is a subquery instead (see rows_matching), so these filters never add
    DISTINCT."""

    @property
    def distinct(self) -> bool:
        return False

    @distinct.setter
    def distinct(self, value: bool) -> None:
        pass

    def filter(self, qs, value):
        if self.method is not None or not crosses_many(qs.model, self.field_name):
            return super().filter(qs, value)
        first, _, rest = self.field_name.partition(LOOKUP_SEP)
        field = qs.model._meta.get_field(first)
        if field.many_to_many and not field.auto_created:
            # A many-to-many field of the row (a therapy's conditions): its links table
            # alone names the rows, without joining the row's own table again (at 100,000
            # therapies, a condition and a modality: 7.5 -> 5.3 ms).
            links = field.remote_field.through._base_manager.all()
            target = field.m2m_reverse_field_name()
            on_links = copy.copy(self)
            on_links.field_name = LOOKUP_SEP.join(part for part in (target, rest) if part)
            matching = super(NoDistinctAcrossMany, on_links).filter(links, value)
            column = field.m2m_field_name()
        else:
            # The same filter over the whole table, then its rows as a subquery.
            matching = super().filter(qs.model._base_manager.all(), value)
            column = "pk"
        if not matching.query.where:  # nothing chosen: no condition to add
            return qs
        return qs.filter(pk__in=matching.values(column))


class MultipleChoiceFilter(NoDistinctAcrossMany, django_filters.MultipleChoiceFilter):
    """Choices combined with OR (?kind=a&kind=b), at most MAX_FACET_VALUES."""

    field_class = LimitedMultipleChoiceField


class ModelMultipleChoiceFilter(NoDistinctAcrossMany, django_filters.ModelMultipleChoiceFilter):
    """Records by slug combined with OR, at most MAX_FACET_VALUES."""

    field_class = LimitedModelMultipleChoiceField

    def get_filter_predicate(self, v):
        # django-filter compares the field with the record's to_field_name (a slug) when
        # one is set, which a foreign key column cannot match: compare the record itself.
        return {self.field_name: v}


class TextValuesFilter(django_filters.Filter):
    """Free-text values combined with OR, matched case-insensitively by default."""

    field_class = TextValuesField

    def __init__(self, *args, max_length: int = 120, lookup_expr: str = "iexact", **kwargs):
        super().__init__(*args, lookup_expr=lookup_expr, max_length=max_length, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        if self.method is not None:
            return self.get_method(qs)(qs, self.field_name, value)
        condition = Q()
        for item in value:
            condition |= Q(**{f"{self.field_name}__{self.lookup_expr}": item})
        qs = qs.filter(condition)
        return qs.distinct() if self.distinct else qs


class SearchField(django_filters.CharFilter):
    """The free-text box: matches any of `fields`, case-insensitively."""

    def __init__(self, *fields, **kwargs):
        self.search_fields = fields
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("max_length", MAX_QUERY_LENGTH)
        super().__init__(**kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        condition = Q()
        names = self.fields_in_every_language(qs.model)
        for name in names:
            condition |= Q(**{f"{name}__icontains": value})
        if any(crosses_many(qs.model, name) for name in names):
            return rows_matching(qs, condition)  # a source's authors
        return qs.filter(condition)

    def fields_in_every_language(self, model) -> list[str]:
        """The fields, each translated one in every language's column: a lookup on `name`
        reads only the active language's (django-modeltranslation), and a reader's word
        may be in either language whichever the page's (or the API answer's) is."""
        from genetx.translation_sync import with_languages

        return with_languages(self.search_fields, model, settings.MODELTRANSLATION_LANGUAGES)


class SortFilter(django_filters.ChoiceFilter):
    """The `sort` choice: each choice names an ordering (a tuple of order_by terms)."""

    def __init__(self, orderings: dict[str, tuple[str, tuple[str, ...]]], **kwargs):
        self.orderings = {key: terms for key, (_, terms) in orderings.items()}
        choices = [(key, label) for key, (label, _) in orderings.items()]
        kwargs.setdefault("label", _("Sort by"))
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
        adding a value would give (values of one facet combine with OR). One query per
        facet, which returns the selected values and then the most frequent ones, at most
        `facet.limit` besides the selected.
        """
        if not self.is_valid():
            return []
        views = []
        for facet in self.facets:
            # A label across a relation (a condition's name) in the page's language.
            label = (
                {"facet_label": in_shown_language(base_queryset.model, facet.label)}
                if facet.label
                else {}
            )
            selected = self.selected_values(facet.param)
            grouped = (
                self._filtered(base_queryset, without=facet.param)
                .filter(facet.only)
                .order_by()
                .values(facet.value, **label)
            )
            # COUNT(DISTINCT) sorts every row of each group: only where a join can repeat
            # a row. Otherwise COUNT(*), which reads no column, so an index on the
            # facet's columns can answer alone (an index-only scan).
            distinct = repeats_rows(grouped.query)
            rows = grouped.annotate(
                count=Count("pk", distinct=True) if distinct else Count("*"),
                is_selected=self._selected_first(facet, selected),
            ).order_by("is_selected", "-count", facet.value, *label)[: facet.limit + len(selected)]
            counts: dict[str, tuple[str, int]] = {}
            for row in rows:
                value = _as_param(row[facet.value])
                if value == "":
                    continue
                name = row["facet_label"] if label else facet.choices.get(row[facet.value])
                if facet.display is not None:
                    name = facet.display(row[facet.value])
                # A value without a label of its own (a measure with no name) shows itself.
                counts[value] = (str(name if name not in (None, "") else value), row["count"])
            chosen = {value.casefold() for value in selected}
            if facet.choices:
                order = [_as_param(key) for key in facet.choices]
                options = [
                    Option(v, counts[v][0], counts[v][1], v.casefold() in chosen)
                    for v in order
                    if v in counts
                ]
            else:
                ordered = sorted(
                    counts.items(),
                    key=lambda item: item[1][0].lower(),
                    reverse=facet.newest_first,
                )
                options = [
                    Option(v, label, count, v.casefold() in chosen) for v, (label, count) in ordered
                ]
            listed = {option.value.casefold() for option in options}
            for value in reversed(selected):
                if value.casefold() not in listed:
                    label = facet.choices.get(value, value) if facet.choices else value
                    if facet.display is not None:
                        label = facet.display(value)
                    options.insert(0, Option(value, str(label), 0, True))
            views.append(FacetView(facet.param, facet.title, options, selected))
        return views

    def selected_values(self, param: str) -> list[str]:
        """The values given for a parameter, as text, without blanks or repeats."""
        getlist = getattr(self.data, "getlist", None)
        values = getlist(param) if getlist else [self.data.get(param, "")]
        seen, found = set(), []
        for value in values:
            text = str(value or "").strip()
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                found.append(text)
        return found

    def chips(self, facet_views: list[FacetView], query) -> list[Chip]:
        """Every selected facet value, each with a link to the list without it."""
        chips = []
        for facet in facet_views:
            labels = {option.value.casefold(): option.label for option in facet.options}
            for value in facet.selected:
                remaining = query.copy()
                remaining.setlist(
                    facet.param,
                    [
                        v
                        for v in query.getlist(facet.param)
                        if v.strip().casefold() != value.casefold()
                    ],
                )
                remaining.pop("page", None)
                url = "?" + remaining.urlencode() if remaining else "?"
                chips.append(Chip(facet.title, labels.get(value.casefold(), value), url))
        return chips

    def _selected_first(self, facet: Facet, selected: list[str]):
        """0 for rows of a selected value (all valid, or the form would not be), else 1."""
        if not selected or not self.form.cleaned_data.get(facet.param):
            return Value(1, output_field=IntegerField())
        condition = Q()
        boolean = bool(facet.choices) and True in facet.choices
        number = all(isinstance(v, int) for v in _as_list(self.form.cleaned_data[facet.param]))
        for text in selected:
            if boolean:
                condition |= Q(**{facet.value: text == "true"})
            elif number and is_integer(text):
                condition |= Q(**{facet.value: int(text)})
            else:
                # Text filters match case-insensitively (a country code, say), so does this.
                condition |= Q(**{f"{facet.value}__iexact": text})
        return Case(
            When(condition, then=Value(0)),
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


def _as_list(value) -> list:
    if value is None or isinstance(value, str | bool | int):
        return [value]
    return list(value)


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
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def with_unique_order(queryset):
    """The queryset in its own order, then by primary key where that order can tie.

    Pages are cut by OFFSET: when rows tie on the order (two decisions of one day, two
    therapies of one name), PostgreSQL returns them as its plan happens to read them, which
    can differ between the queries of page 1 and page 2, so a row showed on both and
    another on neither.
    """
    query = queryset.query
    order = list(query.order_by)
    if not order and query.default_ordering:
        order = list(queryset.model._meta.ordering)
    if order and isinstance(order[-1], str):
        name = order[-1].lstrip("-")
        if name in {"pk", "id"}:
            return queryset
        try:
            if queryset.model._meta.get_field(name).unique:
                return queryset
        except FieldDoesNotExist:
            pass
    return queryset.order_by(*order, "pk")


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
    # The template of one row, given the record as `row_name`, or None where the page's
    # template draws its rows itself. A row is drawn once per content version and shared
    # by every page that shows it (rows_html).
    row_template: str | None = None
    row_name = "object"

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

    def filter_key(self) -> tuple:
        """What the list's rows depend on: the model and every filter value (not the page,
        sort or format), the key of the values kept per content version."""
        data = self.request.GET
        return (
            self.filterset_class._meta.model._meta.label_lower,
            tuple(
                (name, tuple(data.getlist(name)))
                for name in sorted(data)
                if name not in {self.page_kwarg, "format", "sort"}
            ),
        )

    def per_filter(self, name: str, compute):
        """compute() once per content version and filter combination (see per_version):
        facet counts, totals and charts cost aggregate queries over the whole table."""
        if not self.filterset.is_valid():
            return compute()
        return per_version(name, self.filter_key(), compute)

    def paginate_queryset(self, queryset, page_size):
        return super().paginate_queryset(with_unique_order(queryset), page_size)

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        paginator = super().get_paginator(
            queryset, per_page, orphans, allow_empty_first_page, **kwargs
        )
        # The total is one COUNT over the filtered table: kept per content version too.
        paginator.count = self.per_filter("list-count", queryset.count)
        return paginator

    def rows_html(self, rows) -> list:
        """The HTML of each of these rows (a page of the filtered queryset), in order.

        Drawn rows are kept per content version and record (genetx.cache.per_record), so a
        page reads its rows' ids, takes the rows drawn before from the cache in one round
        trip, and reads and draws only the others: at 10,000 therapies, drawing a therapy
        row with its conditions cost more than half of the list page. A row shows only
        its record (no filter, page or reader), so any page may reuse it.
        """
        template = get_template(self.row_template)

        def draw(pks):
            records = self.get_queryset().filter(pk__in=pks)
            return {record.pk: template.render({self.row_name: record}) for record in records}

        pks = list(rows.values_list("pk", flat=True))
        return per_record(self.row_template, pks, draw)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.row_template:
            context["rows_html"] = self.rows_html(context["page_obj"].object_list)
        context["facets"] = self.per_filter(
            "facets", lambda: self.filterset.facet_views(self.facet_base_queryset())
        )
        context["chips"] = self.filterset.chips(context["facets"], self.request.GET)
        # The facets' checkboxes are drawn once per content version and filter combination
        # ({% per_version %} in includes/facet_form.html): they show the facet counts and
        # the selected values, which the filter values determine. Invalid filters draw none.
        context["facets_key"] = self.filter_key() if self.filterset.is_valid() else None
        # Filters without counts (a yes/no choice, say) still appear in the form.
        counted = {facet.param for facet in self.filterset.facets} | {"q", "sort"}
        form = self.filterset.form
        context["plain_filters"] = [form[name] for name in form.fields if name not in counted]
        # An invalid form has no counts: its filters become text boxes holding what was sent.
        context["invalid_filters"] = [
            (form[name], self.filterset.selected_values(name) or [""])
            for name in form.fields
            if name not in {"q", "sort"}
        ]
        # Filtered and sorted variants are the same page to a search engine.
        context["canonical_url"] = self.request.build_absolute_uri(self.request.path)
        context["filters_active"] = any(
            value for key, value in self.request.GET.items() if key not in {"page", "sort"}
        )
        return context

    def export_url(self, obj) -> str:
        """The page a reader opens for this row (records without a page of their own say
        where they are shown)."""
        return obj.get_absolute_url()

    def export_rows(self, object_list):
        for obj in object_list:
            row = {column: value(obj) for column, value in self.export_columns}
            row["url"] = self.request.build_absolute_uri(self.export_url(obj))
            yield row

    def export(self, kind: str):
        """One page of the filtered rows as CSV or JSON, streamed as it is written.

        A page holds at most settings.EXPORT_MAX_ROWS rows, read EXPORT_CHUNK_ROWS at a
        time, so neither the rows nor the file are ever all in memory. The next and
        previous pages are in a Link header (and in the JSON body); ?page=N picks one, and
        a page past the end is a 404 as on the list page.
        """
        paginator = Paginator(_stable_order(self.object_list), settings.EXPORT_MAX_ROWS)
        try:
            page = paginator.page(self.request.GET.get("page") or 1)
        except InvalidPage as exc:
            raise Http404(str(exc)) from exc
        links = {
            "next": self._export_page_url(page.next_page_number()) if page.has_next() else None,
            "previous": (
                self._export_page_url(page.previous_page_number()) if page.has_previous() else None
            ),
        }
        rows = self.export_rows(page.object_list.iterator(chunk_size=EXPORT_CHUNK_ROWS))
        if kind == "json":
            head = {"count": paginator.count, **links, "page": page.number}
            content = _json_stream(head, rows)
            content_type = "application/json"
        else:
            header = [column for column, _ in self.export_columns] + ["url"]
            content = _csv_stream(header, rows)
            content_type = "text/csv; charset=utf-8"
        response = StreamingHttpResponse(content, content_type=content_type)
        name = self.export_name if page.number == 1 else f"{self.export_name}-{page.number}"
        response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
        response["X-Total-Count"] = str(paginator.count)
        link_header = [f'<{url}>; rel="{rel}"' for rel, url in links.items() if url]
        if link_header:
            response["Link"] = ", ".join(link_header)
        return response

    def _export_page_url(self, number: int) -> str:
        query = self.request.GET.copy()
        query["page"] = str(number)
        return self.request.build_absolute_uri(f"{self.request.path}?{query.urlencode()}")


def _stable_order(queryset):
    """The queryset ordered as the list is, then by primary key, so pages never overlap."""
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    if not {"pk", "-pk", "id", "-id"} & {str(term) for term in ordering}:
        ordering.append("pk")
    return queryset.order_by(*ordering)


class _Echo:
    """A file-like object whose write() hands back what it is given (for csv.writer)."""

    def write(self, value):
        return value


def _csv_stream(header: list[str], rows):
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row.values()])


def _json_stream(head: dict, rows):
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    yield encoder.encode(head)[:-1] + ', "results": ['
    for number, row in enumerate(rows):
        yield ("," if number else "") + encoder.encode(row)
    yield "]}"
