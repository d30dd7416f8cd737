"""API lists with query parameters are cached like public pages: each operation declares the
parameters it reads, in any order they are one answer, and any other parameter is a 400."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from genetx.api.api import query_parameters
from tests.factories import make_therapy

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.PAGE_CACHE_ENABLED = True
    make_therapy(slug="one", name="One")
    make_therapy(slug="two", name="Two")


def queries_for(client, url, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    return response, len(queries)


def test_a_list_with_parameters_is_answered_from_the_cache(client, cached):
    first, rendered = queries_for(client, "/api/v1/therapies?limit=1&sort=name")
    assert first.status_code == 200
    assert rendered > 0
    again, hit = queries_for(client, "/api/v1/therapies?limit=1&sort=name")
    assert hit == 0
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_parameter_order_does_not_make_another_answer(client, cached):
    first, _ = queries_for(client, "/api/v1/therapies?limit=1&sort=name")
    reordered, hit = queries_for(client, "/api/v1/therapies?sort=name&limit=1")
    assert hit == 0
    assert reordered.json() == first.json()
    # Repeated values keep their order: they are one filter of several values.
    both, _ = queries_for(client, "/api/v1/therapies?limit=5&q=one")
    assert [row["slug"] for row in both.json()["results"]] == ["one"]


def test_a_save_refreshes_cached_lists(client, cached):
    client.get("/api/v1/therapies?limit=10")
    make_therapy(slug="three", name="Three")
    after, rendered = queries_for(client, "/api/v1/therapies?limit=10")
    assert rendered > 0
    assert "three" in [row["slug"] for row in after.json()["results"]]


def test_the_next_link_is_cached_and_followed(client, cached):
    first = client.get("/api/v1/therapies?limit=1").json()
    assert first["next"]
    second, _ = queries_for(client, first["next"])
    assert second.status_code == 200
    assert [row["slug"] for row in second.json()["results"]] == ["two"]
    _, hit = queries_for(client, first["next"])
    assert hit == 0


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/therapies?limt=5",  # a misspelled parameter must not give the whole list
        "/api/v1/therapies?limit=5&_=1700000000",  # a cache-buster
        "/api/v1/therapies/one?sort=name",  # a list's parameter on a detail
        "/api/v1/search?q=one&modality=aav",
    ],
)
def test_an_unknown_parameter_is_a_400_naming_it(client, cached, url):
    response, queries = queries_for(client, url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] == "Invalid parameters."
    assert list(body["errors"].values()) == [["Unknown parameter."]]
    assert queries == 0  # refused before the view, the throttle or the cache run


def test_hostile_parameter_names_are_refused_cut_and_never_a_500(client, cached):
    names = "&".join(f"p{i}{'x' * 5000}=1" for i in range(50)) + "&nul%00=1"
    response = client.get(f"/api/v1/therapies?{names}")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 20
    assert all(len(name) <= 100 for name in errors)


def test_empty_and_doubled_lang_are_still_the_operations_400(client, cached):
    assert client.get("/api/v1/therapies?lang=").status_code == 400
    assert client.get("/api/v1/therapies?lang=es&lang=en").status_code == 400
    assert client.get("/api/v1/therapies?lang=es&limit=1").json()["results"]


def test_every_operation_declares_the_parameters_its_documentation_lists(client):
    spec = client.get("/api/v1/openapi.json").json()
    declared = query_parameters()
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            name = operation["operationId"]
            matching = [names for names in declared.values() if names == documented]
            assert matching, f"{path} ({name}) documents {documented}, declared nowhere"


def test_an_answer_from_this_processs_pages_makes_no_round_trip_to_the_cache(
    client, cached, monkeypatch, settings
):
    """The page, the content version and Last-Modified's time are all known in process
    (read at most once per CONTENT_VERSION_STALENESS), so a hit asks the shared cache
    nothing: with Redis that was a round trip per answer."""
    from genetx import cache as page_cache

    settings.CONTENT_VERSION_STALENESS = 60  # as in production (1 s), but never due here
    client.get("/api/v1/therapies?limit=1")
    shared = page_cache._cache()
    asked = []
    for method in ("get", "get_many", "add", "set"):
        original = getattr(shared, method)
        monkeypatch.setattr(
            shared, method, lambda *a, _m=method, _o=original, **k: asked.append(_m) or _o(*a, **k)
        )
    again, queries = queries_for(client, "/api/v1/therapies?limit=1")
    assert again.status_code == 200
    assert again.has_header("Last-Modified") or again.has_header("ETag")
    assert queries == 0
    assert asked == []
