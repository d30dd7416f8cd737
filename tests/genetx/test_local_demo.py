"""`make demo` shows newcomers the site's own error pages, never Django's technical ones.

The demo's settings (GENETX_LOCAL_DEMO=1 with DJANGO_DEBUG=0, as the Makefile sets them) are
started for real: `manage.py runserver` in a child process on a database of its own, asked
over HTTP. The settings module is read once per process, so this cannot run in the test
process itself.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_environment(database: Path, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GENETX_", "DATABASE_", "REDIS_"))
    }
    return env | {
        "GENETX_LOCAL_DEMO": "1",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{database}",
        **extra,
    }


def get(url: str):
    """(status, body) of a GET, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    env = demo_environment(tmp_path_factory.mktemp("demo") / "demo.sqlite3")
    subprocess.run(
        [sys.executable, MANAGE, "migrate", "--noinput", "-v0"], env=env, check=True, timeout=600
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                pytest.fail(f"the demo server stopped: {server.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_missing_page_in_the_demo_is_the_sites_own_404(demo_server):
    status, body = get(f"{demo_server}/no-such-page/")
    assert status == 404
    assert "There is no page at this address" in body
    assert "Using the URLconf" not in body  # Django's technical 404
    assert "DEBUG = True" not in body


def test_the_demo_serves_its_stylesheets_and_pages_without_https(demo_server):
    status, body = get(f"{demo_server}/")
    assert status == 200  # no redirect to HTTPS
    stylesheet = next(
        line.split('href="')[1].split('"')[0]
        for line in body.splitlines()
        if 'rel="stylesheet"' in line
    )
    assert get(f"{demo_server}{stylesheet}")[0] == 200


def test_the_demo_settings_refuse_a_public_host(tmp_path):
    env = demo_environment(tmp_path / "x.sqlite3", DJANGO_ALLOWED_HOSTS="genetx.example.org")
    result = subprocess.run(
        [sys.executable, MANAGE, "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "GENETX_LOCAL_DEMO serves localhost only" in result.stderr
