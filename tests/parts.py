"""Parts a fresh machine may lack (Redis, Chromium): skip with a hint, or fail in CI.

On a newcomer's machine a missing part skips its tests with a message naming what to
install, so `make test` still passes. CI sets GENETX_REQUIRE_ALL=1, which turns each such
skip into a failure: CI never passes by skipping.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
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


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own on a free port, which the test may stop, restart,
    pause (SIGSTOP: connections hang, as with a frozen or overloaded server) and resume."""

    def __init__(self, binary: str):
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)


def private_redis() -> PrivateRedis:
    """A PrivateRedis (not started), or skip/fail saying how to get redis-server."""
    binary = shutil.which("redis-server")
    if not binary:
        missing("redis-server", "apt-get install redis-server")
    return PrivateRedis(binary)
