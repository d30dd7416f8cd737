"""The anonymous page cache: stored, invalidated on every write, bypassed for staff.

Every test runs twice: against a real Redis server (the production setup) and against the
local-memory cache (the default). The pages used are tiny views mounted only for these
tests, so the cache is tested apart from any one public page's template.
"""

import pytest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.test import override_settings
from django.urls import path

from genetx import urls as site_urls
from genetx.cache import content_version, query_params
from genetx.models import Status
from tests.factories import make_therapy, make_user
from tests.parts import redis_url
from therapies.models import Therapy

pytestmark = pytest.mark.django_db

RENDERS = []


def therapy_page(request, slug):
    """A public page: published therapies only, staff see drafts, with a render counter."""
    RENDERS.append(slug)
    therapy = get_object_or_404(Therapy.objects.visible_to(request.user), slug=slug)
    return HttpResponse(f"<h1>{therapy.name}</h1><p>{therapy.summary}</p>")


def cookie_page(request):
    response = HttpResponse("personal")
    response.set_cookie("preference", "dark")
    return response


def session_page(request):
    request.session["seen"] = True
    return HttpResponse("wrote the session")


urlpatterns = [
    path("t/<slug:slug>/", query_params("page")(therapy_page)),
    path("cookie/", cookie_page),
    path("session/", session_page),
    # The site's own patterns, not include()d: Django refuses i18n_patterns in an include.
    *site_urls.urlpatterns,
]


