"""Read replicas, used only where a stale read cannot hurt.

Only anonymous GET and HEAD requests for public pages read from a replica (the
ReplicaRoutingMiddleware marks them), and only for content models. Everything else reads
the primary: sessions, users, django-axes, the admin, services and publishing checks, any
request by someone signed in, management commands, and for REPLICA_PIN_SECONDS any browser
that has just written (a cookie).

Even for those requests a replica is used only when it holds every content change the
primary has committed: ContentChange counts them on the primary, and a replica whose count
is lower is skipped for that request. So a replica a few seconds behind never shows readers
a therapy that was just unpublished, and the page cache never stores such a page under the
current version. A replica that fails to answer is left alone for REPLICA_RETRY_SECONDS.
If no replica fits, the primary serves the request: a replica failure never fails a page.
"""

import contextlib
import logging
import random
import time
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
# Models of these apps are published content, the only reads a replica may serve.
REPLICA_APPS = {"genetx", "therapies", "hospitals", "sources"}

# Per process: when each failed replica may be tried again, and the highest content count
# each replica was seen with (a replica's count only grows, so a count at least the
# primary's spares asking the replica again).
_retry_after: dict[str, float] = {}
_seen: dict[str, int] = {}


def content_change_seen(connection) -> int:
    """The content change count as `connection`'s database has it (0 before any change)."""
    from .models import ContentChange

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq FROM {ContentChange._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def replica_failed(alias: str, exc: Exception) -> None:
    if _retry_after.get(alias, 0) <= time.monotonic():
        logger.warning(
            "Replica %s unavailable (%s); reading from the primary for %s s.",
            alias,
            exc,
            settings.REPLICA_RETRY_SECONDS,
        )
    _retry_after[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
    with contextlib.suppress(DatabaseError):
        connections[alias].close()


def choose_replica() -> str:
    """A replica holding every committed content change, or the primary."""
    now = time.monotonic()
    candidates = [a for a in settings.REPLICA_DATABASES if _retry_after.get(a, 0) <= now]
    if not candidates:
        return PRIMARY
    random.shuffle(candidates)
    wanted = content_change_seen(connections[PRIMARY])
    for alias in candidates:
        if _seen.get(alias, -1) >= wanted:
            return alias
        try:
            _seen[alias] = content_change_seen(connections[alias])
        except DatabaseError as exc:
            replica_failed(alias, exc)
            continue
        if _seen[alias] >= wanted:
            return alias
    return PRIMARY


class ReplicaChoice:
    """The database one request reads content from, chosen at its first content read."""

    def __init__(self):
        self.alias = None

    def resolve(self) -> str:
        if self.alias is None:
            self.alias = choose_replica()
        return self.alias


_request_choice: ContextVar[ReplicaChoice | None] = ContextVar("replica_choice", default=None)


class ReplicaRoutingMiddleware:
    """Let anonymous reads of public pages use a replica; pin writers to the primary.

    Decides from the request alone (method, path, cookies), without the database: a
    session cookie means someone may be signed in, so the request reads the primary.
    """

    PIN_COOKIE = "genetx_primary"

    def __init__(self, get_response):
        self.get_response = get_response
        self.excluded = ("/" + settings.ADMIN_URL, "/healthz")

    def eligible(self, request) -> bool:
        return (
            bool(settings.REPLICA_DATABASES)
            and request.method in {"GET", "HEAD"}
            and not request.path.startswith(self.excluded)
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and self.PIN_COOKIE not in request.COOKIES
        )

    def __call__(self, request):
        token = _request_choice.set(ReplicaChoice() if self.eligible(request) else None)
        try:
            response = self.get_response(request)
        finally:
            _request_choice.reset(token)
        if settings.REPLICA_DATABASES and request.method not in {"GET", "HEAD", "OPTIONS"}:
            # This browser reads its own writes: the primary for the next few seconds.
            response.set_cookie(
                self.PIN_COOKIE,
                "1",
                max_age=max(1, round(settings.REPLICA_PIN_SECONDS)),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


class ReplicaRouter:
    """Content reads of requests the middleware marked go to a current replica; all other
    reads and every write go to the primary."""

    def db_for_read(self, model, **hints):
        choice = _request_choice.get()
        if choice is None or model._meta.app_label not in REPLICA_APPS:
            return PRIMARY
        return choice.resolve()

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data, so relations between them are always allowed.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
