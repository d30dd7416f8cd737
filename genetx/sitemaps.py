"""The sitemaps: every list page and every published record, in every language.

/sitemap.xml is an index naming one sitemap per section (/sitemap-therapies.xml ...), each
paginated with ?p=. One file of every record was 83 MB and took 79 s at 100,000 therapies,
past the protocol's 50,000 addresses a file.
"""

import math
from collections.abc import Sequence

from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max
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


class InLanguages(Sequence):
    """The (record, language) pairs of an i18n sitemap, read a page at a time.

    Django's i18n sitemap pairs every record with every language in one list before it
    takes a page of it, which reads the whole table for each page. This reads only the page's
    records; the order is Django's (each record, then its languages).
    """

    def __init__(self, queryset, languages):
        self.queryset, self.languages = queryset, list(languages)

    def count(self) -> int:
        return self.queryset.count() * len(self.languages)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("InLanguages is read in slices (a page)")
        start, stop = index.start or 0, index.stop
        n = len(self.languages)
        first = start // n
        records = self.queryset[first : math.ceil(stop / n)] if stop else self.queryset[first:]
        pairs = [(record, language) for record in records for language in self.languages]
        return pairs[start - first * n : (stop - first * n) if stop else None]


class PublishedSitemap(LanguagesSitemap):
    """The detail pages of one content type's published records."""

    # Addresses a file (each record once per language, with its alternates): a file of
    # 2,000 renders in about half a second at any size (5,000: 1.3 s and 2 MB).
    limit = 2000

    def __init__(self, content_type):
        self.content_type = content_type

    @property
    def paginator(self):
        # A property, as Django's: SITEMAPS holds one instance for the process, so a cached
        # paginator would keep its first count for good.
        return Paginator(InLanguages(self.items(), self._languages()), self.limit)

    def get_latest_lastmod(self):
        """The section's last change, for the index: one aggregate rather than Django's
        reading of every record."""
        return self.content_type.model.objects.published().aggregate(Max("updated_at"))[
            "updated_at__max"
        ]

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
