"""Floods: random query parameters cannot force renders, and expensive work is rate-limited.

The cache is a private redis-server (tests/parts.py), so counting its keys counts exactly
what these requests stored.
"""

import time
import uuid

import pytest
import redis
import time_machine
from django.test import override_settings
from django.urls import path

from genetx import urls as site_urls
from genetx.cache import query_params
from tests.factories import make_therapy, make_user
from tests.parts import private_redis

pytestmark = pytest.mark.django_db


def undeclared(request):
    from django.http import HttpResponse

    return HttpResponse(f"reads whatever it likes: {sorted(request.GET)}")


urlpatterns = [
    path("undeclared/", undeclared),
    path("declared/", query_params("q")(undeclared)),
    # The site's own patterns, not include()d: Django refuses i18n_patterns in an include.
    *site_urls.urlpatterns,
]


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    """The page cache is off in tests (tests/settings.py); these tests are about it too."""
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture
def redis_cache():
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
    with override_settings(CACHES=caches):
        yield redis.Redis.from_url(server.url)
    server.stop()


def test_random_parameters_create_no_cache_entries_and_run_no_sql(
    client, redis_cache, django_assert_num_queries
):
    make_therapy()
    assert client.get("/therapies/").status_code == 200
    stored = redis_cache.dbsize()
    with django_assert_num_queries(0):
        for _ in range(50):
            response = client.get(f"/therapies/?cb={uuid.uuid4().hex}")
            assert response.status_code == 301
            assert response["Location"] == "/therapies/"
    assert redis_cache.dbsize() == stored


def test_unknown_parameters_redirect_to_the_canonical_url_keeping_known_ones(client):
    response = client.get("/therapies/?utm_source=mail&sort=name&q=car&fbclid=x&page=")
    assert response.status_code == 301
    assert response["Location"] == "/therapies/?q=car&sort=name"
    assert client.get("/therapies/some-slug/?ref=feed")["Location"] == "/therapies/some-slug/"
    assert client.get("/search/?q=aav&nonsense=1")["Location"] == "/search/?q=aav"


def test_known_parameters_in_any_order_share_one_cached_page(
    client, redis_cache, django_assert_num_queries
):
    make_therapy(name="Zolgensma")
    first = client.get("/therapies/?sort=name&q=zol")
    assert first.status_code == 200
    stored = redis_cache.dbsize()
    with django_assert_num_queries(0):
        again = client.get("/therapies/?q=zol&modality=&sort=name")
    assert again.status_code == 200
    assert again.content == first.content
    assert redis_cache.dbsize() == stored


def test_view_sees_only_the_canonical_query(client, settings):
    settings.ROOT_URLCONF = __name__
    assert client.get("/declared/?q=x&q=y&z=&w=1")["Location"] == "/declared/?q=x&q=y"
    assert client.get("/declared/?q=x").content == b"reads whatever it likes: ['q']"


def test_pages_of_views_that_declare_no_parameters_are_not_cached_with_a_query(
    client, redis_cache, settings
):
    settings.ROOT_URLCONF = __name__
    stored = redis_cache.dbsize()
    for n in range(5):
        assert client.get(f"/undeclared/?n={n}").status_code == 200
    assert redis_cache.dbsize() == stored
    client.get("/undeclared/")
    assert redis_cache.dbsize() > stored


@pytest.fixture
def limited(settings):
    # django-ratelimit counts in fixed windows, and a window that ends in the middle of a
    # test restarts the count (it failed in CI so). A window of one address ends at the same
    # moment of every period (for 127.0.0.1 and a day, 08:30:33 UTC), so a longer period
    # only makes that rarer: the clock stands still while the test counts.
    settings.EXPENSIVE_RATE = "5/d"
    with time_machine.travel(time.time(), tick=False):
        yield


def test_searches_over_the_limit_get_429_with_retry_after(client, limited, redis_cache):
    make_therapy(name="Kymriah")
    statuses = [client.get(f"/search/?q=k{n}").status_code for n in range(8)]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 3
    refused = client.get("/search/?q=kym")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 24 * 60 * 60
    assert b"Too many requests" in refused.content


def test_cached_pages_and_other_clients_are_not_limited(client, limited, redis_cache):
    therapy = make_therapy()
    assert client.get("/therapies/?sort=name").status_code == 200  # rendered, then cached
    for n in range(5):
        client.get(f"/therapies/?q=t{n}")
    assert client.get("/therapies/?q=another").status_code == 429
    # The same client still gets cached and uncounted pages.
    assert client.get("/therapies/?sort=name").status_code == 200
    assert client.get("/therapies/").status_code == 200
    assert client.get(therapy.get_absolute_url()).status_code == 200
    # Another address has its own allowance.
    assert client.get("/therapies/?q=other", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_exports_and_filtered_lists_count_towards_the_limit(client, limited, redis_cache):
    make_therapy()
    for n, kind in enumerate(("csv", "json", "csv", "json", "csv")):
        assert client.get(f"/therapies/?format={kind}&q={n}").status_code == 200
    assert client.get("/conditions/?format=csv").status_code == 429


def test_staff_are_not_limited(client, limited, redis_cache):
    client.force_login(make_user(is_staff=True))
    for n in range(8):
        assert client.get(f"/search/?q=s{n}").status_code == 200


def test_limit_lets_requests_through_while_the_cache_is_down(client, limited, settings):
    server = private_redis()  # never started: refuses connections
    settings.CACHES = {
        "default": {
            "BACKEND": "genetx.redis_cache.FailSoftRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
        }
    }
    for n in range(8):
        assert client.get(f"/search/?q=d{n}").status_code == 200
