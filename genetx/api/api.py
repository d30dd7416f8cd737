"""The read API, /api/v1/: published records only, exactly as the public pages show them.

Lists take the public list's filters (any of several values), a sort and a keyset cursor;
details are read by permanent id or by slug; every claim comes with its citations and every
source with its CSL-JSON. Each endpoint's base queryset is the same manager method the
public page uses (`for_listing()`, `for_detail()`), so the API cannot show what a page
would hide.
"""

import functools
import threading
from typing import Literal

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from ninja import NinjaAPI, Query, Router
from ninja.errors import Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.throttling import BaseThrottle

from genetx import search, throttle
from genetx.text import MAX_QUERY_LENGTH
from hospitals.filters import InstitutionFilter, ProgrammeFilter
from hospitals.models import Institution, Programme
from sources.filters import ClaimFilter, SourceFilter
from sources.models import Claim, Source
from therapies.filters import ConditionFilter, DecisionFilter, TherapyFilter, TrialFilter
from therapies.models import Condition, RegulatoryDecision, Therapy, Trial

from . import schemas
from .querying import (
    ApiInputError,
    PageQuery,
    filter_queryset,
    keyset_page,
    next_link,
    orderings,
    query_schema,
)
from .timeline import TimelineQuery, timeline_page

DESCRIPTION = """\
Read-only access to GeneTx: gene therapies, the conditions they treat, the institutions
that develop or apply them, their programmes, regulatory decisions, and the sources and
claims behind every statement. Published records only. No key is needed.

**Lists** take the filters of the public lists; repeat a parameter to match any of several
values (`?kind=product&kind=approach`). Pages are cut by cursor: follow `next` (also sent
as a `Link` header) until it is null. `limit` is 20 by default and at most 100.

**Languages**: records come in English (`en`, the default) or Spanish (`es`). Choose
with `?lang=es` on any request, or send `Accept-Language: es` (`es-ES`, `es-419` and
weighted lists are understood); when both are given, `lang` wins. Translated text (names,
summaries, how it works, statements, measure names, indications, trial titles) is given in
that language, and in English where a record has no Spanish text yet. Every answer says
its language in `Content-Language` and carries `Vary: Accept-Language`. A `lang` naming no
language of the site is a 400; an Accept-Language naming none gives English. Filters,
`q`, sorts and cursors work the same in every language: `q` matches the text in either
language, sorts follow the English text, and a cursor from one language's page continues
in the other. Source titles stay in their original language and quotes are never
translated.

**Errors** are JSON: `{"detail": ..., "errors": {"parameter": ["message"]}}` with 400 for
a bad parameter (a parameter the operation does not take included: a misspelled filter
never answers with the unfiltered list) and 404 for an unknown record.

**Caching**: every response has an `ETag` and a `Last-Modified`; send them back as
`If-None-Match` or `If-Modified-Since` to get `304 Not Modified` while nothing changed.

**Rate limit**: {rate} Answers from the cache (a request already answered since the
last change of content) do not count, and the site's searches and filtered lists share the
allowance. Beyond it the answer is `429 Too Many Requests`, JSON like any error, with a
`Retry-After` header giving the seconds to wait.

Bulk downloads of everything (JSON Lines, CSV with a Frictionless data package) are on
the Open data page.
"""


class ExpensiveWorkThrottle(BaseThrottle):
    """The site's per-client limit on uncached work (genetx/throttle.py, django-ratelimit),
    applied to every API operation. Answers the page cache gives never reach it."""

    def __init__(self):
        # One instance serves every thread; ninja asks wait() right after allow_request().
        self._local = threading.local()

    def allow_request(self, request) -> bool:
        self._local.wait = throttle.seconds_to_wait(request)
        return self._local.wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


def _describe_rate() -> str:
    rate = settings.EXPENSIVE_RATE
    if not rate:
        return "this server sets none."
    count, _, period = rate.partition("/")
    unit = {"s": "second", "m": "minute", "h": "hour", "d": "day"}.get(period[-1:], period)
    every = f"a {unit}" if period[:-1] in {"", "1"} else f"per {period}"
    return f"each client address may have {count} answers rendered {every}."


