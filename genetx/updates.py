"""Recently published or updated records of every public type, for the home page and feed."""

import datetime
from dataclasses import dataclass

from hospitals.models import Institution
from sources.models import Claim, Source
from therapies.models import Condition, Therapy

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


def _shorten(text: str, limit: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


# (label, model, fields read, how to get the title, how to get the summary)
_TYPES = (
    ("Therapy", Therapy, ("slug", "name", "summary"), lambda r: r.name, lambda r: r.summary),
    ("Condition", Condition, ("slug", "name", "summary"), lambda r: r.name, lambda r: r.summary),
    (
        "Institution",
        Institution,
        ("slug", "name", "summary"),
        lambda r: r.name,
        lambda r: r.summary,
    ),
    (
        "Source",
        Source,
        ("key", "title", "original_title", "container_title", "note"),
        lambda r: r.title or r.original_title or r.container_title or r.key,
        lambda r: r.note or r.container_title,
    ),
    ("Claim", Claim, ("slug", "statement"), lambda r: _shorten(r.statement, 120), lambda r: ""),
)


def latest_updates(limit: int) -> list[Update]:
    """The `limit` most recently updated published records of all types, newest first.

    One query per type, whatever the number of rows.
    """
    updates = []
    for label, model, fields, title, summary in _TYPES:
        records = (
            model.objects.published()
            .only("published_at", "updated_at", *fields)
            .order_by("-updated_at", "-pk")[:limit]
        )
        updates.extend(
            Update(
                type_label=label,
                title=title(record),
                summary=_shorten(summary(record)),
                url=record.get_absolute_url(),
                published_at=record.published_at,
                updated_at=record.updated_at,
            )
            for record in records
        )
    updates.sort(key=lambda update: update.updated_at, reverse=True)
    return updates[:limit]
