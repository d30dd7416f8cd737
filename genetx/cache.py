"""Whole-page caching for anonymous readers, invalidated by a content version.

Every cached page is stored with the content version it was rendered at, a random token kept
in the cache, and is served only while that version is current. Any write to a content model
replaces the token, so every page cached before the write is ignored at once and rewritten or
expired later: a reader never sees a page older than the last save. The same version feeds
the ETag, so a browser that already holds the current page gets a 304 before any view code
or SQL runs.

The version lives in Django's default cache. With Redis (REDIS_URL) it is shared by every
worker and server. The local-memory cache is per process: fine for one process (runserver,
tests), but with several workers a save seen by one worker is not seen by the others, so
production with more than one worker must set REDIS_URL or turn the page cache off
(GENETX_PAGE_CACHE=0).

A cache that fails (genetx.redis_cache) answers every read as a miss and drops writes, so
pages are rendered uncached; a content-version change that could not be stored is retried
by this process on its next request, so pages cached before an outage are not served after
it.
"""

import functools
import hashlib
import logging
import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.http import (
    HttpResponse,
    HttpResponseNotModified,
    HttpResponsePermanentRedirect,
    QueryDict,
)
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import cc_delim_re, patch_vary_headers
from django.utils.http import parse_etags, urlencode

from .i18n import language_of_path

VERSION_KEY = "genetx:content-version"
# When the version last changed (seconds since the epoch): the API's Last-Modified.
CHANGED_AT_KEY = "genetx:content-changed-at"
# The apps whose models are published content: a write to any of their models (including
# through tables and history rows) changes what some public page shows.
CONTENT_APPS = {"genetx", "therapies", "hospitals", "sources"}
# Models of those apps that no public page shows: the replicas' change counter and import
# jobs (whose progress is saved every few rows).
BOOKKEEPING = {"genetx.contentchange", "genetx.importjob"}
# Request headers a cached page may vary on: Cookie is covered by serving anonymous readers
# only; Accept-Encoding is part of the key. A response varying on anything else is not cached.
ALLOWED_VARY = {"cookie", "accept-encoding"}

logger = logging.getLogger(__name__)
# Set when this process changed content but could not store the new version (the cache was
# down); the next request retries before it reads any page.
_bump_pending = False


def _cache():
    return caches[getattr(settings, "PAGE_CACHE_ALIAS", "default")]


def content_version() -> str:
    """The current content version, created on first use."""
    cache = _cache()
    version = cache.get(VERSION_KEY)
    if version is None:
        # add() so that two workers starting together agree on one version.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or uuid.uuid4().hex
    return version


def content_changed_at() -> float:
    """When content last changed, in seconds since the epoch.

    When the cache has lost the time (a restart of a local-memory cache, an evicted key),
    now is recorded: a later time than the truth is safe (clients fetch again), an earlier
    one would not be.
    """
    cache = _cache()
    stamp = cache.get(CHANGED_AT_KEY)
    if stamp is None:
        cache.add(CHANGED_AT_KEY, time.time(), timeout=None)
        stamp = cache.get(CHANGED_AT_KEY) or time.time()
    return stamp


def bump_content_version(using: str = "default") -> None:
    """Make every cached page and ETag stale, now and again when the current transaction on
    `using` commits (at once outside one); call it after writes that send no signals
    (QuerySet.update(), bulk_create).

    Now, so the writing request sees its own change; at commit, so a page rendered from the
    old rows while the transaction was open is never stored under the version readers use
    afterwards. At commit the change is also counted in the database (ContentChange), which
    tells the replica router which replicas hold it.
    """
    store_new_version()
    connection = connections[using]
    if connection.in_atomic_block and any(
        callback is _change_committed for _, callback, _ in connection.run_on_commit
    ):
        # One commit-time bump per transaction, however many rows it writes.
        return
    transaction.on_commit(_change_committed, using=using)


def _change_committed() -> None:
    record_content_change()
    store_new_version()


