"""The Atom feed of recently published or updated records."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .updates import latest_updates


class LatestUpdatesFeed(Feed):
    feed_type = Atom1Feed
    # Reads no query parameter (genetx.cache.CanonicalQueryMiddleware).
    cache_query_params = frozenset()
    # Per language: /es/feed.atom is the Spanish feed (genetx.i18n), titled in Spanish.
    subtitle = _(
        "Gene therapies, conditions, institutions, sources and claims recently published "
        "or updated."
    )
    author_name = settings.SITE_NAME
    limit = 30

    def title(self):
        return gettext("%(site)s: latest updates") % {"site": settings.SITE_NAME}

    def link(self):
        return reverse("home")

    def items(self):
        return latest_updates(self.limit)

    def item_title(self, item):
        return f"{item.type_label}: {item.title}"

    def item_description(self, item):
        # Atom marks the summary as type="html", so feed readers render it as HTML: the
        # editor's plain text is escaped first, or markup typed into a summary would run.
        return escape(item.summary)

    def item_link(self, item):
        return item.url

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.type_label]