api = NinjaAPI(
    title="GeneTx API",
    version="1",
    description=DESCRIPTION.replace("{rate}", _describe_rate()),
    throttle=ExpensiveWorkThrottle(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

ERRORS = {400: schemas.ErrorOut, 404: schemas.ErrorOut, 429: schemas.ErrorOut}
# Parts of a validation error's location that name no parameter.
_LOCATIONS = {"query", "path", "filters", "page"}


@api.exception_handler(NinjaValidationError)
def invalid_parameters(request, exc):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # loc is ("query", <argument>, <parameter>, <index>...) for a query schema.
        names = [p for p in error.get("loc", ()) if isinstance(p, str) and p not in _LOCATIONS]
        name = names[-1] if names else "request"
        errors.setdefault(name, []).append(str(error.get("msg", "Invalid value.")))
    return api.create_response(
        request, {"detail": "Invalid parameters.", "errors": errors}, status=400
    )


@api.exception_handler(ApiInputError)
def refused_parameters(request, exc):
    return api.create_response(
        request, {"detail": "Invalid parameters.", "errors": exc.errors}, status=400
    )


@api.exception_handler(Throttled)
def too_many_requests(request, exc):
    # ninja adds Retry-After (the seconds django-ratelimit reports) to this response.
    return api.create_response(request, {"detail": "Too many requests.", "errors": {}}, status=429)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "Not found.", "errors": {}}, status=404)


class LanguageQuery(schemas.Schema):
    """The `lang` parameter every operation documents. genetx.i18n.PathLocaleMiddleware
    reads and checks it (with Accept-Language) before the operation runs; here it is
    described and typed."""

    lang: Literal[tuple(code for code, _ in settings.LANGUAGES)] | None = schemas.Field(
        None,
        description="The language of the answer's text; wins over Accept-Language. "
        "Untranslated text is given in English.",
    )


