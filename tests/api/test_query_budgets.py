"""Each API list and detail runs a fixed number of queries, however many rows it shows.

The same request is measured on a small world and again after the world has grown (one
world for the module, tests/growth.py); both counts must equal the endpoint's budget.
Then again with 1,000 and 10,000 rows in every table (bulk-created once per size and
module, rolled back afterwards): marked `slow`, run by `make test` and CI, left out with
`-m "not slow"` while iterating.
"""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.api.worlds import build_small_world, grow_in_bulk
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_programme,
    make_source,
    make_therapy,
    make_trial,
)
from tests.growth import measure_growth

pytestmark = pytest.mark.django_db

# Search, as the search page (tests/perf/test_site_query_budgets.py): other databases read
# each type's candidates (6) and the sources an author or DOI names (1). PostgreSQL's
# two-stage, bilingual search (genetx/search.py) runs more, measured at 14; its typo
# stage runs for a type only when full text finds fewer than FUZZY_BELOW of it, which
# depends on the data's shape, not its size: one more query in the bulk worlds, where
# "study" finds few records of some type the small world has more of.
SEARCH_ALL = 14 if connection.vendor == "postgresql" else 7
SEARCH_ONE_TYPE = 14 if connection.vendor == "postgresql" else 7
BULK_SEARCH_ONE_TYPE = 15 if connection.vendor == "postgresql" else 7
# The timeline reads each kind's next positions, date and id (5), then the entries shown,
# per kind shown: claims, and trial starts and completions, each with their citations,
# the cited sources' authors and the authors of the works attributions report (4 each);
# decisions and their sources' authors (2); sources and their authors (2). A page of the
# oldest entries may hold fewer kinds than the small world's, and so run fewer queries.
TIMELINE_QUERIES_PER_KIND = {
    "event": 4,
    "decision": 2,
    "publication": 2,
    "trial-start": 4,
    "trial-completion": 4,
}


def timeline_queries(body: bytes) -> int:
    kinds = {entry["kind"] for entry in json.loads(body)["results"]}
    return 5 + sum(TIMELINE_QUERIES_PER_KIND[kind] for kind in kinds)


# (URL, queries, or a function of the answer giving them): filter checks count one query
# per model-choice parameter; {programme} and {decision} stand for the world's ids.
BUDGETS = [
    ("/api/v1/therapies?limit=100", 2),
    ("/api/v1/therapies?condition=b-cell-lymphoma&condition=lymphoma&kind=product", 3),
    ("/api/v1/therapies/ari0002h", 11),
    ("/api/v1/conditions?limit=100", 1),
    ("/api/v1/conditions/b-cell-lymphoma", 8),
    ("/api/v1/institutions?limit=100", 1),
    ("/api/v1/institutions/clinic", 8),
    ("/api/v1/programmes?limit=100", 1),
    ("/api/v1/sources?limit=100", 3),
    ("/api/v1/sources/catala-2022", 2),
    ("/api/v1/claims?limit=100", 5),
    ("/api/v1/claims/response-rate", 9),
    ("/api/v1/programmes/{programme}", 5),
    ("/api/v1/decisions?limit=100", 2),
    ("/api/v1/decisions/{decision}", 2),
    ("/api/v1/trials?limit=100", 3),
    ("/api/v1/trials?phase=phase_3&therapy=ari0002h&country=ES&sponsor=clinic", 5),
    ("/api/v1/trials/trial-of-ari0002h", 7),
    ("/api/v1/timeline?limit=100", timeline_queries),
    ("/api/v1/search?q=ari0002h", SEARCH_ALL),
    ("/api/v1/search?q=study&type=sources", SEARCH_ONE_TYPE),
]


def grow(world, k: int) -> None:
    therapy, condition, hospital = world["therapy"], world["condition"], world["hospital"]
    for _ in range(k):
        other = make_therapy(conditions=[condition])
        make_condition(parent=condition)
        programme = make_programme(institution=hospital, therapy=other)
        source = make_source(authors=[("Author", "A."), ("Other", "B.")])
        attribution = make_source(kind="attribution", container_title="Nature", reported_by=source)
        make_decision(therapy=therapy, source=source, date=f"20{10 + _}-01-01")
        make_claim(
            therapy=therapy,
            condition=condition,
            institution=hospital,
            programme=programme,
            sources=[source, attribution],
            # Older figures the world's claim replaced: its detail lists them in full.
            superseded_by=world["claim"],
            review_status="superseded",
            event_date="2020-01-01",
            event_date_precision="year",
        )
        make_trial(
            therapies=[therapy, other],
            conditions=[condition],
            sites=[hospital],
            sponsor=hospital,
            sources=[source, attribution],
            phase="phase_3",
            completion_date="2024-01-01",
            completion_date_precision="month",
        )


def count(client, url, world) -> tuple[int, bytes]:
    """How many queries a GET ran, and the answer's body."""
    url = url.format(programme=world["programme"].pk, decision=world["decision"].pk)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), response.content


def expected(budget, body: bytes) -> int:
    return budget(body) if callable(budget) else budget


def grown(world, stage: str) -> None:
    grow(world, 2 if stage == "small" else 20)


def formatted(url):
    return lambda world: url.format(programme=world["programme"].pk, decision=world["decision"].pk)


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """Every budgeted URL measured on one small world, then after growing it by 20 of
    everything (tests/growth.py): one world for the module, not one per URL."""
    urls = {url: formatted(url) for url, _ in BUDGETS}
    return measure_growth(django_db_blocker, build_small_world, grown, urls)


@pytest.mark.parametrize(("url", "budget"), BUDGETS)
def test_api_query_count_does_not_grow_with_rows(measured, url, budget):
    small, large = measured[url]
    assert (small.status, large.status) == (200, 200), (small.body[:2000], large.body[:2000])
    assert (len(small.queries), len(large.queries)) == (
        expected(budget, small.body),
        expected(budget, large.body),
    ), f"small world: {small}\n\nafter growth: {large}"


@pytest.fixture(scope="module", params=[1_000, 10_000], ids=["1k-rows", "10k-rows"])
def bulk_world(request, django_db_setup, django_db_blocker):
    """build_small_world() plus `size` rows in every table, shared by this module's tests of
    one size: each test runs in a savepoint inside this transaction, which is rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_small_world()
        grow_in_bulk(world, request.param)
        yield world
        transaction.set_rollback(True)


@pytest.mark.slow
@pytest.mark.parametrize(("url", "budget"), BUDGETS)
def test_api_query_count_is_the_same_at_1k_and_10k_rows(bulk_world, client, settings, url, budget):
    settings.PAGE_CACHE_ENABLED = False
    if url == "/api/v1/search?q=study&type=sources":
        budget = BULK_SEARCH_ONE_TYPE
    queries, body = count(client, url, bulk_world)
    assert queries == expected(budget, body)
