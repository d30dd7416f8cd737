"""Languages: which one a request is in, and the same page's address in the others.

The language of a public page comes from its URL alone: English (settings.LANGUAGE_CODE)
has no prefix, so every existing link keeps working, and each other language in
settings.LANGUAGES lives under its own prefix (/es/). Neither the Accept-Language header
nor a cookie changes it, so one URL is always one page: the page cache and shared caches
need no Vary on Accept-Language, and a link shared by a reader shows the next reader the
same language. The health check, the sitemap and robots.txt are outside the prefixed URLs
and always answer in English.

The admin (settings.ADMIN_URL) is an exception: it is for editors, never cached or shared,
and keeps one address in every language. It follows the editor's choice in the language
form in its header (a cookie, see choose_admin_language), else the browser's
Accept-Language, else English.

The read API (/api/) is the other: its addresses have no language prefix, and a client
chooses with `?lang=es` or, without it, the Accept-Language header (api_language()). Its
answers say `Content-Language` and `Vary: Accept-Language`, and the page cache keys them
by the language chosen (genetx.cache.page_identity), so one language's answer never
answers for another.
"""

from django.conf import settings
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation.trans_real import parse_accept_lang_header

API_PREFIX = "/api/"
# API documents that exist in English only, whatever language a client asks for.
API_ENGLISH_ONLY = ("/openapi.json", "/docs")
# Longer than any language code: a longer value is refused without being looked at.
MAX_LANG_LENGTH = 35


class UnknownLanguage(ValueError):
    """A `lang` parameter naming no language of the site."""


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


def api_languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def api_language(request) -> str:
    """The language of an API answer: `?lang=` if given (it wins), else the best language
    of the Accept-Language header the site has (es-ES, es-419 give es), else English.

    Raises UnknownLanguage for a `lang` the site does not have, or several different ones:
    an explicit choice is never silently replaced. An Accept-Language header naming no
    language of the site is not an error (it is a preference): the answer is English.
    """
    # Exactly as the OpenAPI description lists them (en, es): a client's typo (or an
    # empty value) is refused, not guessed at.
    given = set(request.GET.getlist("lang"))
    if len(given) > 1:
        raise UnknownLanguage("Give one language.")
    if given:
        (code,) = given
        if len(code) > MAX_LANG_LENGTH or code not in api_languages():
            raise UnknownLanguage(f"Unknown language: use one of {', '.join(api_languages())}.")
        return code
    header = request.headers.get("Accept-Language", "")
    for accepted, _quality in parse_accept_lang_header(header):
        if accepted == "*":
            break
        try:
            return translation.get_supported_language_variant(accepted)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


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
        if is_api_path(request.path_info):
            return self._api(request)
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

    def _api(self, request):
        """An API request: the language its client chose (api_language()), or a 400 that
        says why not, before any other work (nothing is rendered, cached or counted)."""
        english_only = request.path_info.endswith(API_ENGLISH_ONLY)
        try:
            language = api_language(request)
        except UnknownLanguage as refusal:
            translation.activate(settings.LANGUAGE_CODE)
            response = JsonResponse(
                {"detail": "Invalid parameters.", "errors": {"lang": [str(refusal)]}},
                status=400,
            )
        else:
            if english_only:
                language = settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        response["Content-Language"] = translation.get_language()
        if not english_only:
            # Without ?lang=, the answer depends on Accept-Language (and with it, on the
            # URL, which caches key on anyway).
            patch_vary_headers(response, ["Accept-Language"])
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
