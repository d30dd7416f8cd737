"""sitemap.xml: every list page and every published record."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from genetx.content_types import CONTENT_TYPES, with_pages


class LanguagesSitemap(Sitemap):
    """Every page once per language (settings.LANGUAGES), each entry naming the page's
    other languages as hreflang alternates, English as the x-default."""

    i18n = True
    alternates = True
    x_default = True


class PagesSitemap(LanguagesSitemap):
    """The home page, the lists and the site-wide pages."""

    def items(self):
        lists = [content_type.list_url for content_type in CONTENT_TYPES if content_type.list_url]
        return ["home", *lists, "timeline"]

    def location(self, item):
        return reverse(item)


class PublishedSitemap(LanguagesSitemap):
    """The detail pages of one content type's published records."""

    def __init__(self, content_type):
        self.content_type = content_type

    def items(self):
        # Only the columns the URL and lastmod need, in a stable order for pagination.
        model = self.content_type.model
        return (
            model.objects.published()
            .only(self.content_type.lookup_field, "updated_at")
            .order_by("pk")
        )

    def lastmod(self, item):
        return item.updated_at


SITEMAPS = {
    "pages": PagesSitemap,
    **{content_type.key: PublishedSitemap(content_type) for content_type in with_pages()},
}
