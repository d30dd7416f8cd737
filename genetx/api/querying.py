"""The API's lists: the public lists' filters (any of several values), sorts and keyset pages.

Filters are not written again for the API. Each list's query parameters are derived from
the django-filter FilterSet of its public list (`query_schema`), so the OpenAPI document
names the same parameters with their types and choices, and the values are checked and
applied by that FilterSet itself (`filter_queryset`). A parameter may be repeated
(`?kind=product&kind=approach`): rows matching any of the values are listed.

Pages are cut by keyset, not by offset: the cursor holds the sort values of the last row
shown, and the next page starts after them. A page is one indexed range read however deep
it is, and rows added or removed meanwhile never shift a row into a second page or out of
all of them. Every sort ends with the primary key, so the order is total; empty values
sort last in both directions, on SQLite and PostgreSQL alike.
"""

import datetime
import decimal
from typing import Annotated, Literal
from urllib.parse import urlencode

import django_filters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, Q, QuerySet
from django.utils.datastructures import MultiValueDict
from ninja import Field, Schema
from pydantic import StringConstraints, create_model

from genetx.listing import MAX_FACET_VALUES, SortFilter
from genetx.text import MAX_QUERY_LENGTH, from_token, to_token
from sources.filters import YearsFilter

# A parameter may name at most this many values, as in the public lists.
MAX_VALUES = MAX_FACET_VALUES
MAX_CURSOR_LENGTH = 1000


class ApiInputError(Exception):
    """Parameters that are well formed but wrong (an unknown slug, a year out of range)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _choices(filter_) -> tuple[str, ...]:
    return tuple(str(value) for value, _ in filter_.extra["choices"] if str(value) != "")


def _is_model_choice(filter_) -> bool:
    return isinstance(
        filter_, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter
    )


def query_schema(name: str, filterset_class) -> type[Schema]:
    """The list's filter and sort parameters, typed for validation and the OpenAPI document."""
    fields = {}
    for param, filter_ in filterset_class.base_filters.items():
        label = str(filter_.label or param)
        anyof = {"max_length": MAX_VALUES, "description": f"{label}; repeat for any of."}
        if isinstance(filter_, SortFilter):
            keys = tuple(filter_.orderings)
            fields[param] = (
                Literal[keys] | None,
                Field(None, description=f"Order of the rows; default {keys[0]}."),
            )
        elif param == "q":
            fields[param] = (
                str | None,
                Field(
                    None,
                    description=f"{label}: words to look for; cut to {MAX_QUERY_LENGTH} "
                    "characters.",
                ),
            )
        elif _is_model_choice(filter_):
            anyof["description"] = f"{label} (slug); repeat for any of."
            fields[param] = (list[str], Field([], **anyof))
        elif isinstance(filter_, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter):
            fields[param] = (list[Literal[_choices(filter_)]], Field([], **anyof))
        elif isinstance(filter_, YearsFilter):
            fields[param] = (list[int], Field([], **anyof))
        else:
            length = filter_.extra.get("max_length") or 200
            fields[param] = (
                list[Annotated[str, StringConstraints(max_length=length)]],
                Field([], **anyof),
            )
    return create_model(name, __base__=Schema, **fields)


class PageQuery(Schema):
    limit: int = Field(20, ge=1, le=100, description="Rows per page (at most 100).")
    cursor: str | None = Field(
        None,
        max_length=MAX_CURSOR_LENGTH,
        description="Where the page starts: copy it from the previous page's `next` link.",
    )


def filter_queryset(filterset_class, queryset: QuerySet, params: dict) -> QuerySet:
    """The rows matching every parameter, as the public list's own FilterSet filters them
    (several values of one parameter are combined with OR there).

    Raises ApiInputError naming every parameter whose value the FilterSet refuses.
    """
    data = MultiValueDict()
    for name, given in params.items():
        if name == "sort" or given in (None, "", []):
            continue
        values = given if isinstance(given, list) else [given]
        if name == "q":
            values = [str(values[0])[:MAX_QUERY_LENGTH]]
        data.setlist(name, [str(value) for value in values])
    filterset = filterset_class(data=data, queryset=queryset)
    if not filterset.is_valid():
        raise ApiInputError(
            {
                name: [str(message) for message in errors]
                for name, errors in filterset.errors.items()
            }
        )
    return filterset.qs


