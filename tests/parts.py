"""Parts a fresh machine may lack (Redis, Chromium): skip with a hint, or fail in CI.

On a newcomer's machine a missing part skips its tests with a message naming what to
install, so `make test` still passes. CI sets GENETX_REQUIRE_ALL=1, which turns each such
skip into a failure: CI never passes by skipping.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

REQUIRE_ALL = os.environ.get("GENETX_REQUIRE_ALL", "") not in {"", "0", "false"}
REDIS_TEST_URL = os.environ.get("GENETX_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM_PATH = os.environ.get("GENETX_CHROMIUM", "/usr/bin/chromium")


def missing(part: str, hint: str) -> None:
    """Skip (or, in CI, fail) because a part the test needs is not on this machine."""
    message = f"{part} is not available: {hint}"
    if REQUIRE_ALL:
        pytest.fail(f"{message} (GENETX_REQUIRE_ALL is set, so this cannot be skipped)")
    pytest.skip(message)


def worker_index() -> int:
    """0 for a plain run; 0, 1, ... for pytest-xdist workers gw0, gw1, ..."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def redis_url() -> str:
    """A Redis database of this test worker's own, or skip/fail saying how to get one.

    Cache tests empty their database, so parallel workers must not share one: worker N
    counts down N databases from the configured one (15, 14, ... by default).
    """
    parsed = urlparse(REDIS_TEST_URL)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            pass
    except OSError:
        missing("Redis", f"start a Redis server at {REDIS_TEST_URL} (apt-get install redis-server)")
    base = int(parsed.path.strip("/") or 0)
    database = base - worker_index()
    if database < 0:
        pytest.fail(f"GENETX_TEST_REDIS_URL={REDIS_TEST_URL} leaves no Redis database per worker")
    return parsed._replace(path=f"/{database}").geturl()


def chromium_path() -> str:
    """The path of a Chromium binary, or skip/fail saying how to install one."""
    path = CHROMIUM_PATH if os.path.exists(CHROMIUM_PATH) else shutil.which("chromium")
    if not path:
        missing("Chromium", "apt-get install chromium (or set GENETX_CHROMIUM to its path)")
    return path
