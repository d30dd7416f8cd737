import os
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db

ROOT = settings.BASE_DIR


def run_settings(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    """Import the real settings in a fresh interpreter with exactly these variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    env.update(env_overrides)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "genetx.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_outside_debug_fails_with_a_clear_message():
    result = run_settings({})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_runs_without_a_secret_key():
    result = run_settings({"DJANGO_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_unclear_boolean_is_refused():
    result = run_settings({"DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_database_url_selects_postgresql_with_persistent_connections():
    code = (
        "from genetx.settings import DATABASES as d; "
        "print(d['default']['ENGINE'], d['default']['CONN_MAX_AGE'], d['default']['NAME'])"
    )
    env = {
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/genetx",
        "PATH": os.environ["PATH"],
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "60", "genetx"]


def test_database_pool_option_uses_psycopg_pool():
    code = (
        "from genetx.settings import DATABASES as d; "
        "print(bool(d['default']['OPTIONS']['pool']), d['default']['CONN_MAX_AGE'])"
    )
    env = {
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/genetx",
        "DATABASE_POOL": "1",
        "PATH": os.environ["PATH"],
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["True", "0"]


def test_redis_url_selects_the_redis_cache():
    code = "from genetx.settings import CACHES as c; print(c['default']['BACKEND'])"
    env = {"DJANGO_DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/3", "PATH": os.environ["PATH"]}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "genetx.redis_cache.FailSoftRedisCache"


def test_production_defaults_are_safe():
    assert settings.USE_TZ is True
    assert settings.DEFAULT_AUTO_FIELD == "django.db.models.BigAutoField"
    assert settings.DEBUG is False


def test_health_check_answers_200_with_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "replicas": {}}


@pytest.mark.django_db(transaction=True)
def test_health_check_answers_503_when_the_database_is_down(client, monkeypatch):
    # A real failure, not a mock: the connection is pointed at a database that cannot be
    # reached (PostgreSQL: a port where nothing listens; SQLite: a path that cannot be
    # opened), then restored. The in-memory SQLite test database is kept aside, not closed,
    # because closing it would destroy it.
    kept = connection.connection
    connection.connection = None
    if connection.vendor == "postgresql":
        monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    else:
        monkeypatch.setitem(connection.settings_dict, "NAME", "/nonexistent/dir/genetx.sqlite3")
    try:
        response = client.get("/healthz")
    finally:
        monkeypatch.undo()
        connection.connection = kept
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "unavailable"


class _Outline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: dict[str, dict] = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.setdefault(tag, dict(attrs))


def test_home_page_uses_the_base_layout(client):
    response = client.get("/")
    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == ["genetx/home.html", "base.html"]
    html = response.content.decode()
    assert html.startswith("<!DOCTYPE html>")
    outline = _Outline()
    outline.feed(html)
    assert outline.attrs["html"]["lang"] == "en"
    assert {"header", "nav", "main", "footer", "h1"} <= set(outline.tags)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'href="#main"' in html


def test_admin_login_page_renders(client):
    response = client.get(f"/{settings.ADMIN_URL}login/")
    assert response.status_code == 200
