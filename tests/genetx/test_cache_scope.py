"""What one save invalidates, on a real Redis: the pages that show the record (its own page,
pages citing it, lists, search, home, feed), not every page of the site.

A detail page is stored with the content rows it read; a save logs the row it wrote and
the rows that row points to. Unrelated detail pages stay cache hits (no SQL at all).
"""

import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from genetx import cache as page_cache
from tests.factories import make_claim, make_source, make_therapy
from tests.parts import redis_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_pages():
    caches = {
        "default": {
            "BACKEND": "genetx.redis_cache.FailSoftRedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": "scope",
        }
    }
    with override_settings(CACHES=caches, PAGE_CACHE_ENABLED=True):
        from django.core.cache import cache

        cache.clear()
        yield
        cache.clear()


@pytest.fixture(autouse=True)
def english():
    # URLs are built once per test in one language (another test may leave one active).
    with translation.override(settings.LANGUAGE_CODE):
        yield


def two_therapies():
    alpha_source, beta_source = make_source(title="Alpha trial"), make_source(title="Beta trial")
    alpha = make_therapy(name="Alphagene", slug="alphagene")
    beta = make_therapy(name="Betagene", slug="betagene")
    make_claim(
        therapy=alpha, statement="Alphagene was given to 12 patients.", sources=[alpha_source]
    )
    make_claim(therapy=beta, statement="Betagene was given to 7 patients.", sources=[beta_source])
    return alpha, beta, alpha_source, beta_source


def hit(client, url, django_assert_num_queries):
    """The page, asserting that it came from the cache (no SQL ran)."""
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 200
    return response


def test_a_save_leaves_unrelated_detail_pages_cached_and_refreshes_the_rest(
    client, redis_pages, django_assert_num_queries
):
    alpha, beta, _, _ = two_therapies()
    site_pages = ["/", "/therapies/", "/search/?q=Alphagene", "/feed.atom"]
    for url in [alpha.get_absolute_url(), beta.get_absolute_url(), *site_pages]:
        assert client.get(url).status_code == 200
    hit(client, beta.get_absolute_url(), django_assert_num_queries)
    hit(client, "/therapies/", django_assert_num_queries)

    alpha.name = "Alphagene renamed"
    alpha.save()

    # The unrelated therapy's page is still served from the cache.
    hit(client, beta.get_absolute_url(), django_assert_num_queries)
    # The record's own page, lists, search, home and feed are rendered afresh.
    for url in [alpha.get_absolute_url(), *site_pages]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert len(queries) > 0, f"{url} was served from the cache after the save"
        if url != "/":  # the home page shows figures and updates, not every name
            assert b"Alphagene renamed" in response.content, url


def test_editing_a_source_refreshes_the_pages_citing_it_only(
    client, redis_pages, django_assert_num_queries
):
    alpha, beta, alpha_source, _ = two_therapies()
    for therapy in (alpha, beta):
        client.get(therapy.get_absolute_url())
    alpha_source.title = "Alpha trial, final report"
    alpha_source.save()
    hit(client, beta.get_absolute_url(), django_assert_num_queries)
    assert b"Alpha trial, final report" in client.get(alpha.get_absolute_url()).content


def test_a_new_claim_refreshes_the_page_of_its_therapy(
    client, redis_pages, django_assert_num_queries
):
    alpha, beta, _, _ = two_therapies()
    for therapy in (alpha, beta):
        client.get(therapy.get_absolute_url())
    make_claim(therapy=alpha, statement="Alphagene reached a second hospital.")
    hit(client, beta.get_absolute_url(), django_assert_num_queries)
    assert b"reached a second hospital" in client.get(alpha.get_absolute_url()).content


def test_a_write_without_signals_makes_every_page_stale(client, redis_pages):
    alpha, beta, _, _ = two_therapies()
    client.get(beta.get_absolute_url())
    type(beta).objects.filter(pk=beta.pk).update(name="Betagene bulk")
    page_cache.bump_content_version()  # what QuerySet.update() callers must do
    assert b"Betagene bulk" in client.get(beta.get_absolute_url()).content


