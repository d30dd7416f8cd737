from django.conf import settings
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from genetx.i18n import language_alternates
from genetx.text import MAX_QUERY_LENGTH


def site(request):
    """Values every page template needs: the site's name and this page's canonical URL.

    The canonical URL is the request path without its query string, so filtered, sorted
    and paginated variants of a page point search engines at one address. A page can
    override it with the base template's `canonical` block. `max_query_length` is the
    one limit every search box shares. `languages` is this page in every language, for
    the hreflang links and the language switcher (genetx.i18n).
    """
    return {
        "site_name": settings.SITE_NAME,
        "canonical_url": request.build_absolute_uri(request.path),
        "max_query_length": MAX_QUERY_LENGTH,
        "languages": SimpleLazyObject(lambda: language_alternates(request)),
        "og_locale": translation.to_locale(translation.get_language()),
    }