@pytest.fixture(params=["redis", "locmem"])
def page_cache(request, settings):
    """The cache backend under test, emptied before and after; URLs of this module."""
    if request.param == "redis":
        location = redis_url()
        backend = "genetx.redis_cache.FailSoftRedisCache"
    else:
        location = "genetx-cache-tests"
        backend = "django.core.cache.backends.locmem.LocMemCache"
    caches = {"default": {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": "test"}}
    # The test settings switch the page cache off; these tests are where it is on.
    with override_settings(CACHES=caches, ROOT_URLCONF=__name__, PAGE_CACHE_ENABLED=True):
        from django.core.cache import cache

        cache.clear()
        RENDERS.clear()
        yield request.param
        cache.clear()


def test_anonymous_page_is_served_from_cache_the_second_time(client, page_cache):
    make_therapy(slug="alpha", name="Alpha")
    first = client.get("/t/alpha/")
    second = client.get("/t/alpha/")
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert RENDERS == ["alpha"]


def test_cache_hit_runs_no_sql(client, page_cache, django_assert_num_queries):
    make_therapy(slug="alpha")
    client.get("/t/alpha/")
    with django_assert_num_queries(0):
        assert client.get("/t/alpha/").status_code == 200


def test_saving_a_record_shows_the_new_content_at_once(client, page_cache):
    therapy = make_therapy(slug="alpha", summary="Old summary.")
    assert b"Old summary." in client.get("/t/alpha/").content
    therapy.summary = "New summary."
    therapy.save()
    response = client.get("/t/alpha/")
    assert b"New summary." in response.content
    assert b"Old summary." not in response.content


def test_editing_a_related_record_invalidates_pages_about_other_records(client, page_cache):
    make_therapy(slug="alpha", summary="Alpha summary.")
    client.get("/t/alpha/")
    other = make_therapy(slug="beta")
    other.conditions.clear()
    other.delete()
    client.get("/t/alpha/")
    assert RENDERS == ["alpha", "alpha"]


def test_commit_hook_bumps_the_version(page_cache, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        therapy = make_therapy(slug="alpha")
        therapy.summary = "Changed."
        therapy.save()
        during = content_version()
    # One commit-time bump for the whole transaction, however many rows it wrote.
    assert len(callbacks) == 1
    assert content_version() != during


def test_publishing_a_draft_shows_it_and_unpublishing_hides_it(client, page_cache):
    therapy = make_therapy(slug="alpha", status=Status.DRAFT)
    assert client.get("/t/alpha/").status_code == 404
    therapy.mark_published()
    therapy.save()
    assert client.get("/t/alpha/").status_code == 200
    therapy.status = Status.ARCHIVED
    therapy.save()
    assert client.get("/t/alpha/").status_code == 404


def test_staff_preview_of_a_draft_is_never_served_to_readers(client, page_cache):
    make_therapy(slug="secret", name="Secret draft", status=Status.DRAFT)
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert b"Secret draft" in client.get("/t/secret/").content
    client.logout()
    response = client.get("/t/secret/")
    assert response.status_code == 404
    assert b"Secret draft" not in response.content


def test_logged_in_users_bypass_the_cache(client, page_cache):
    make_therapy(slug="alpha")
    client.force_login(make_user(is_staff=True))
    client.get("/t/alpha/")
    response = client.get("/t/alpha/")
    assert RENDERS == ["alpha", "alpha"]
    assert not response.has_header("ETag")


def test_reader_gets_304_for_a_matching_etag_without_rendering(client, page_cache):
    make_therapy(slug="alpha")
    etag = client.get("/t/alpha/")["ETag"]
    response = client.get("/t/alpha/", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert RENDERS == ["alpha"]


def test_etag_changes_after_an_edit(client, page_cache):
    therapy = make_therapy(slug="alpha")
    etag = client.get("/t/alpha/")["ETag"]
    therapy.save()
    response = client.get("/t/alpha/", headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_query_string_is_part_of_the_key(client, page_cache):
    make_therapy(slug="alpha")
    client.get("/t/alpha/?page=1")
    client.get("/t/alpha/?page=2")
    assert RENDERS == ["alpha", "alpha"]


def test_cached_page_varies_on_cookie(client, page_cache):
    make_therapy(slug="alpha")
    client.get("/t/alpha/")
    assert "Cookie" in client.get("/t/alpha/")["Vary"]


def test_admin_pages_are_never_cached(client, page_cache):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    client.get("/admin/")
    client.logout()
    first = client.get("/admin/login/")
    client.get("/admin/login/")
    assert not first.has_header("ETag")
    assert first.status_code == 200


def test_not_found_is_not_cached(client, page_cache):
    client.get("/t/missing/")
    client.get("/t/missing/")
    assert RENDERS == ["missing", "missing"]


def test_response_setting_a_cookie_is_not_cached(client, page_cache):
    first = client.get("/cookie/")
    second = client.get("/cookie/")
    assert "preference" in first.cookies and "preference" in second.cookies
    assert not first.has_header("ETag")


def test_response_writing_the_session_is_not_cached(client, page_cache):
    assert not client.get("/session/").has_header("ETag")


def test_post_is_not_cached_nor_answered_from_cache(client, page_cache):
    make_therapy(slug="alpha")
    client.get("/t/alpha/")
    client.post("/t/alpha/")
    assert RENDERS == ["alpha", "alpha"]


def test_health_check_is_never_cached(client, page_cache):
    client.get("/healthz")
    assert not client.get("/healthz").has_header("ETag")


def test_head_is_answered_from_the_page_a_get_cached(client, page_cache):
    make_therapy(slug="alpha")
    client.get("/t/alpha/")
    assert client.head("/t/alpha/").status_code == 200
    assert RENDERS == ["alpha"]


def test_cached_page_keeps_the_security_headers_of_the_first_response(client, page_cache):
    make_therapy(slug="alpha")
    first = client.get("/t/alpha/")
    second = client.get("/t/alpha/")
    assert second["X-Frame-Options"] == first["X-Frame-Options"] == "DENY"
    assert second["ETag"] == first["ETag"]


def test_a_page_cached_before_an_edit_is_not_served_after_it(client, page_cache, settings):
    """Even when the page is still stored, its version is checked on every hit."""
    therapy = make_therapy(slug="alpha", name="Before")
    client.get("/t/alpha/")
    Therapy.objects.filter(pk=therapy.pk).update(name="After")  # no signal: page stays
    assert b"Before" in client.get("/t/alpha/").content
    therapy.refresh_from_db()
    therapy.save()  # a signalled save changes the version
    assert b"After" in client.get("/t/alpha/").content


def test_a_page_in_one_language_is_never_served_for_another(client, page_cache):
    make_therapy(slug="alpha", name="Alpha")
    english = client.get("/therapies/alpha/")
    assert client.get("/therapies/alpha/").content == english.content  # now a cache hit
    spanish = client.get("/es/therapies/alpha/")
    assert spanish.status_code == 200
    assert '<html lang="es">' in spanish.content.decode()
    assert '<html lang="en">' in english.content.decode()
    # And the other way round: a cached Spanish page never answers for English.
    assert client.get("/es/therapies/alpha/").content == spanish.content
    assert '<html lang="en">' in client.get("/therapies/alpha/").content.decode()


def test_the_page_key_names_the_language(rf):
    from genetx.cache import page_identity

    assert "|en|" in page_identity(rf.get("/therapies/"))
    assert "|es|" in page_identity(rf.get("/es/therapies/"))
