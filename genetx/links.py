"""Record URLs, reversed once per record, language and URL configuration.

A list page or an API page of 100 records reverses two or three URLs per record, and each
reverse() walks the resolver and quotes its arguments again: ~260 calls and a tenth of an
API list's time at 10,000 therapies. A URL depends only on the view, its arguments, the
active language (Spanish pages live under /es/), the script prefix and the URL
configuration, so it is remembered under exactly those.
"""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language


def record_url(viewname: str, **kwargs) -> str:
    """reverse(viewname, kwargs=kwargs), remembered (see the module's docstring)."""
    return _reverse(
        viewname,
        tuple(sorted(kwargs.items())),
        get_language(),
        get_script_prefix(),
        current_urlconf(),
    )


def current_urlconf() -> str:
    """The URL configuration this thread resolves with (a request may set its own)."""
    return get_urlconf() or settings.ROOT_URLCONF


# Bounded: at 100,000 records a crawl must not grow a worker without limit (~150 bytes an
# entry).
@functools.lru_cache(maxsize=50_000)
def _reverse(viewname, kwargs, language, script_prefix, urlconf) -> str:
    return reverse(viewname, urlconf=urlconf, kwargs=dict(kwargs))


def _forget(*, setting, **kwargs):
    # Tests that swap the URL configuration or the script name must not see old URLs.
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _reverse.cache_clear()


setting_changed.connect(_forget)
