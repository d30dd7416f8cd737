"""A per-client limit on expensive uncached work: searches, filtered lists, exports.

Cached pages are cheap and never reach a view, so they are not limited; what a view renders
on a cache miss for a search, a filtered or paged list or a CSV/JSON export costs real
database time, and a client asking for thousands of such variants could crowd out every
other reader. django-ratelimit counts each client's requests in the default cache (Redis
in production, shared by every worker), by the same client address django-axes uses. Over
the limit, the answer is 429 with Retry-After. Staff are not limited. If the cache is down
the request is let through (RATELIMIT_FAIL_OPEN): a cache outage must not lock readers out.
"""

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage

from .security import client_ip_address

GROUP = "genetx.expensive"


def client_key(group, request) -> str:
    return client_ip_address(request) or "unknown"


def seconds_to_wait(request) -> int | None:
    """How long this client must wait when it has used up EXPENSIVE_RATE, otherwise None
    (and the request is counted). The read API asks this too (genetx/api/api.py)."""
    rate = settings.EXPENSIVE_RATE
    if not rate:
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return None
    usage = get_usage(request, group=GROUP, key=client_key, rate=rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, usage["time_left"])


def refuse_if_over_limit(request):
    """A 429 page when this client has used up EXPENSIVE_RATE, otherwise None (and the
    request is counted)."""
    wait = seconds_to_wait(request)
    if wait is None:
        return None
    response = render(request, "429.html", {"retry_after": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response
