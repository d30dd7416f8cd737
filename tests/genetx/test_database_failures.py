"""The database down or hung: readers get a quick 503 page, the health check says so.

The hang is real: another connection holds a lock the page needs (PostgreSQL), and the
page's statement timeout ends the wait. Time bounds are about ten times what the configured
timeouts allow, so they catch a hang, not a slow machine.
"""

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.http import HttpResponse
from django.urls import path

from genetx import urls as site_urls
from tests import faults
from tests.factories import make_therapy, make_user
from tests.parts import free_port

REQUEST_BOUND = 5.0
ROOT = Path(__file__).resolve().parents[2]


def statement_timeout(request):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return HttpResponse(cursor.fetchone()[0])


urlpatterns = [
    path("admin/probe/", statement_timeout),
    path("probe/", statement_timeout),
    # The site's own patterns, not include()d: Django refuses i18n_patterns in an include.
    *site_urls.urlpatterns,
]
handler500 = "genetx.views.server_error"

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement and connect timeouts are PostgreSQL's"
)


@pytest.fixture
def client(client):
    """A client that returns the error page a reader gets instead of raising the error."""
    client.raise_request_exception = False
    return client


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    """The page cache is off in tests (tests/settings.py); these tests are about it too."""
    settings.PAGE_CACHE_ENABLED = True


def timed_get(client, url, **kwargs):
    return faults.timed_get(client, url, bound=REQUEST_BOUND, allow_5xx=True, **kwargs)


def assert_friendly_503(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Temporarily unavailable" in response.content


@pytest.mark.django_db(transaction=True)
def test_unreachable_database_gives_a_friendly_503(client, monkeypatch):
    therapy = make_therapy()
    cached = client.get("/therapies/")
    # As in the health check test: point the connection where no database answers, keep
    # the in-memory SQLite database aside rather than close (and destroy) it.
    kept = connection.connection
    connection.connection = None
    if connection.vendor == "postgresql":
        monkeypatch.setitem(connection.settings_dict, "PORT", str(free_port()))
    else:
        monkeypatch.setitem(connection.settings_dict, "NAME", "/nonexistent/dir/genetx.sqlite3")
    try:
        page = timed_get(client, therapy.get_absolute_url())
        health = timed_get(client, "/healthz")
        still_cached = timed_get(client, "/therapies/")
    finally:
        monkeypatch.undo()
        connection.connection = kept
    assert_friendly_503(page)
    # A page already in the cache needs no database.
    assert still_cached.status_code == 200
    assert still_cached.content == cached.content
    assert health.status_code == 503
    assert health.json()["database"] == "unavailable"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_database_that_never_answers_gives_a_503_after_the_connect_timeout(client, monkeypatch):
    """A server that accepts the connection and then says nothing, like a hung host."""
    therapy = make_therapy()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted = []
    stop = threading.Event()

    def accept_and_hold():
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", str(silent.getsockname()[1]))
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "connect_timeout", 2)
    try:
        page = timed_get(client, therapy.get_absolute_url())
    finally:
        monkeypatch.undo()
        connection.close()
        stop.set()
        thread.join()
        for sock in accepted:
            sock.close()
        silent.close()
    assert_friendly_503(page)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_hung_database_gives_a_fast_503_and_health_stays_honest(client, settings):
    settings.ROOT_URLCONF = __name__
    therapy = make_therapy()
    url = therapy.get_absolute_url()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 500")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    holder = psycopg.connect(**params)
    try:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE therapies_therapy IN ACCESS EXCLUSIVE MODE")
        page = timed_get(client, url)
        health = timed_get(client, "/healthz")
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
    assert_friendly_503(page)
    # The database answers; one table is locked. The health check says what it sees.
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    # And the page is back once the lock is gone.
    assert client.get(url).status_code == 200


@postgresql_only
@pytest.mark.django_db
def test_admin_requests_get_the_long_statement_timeout_and_give_it_back(client, settings):
    settings.ROOT_URLCONF = __name__
    settings.STATEMENT_TIMEOUT = 5
    settings.ADMIN_STATEMENT_TIMEOUT = 45
    client.force_login(make_user(is_staff=True))
    assert client.get("/admin/probe/").content == b"45s"
    # Put back before the connection serves the next request.
    assert client.get("/probe/").content == b"5s"


@pytest.mark.parametrize(("process", "expected"), [("web", "5000"), ("command", "0")])
def test_web_workers_default_to_the_page_timeout_and_commands_to_none(process, expected):
    code = (
        "from genetx.settings import database_config as c; "
        "print(c('postgres://u@db.example.org/genetx')['OPTIONS']['options'])"
    )
    env = {"DJANGO_DEBUG": "1", "GENETX_PROCESS": process, "PATH": os.environ["PATH"]}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == f"-c statement_timeout={expected}", result.stderr


def test_postgresql_connections_carry_both_timeouts_beside_the_url_options(settings):
    from genetx.settings import database_config

    url = "postgres://u@db.example.org:5432/genetx?sslmode=require"
    options = database_config(url)["OPTIONS"]
    assert options["sslmode"] == "require"
    assert options["connect_timeout"] == settings.DATABASE_CONNECT_TIMEOUT
    assert options["options"] == f"-c statement_timeout={round(settings.STATEMENT_TIMEOUT * 1000)}"
