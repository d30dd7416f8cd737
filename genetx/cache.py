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

import contextvars
import functools
import hashlib
import logging
import pickle
import threading
import time
import uuid
from collections import OrderedDict

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import DatabaseError, connections, transaction
from django.db.models import F
from django.http import (
    HttpResponse,
    HttpResponseNotModified,
    HttpResponsePermanentRedirect,
    JsonResponse,
    QueryDict,
)
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import cc_delim_re, patch_vary_headers
from django.utils.http import parse_etags, urlencode
from django.utils.translation import get_language

from .i18n import is_api_path, language_of_path
from .links import current_urlconf

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

# Content changes are also numbered: SEQ_KEY counts them and LOG_KEY % n names the records
# change n touched ("therapies.therapy:12", and the records it points to), so a page that
# shows only some records stays valid when others change. See ContentChanges.
SEQ_KEY = "genetx:content-seq"
LOG_KEY = "genetx:content-log:%d"
# How long the log of one change is kept, and the most changes a process catches up on one
# by one; a process further behind treats every page as stale (never a stale page served).
LOG_SECONDS = 86_400
LOG_WINDOW = 1_000
# Records that changed, remembered per process, before it starts again from "all stale".
MAX_TAGS = 50_000

logger = logging.getLogger(__name__)
# Set when this process changed content but could not store the new version (the cache was
# down); the next request retries before it reads any page.
_bump_pending = False
# The records those pending changes touched (None: unknown, so every page).
_pending_tags: set | None = set()


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
    known = changes.current() if not _bump_pending else None
    if known is not None and known.changed_at is not None:
        # Read with the change counter, at most once per CONTENT_VERSION_STALENESS: an API
        # answer from this process's pages then makes no round trip to the cache.
        return known.changed_at
    return _read_changed_at(_cache())


def _read_changed_at(cache, stamp: float | None = None) -> float:
    if stamp is None:
        stamp = cache.get(CHANGED_AT_KEY)
    if stamp is None:
        cache.add(CHANGED_AT_KEY, time.time(), timeout=None)
        stamp = cache.get(CHANGED_AT_KEY) or time.time()
    return stamp


def bump_content_version(using: str = "default", tags=None) -> None:
    """Make cached pages and ETags stale, now and again when the current transaction on
    `using` commits (at once outside one); call it after writes that send no signals
    (QuerySet.update(), bulk_create).

    `tags` names the records written ("app.model:pk", see tags_of()): pages that showed
    none of them stay cached. None, the default, means any record: every page is stale.
    Lists, search, the home page and feeds are stale after any change.

    Now, so the writing request sees its own change; at commit, so a page rendered from the
    old rows while the transaction was open is never stored under the version readers use
    afterwards. At commit the change is also counted in the database (ContentChange), which
    tells the replica router which replicas hold it.
    """
    tags = None if tags is None else set(tags)
    store_new_version(tags)
    connection = connections[using]
    if connection.in_atomic_block:
        for _, callback, _ in connection.run_on_commit:
            if isinstance(callback, _CommitBump):
                # One commit-time bump per transaction, however many rows it writes.
                callback.add(tags)
                return
    transaction.on_commit(_CommitBump(tags), using=using)


class _CommitBump:
    """The commit-time change of a transaction, with every record it wrote."""

    def __init__(self, tags):
        self.tags = tags

    def add(self, tags) -> None:
        self.tags = None if tags is None or self.tags is None else self.tags | tags

    def __call__(self) -> None:
        record_content_change()
        store_new_version(self.tags)


def tags_of(instance) -> set[str]:
    """The cache tags a write to this row touches: the row, and every row it points to (a
    new claim changes its therapy's page, a new citation its claim's and source's)."""
    tags = {_tag(instance._meta.label_lower, instance.pk)}
    for field in instance._meta.concrete_fields:
        if field.many_to_one or field.one_to_one:
            value = getattr(instance, field.attname)
            if value is not None:
                tags.add(_tag(field.related_model._meta.label_lower, value))
    return tags


def _tag(label: str, pk) -> str:
    return f"{label}:{pk}"


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