def in_english(function):
    """Run a view's database work with English active: with django-modeltranslation a
    lookup or sort on a translated field reads the active language's column, so filters,
    sorts and keyset cursors would otherwise change with `lang` (and Spanish columns
    without text would sort as empty). The answer is then serialised in the language the
    client chose (the schemas read each field through its translation)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return function(*args, **kwargs)

    return wrapper


@in_english
def _listing(request, response, filterset_class, queryset, filters, page):
    """Filter, sort and cut one page of a list; the response body and its Link header."""
    params = filters.model_dump()
    sorts = orderings(filterset_class)
    sort = params.get("sort") or next(iter(sorts))
    rows, next_url = keyset_page(
        request,
        filter_queryset(filterset_class, queryset, params),
        terms=sorts[sort],
        sort=sort,
        page=page,
    )
    if next_url:
        response["Link"] = f'<{next_url}>; rel="next"'
    return {"next": next_url, "results": rows}


def _list_endpoint(router, path, name, filterset_class, item_schema, queryset, summary):
    """Register GET <path>: a filtered, sorted, keyset-paginated list."""
    filter_schema = query_schema(f"{filterset_class.__name__}Query", filterset_class)

    def listing(
        request,
        response: HttpResponse,
        filters: Query[filter_schema],
        page: Query[PageQuery],
        language: Query[LanguageQuery],
    ):
        return _listing(request, response, filterset_class, queryset(), filters, page)

    listing.__name__ = name.replace("-", "_")
    router.get(
        path,
        response={200: schemas.page_of(item_schema), **ERRORS},
        url_name=name,
        summary=summary,
    )(listing)


def _detail_endpoints(router, path, name, item_schema, lookup, summary):
    """Register GET <path>/{slug} (a source's {key}) and GET <path>/id/{id}."""
    lookup = in_english(lookup)
    if name == "source":

        def by_slug(request, key: str, language: Query[LanguageQuery]):
            return lookup(key=key)

        route, by = f"{path}/{{key}}", "key"
    else:

        def by_slug(request, slug: str, language: Query[LanguageQuery]):
            return lookup(slug=slug)

        route, by = f"{path}/{{slug}}", "slug"

    def by_id(request, id: int, language: Query[LanguageQuery]):
        return lookup(pk=id)

    by_slug.__name__ = f"{name}_by_{by}"
    by_id.__name__ = f"{name}_by_id"
    responses = {200: item_schema, **ERRORS}
    # A slug is one path segment, so "id/<n>" never reaches the slug route.
    router.get(
        f"{path}/id/{{id}}",
        response=responses,
        url_name=f"{name}-by-id",
        summary=f"{summary} by id",
    )(by_id)
    router.get(route, response=responses, url_name=name, summary=f"{summary} by {by}")(by_slug)


def _claims_about(claims):
    """The published claims of a named ClaimQuerySet selection, with subjects and sources."""
    return list(claims.for_listing())


# Therapies and conditions -----------------------------------------------------------------

therapies = Router(tags=["therapies"])
_list_endpoint(
    therapies,
    "/therapies",
    "therapies",
    TherapyFilter,
    schemas.TherapyOut,
    lambda: Therapy.objects.for_listing(),
    "List therapies",
)


def _therapy(**lookup):
    therapy = get_object_or_404(Therapy.objects.for_detail(), **lookup)
    therapy.claims_shown = _claims_about(Claim.objects.about_therapy(therapy))
    return therapy


_detail_endpoints(therapies, "/therapies", "therapy", schemas.TherapyDetail, _therapy, "A therapy")

conditions = Router(tags=["conditions"])
_list_endpoint(
    conditions,
    "/conditions",
    "conditions",
    ConditionFilter,
    schemas.ConditionOut,
    lambda: Condition.objects.for_listing(),
    "List conditions",
)


def _condition(**lookup):
    condition = get_object_or_404(Condition.objects.for_detail(), **lookup)
    condition.therapies_shown = list(Therapy.objects.published().for_condition(condition))
    condition.claims_shown = _claims_about(Claim.objects.about_condition(condition))
    return condition


_detail_endpoints(
    conditions, "/conditions", "condition", schemas.ConditionDetail, _condition, "A condition"
)

decisions = Router(tags=["regulatory decisions"])
_list_endpoint(
    decisions,
    "/decisions",
    "decisions",
    DecisionFilter,
    schemas.DecisionOut,
    lambda: RegulatoryDecision.objects.for_listing(),
    "List regulatory decisions",
)


@decisions.get(
    "/decisions/{id}",
    response={200: schemas.DecisionOut, **ERRORS},
    url_name="decision-by-id",
    summary="A regulatory decision by id",
)
@in_english
def decision_by_id(request, id: int, language: Query[LanguageQuery]):
    return get_object_or_404(RegulatoryDecision.objects.for_listing(), pk=id)


# Clinical trials --------------------------------------------------------------------------------

trials = Router(tags=["trials"])
_list_endpoint(
    trials,
    "/trials",
    "trials",
    TrialFilter,
    schemas.TrialOut,
    lambda: Trial.objects.for_listing(),
    "List clinical trials",
)


def _trial(**lookup):
    return get_object_or_404(Trial.objects.for_detail(), **lookup)


_detail_endpoints(trials, "/trials", "trial", schemas.TrialDetail, _trial, "A clinical trial")

# Institutions and programmes ----------------------------------------------------------------

institutions = Router(tags=["institutions"])
_list_endpoint(
    institutions,
    "/institutions",
    "institutions",
    InstitutionFilter,
    schemas.InstitutionOut,
    lambda: Institution.objects.for_listing(),
    "List institutions",
)


def _institution(**lookup):
    institution = get_object_or_404(Institution.objects.for_detail(), **lookup)
    institution.claims_shown = _claims_about(Claim.objects.about_institution(institution))
    return institution


_detail_endpoints(
    institutions,
    "/institutions",
    "institution",
    schemas.InstitutionDetail,
    _institution,
    "An institution",
)

programmes = Router(tags=["programmes"])
_list_endpoint(
    programmes,
    "/programmes",
    "programmes",
    ProgrammeFilter,
    schemas.ProgrammeOut,
    lambda: Programme.objects.for_listing(),
    "List programmes",
)


@programmes.get(
    "/programmes/{id}",
    response={200: schemas.ProgrammeDetail, **ERRORS},
    url_name="programme-by-id",
    summary="A programme by id",
)
@in_english
def programme_by_id(request, id: int, language: Query[LanguageQuery]):
    programme = get_object_or_404(Programme.objects.for_listing(), pk=id)
    programme.claims_shown = _claims_about(Claim.objects.about_programme(programme))
    return programme


# Sources and claims ---------------------------------------------------------------------------

sources = Router(tags=["sources"])
_list_endpoint(
    sources,
    "/sources",
    "sources",
    SourceFilter,
    schemas.SourceOut,
    lambda: Source.objects.for_listing(),
    "List sources",
)


def _source(**lookup):
    return get_object_or_404(Source.objects.for_detail(), **lookup)


_detail_endpoints(sources, "/sources", "source", schemas.SourceDetail, _source, "A source")

claims = Router(tags=["claims"])
_list_endpoint(
    claims,
    "/claims",
    "claims",
    ClaimFilter,
    schemas.ClaimOut,
    lambda: Claim.objects.for_listing(),
    "List claims",
)


def _claim(**lookup):
    return get_object_or_404(Claim.objects.for_detail(), **lookup)


_detail_endpoints(claims, "/claims", "claim", schemas.ClaimDetail, _claim, "A claim")

# Search and timeline --------------------------------------------------------------------------

site = Router(tags=["search and timeline"])
SEARCH_PAGE_SIZE = 20
SEARCH_GROUP_SIZE = 5
MAX_SEARCH_PAGE = 50


class SearchQuery(schemas.Schema):
    q: str = schemas.Field(
        "", description=f"Words to look for; cut to {MAX_QUERY_LENGTH} characters."
    )
    type: Literal[tuple(search.TYPES)] | None = schemas.Field(
        None, description="One type of record, a page at a time."
    )
    page: int = schemas.Field(1, ge=1, le=MAX_SEARCH_PAGE, description="Page of one type's hits.")


def _hit(request, hit) -> dict:
    return {
        "type": hit.type.key,
        "title": hit.title,
        "meta": hit.meta,
        "excerpt": [{"text": text, "marked": marked} for text, marked in hit.excerpt],
        "url": request.build_absolute_uri(
            reverse(f"api:{_DETAIL[hit.type.key]}", kwargs=_hit_kwargs(hit))
        ),
        "html_url": request.build_absolute_uri(hit.url),
    }


_DETAIL = {
    "therapies": "therapy",
    "trials": "trial",
    "conditions": "condition",
    "institutions": "institution",
    "sources": "source",
    "claims": "claim",
}


def _hit_kwargs(hit) -> dict:
    return {hit.type.content_type.lookup_field: hit.key}


@site.get(
    "/search",
    response={200: schemas.SearchOut, **ERRORS},
    url_name="search",
    summary="Search every type of record",
)
def search_records(request, query: Query[SearchQuery], language: Query[LanguageQuery]):
    # Not in_english: the search reads its columns by name in any language
    # (genetx.search), and a hit's title is taken in the answer's language.
    text, cut = search.clean_query(query.q)
    engine = search.engine_for(text) if text else None
    counts = engine.counts() if engine else dict.fromkeys(search.TYPES, 0)
    results, next_url = [], None
    if engine and query.type:
        start = (query.page - 1) * SEARCH_PAGE_SIZE
        hits = engine.hits(query.type)[start : start + SEARCH_PAGE_SIZE]
        results = [_hit(request, hit) for hit in hits]
        more = counts.get(query.type, 0) > start + SEARCH_PAGE_SIZE
        if more and query.page < MAX_SEARCH_PAGE:
            next_url = next_link(request, page=query.page + 1)
    elif engine:
        for key in search.TYPES:
            if counts.get(key):
                results += [_hit(request, hit) for hit in engine.hits(key)[:SEARCH_GROUP_SIZE]]
    return {"query": text, "query_cut": cut, "counts": counts, "results": results, "next": next_url}


@site.get(
    "/timeline",
    response={200: schemas.page_of(schemas.TimelineEvent), **ERRORS},
    url_name="timeline",
    summary="Dated events, oldest first",
)
def timeline_events(
    request, query: Query[TimelineQuery], page: Query[PageQuery], language: Query[LanguageQuery]
):
    # Not in_english: its cursor is a date, a kind and an id, and an event's title is
    # taken in the answer's language.
    return timeline_page(request, query, page)


ROUTERS = (
    therapies,
    trials,
    conditions,
    institutions,
    programmes,
    sources,
    claims,
    decisions,
    site,
)
for router in ROUTERS:
    api.add_router("", router)


def query_parameters() -> dict[str, frozenset[str]]:
    """The query parameters each operation reads, by URL name: the names ninja flattens its
    Query schemas into, which the OpenAPI document lists. Declared on each operation's view
    (declare_query_parameters), they let the page cache keep list answers and refuse any
    other parameter, as it does for the public pages (genetx.cache.CanonicalQueryMiddleware).
    """
    declared = {}
    for router in ROUTERS:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                declared[operation.url_name] = frozenset(
                    name
                    for model in operation.models
                    if model.__ninja_param_source__ == "query"
                    for name in model.__ninja_flatten_map__
                )
    return declared


def declare_query_parameters(urls):
    """api.urls with each operation's view carrying the query parameters it reads (its
    `cache_query_params`, as public views declare theirs). The schema and docs pages take
    only `lang`, as every answer does."""
    patterns, app_name, namespace = urls
    declared = query_parameters()
    for pattern in patterns:
        pattern.callback.cache_query_params = declared.get(pattern.name, frozenset({"lang"}))
    return patterns, app_name, namespace
