"""Test settings: the real settings, with a throwaway key and a fast password hasher."""

import os
import tempfile
from pathlib import Path

# The real settings refuse to start without a secret key outside debug; tests run with
# debug off, as production does, so they get a key that protects nothing.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
# Tests talk plain HTTP through Django's test client.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Tests exercise what web workers do, with a statement timeout long enough for a loaded CI
# machine to create and flush test databases; the timeout tests set their own.
os.environ.setdefault("GENETX_PROCESS", "web")
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "60")
# The per-client limit on searches and filtered lists is off: many tests send far more of
# them from one address than a reader would. tests/genetx/test_floods.py turns it on.
os.environ.setdefault("GENETX_RATE_LIMIT", "")

from genetx.settings import *  # noqa: E402,F403 -- the test settings extend the real ones

# Hashing passwords slowly is a production feature; in tests it only costs time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Manifest storage needs collectstatic; tests render templates without running it.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the app folders (no collectstatic before tests), so the
# live server used by browser tests has its CSS.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# django-axes refuses authenticate() calls that carry no request, and the test client's
# login() makes exactly such a call. Throttling is therefore off by default in tests and
# switched on, through the settings fixture, by the tests that exercise it
# (tests/genetx/test_login_throttling.py); force_login() never authenticates and works
# either way.
AXES_ENABLED = False
# The page cache would answer a repeated URL without reaching the view, so tests (above all
# the fuzz tests) would test less than they seem to. It is on only in the tests of the
# cache itself (tests/genetx/test_cache.py), which switch it on with override_settings.
PAGE_CACHE_ENABLED = False
# Each process reads the content changes from the cache on every request in tests, so a
# test sees at once what any process wrote; production reads them at most once a second
# (genetx.cache.ContentChanges; tests/genetx/test_cache_scope.py tests that bound).
CONTENT_VERSION_STALENESS = 0
# publish_scheduled rebuilds the open data dump when content changed: tests that run it must
# not write into the project's folder. Tests of the dump point this at their own tmp_path.
OPEN_DATA_DIR = Path(tempfile.mkdtemp(prefix="genetx-test-open-data-"))
