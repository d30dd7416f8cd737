"""Languages: which one a request is in, and the same page's address in the others.

The language of a public page comes from its URL alone: English (settings.LANGUAGE_CODE)
has no prefix, so every existing link keeps working, and each other language in
settings.LANGUAGES lives under its own prefix (/es/). Neither the Accept-Language header
nor a cookie changes it, so one URL is always one page: the page cache and shared caches
need no Vary on Accept-Language, and a link shared by a reader shows the next reader the
same language. The API, the health check, the sitemap and robots.txt are outside the
prefixed URLs and always answer in English.

The admin (settings.ADMIN_URL) is the exception: it is for editors, never cached or shared,
and keeps one address in every language. It follows the editor's choice in the language
form in its header (a cookie, see choose_admin_language), else the browser's
Accept-Language, else English.
"""

from django.conf import settings
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme


def default_language() -> str:
    return settings.LANGUAGE_CODE


def prefixed_languages() -> list[str]:
    """The languages whose pages live under a /<code>/ prefix."""
    return [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def language_of_path(path: str) -> str:
    """The language a path is in: its prefix's, or the default language."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in prefixed_languages() else settings.LANGUAGE_CODE


def path_in_language(path: str, code: str) -> str:
    """The same path in another language: its language prefix replaced.

    Public URLs are not translated (the same slugs in every language), so swapping the
    prefix is enough, and it works for a 404 page too, which no URL pattern resolves.
    """
    current = language_of_path(path)
    if current != settings.LANGUAGE_CODE:
        path = path[len(current) + 1 :] or "/"
    if code == settings.LANGUAGE_CODE:
        return path
    return f"/{code}{path}"


def language_alternates(request) -> list[dict]:
    """This page in every language: code, name (in that language), path with the query
    string, and whether it is the current one (for hreflang links and the switcher)."""
    query = request.META.get("QUERY_STRING", "")
    current = translation.get_language()
    script_prefix = get_script_prefix().rstrip("/")
    alternates = []
    for code, name in settings.LANGUAGES:
        path = script_prefix + path_in_language(request.path_info, code)
        alternates.append(
            {
                "code": code,
                "name": name,
                "path": path,
                "url": path + ("?" + query if query else ""),
                "absolute": request.build_absolute_uri(path),
                "current": code == current,
            }
        )
    return alternates


class PathLocaleMiddleware:
    """Activate the language of the URL's prefix (see the module's docstring).

    Django's LocaleMiddleware, with prefix_default_language=False, does the same for
    unprefixed URLs but also marks every such response `Vary: Accept-Language`, which
    would keep shared caches and the page cache (genetx.cache) from storing English pages
    that do not in fact vary.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.ADMIN_URL

    def __call__(self, request):
        in_admin = request.path_info.startswith(self.admin_prefix)
        if in_admin:
            # Cookie first, then Accept-Language; an unknown or unsupported code in either
            # is skipped (Django checks them against settings.LANGUAGES), ending in English.
            language = translation.get_language_from_request(request)
        else:
            language = language_of_path(request.path_info)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if in_admin:
            patch_vary_headers(response, ["Accept-Language", "Cookie"])
        return response


def choose_admin_language(request):
    """The admin's language form: remember the editor's choice in the language cookie and
    go back to the page they were on. No JavaScript needed; works on the login page too.

    A code not in settings.LANGUAGES is ignored (the admin stays in its current language),
    and a `next` pointing to another site is replaced by the admin's index.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    response = HttpResponseRedirect(target)
    code = request.POST.get("language", "")
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
