"""Redis failing: stopped, refused, hung. Readers still get pages, editors still save.

Each test runs its own redis-server on a free port (tests/parts.py) and stops, pauses
(SIGSTOP) or resumes it. Time bounds are generous (about ten times what the configured
timeouts allow), so they catch a hang, not a slow machine.
"""

import time

import pytest
from django.core.cache import caches
from django.test import override_settings

from genetx import cache as page_cache
from tests import faults
from tests.adminforms import form_data
from tests.factories import make_claim, make_institution, make_source, make_therapy, make_user
from tests.parts import private_redis
from therapies.models import Therapy

pytestmark = pytest.mark.django_db

# The client's timeouts in these tests, and the bound a request must stay within: a hung
# Redis without timeouts would hang the request for good. Generous, for loaded machines.
SOCKET_TIMEOUT = 0.25
REQUEST_BOUND = 10.0
RETRY_SECONDS = 0.5


def redis_caches(
    url: str, socket_timeout: float = SOCKET_TIMEOUT, retry_seconds: float = RETRY_SECONDS
) -> dict:
    return {
        "default": {
            "BACKEND": "genetx.redis_cache.FailSoftRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "fault",
            "OPTIONS": {
                "socket_connect_timeout": SOCKET_TIMEOUT,
                "socket_timeout": socket_timeout,
                "RETRY_SECONDS": retry_seconds,
            },
        }
    }


@pytest.fixture
def redis_server():
    server = private_redis()
    server.start()
    with override_settings(CACHES=redis_caches(server.url)):
        yield server
        server.stop()
    page_cache._bump_pending = False


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    """The page cache is off in tests (tests/settings.py); these tests are about it too."""
    settings.PAGE_CACHE_ENABLED = True


def timed_get(client, url, **kwargs):
    return faults.timed_get(client, url, bound=REQUEST_BOUND, **kwargs)


def wait_for_retry():
    """Let the cache's breaker close, so the next operation tries Redis again."""
    time.sleep(RETRY_SECONDS + 0.1)


def test_pages_are_served_uncached_while_redis_is_stopped(client, redis_server):
    therapy = make_therapy(name="Onasemnogene abeparvovec")
    url = therapy.get_absolute_url()
    assert b"Onasemnogene" in timed_get(client, url).content
    redis_server.stop()
    for path in (url, "/", "/therapies/", "/search/?q=ona"):
        response = timed_get(client, path)
        assert response.status_code == 200
    assert b"Onasemnogene" in timed_get(client, url).content


def test_pages_drawn_once_per_version_draw_themselves_while_redis_is_stopped(client, redis_server):
    """The home page's lists, the institution list's map, a source page's citing claims,
    the timeline and list rows come from per-version fragments and kept HTML; with Redis
    gone they are drawn from the database on each request, whole, and a save made
    meanwhile shows."""
    from decimal import Decimal

    source = make_source(title="Kept source")
    make_claim(
        statement="A figure citing it.",
        sources=[source],
        event_date="2024-05-01",
        event_date_precision="day",
    )
    make_institution(name="Mapped hospital", latitude=Decimal("40.4"), longitude=Decimal("-3.7"))
    therapy = make_therapy(name="Listed therapy")
    pages = {
        "/therapies/": b"Listed therapy",
        "/": b"A figure citing it.",
        "/institutions/": b"Mapped hospital",
        source.get_absolute_url(): b"A figure citing it.",
        "/timeline/": b"A figure citing it.",
    }
    for path, expected in pages.items():
        assert expected in timed_get(client, path).content
    redis_server.stop()
    make_institution(
        name="Hospital added while down", latitude=Decimal("41.4"), longitude=Decimal("2.2")
    )
    for path, expected in pages.items():
        response = timed_get(client, path)
        assert response.status_code == 200
        assert expected in response.content
    assert b"Hospital added while down" in timed_get(client, "/institutions/").content
    therapy.name = "Renamed while down"
    therapy.save()
    assert b"Renamed while down" in timed_get(client, "/therapies/").content