def store_new_version(tags=None) -> None:
    """Replace the content version with a fresh random token (which cannot repeat an old
    one, even after the cache lost the previous token), and log the change with the records
    it touched (`tags`, None for all).

    Never raises: a write must save even when the cache is down. A change the cache did not
    take is logged and retried by retry_pending_bump() on this process's next request.
    """
    global _bump_pending, _pending_tags
    if _bump_pending:
        tags = None if tags is None or _pending_tags is None else set(tags) | _pending_tags
    try:
        cache = _cache()
        # Django's set_many() returns the keys it failed to store.
        stored = not cache.set_many(
            {VERSION_KEY: uuid.uuid4().hex, CHANGED_AT_KEY: time.time()}, timeout=None
        )
        stored = stored and _log_change(cache, tags)
    except Exception:
        # Any other backend's failure: the save that called this must still succeed.
        logger.exception("Could not change the content version; will retry.")
        stored = False
    if not stored and not _bump_pending:
        logger.warning("Content version not changed (cache unavailable); will retry.")
    _bump_pending = not stored
    _pending_tags = set() if stored else (None if tags is None else set(tags))
    # This process reads the log again before its next page, so it sees its own change at
    # once; other processes within CONTENT_VERSION_STALENESS.
    changes.expire()


def _first_seq() -> int:
    """A starting number above any a lost counter can have reached (microseconds now)."""
    return time.time_ns() // 1000


def _log_change(cache, tags) -> bool:
    """Number the change and log its tags; False when the cache did not take it."""
    try:
        seq = cache.incr(SEQ_KEY)
    except ValueError:  # no counter yet, or the cache lost it
        cache.add(SEQ_KEY, _first_seq(), timeout=None)
        try:
            seq = cache.incr(SEQ_KEY)
        except ValueError:
            return False
    if seq is None:  # the fail-soft backend's answer while Redis is down
        return False
    entry = ["*"] if tags is None else sorted(tags)
    return cache.set(LOG_KEY % seq, entry, LOG_SECONDS) is not False


