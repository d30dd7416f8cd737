"""GeneTx settings: one module, read from the environment.

Every variable read here is listed in the README's environment table. Production values
fail loudly when missing instead of falling back to something unsafe.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable; anything but a clear yes or no is an error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no), not {raw!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable into a list, dropping blanks."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


def env_seconds(name: str, default: float) -> float:
    """Read a duration in seconds (fractions allowed) that must not be negative."""
    raw = os.environ.get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {raw!r}.")
    return value


DEBUG = env_bool("DJANGO_DEBUG", default=False)
# `make demo`: debug off, so a newcomer sees the site's own 404 and 500 pages rather than
# Django's technical ones, yet over plain HTTP on this machine with no secret key to set and
# static files served from the source folders. Only for local host names (checked below).
LOCAL_DEMO = env_bool("GENETX_LOCAL_DEMO", default=False)
LOCAL = DEBUG or LOCAL_DEMO

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not LOCAL:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random value in production "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    # Only reachable locally: a development key that never protects real data.
    SECRET_KEY = "django-insecure-local-development-only"

LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ",".join(LOCAL_HOSTS))
if LOCAL_DEMO and not DEBUG and not set(ALLOWED_HOSTS) <= set(LOCAL_HOSTS):
    # The demo's relaxed settings (a public key, plain-HTTP cookies) must never face a network.
    raise ImproperlyConfigured(
        "GENETX_LOCAL_DEMO serves localhost only; DJANGO_ALLOWED_HOSTS names "
        f"{', '.join(sorted(set(ALLOWED_HOSTS) - set(LOCAL_HOSTS)))}. Use DJANGO_DEBUG=1 "
        "to try the site from another machine, or production settings."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Content in English and Spanish (each app's translation.py); before the admin, whose
    # forms it extends.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_filters",
    # The read API (/api/v1/); listed as an app so its bundled Swagger UI files are served
    # from this host as static files (no third-party asset, strict CSP).
    "ninja",
    "corsheaders",
    # Only for its translated country names (Spain, España); it has no models.
    "django_countries",
    "simple_history",
    "import_export",
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "genetx",
    "therapies",
    "hospitals",
    "sources",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The two header middlewares sit above WhiteNoise so static responses (SVG included)
    # carry the same Content-Security-Policy and Permissions-Policy as pages.
    "genetx.middleware.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Before anything reads headers: a NUL byte in one is refused with 400 (see the class).
    "genetx.middleware.RefuseNulHeadersMiddleware",
    # CORS for the read API only (CORS_URLS_REGEX): above the page cache so cached API
    # responses get the headers too, and above anything that can answer (its preflight).
    "corsheaders.middleware.CorsMiddleware",
    # WhiteNoise sits right after SecurityMiddleware so static files skip the rest of the stack.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database: decides whether this request may read a replica
    # (anonymous public reads only) and pins a browser that writes to the primary.
    "genetx.routers.ReplicaRoutingMiddleware",
    # Admin requests get the longer statement timeout before the session is read.
    "genetx.middleware.AdminStatementTimeoutMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the URL alone (/es/... is Spanish, everything else English),
    # before anything resolves a URL or builds a page-cache key (see genetx.i18n).
    "genetx.i18n.PathLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One URL per page before the cache looks (unknown query parameters redirect away).
    "genetx.cache.CanonicalQueryMiddleware",
    # ETag, Last-Modified and 304s for API responses the page cache does not serve (it sits
    # outside the cache so If-Modified-Since is answered before a cached page is read).
    "genetx.api.http.ApiConditionalGetMiddleware",
    # Whole pages for anonymous readers: after authentication (it must know who asks),
    # before the middleware whose headers a stored page must already carry.
    "genetx.cache.AnonymousPageCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the logged-in user on every history row an admin save creates.
    "simple_history.middleware.HistoryRequestMiddleware",
    # django-axes turns a locked-out login into the lockout page; its documentation asks
    # for it last, so it sees the response every other middleware produced.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses a login while its username and address are locked out, before the password
    # is even checked; it never logs anyone in itself.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "genetx.urls"
WSGI_APPLICATION = "genetx.wsgi.application"
ASGI_APPLICATION = "genetx.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "genetx.context_processors.site",
            ],
        },
    },
]

# Databases -------------------------------------------------------------------------------
# DATABASE_URL picks the engine: a SQLite file by default so a newcomer needs no server,
# postgres://... for PostgreSQL through psycopg 3.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASE_POOL = env_bool("DATABASE_POOL", default=False)
# Timeouts, so a hung or unreachable database gives a quick 503 instead of a frozen worker
# (see "Failure modes" in the README). libpq waits at least 2 s for a connection.
DATABASE_CONNECT_TIMEOUT = max(2, round(env_seconds("DATABASE_CONNECT_TIMEOUT", 3)))
# Which timeout a process's connections start with: web servers load genetx/wsgi.py or
# asgi.py, which say so; everything else (manage.py commands, workers, the shell) gets the
# command timeout, since migrations and restores legitimately run long.
PROCESS_KIND = os.environ.get("GENETX_PROCESS", "command")
STATEMENT_TIMEOUT = env_seconds("DATABASE_STATEMENT_TIMEOUT", 5)
ADMIN_STATEMENT_TIMEOUT = env_seconds("DATABASE_ADMIN_STATEMENT_TIMEOUT", 60)
COMMAND_STATEMENT_TIMEOUT = env_seconds("DATABASE_COMMAND_STATEMENT_TIMEOUT", 0)


def database_config(url: str) -> dict:
    """Build one DATABASES entry from a URL, with timeouts and pooling or persistent
    connections."""
    try:
        config = dj_database_url.parse(url)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.postgresql":
        timeout = STATEMENT_TIMEOUT if PROCESS_KIND == "web" else COMMAND_STATEMENT_TIMEOUT
        options = config.setdefault("OPTIONS", {})
        # Options given in the URL (?sslmode=require, ?options=...) are kept; the timeouts
        # are added to them. A statement timeout of 0 means no limit, as in PostgreSQL.
        options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
        statement = f"-c statement_timeout={round(timeout * 1000)}"
        given = options.get("options", "")
        options["options"] = f"{given} {statement}" if given else statement
        if DATABASE_POOL:
            # psycopg's pool keeps connections warm inside each worker; Django requires
            # CONN_MAX_AGE = 0 with it because the pool owns connection lifetime. Waiting for
            # a free connection is bounded like connecting.
            options["pool"] = {
                "min_size": 2,
                "max_size": 8,
                "timeout": DATABASE_CONNECT_TIMEOUT,
            }
            config["CONN_MAX_AGE"] = 0
        else:
            config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
            config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_config(DATABASE_URL)}
# Read replicas (genetx.routers.ReplicaRouter): only anonymous reads of public pages use
# them, and only while they hold every content change; everything else uses the primary.
REPLICA_DATABASES = []
for index, replica_url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    alias = f"replica{index + 1}"
    DATABASES[alias] = database_config(replica_url)
    DATABASES[alias]["TEST"] = {"MIRROR": "default"}
    REPLICA_DATABASES.append(alias)
DATABASE_ROUTERS = ["genetx.routers.ReplicaRouter"]
# A replica that failed to answer is left alone this long before it is tried again.
REPLICA_RETRY_SECONDS = env_seconds("DATABASE_REPLICA_RETRY_SECONDS", 10)
# After any request that writes (POST and the like), that browser reads from the primary for
# this long (a cookie), so it sees its own change even through a page a replica would serve.
REPLICA_PIN_SECONDS = env_seconds("DATABASE_REPLICA_PIN_SECONDS", 5)

# Expensive uncached work (searches, filtered lists, exports) each client may ask for, in
# django-ratelimit's notation (requests/period: s, m, h or d); empty turns the limit off.
# Counted in the default cache: set REDIS_URL with several workers, or each counts alone.
EXPENSIVE_RATE = os.environ.get("GENETX_RATE_LIMIT", "60/m").strip()
# A cache outage must not lock readers out: django-ratelimit then lets requests through.
RATELIMIT_FAIL_OPEN = True

# /healthz answers within this, reporting any dependency still checking as "timeout".
HEALTH_TIMEOUT = env_seconds("GENETX_HEALTH_TIMEOUT", 0.9)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache -------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis backend, failing soft: a Redis outage serves pages uncached
            # instead of failing them (genetx/redis_cache.py).
            "BACKEND": "genetx.redis_cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "genetx",
            "OPTIONS": {
                "socket_connect_timeout": env_seconds("REDIS_CONNECT_TIMEOUT", 0.25),
                "socket_timeout": env_seconds("REDIS_SOCKET_TIMEOUT", 0.25),
                "RETRY_SECONDS": env_seconds("REDIS_RETRY_SECONDS", 5),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "genetx",
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English (the default, in British spelling: its URLs have no prefix; dates as in
# genetx/formats/en) and Spanish (under /es/).
# To add a language, see "Languages" in the README.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The admin's language choice (genetx.i18n.choose_admin_language), kept for a year. Public
# pages ignore it: their language is in the URL.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Content translations (django-modeltranslation): name_en, name_es, ...; an empty value
# falls back to the other language.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "es")
# Spanish falls back to English; English to Spanish for a record written only in Spanish.
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("en",), "en": ("es",)}
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Our English date formats (genetx/formats/en: 14 March 2025 whatever the English variant)
# and Spanish thousands (genetx/formats/es: 1.859).
FORMAT_MODULE_PATH = ["genetx.formats"]

# Static files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files outside debug so a CDN or browser can cache them forever.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if LOCAL
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
if LOCAL_DEMO and not DEBUG:
    # runserver serves static files only in debug: WhiteNoise serves them from the source
    # folders instead, so the demo needs no collectstatic.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True

# CSV import needs the model's add permission, export its view permission (the default
# lets anyone with admin access import).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# A confirmed CSV import is all or nothing: a row that fails when saved rolls back the rows
# before it, so the file can be fixed and imported again without half of it in place.
IMPORT_EXPORT_USE_TRANSACTIONS = True

ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"

# Web workers run Python's youngest garbage collection after this many allocations, not
# 700, and freeze what lives after their first request (genetx/garbage.py); 0 leaves
# Python's defaults.
GC_THRESHOLD = env_int("GENETX_GC_THRESHOLD", 10_000)

# Whole-page cache for anonymous readers (genetx/cache.py). The local-memory cache is per
# process: with more than one worker, set REDIS_URL or turn the page cache off.
PAGE_CACHE_ENABLED = env_bool("GENETX_PAGE_CACHE", default=True)
PAGE_CACHE_SECONDS = env_int("GENETX_PAGE_CACHE_SECONDS", 600)
# How old each process's knowledge of content changes may be: another worker's save reaches
# this worker's readers within this many seconds (its own saves at once). 0 asks the cache
# on every request.
CONTENT_VERSION_STALENESS = env_seconds("GENETX_CONTENT_STALENESS", 1.0)
# Recently served pages each process keeps in memory, so a hit needs no cache round trip.
PAGE_CACHE_LOCAL_BYTES = env_int("GENETX_PAGE_CACHE_LOCAL_BYTES", 16 * 1024 * 1024)
# The most rows one ?format=csv or ?format=json download holds; the rest are on the pages
# its Link header (and the JSON "next") points to.
EXPORT_MAX_ROWS = max(env_int("GENETX_EXPORT_MAX_ROWS", 1000), 1)
# Limits on every admin import (genetx/imports.py): entries (rows, records) per file and
# characters per field. A file over either is refused with a message.
IMPORT_MAX_ENTRIES = env_int("GENETX_IMPORT_MAX_ENTRIES", 5000)
IMPORT_MAX_FIELD_CHARS = env_int("GENETX_IMPORT_MAX_FIELD_CHARS", 10_000)
# Files with more entries than this are imported by the background worker
# (`manage.py db_worker`); smaller ones within the request, so the demo needs no worker.
IMPORT_INLINE_ENTRIES = env_int("GENETX_IMPORT_INLINE_ENTRIES", 200)
# The file waiting between an import's preview and its confirmation is kept in the
# database, where every app server (and the worker) can read it.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "genetx.imports.DatabaseImportStorage"
# Background work (large imports) through Django's tasks API (the django-tasks backport),
# queued in the database: no other server to run. `manage.py db_worker` runs the queue.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
PAGE_CACHE_EXCLUDE = ["/" + ADMIN_URL, "/healthz"]
# The benchmark's baseline: a bare view at /bench/baseline/ that answers "ok" without the
# database, so `make bench` can state every page as a share of what Django itself costs on
# the same server in the same run. Mounted only when this is set, so production never
# exposes it; kept out of the page cache so it measures the bare stack.
BENCH_BASELINE = env_bool("GENETX_BENCH_BASELINE", default=False)
if BENCH_BASELINE:
    PAGE_CACHE_EXCLUDE.append("/bench/")

# Read API and open data ---------------------------------------------------------------------
# CORS (django-cors-headers): any origin may read the API; nothing else on the site is
# shared. Only safe methods: the API has no writes. ETag is exposed so browser clients can
# revalidate; Link carries the next page.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Link", "Retry-After"]
CORS_PREFLIGHT_MAX_AGE = 86400
# Where `manage.py export_open_data` writes the dated bulk downloads, and how many dated
# dumps it keeps. Their links start with SITE_URL (below).
OPEN_DATA_DIR = Path(os.environ.get("GENETX_OPEN_DATA_DIR") or BASE_DIR / "open-data")
OPEN_DATA_KEEP = env_int("GENETX_OPEN_DATA_KEEP", 7)

# Security -------------------------------------------------------------------------------------
# Behind a TLS-terminating proxy, set DJANGO_SECURE_PROXY_SSL_HEADER=1 so Django trusts its
# X-Forwarded-Proto header; never set it when clients can reach the app server directly.
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not LOCAL)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if LOCAL else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not LOCAL
SECURE_HSTS_PRELOAD = not LOCAL
SESSION_COOKIE_SECURE = not LOCAL
CSRF_COOKIE_SECURE = not LOCAL
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
# Lax (Django's default, stated here on purpose): the session and CSRF cookies are not
# sent on cross-site POSTs, a second line behind the CSRF token.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Content Security Policy (django-csp 4). Every public page runs without inline script or
# style, and every asset comes from this host, so the policy can be strict: a script
# injected into a page cannot run, and the page cannot be framed or post elsewhere.
# JSON-LD blocks are data, not script, and are unaffected.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Added to the policy under ADMIN_URL only (see genetx.middleware), for third-party admin
# templates we do not own; Django's own admin needs nothing extra (checked in Chromium by
# tests/browser/test_admin_csp.py):
# - style attributes: django-simple-history's history list and django-import-export's
#   export form use a few;
# - one event handler: the export form's "Select all" box has
#   onchange="onSelectToggleChange(event)"; its hash allows exactly that code and no other
#   inline script ('unsafe-hashes' covers event handlers, never <script> elements).
ADMIN_CONTENT_SECURITY_POLICY_UPDATE = {
    "style-src-attr": ["'unsafe-inline'"],
    "script-src-attr": ["'unsafe-hashes'", "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"],
}

# Permissions-Policy: browser features the site never uses, switched off for every page.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# Login throttling (django-axes) ------------------------------------------------------------
# After DJANGO_LOGIN_FAILURE_LIMIT failed logins for one username from one address, that
# pair is locked out for DJANGO_LOGIN_COOLOFF_MINUTES (other users and addresses are not
# affected). `manage.py axes_reset` (or axes_reset_username USERNAME) lifts a lockout early.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
AXES_RESET_ON_SUCCESS = True
# Failed attempts during a lockout do not extend it: the documented cool-off is what
# a locked-out editor actually waits.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "genetx.security.client_ip_address"
AXES_USERNAME_CALLABLE = "genetx.security.login_username"
# The number of proxies in front of the app that append to X-Forwarded-For (0: clients
# connect directly). Read by genetx.security.client_ip_address for the lockout address.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

SITE_NAME = "GeneTx"

# Data health: a figure whose as-of date is older than this many months is listed as stale.
STALE_FIGURE_MONTHS = env_int("GENETX_STALE_FIGURE_MONTHS", 18)
# Review notifications (genetx/notifications.py). EMAIL_URL names the mail server, e.g.
# smtp://user:password@mail.example.org:587/?tls=True; without it mail is written to the
# server's output (the console backend), which suits the demo and loses nothing.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    try:
        _email = dj_email_url.parse(EMAIL_URL)
    except (KeyError, ValueError) as exc:
        raise ImproperlyConfigured(f"EMAIL_URL is not a mail server URL: {exc}") from exc
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    # A mail server that does not answer must not hold an editor's request for long.
    EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "GeneTx <genetx@localhost>")
# The language of review notification emails, one for every recipient (no per-user language
# is stored; the admin's own language is each editor's choice, in a cookie).
EMAIL_LANGUAGE = os.environ.get("GENETX_EMAIL_LANGUAGE", LANGUAGE_CODE)
if EMAIL_LANGUAGE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"GENETX_EMAIL_LANGUAGE is {EMAIL_LANGUAGE!r}; use one of {', '.join(dict(LANGUAGES))}"
    )
# The address links in notification emails start with (no request is at hand when they go).
SITE_URL = os.environ.get("GENETX_SITE_URL", "http://localhost:8000").rstrip("/")