def orderings(filterset_class) -> dict[str, tuple[str, ...]]:
    """The list's sorts by name, each ended by the primary key; the first is the default."""
    sort = filterset_class.base_filters["sort"]
    return {key: (*terms, "pk") for key, terms in sort.orderings.items()}


# Keyset pages --------------------------------------------------------------------------------


def _order_expression(model, term: str):
    """A sort term as SQL: empty values last, said only where a column can be empty.

    A column that cannot be empty sorts the same either way, and the plain order lets
    PostgreSQL read the list's index (its DESC puts empty values first, so "DESC NULLS
    LAST" on a count or a date every row has sorted the whole table: 0.5 s at 300,000
    sources).
    """
    name = term.lstrip("-")
    try:
        nullable = _field(model, name).null
    except FieldDoesNotExist:  # an annotation
        nullable = True
    expression = F(name)
    if term.startswith("-"):
        return expression.desc(nulls_last=True) if nullable else expression.desc()
    return expression.asc(nulls_last=True) if nullable else expression.asc()


def _after(terms: tuple[str, ...], values: list) -> Q:
    """Rows after the row whose sort values are `values`, in the order `terms`."""
    condition = Q(pk__in=[])
    equal = Q()
    for term, value in zip(terms, values, strict=True):
        name = term.lstrip("-")
        if value is None:
            # Empty values sort last: nothing but another empty value follows one.
            later = None
            same = Q(**{f"{name}__isnull": True})
        else:
            later = Q(**{f"{name}__{'lt' if term.startswith('-') else 'gt'}": value}) | Q(
                **{f"{name}__isnull": True}
            )
            same = Q(**{name: value})
        if later is not None:
            condition |= equal & later
        equal &= same
    return condition


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _value_of(row, term: str):
    value = row
    for part in term.lstrip("-").split("__"):
        value = getattr(value, part) if value is not None else None
    return value


def _field(model, name: str):
    """The model field a sort term names, following relations (institution__name)."""
    if name == "pk":
        return model._meta.pk
    *path, last = name.split("__")
    for part in path:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(last)


def encode_cursor(sort: str, values: list) -> str:
    return to_token([sort, [_jsonable(value) for value in values]])


def decode_cursor(cursor: str, sort: str, terms: tuple[str, ...], model) -> list:
    """The sort values a cursor holds, converted back to Python; ApiInputError if bad."""
    invalid = ApiInputError({"cursor": ["The cursor is not one this list gave out."]})
    try:
        cursor_sort, values = from_token(cursor)
    except (ValueError, TypeError):
        raise invalid from None
    if cursor_sort != sort or not isinstance(values, list) or len(values) != len(terms):
        raise ApiInputError({"cursor": ["The cursor belongs to another sort order."]})
    converted = []
    for term, value in zip(terms, values, strict=True):
        if value is None:
            converted.append(None)
            continue
        if isinstance(value, dict | list):
            raise invalid
        try:
            converted.append(_field(model, term.lstrip("-")).to_python(value))
        except FieldDoesNotExist:
            # An annotation (a count): a whole number.
            if isinstance(value, bool) or not isinstance(value, int):
                raise invalid from None
            converted.append(value)
        except (ValidationError, TypeError, ValueError, OverflowError):
            raise invalid from None
    return converted


def keyset_page(request, queryset: QuerySet, *, terms, sort: str, page: PageQuery):
    """One page of rows in the order `terms`, and the link to the next page (or None)."""
    ordered = queryset.order_by(*[_order_expression(queryset.model, term) for term in terms])
    if page.cursor:
        values = decode_cursor(page.cursor, sort, terms, queryset.model)
        ordered = ordered.filter(_after(terms, values))
    rows = list(ordered[: page.limit + 1])
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    cursor = encode_cursor(sort, [_value_of(rows[-1], term) for term in terms])
    return rows, next_link(request, cursor=cursor)


def next_link(request, **changes) -> str:
    """This request's URL with some parameters replaced (all repeated values kept)."""
    query = request.GET.copy()
    for key, value in changes.items():
        query[key] = str(value)
    pairs = [(key, value) for key, values in query.lists() for value in values]
    return request.build_absolute_uri(request.path) + "?" + urlencode(pairs)
