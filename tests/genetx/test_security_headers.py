"""Every response carries the security headers, on public pages and in the admin."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from tests.factories import make_user

pytestmark = pytest.mark.django_db

ADMIN = f"/{settings.ADMIN_URL}"

STRICT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def policy(response) -> dict[str, str]:
    """The Content-Security-Policy header as a directive -> sources mapping."""
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        directives[name] = sources
    return directives


def assert_common_headers(response):
    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


@pytest.fixture
def staff_client(client):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page/"])
def test_public_responses_carry_every_security_header(client, path):
    response = client.get(path, secure=True)
    assert_common_headers(response)
    assert policy(response) == STRICT_POLICY


def test_public_policy_allows_no_inline_script_or_style(client):
    directives = policy(client.get("/", secure=True))
    assert all("unsafe" not in sources for sources in directives.values())
    assert "nonce-" not in client.get("/", secure=True).headers["Content-Security-Policy"]


def test_admin_login_page_carries_every_security_header(client):
    response = client.get(f"{ADMIN}login/", secure=True)
    assert response.status_code == 200
    assert_common_headers(response)
    directives = policy(response)
    assert {k: v for k, v in directives.items() if k in STRICT_POLICY} == STRICT_POLICY


def test_admin_pages_keep_scripts_strict_and_relax_only_style_attributes(staff_client):
    response = staff_client.get(ADMIN, secure=True)
    assert response.status_code == 200
    assert_common_headers(response)
    directives = policy(response)
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["style-src-attr"] == "'unsafe-inline'"
    # One hashed event handler (django-import-export's "Select all"), no inline scripts.
    assert directives["script-src-attr"].split() == [
        "'unsafe-hashes'",
        "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='",
    ]


def test_public_pages_do_not_get_the_admin_exception(client):
    assert "style-src-attr" not in policy(client.get("/", secure=True))


def test_static_files_carry_the_policy_too(client):
    response = client.get("/static/css/site.css", secure=True)
    assert response.status_code == 200
    assert policy(response) == STRICT_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_and_csrf_cookies_are_secure_and_http_only(client):
    user = make_user(is_staff=True)
    login_page = client.get(f"{ADMIN}login/", secure=True)
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    assert csrf["samesite"] == "Lax"
    response = client.post(
        f"{ADMIN}login/",
        {"username": user.username, "password": f"pw-{user.username}", "next": ADMIN},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"


def test_plain_http_is_redirected_to_https_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/", headers={"host": "localhost"})
    assert response.status_code == 301
    assert response.headers["Location"] == "https://localhost/"


def test_proxy_header_marks_a_request_secure_when_configured(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/", headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    assert "Strict-Transport-Security" in response.headers


def test_deploy_check_is_clean_under_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="genetx.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="genetx.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_settings_enable_throttling_and_strict_cookies():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.AXES_ENABLED, s.AUTHENTICATION_BACKENDS[0])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="genetx.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "axes.backends.AxesStandaloneBackend",
    ], result.stderr
