"""Each API list and detail runs a fixed number of queries, however many rows it shows.

The same request is measured on a small world and again after the world has grown; both
counts must equal the endpoint's budget.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.worlds import build_small_world
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_programme,
    make_source,
    make_therapy,
    make_trial,
)

pytestmark = pytest.mark.django_db

# (URL, queries): filter checks count one query per model-choice parameter.
BUDGETS = [
    ("/api/v1/therapies?limit=100", 2),
    ("/api/v1/therapies?condition=b-cell-lymphoma&condition=lymphoma&kind=product", 3),
    ("/api/v1/therapies/ari0002h", 11),
    ("/api/v1/conditions?limit=100", 1),
    ("/api/v1/conditions/b-cell-lymphoma", 7),
    ("/api/v1/institutions?limit=100", 1),
    ("/api/v1/institutions/clinic", 7),
    ("/api/v1/programmes?limit=100", 1),
    ("/api/v1/sources?limit=100", 3),
    ("/api/v1/sources/catala-2022", 2),
    ("/api/v1/claims?limit=100", 5),
    ("/api/v1/claims/response-rate", 9),
    ("/api/v1/decisions?limit=100", 2),
    ("/api/v1/trials?limit=100", 3),
    ("/api/v1/trials?phase=phase_3&therapy=ari0002h&country=ES&sponsor=clinic", 5),
    ("/api/v1/trials/trial-of-ari0002h", 7),
    ("/api/v1/timeline?limit=100", 16),
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


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize(("url", "budget"), BUDGETS)
def test_api_query_count_does_not_grow_with_rows(client, settings, url, budget):
    # The page cache would answer the second request without SQL; measure the view.
    settings.PAGE_CACHE_ENABLED = False
    world = build_small_world()
    grow(world, 2)
    small = count(client, url)
    grow(world, 20)
    large = count(client, url)
    assert (small, large) == (budget, budget)