class ContentChanges:
    """This process's knowledge of content changes, read from the cache at most every
    CONTENT_VERSION_STALENESS seconds (1 by default) instead of on every request.

    `seq` is the number of the last change known, `floor` the number below which every
    page is stale, `tags` the last change of each record changed since the floor. A page is
    stamped with the `seq` known when its rendering began; it is fresh while no change after
    its stamp touched it (a list, search or home page: no change at all after it). Another
    process's save therefore reaches this one's readers within the staleness bound; this
    process's own saves at once.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.forget()

    def forget(self) -> None:
        self.seq: int | None = None
        self.floor = 0
        self.tags: dict[str, int] = {}
        # The newest change in `tags` (or the floor): a page stamped at or after it is
        # fresh without looking at each of its records.
        self.newest_tagged = 0
        # When content last changed (content_changed_at()), read with `seq`.
        self.changed_at: float | None = None
        self.checked = 0.0

    def expire(self) -> None:
        self.checked = 0.0

    def current(self) -> "ContentChanges | None":
        """Refreshed if due; None when the cache cannot say (down), so nothing cached may
        be served."""
        staleness = getattr(settings, "CONTENT_VERSION_STALENESS", 1.0)
        now = time.monotonic()
        if self.seq is not None and now - self.checked < staleness:
            return self
        cache = _cache()
        read = cache.get_many([SEQ_KEY, CHANGED_AT_KEY])
        seq = read.get(SEQ_KEY)
        if seq is None:
            # A new or restarted cache: start both the counter and the version token.
            cache.add(SEQ_KEY, _first_seq(), timeout=None)
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            seq = cache.get(SEQ_KEY)
            if seq is None:
                self.seq = None
                return None
        changed_at = _read_changed_at(cache, read.get(CHANGED_AT_KEY))
        with self.lock:
            if self.seq is None or seq < self.seq or seq - self.seq > LOG_WINDOW:
                self.floor, self.tags = seq, {}
            elif seq > self.seq:
                numbers = range(self.seq + 1, seq + 1)
                found = cache.get_many([LOG_KEY % n for n in numbers])
                for n in numbers:
                    entry = found.get(LOG_KEY % n)
                    if entry is None or "*" in entry:
                        # Unknown (not logged yet, expired) or every record: all stale.
                        self.floor, self.tags = n, {}
                    else:
                        for tag in entry:
                            self.tags[tag] = n
                if len(self.tags) > MAX_TAGS:
                    self.floor, self.tags = seq, {}
            self.newest_tagged = max(self.tags.values(), default=self.floor)
            self.seq = seq
            self.changed_at = changed_at
            self.checked = now
        return self

    def fresh(self, stamp: int, tags) -> bool:
        """Whether a page stamped `stamp`, showing the records `tags` (None: a page that
        depends on everything), is still what it would be rendered as now."""
        if self.seq is None or stamp < self.floor:
            return False
        if tags is None:
            return stamp >= self.seq
        if stamp >= self.newest_tagged:
            # No record changed after the page was rendered: the common case for a hit,
            # decided without reading the page's (sometimes hundreds of) records.
            return True
        changed = self.tags
        return all(changed.get(tag, 0) <= stamp for tag in tags)


changes = ContentChanges()


def _forget_on_settings_change(setting, **kwargs) -> None:
    # Tests swap cache backends: what this process knew belongs to the old one.
    if setting in {"CACHES", "PAGE_CACHE_ENABLED", "CONTENT_VERSION_STALENESS"}:
        changes.forget()
        local_pages.clear()
    if setting == "ROOT_URLCONF":
        _declared_for_path.cache_clear()


setting_changed.connect(_forget_on_settings_change)


def forget_local_state() -> None:
    """Drop what this process keeps besides the shared cache (tests empty the cache)."""
    changes.forget()
    local_pages.clear()


def _computed_with_rows(compute) -> tuple:
    """compute()'s result and the content rows it read (see note_shown). A value kept per
    content version is kept with them, so a detail page built from it still depends on
    them (see AnonymousPageCacheMiddleware)."""
    rows = set()
    token = _shown.set(rows)
    try:
        return compute(), frozenset(rows)
    finally:
        _shown.reset(token)


def per_version(name: str, parts, compute):
    """compute()'s result, computed once per content version and kept in the cache: the
    facet counts of a list, the home page's figures, a search's counts.

    The key holds the change number, the language and `parts` (a filter combination, a
    record); any content change makes a new key, so a value is never older than the last
    change this process knows (CONTENT_VERSION_STALENESS). With the cache down, computed
    every time.
    """
    known = changes.current() if not _bump_pending else None
    if known is None:
        return compute()
    raw = f"{name}|{known.seq}|{get_language()}|{parts!r}"
    key = "genetx:pv:" + hashlib.sha256(raw.encode()).hexdigest()
    cache = _cache()
    shown = _shown.get()
    stored = cache.get(key)
    if stored is not None:
        value, rows = stored
    else:
        value, rows = _computed_with_rows(compute)
        try:
            cache.set(key, (value, rows), getattr(settings, "PAGE_CACHE_SECONDS", 600))
        except (pickle.PicklingError, TypeError, AttributeError):
            # A value that cannot be stored (a lazy translation inside, say) costs speed,
            # never the page.
            logger.exception("Could not keep %s per content version.", name)
    if shown is not None:
        shown.update(rows)
    return value


def per_record(name: str, pks: list, render) -> list:
    """The value of each record in `pks`, in order, computed once per content version and
    kept in the cache one record at a time: a list's row, drawn once and then shared by
    every page, filter combination and sort that shows the record.

    render(missing_pks) gives {pk: value} for the records the cache does not hold, in one
    go (one query for all of them). One cache round trip reads them all. As with
    per_version, a content change makes new keys; with the cache down, all are rendered.
    """
    known = changes.current() if not _bump_pending else None
    if known is None:
        values = render(pks)
        return [values[pk] for pk in pks if pk in values]
    prefix = f"genetx:pr:{name}|{known.seq}|{get_language()}|"
    cache = _cache()
    shown = _shown.get()
    stored = cache.get_many([f"{prefix}{pk}" for pk in pks])
    values, rows = {}, set()
    for pk in pks:
        if (pair := stored.get(f"{prefix}{pk}")) is not None:
            values[pk] = pair[0]
            rows |= pair[1]
    missing = [pk for pk in pks if pk not in values]
    if missing:
        # Each value is kept with all the rows read to render the batch.
        rendered, read = _computed_with_rows(lambda: render(missing))
        cache.set_many(
            {f"{prefix}{pk}": (value, read) for pk, value in rendered.items()},
            getattr(settings, "PAGE_CACHE_SECONDS", 600),
        )
        values.update(rendered)
        rows |= read
    if shown is not None:
        shown.update(rows)
    # A record gone between the two reads (unpublished meanwhile) is left out.
    return [values[pk] for pk in pks if pk in values]


def retry_pending_bump() -> None:
    """Store a content change an earlier outage kept from the cache (cheap when none is
    pending, and while the cache is still failing)."""
    if _bump_pending:
        store_new_version(set())


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
    action = kwargs.get("action", "post_")
    if action.startswith("pre_"):
        return
    instance = kwargs["instance"]
    tags = tags_of(instance)
    if action != "post_":  # m2m_changed: both sides of each link
        label = kwargs["model"]._meta.label_lower
        tags |= {_tag(label, pk) for pk in kwargs.get("pk_set") or ()}
    bump_content_version(using=kwargs.get("using") or "default", tags=tags)


# The records a page showed, collected while it renders (see AnonymousPageCacheMiddleware).
_shown: contextvars.ContextVar[set | None] = contextvars.ContextVar("genetx_shown", default=None)


def note_shown(sender, instance, **kwargs) -> None:
    """post_init receiver: remember each content row read while a page renders."""
    shown = _shown.get()
    if shown is not None and instance.pk is not None:
        label = sender._meta.label_lower
        if sender._meta.app_label in CONTENT_APPS:
            shown.add(_tag(label, instance.pk))


def depends_only_on_shown_records(request) -> None:
    """Called by a detail view: its page shows only the rows it reads (no list, count or
    search across the site), so it stays cached until one of those rows changes."""
    request.genetx_scoped_page = True


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
    return _declared_for_path(request.path_info, current_urlconf())


# Every request with a query string asks, before the page cache can answer: resolving the
# path again each time cost a cached filtered list about a tenth of its speed. Bounded, as
# paths come from readers.
@functools.lru_cache(maxsize=4096)
def _declared_for_path(path: str, urlconf) -> frozenset | None:
    try:
        match = resolve(path, urlconf)
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
    their pages when one is present. API operations declare theirs too (from their query
    schemas) but answer an unknown parameter with a 400 (see _api).
    """

    # Long enough to spare repeat redirects, short enough that a parameter a later release
    # starts to read is not redirected away by browsers for long.
    REDIRECT_MAX_AGE = 3600

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in {"GET", "HEAD"} and request.META.get("QUERY_STRING"):
            known = declared_query_params(request)
            if known is not None and is_api_path(request.path_info):
                return self._api(request, known)
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
                self._use(request, query)
        return self.get_response(request)

    @staticmethod
    def _use(request, query: str) -> None:
        """The view, and the page cache's key, see only this canonical query."""
        request.META["QUERY_STRING"] = query
        request.GET = QueryDict(query)
        request.canonical_query = True

    def _api(self, request, known: frozenset):
        """The API refuses a parameter its operation does not read (a JSON 400 naming it, as
        ClinicalTrials.gov's API does) instead of redirecting: a client's misspelled filter
        must not quietly answer with the unfiltered list. Values are kept as sent, empty
        ones included (an empty `lang` is the operation's 400 to give), with the names in a
        fixed order, so `?limit=5&sort=name` and `?sort=name&limit=5` are one cached answer.
        """
        unknown = sorted(name for name in request.GET if name not in known)
        if unknown:
            errors = {name[:100]: ["Unknown parameter."] for name in unknown[:20]}
            return JsonResponse({"detail": "Invalid parameters.", "errors": errors}, status=400)
        pairs = [
            (name, value) for name in sorted(request.GET) for value in request.GET.getlist(name)
        ]
        self._use(request, urlencode(pairs))
        return self.get_response(request)