def record_content_change() -> None:
    """Count a committed content change on the primary (see genetx.routers)."""
    from .models import ContentChange

    try:
        counter = ContentChange.objects.using("default")
        if not counter.filter(pk=1).update(seq=F("seq") + 1, changed_at=timezone.now()):
            counter.get_or_create(pk=1, defaults={"seq": 1, "changed_at": timezone.now()})
    except DatabaseError:
        # The change itself is committed; replicas are then skipped until the next one.
        logger.exception("Could not count a content change.")


def store_new_version() -> None:
    """Replace the content version with a fresh random token (which cannot repeat an old
    one, even after the cache lost the previous token).

    Never raises: a write must save even when the cache is down. A change the cache did not
    take is logged and retried by retry_pending_bump() on this process's next request.
    """
    global _bump_pending
    try:
        # Django's set_many() returns the keys it failed to store.
        stored = not _cache().set_many(
            {VERSION_KEY: uuid.uuid4().hex, CHANGED_AT_KEY: time.time()}, timeout=None
        )
    except Exception:
        # Any other backend's failure: the save that called this must still succeed.
        logger.exception("Could not change the content version; will retry.")
        stored = False
    if not stored and not _bump_pending:
        logger.warning("Content version not changed (cache unavailable); will retry.")
    _bump_pending = not stored


def retry_pending_bump() -> None:
    """Store a content-version change an earlier outage kept from the cache (cheap when none
    is pending, and while the cache is still failing)."""
    if _bump_pending:
        store_new_version()


def content_changed(sender, **kwargs) -> None:
    """Signal receiver for post_save, post_delete and m2m_changed on content models.

    Signals, not explicit calls, because every write path must invalidate: the admin, the
    importers, fixtures, services and the shell.
    """
    if sender._meta.app_label not in CONTENT_APPS or sender._meta.label_lower in BOOKKEEPING:
        return
    # Pending revisions are kept apart from what readers see: saving one changes no page.
    if getattr(sender, "page_cache_exempt", False):
        return
    if kwargs.get("action", "post_").startswith("pre_"):
        return
    bump_content_version(using=kwargs.get("using") or "default")


def _accepts_gzip(request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "")


