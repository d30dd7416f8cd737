"""The API shares the site's per-client rate limit: JSON 429 with Retry-After, over HTTP.

A real HTTP client (urllib) talks to the live test server, which counts in a private
redis-server as production counts in Redis (tests/parts.py).
"""

import json
import time
import urllib.error
import urllib.request

import pytest
import time_machine
from django.test import override_settings

from tests.factories import make_therapy, make_user
from tests.parts import private_redis

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 5


@pytest.fixture
def limited(settings):
    server = private_redis()
    server.start()
    caches = {
        "default": {
            "BACKEND": "genetx.redis_cache.FailSoftRedisCache",
            "LOCATION": server.url,
            # Healthy here: a generous timeout, so a busy machine cannot trip the breaker.
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
    # django-ratelimit counts in fixed windows, and a window ending in the middle of a test
    # would restart the count. A window of one address ends at the same moment of every
    # period (for 127.0.0.1 and a day, 08:30:33 UTC), so the clock stands still meanwhile.
    settings.EXPENSIVE_RATE = f"{LIMIT}/d"
    with override_settings(CACHES=caches), time_machine.travel(time.time(), tick=False):
        yield
    server.stop()


def fetch(url):
    """(status, headers, body as JSON) of a GET, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.load(error)


def test_api_clients_over_the_limit_get_json_429_with_retry_after(live_server, limited):
    make_therapy(slug="kymriah")
    answers = [fetch(f"{live_server.url}/api/v1/therapies?limit={n + 1}") for n in range(LIMIT)]
    assert [status for status, _, _ in answers] == [200] * LIMIT
    status, headers, body = fetch(f"{live_server.url}/api/v1/therapies/kymriah")
    assert status == 429
    assert headers["Content-Type"].startswith("application/json")
    assert body == {"detail": "Too many requests.", "errors": {}}
    assert 1 <= int(headers["Retry-After"]) <= 24 * 60 * 60


def test_the_api_and_the_site_share_one_allowance(client, limited):
    make_therapy()
    for n in range(LIMIT):
        assert client.get(f"/search/?q=t{n}").status_code == 200
    refused = client.get("/api/v1/therapies")
    assert refused.status_code == 429
    assert refused.json()["detail"] == "Too many requests."
    # Another address has its own allowance; staff are not limited.
    assert client.get("/api/v1/therapies", REMOTE_ADDR="203.0.113.9").status_code == 200
    client.force_login(make_user(is_staff=True))
    assert client.get("/api/v1/therapies").status_code == 200


def test_cached_api_answers_do_not_count(client, limited, settings):
    settings.PAGE_CACHE_ENABLED = True
    make_therapy()
    assert client.get("/api/v1/therapies").status_code == 200  # rendered, then cached
    for n in range(LIMIT - 1):
        assert client.get(f"/api/v1/therapies?limit={n + 1}").status_code == 200
    assert client.get("/api/v1/therapies?limit=50").status_code == 429
    assert client.get("/api/v1/therapies").status_code == 200


def test_the_openapi_description_names_the_429(client):
    document = client.get("/api/v1/openapi.json").json()
    assert "Retry-After" in document["info"]["description"]
    for path in ("/api/v1/therapies", "/api/v1/therapies/{slug}", "/api/v1/search"):
        responses = document["paths"][path]["get"]["responses"]
        assert "429" in responses, path
