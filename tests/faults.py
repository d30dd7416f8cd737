"""What the fault tests share: a request that must neither hang nor fail."""

import time


def timed_get(client, url, *, bound: float, allow_5xx: bool = False, **kwargs):
    """GET url, asserting it answers within `bound` seconds (about ten times what the
    configured timeouts allow: it catches a hang, not a slow machine) and, unless allowed,
    without a server error."""
    started = time.monotonic()
    response = client.get(url, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < bound, (url, elapsed)
    if not allow_5xx:
        assert response.status_code < 500, (url, response.status_code)
    return response
