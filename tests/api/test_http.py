"""HTTP around the API: validators and 304s, Cache-Control, CORS, the description and docs."""

import re
import time

import pytest
from django.utils.http import http_date

from genetx.cache import CHANGED_AT_KEY
from tests.factories import make_therapy, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(settings):
    """Content last changed two seconds ago, so Last-Modified may be sent."""
    from django.core.cache import cache

    make_therapy(slug="one")
    cache.set(CHANGED_AT_KEY, time.time() - 2, timeout=None)


@pytest.mark.parametrize("page_cache", [True, False])
def test_etag_answers_304_until_content_changes(client, settled, settings, page_cache):
    settings.PAGE_CACHE_ENABLED = page_cache
    first = client.get("/api/v1/therapies")
    assert first.status_code == 200
    assert first["Cache-Control"] == "no-cache"
    again = client.get("/api/v1/therapies", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    make_therapy(slug="two")
    changed = client.get("/api/v1/therapies", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert [row["slug"] for row in changed.json()["results"]] == ["one", "two"]


def test_last_modified_answers_304_until_content_changes(client, settled):
    first = client.get("/api/v1/therapies/one")
    since = first["Last-Modified"]
    assert (
        client.get("/api/v1/therapies/one", headers={"If-Modified-Since": since}).status_code == 304
    )
    make_therapy(slug="two")
    assert (
        client.get("/api/v1/therapies/one", headers={"If-Modified-Since": since}).status_code == 200
    )


def test_no_last_modified_while_the_change_is_in_the_current_second(client):
    from django.core.cache import cache

    make_therapy(slug="one")
    # The last change's second has not passed yet (set ahead, so a slow machine cannot
    # let it pass before the request).
    cache.set(CHANGED_AT_KEY, time.time() + 30, timeout=None)
    response = client.get("/api/v1/therapies")
    assert response.status_code == 200
    assert "Last-Modified" not in response
    # A date from before the change never gets a 304.
    old = http_date(time.time() - 60)
    assert client.get("/api/v1/therapies", headers={"If-Modified-Since": old}).status_code == 200


def test_logged_in_readers_get_validators_too(client, settled, settings):
    client.force_login(make_user())
    first = client.get("/api/v1/therapies")
    assert first["ETag"] and first["Cache-Control"] == "no-cache"
    again = client.get("/api/v1/therapies", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304


def test_validators_without_the_page_cache(client, settled, settings):
    settings.PAGE_CACHE_ENABLED = False
    first = client.get("/api/v1/therapies")
    assert first["ETag"]
    assert (
        client.get("/api/v1/therapies", headers={"If-None-Match": first["ETag"]}).status_code == 304
    )


def test_any_origin_may_read_the_api_but_not_the_site(client, settled):
    origin = {"Origin": "https://researcher.example"}
    response = client.get("/api/v1/therapies", headers=origin)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/therapies",
        headers={**origin, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in client.get("/therapies/", headers=origin)


def test_writes_are_refused(client, settled):
    assert client.post("/api/v1/therapies").status_code == 405


def test_openapi_document_is_3_1_and_names_every_list_and_detail(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    paths = set(spec["paths"])
    for name in ("therapies", "conditions", "institutions", "sources", "claims"):
        assert {f"/api/v1/{name}", f"/api/v1/{name}/id/{{id}}"} <= paths
    assert {
        "/api/v1/programmes",
        "/api/v1/decisions",
        "/api/v1/search",
        "/api/v1/timeline",
    } <= paths
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/therapies"]["get"]["parameters"]}
    assert parameters["kind"]["schema"]["type"] == "array"
    assert set(parameters) >= {"q", "modality", "condition", "country", "sort", "limit", "cursor"}


def test_documentation_page_uses_only_local_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    assets = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert assets and all(asset.startswith("/static/") for asset in assets), assets