def test_pages_are_served_when_redis_refuses_connections_from_the_start(client, settings):
    server = private_redis()  # never started: its port refuses connections
    settings.CACHES = redis_caches(server.url)
    therapy = make_therapy()
    for _ in range(3):
        assert timed_get(client, therapy.get_absolute_url()).status_code == 200


def test_hung_redis_costs_a_timeout_not_a_hang(client, redis_server, caplog, settings):
    settings.CACHES = redis_caches(redis_server.url, retry_seconds=60)
    therapy = make_therapy()
    url = therapy.get_absolute_url()
    timed_get(client, url)
    redis_server.pause()
    try:
        with caplog.at_level("WARNING", logger="genetx.redis_cache"):
            for _ in range(5):
                assert timed_get(client, url).status_code == 200
    finally:
        redis_server.resume()
    # The breaker: one timed-out call for the five requests, not one per cache operation.
    assert len([r for r in caplog.records if r.name == "genetx.redis_cache"]) == 1


def test_an_edit_saves_while_redis_is_down_and_no_stale_page_follows(client, redis_server):
    """The page cached before a hang is not served after it: the content-version change
    the outage kept from Redis is stored once Redis answers again."""
    therapy = make_therapy(name="Before the outage")
    url = therapy.get_absolute_url()
    assert b"Before the outage" in timed_get(client, url).content
    redis_server.pause()
    try:
        therapy.name = "After the outage"
        therapy.save()  # must not raise although the version cannot be stored
        assert page_cache._bump_pending
    finally:
        redis_server.resume()
    assert Therapy.objects.get(pk=therapy.pk).name == "After the outage"
    wait_for_retry()
    response = timed_get(client, url)
    assert b"After the outage" in response.content
    assert b"Before the outage" not in response.content
    assert not page_cache._bump_pending


def test_an_admin_save_succeeds_while_redis_is_stopped(client, redis_server):
    therapy = make_therapy(name="Old name")
    client.force_login(make_user(is_staff=True, is_superuser=True))
    redis_server.stop()
    change = f"/admin/therapies/therapy/{therapy.pk}/change/"
    form = client.get(change)
    assert form.status_code == 200
    response = client.post(change, {**form_data(form), "name": "New name"})
    assert response.status_code == 302
    assert Therapy.objects.get(pk=therapy.pk).name == "New name"


def test_the_cache_comes_back_by_itself(client, redis_server):
    therapy = make_therapy()
    url = therapy.get_absolute_url()
    redis_server.stop()
    timed_get(client, url)
    redis_server.start()  # the same port, empty, as after a restart
    wait_for_retry()
    first = timed_get(client, url)
    assert first.has_header("ETag")
    # Served from Redis again: the page is stored there.
    assert timed_get(client, url, headers={"if-none-match": first["ETag"]}).status_code == 304
    assert caches["default"].get(page_cache.VERSION_KEY)


def test_health_reports_the_cache_down_but_keeps_serving(client, redis_server):
    assert client.get("/healthz").json()["cache"] == "ok"
    redis_server.stop()
    response = timed_get(client, "/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["cache"] == "unavailable"
    assert response.json()["database"] == "ok"


def test_health_answers_within_its_deadline_when_redis_hangs(client, redis_server, settings):
    # A client timeout longer than the health deadline: the check must give up on its own.
    settings.CACHES = redis_caches(redis_server.url, socket_timeout=5)
    redis_server.pause()
    try:
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        redis_server.resume()
    assert response.status_code == 200
    assert response.json()["cache"] == "timeout"
    assert elapsed < settings.HEALTH_TIMEOUT + 2


def test_staff_pages_work_while_redis_is_down(client, redis_server):
    make_therapy()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    redis_server.stop()
    assert timed_get(client, "/admin/").status_code == 200
    assert timed_get(client, "/admin/therapies/therapy/").status_code == 200
