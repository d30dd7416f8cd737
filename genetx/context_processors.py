from django.conf import settings

from genetx.text import MAX_QUERY_LENGTH


def site(request):
    """Values every page template needs: the site's name and this page's canonical URL.

    The canonical URL is the request path without its query string, so filtered, sorted
    and paginated variants of a page point search engines at one address. A page can
    override it with the base template's `canonical` block. `max_query_length` is the
    one limit every search box shares.
    """
    return {
        "site_name": settings.SITE_NAME,
        "canonical_url": request.build_absolute_uri(request.path),
        "max_query_length": MAX_QUERY_LENGTH,
    }
