"""Recently published or updated records of every public type, for the home page and feed."""

import datetime
from dataclasses import dataclass

from genetx.content_types import with_pages
from genetx.text import shorten

# A record saved within this long after its first publication counts as newly published.
_FRESH = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class Update:
    type_label: str
    title: str
    summary: str
    url: str
    published_at: datetime.datetime
    updated_at: datetime.datetime

    @property
    def is_new(self) -> bool:
        """Published and not changed since, as opposed to a later edit."""
        return self.updated_at - self.published_at <= _FRESH


def latest_updates(limit: int) -> list[Update]:
    """The `limit` most recently updated published records of all types, newest first.

    One query per type, whatever the number of rows.
    """
    updates = []
    for content_type in with_pages():
        records = (
            content_type.model.objects.published()
            .only(
                "published_at", "updated_at", content_type.lookup_field, *content_type.title_fields
            )
            .order_by("-updated_at", "-pk")[:limit]
        )
        updates.extend(
            Update(
                type_label=str(content_type.label_singular),
                title=shorten(content_type.title(record), 120),
                summary=shorten(content_type.summary(record), 240),
                url=record.get_absolute_url(),
                published_at=record.published_at,
                updated_at=record.updated_at,
            )
            for record in records
        )
    updates.sort(key=lambda update: update.updated_at, reverse=True)
    return updates[:limit]