def query_params(*names: str):
    """Declare the query parameters a function view reads (see CanonicalQueryMiddleware);
    returns a wrapper, leaving the function itself untouched."""

    def declare(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        wrapper.cache_query_params = frozenset(names)
        return wrapper

    return declare


def declared_query_params(request) -> frozenset | None:
    """The query parameters the view at request.path reads, or None if it does not say.

    A view says with `cache_query_params`: a set, or a classmethod giving one (a list view
    derives it from its filters).
    """
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    view = getattr(match.func, "view_class", match.func)
    declared = getattr(view, "cache_query_params", None)
    return (
        frozenset(declared() if callable(declared) else declared) if declared is not None else None
    )


class CanonicalQueryMiddleware:
    """One URL per page, so random query parameters cannot force renders or fill the cache.

    For a view that declares the parameters it reads: a GET or HEAD with any other
    parameter is redirected (301) to the same URL without it; the declared ones are put in
    a fixed order with empty values dropped, and the view sees only that canonical query.
    Views that declare nothing keep their query string, and the page cache does not store
    their pages when one is present.
    """

    # Long enough to spare repeat redirects, short enough that a parameter a later release
    # starts to read is not redirected away by browsers for long.
    REDIRECT_MAX_AGE = 3600

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in {"GET", "HEAD"} and request.META.get("QUERY_STRING"):
            known = declared_query_params(request)
            if known is not None:
                pairs = [
                    (name, value)
                    for name in sorted(request.GET)
                    if name in known
                    for value in request.GET.getlist(name)
                    if value != ""
                ]
                query = urlencode(pairs)
                if any(name not in known for name in request.GET):
                    response = HttpResponsePermanentRedirect(
                        request.path + ("?" + query if query else "")
                    )
                    response["Cache-Control"] = f"max-age={self.REDIRECT_MAX_AGE}"
                    return response
                request.META["QUERY_STRING"] = query
                request.GET = QueryDict(query)
                request.canonical_query = True
        return self.get_response(request)


def page_identity(request) -> str | None:
    """What makes two requests the same page: the one place a cached page's key is built
    (language, for instance, belongs here). None for a request whose query string is not
    canonical (see CanonicalQueryMiddleware): such pages are not cached."""
    query = request.META.get("QUERY_STRING", "")
    if query and not getattr(request, "canonical_query", False):
        return None
    return "|".join(
        (
            request.scheme,
            request.get_host(),
            request.path,
            # The language is a function of the path today (genetx.i18n), but a page in
            # one language must never answer for another, whatever decides it later.
            language_of_path(request.path_info),
            query,
            "gzip" if _accepts_gzip(request) else "",
        )
    )


class AnonymousPageCacheMiddleware:
    """Serve and store whole public pages for anonymous readers, with ETags and 304s.

    Sits after AuthenticationMiddleware (it needs request.user) and before the middleware
    that adds headers a cached page must carry, so a stored page has them already.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = getattr(settings, "PAGE_CACHE_ENABLED", True)
        self.timeout = getattr(settings, "PAGE_CACHE_SECONDS", 600)
        self.excluded = tuple(
            getattr(settings, "PAGE_CACHE_EXCLUDE", ["/" + settings.ADMIN_URL, "/healthz"])
        )

    def __call__(self, request):
        retry_pending_bump()
        if not self._applies(request):
            return self.get_response(request)
        identity = page_identity(request)
        if identity is None:
            return self.get_response(request)
        cache = _cache()
        key = "genetx:page:" + hashlib.sha256(identity.encode()).hexdigest()
        # One round trip for both the version and the page: the page is stored with the
        # version it was rendered at and only served while that version is current.
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or content_version()
        etag = '"' + hashlib.sha256(f"{version}|{identity}".encode()).hexdigest()[:32] + '"'
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            return self._not_modified(etag)
        stored = found.get(key)
        if stored is not None and stored["version"] == version:
            return self._rebuild(stored)
        response = self.get_response(request)
        if request.method == "GET" and self._storable(request, response):
            response["ETag"] = etag
            if not response.has_header("Cache-Control"):
                # Browsers and shared caches may keep the page but must ask again each
                # time; the ETag makes that question cheap.
                response["Cache-Control"] = "no-cache"
            patch_vary_headers(response, ["Cookie"])
            cache.set(key, self._freeze(response, version), self.timeout)
        return response

    def _applies(self, request) -> bool:
        if not self.enabled or request.method not in {"GET", "HEAD"}:
            return False
        if request.path.startswith(self.excluded):
            return False
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            return False
        # A pending message is meant for this reader alone.
        return "messages" not in request.COOKIES

    def _storable(self, request, response) -> bool:
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        # Middleware outside this one may still add a cookie: the CSRF token a form used,
        # or a session the view wrote to. A page carrying either is personal.
        if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            return False
        session = getattr(request, "session", None)
        if session is not None and session.modified:
            return False
        cache_control = response.get("Cache-Control", "").lower()
        if "private" in cache_control or "no-store" in cache_control:
            return False
        vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v}
        return vary <= ALLOWED_VARY

    @staticmethod
    def _freeze(response, version: str) -> dict:
        return {
            "version": version,
            "content": response.content,
            "headers": dict(response.headers),
        }

    @staticmethod
    def _rebuild(stored: dict) -> HttpResponse:
        response = HttpResponse(stored["content"])
        for name, value in stored["headers"].items():
            response[name] = value
        return response

    @staticmethod
    def _not_modified(etag: str) -> HttpResponse:
        response = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = "no-cache"
        patch_vary_headers(response, ["Cookie"])
        return response
