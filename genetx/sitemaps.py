"""sitemap.xml: every list page and every published record."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from hospitals.models import Institution
from sources.models import Claim, Source
from therapies.models import Condition, Therapy


class PagesSitemap(Sitemap):
    """The home page, the lists and the site-wide pages."""

    def items(self):
        return [
            "home",
            "therapies:therapy-list",
            "therapies:condition-list",
            "hospitals:institution-list",
            "sources:source-list",
            "sources:claim-list",
            "timeline",
        ]

    def location(self, item):
        return reverse(item)


class PublishedSitemap(Sitemap):
    """The detail pages of one model's published records."""

    model = None

    def items(self):
        # Only the columns the URL and lastmod need, in a stable order for pagination.
        key = "key" if self.model is Source else "slug"
        return self.model.objects.published().only(key, "updated_at").order_by("pk")

    def lastmod(self, item):
        return item.updated_at


class TherapySitemap(PublishedSitemap):
    model = Therapy


class ConditionSitemap(PublishedSitemap):
    model = Condition


class InstitutionSitemap(PublishedSitemap):
    model = Institution


class SourceSitemap(PublishedSitemap):
    model = Source


class ClaimSitemap(PublishedSitemap):
    model = Claim


SITEMAPS = {
    "pages": PagesSitemap,
    "therapies": TherapySitemap,
    "conditions": ConditionSitemap,
    "institutions": InstitutionSitemap,
    "sources": SourceSitemap,
    "claims": ClaimSitemap,
}