class _Clock:
    """The time module as genetx.cache sees it, with a monotonic clock the test moves: on
    the real clock, a busy machine pausing the test for a second between marking the
    change log read and the next request would let the bound pass before that request."""

    def __init__(self):
        self.now = time.monotonic()

    def monotonic(self) -> float:
        return self.now

    def __getattr__(self, name):
        return getattr(time, name)


def test_another_process_change_reaches_readers_within_the_staleness_bound(
    client, redis_pages, settings, monkeypatch
):
    """Production reads the change log at most once a second (CONTENT_VERSION_STALENESS):
    a save made by another worker is served stale for at most that long."""
    settings.CONTENT_VERSION_STALENESS = 1.0
    clock = _Clock()
    monkeypatch.setattr(page_cache, "time", clock)
    _, beta, _, _ = two_therapies()
    url = beta.get_absolute_url()
    client.get(url)
    type(beta).objects.filter(pk=beta.pk).update(name="Betagene elsewhere")
    # What another process's save stores: the change and its record, nothing in this
    # process's memory.
    from django.core.cache import cache

    assert page_cache._log_change(cache, {f"therapies.therapy:{beta.pk}"})
    page_cache.changes.checked = clock.now  # as if just refreshed
    assert b"Betagene elsewhere" not in client.get(url).content
    clock.now += 0.9
    assert b"Betagene elsewhere" not in client.get(url).content
    clock.now += 0.1
    assert b"Betagene elsewhere" in client.get(url).content


def test_pages_are_rendered_uncached_while_a_change_is_pending(client, redis_pages):
    """A change the cache did not take (an outage) must not leave stale pages served."""
    _, beta, _, _ = two_therapies()
    url = beta.get_absolute_url()
    client.get(url)
    type(beta).objects.filter(pk=beta.pk).update(name="Betagene pending")
    page_cache._bump_pending = True
    page_cache._pending_tags = {f"therapies.therapy:{beta.pk}"}
    try:
        assert b"Betagene pending" in client.get(url).content
    finally:
        page_cache.retry_pending_bump()
    assert not page_cache._bump_pending
    assert b"Betagene pending" in client.get(url).content


def test_list_facets_totals_and_charts_are_computed_once_per_content_version(client, redis_pages):
    """With the page cache off for the request (a filter combination not stored yet, say),
    a list still reads its facet counts, total and charts from the cache until content
    changes."""
    from tests.factories import make_modality

    gene = make_modality(name="Gene addition", slug="gene-addition")
    make_therapy(name="Alphagene", modality=gene)
    with override_settings(PAGE_CACHE_ENABLED=False):
        with CaptureQueriesContext(connection) as first:
            client.get("/therapies/")
        with CaptureQueriesContext(connection) as second:
            response = client.get("/therapies/")
        assert b"Gene addition" in response.content
        # Seven facets, the total and two charts: ten aggregate queries fewer.
        assert len(first) - len(second) >= 10
        editing = make_modality(name="Base editing", slug="base-editing")
        make_therapy(name="Betagene", modality=editing)
        response = client.get("/therapies/")
        assert b"Base editing" in response.content
        assert b"Betagene" in response.content


def test_a_source_page_follows_edits_of_the_claims_citing_it(
    client, redis_pages, django_assert_num_queries
):
    """The citing claims are rendered once per content version and the page remembers
    which rows they came from: editing one refreshes the source's page, not another's."""
    _, _, alpha_source, beta_source = two_therapies()
    claim = alpha_source.citations.get().claim
    for source in (alpha_source, beta_source):
        client.get(source.get_absolute_url())
    claim.statement = "Alphagene was given to 13 patients."
    claim.save()
    hit(client, beta_source.get_absolute_url(), django_assert_num_queries)
    assert b"given to 13 patients" in client.get(alpha_source.get_absolute_url()).content