def page_identity(request) -> str | None:
    """What makes two requests the same page: the one place a cached page's key is built
    (language, for instance, belongs here). None for a request whose query string is not
    canonical (see CanonicalQueryMiddleware): such pages are not cached."""
    query = request.META.get("QUERY_STRING", "")
    api = is_api_path(request.path_info)
    if query and not getattr(request, "canonical_query", False):
        return None
    return "|".join(
        (
            request.scheme,
            request.get_host(),
            request.path,
            # The language of the answer: the path's for pages; for the API the one its
            # client chose, by ?lang= or Accept-Language (genetx.i18n.api_language(), which
            # PathLocaleMiddleware ran before this). A page in one language must never
            # answer for another.
            getattr(request, "LANGUAGE_CODE", None) if api else language_of_path(request.path_info),
            query,
            "gzip" if _accepts_gzip(request) else "",
        )
    )


class LocalPages:
    """Recently served pages kept in this process, up to a byte budget (least recently
    used first out): a hit needs no round trip to the shared cache. A page here is checked
    against the content changes exactly like one from the shared cache."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pages: OrderedDict[str, dict] = OrderedDict()
        self.size = 0

    def get(self, key: str) -> dict | None:
        with self.lock:
            stored = self.pages.get(key)
            if stored is not None:
                self.pages.move_to_end(key)
            return stored

    def put(self, key: str, stored: dict) -> None:
        budget = getattr(settings, "PAGE_CACHE_LOCAL_BYTES", 16 * 1024 * 1024)
        size = len(stored["content"])
        if size > budget // 8:
            return
        with self.lock:
            old = self.pages.pop(key, None)
            if old is not None:
                self.size -= len(old["content"])
            self.pages[key] = stored
            self.size += size
            while self.size > budget and self.pages:
                _, dropped = self.pages.popitem(last=False)
                self.size -= len(dropped["content"])

    def clear(self) -> None:
        with self.lock:
            self.pages.clear()
            self.size = 0


local_pages = LocalPages()


class AnonymousPageCacheMiddleware:
    """Serve and store whole public pages for anonymous readers, with ETags and 304s.

    Sits after AuthenticationMiddleware (it needs request.user) and before the middleware
    that adds headers a cached page must carry, so a stored page has them already.

    A page is stored with the change number it was rendered at and, for a detail page
    (depends_only_on_shown_records()), the content rows it read; it is served while
    ContentChanges says it is fresh. Pages are kept in this process (LocalPages) and in the
    shared cache, so another worker's render is reused.
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
        known = changes.current() if not _bump_pending else None
        if known is None:
            # The cache cannot say what changed (down, or a change not stored yet): no
            # page may be served from it, and none is stored.
            return self.get_response(request)
        key = "genetx:page:" + hashlib.sha256(identity.encode()).hexdigest()
        stored = local_pages.get(key)
        if stored is None or not known.fresh(stored["seq"], stored["tags"]):
            stored = _cache().get(key)
            if stored is not None and known.fresh(stored["seq"], stored["tags"]):
                local_pages.put(key, stored)
            else:
                stored = None
        if stored is not None:
            if stored["etag"] in parse_etags(request.headers.get("If-None-Match", "")):
                return self._not_modified(stored["etag"])
            return self._rebuild(stored)
        stamp = known.seq
        shown = set()
        token = _shown.set(shown)
        try:
            response = self.get_response(request)
        finally:
            _shown.reset(token)
        if request.method == "GET" and self._storable(request, response):
            etag = '"' + hashlib.sha256(f"{stamp}|{identity}".encode()).hexdigest()[:32] + '"'
            response["ETag"] = etag
            if not response.has_header("Cache-Control"):
                # Browsers and shared caches may keep the page but must ask again each
                # time; the ETag makes that question cheap.
                response["Cache-Control"] = "no-cache"
            patch_vary_headers(response, ["Cookie"])
            tags = shown if getattr(request, "genetx_scoped_page", False) else None
            stored = self._freeze(response, stamp, tags, etag)
            cache = _cache()
            cache.set(key, stored, self.timeout)
            local_pages.put(key, stored)
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
    def _freeze(response, stamp: int, tags, etag: str) -> dict:
        return {
            "seq": stamp,
            "tags": None if tags is None else frozenset(tags),
            "etag": etag,
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
