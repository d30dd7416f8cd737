"""The timeline in the API: the public timeline's entries, a keyset page at a time.

Entries come from three tables (dated claims, regulatory decisions, dated sources), ordered
by date, then kind (claims before the decisions and publications that document them), then
id. A page reads at most `limit + 1` rows of each kind after the cursor and merges them, so
it costs the same few queries however long the timeline grows.
"""

import base64
import binascii
import datetime
import json
from typing import Literal

from django.db.models import Q
from django.urls import reverse
from ninja import Field, Schema

from genetx import timeline

from .querying import MAX_VALUES, ApiInputError, next_link
from .schemas import absolute

KIND_KEYS = tuple(kind.key for kind in timeline.KINDS)
_ORDER = {kind.key: position for position, kind in enumerate(timeline.KINDS)}
# The API address of each kind's record.
_RECORD_URL = {
    "event": lambda record: reverse("api:claim", kwargs={"slug": record.slug}),
    "decision": lambda record: reverse("api:decision-by-id", kwargs={"id": record.pk}),
    "publication": lambda record: reverse("api:source", kwargs={"key": record.key}),
    "trial-start": lambda record: reverse("api:trial", kwargs={"slug": record.slug}),
    "trial-completion": lambda record: reverse("api:trial", kwargs={"slug": record.slug}),
}


class TimelineQuery(Schema):
    kind: list[Literal[KIND_KEYS]] = Field(
        [], max_length=MAX_VALUES, description="Only these kinds of entry; repeat for several."
    )


def _encode(date: datetime.date, kind: str, pk: int) -> str:
    raw = json.dumps([date.isoformat(), kind, pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime.date, int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        date, kind, pk = json.loads(raw)
        if kind not in _ORDER or isinstance(pk, bool) or not isinstance(pk, int):
            raise ValueError(kind)
        return datetime.date.fromisoformat(date), _ORDER[kind], pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise ApiInputError({"cursor": ["The cursor is not one this list gave out."]}) from None


def _after(kind, order: int, cursor) -> Q:
    """This kind's rows that sort after the cursor's entry."""
    date, cursor_order, pk = cursor
    field = kind.date_field
    if order > cursor_order:
        return Q(**{f"{field}__gte": date})
    if order < cursor_order:
        return Q(**{f"{field}__gt": date})
    return Q(**{f"{field}__gt": date}) | Q(**{field: date, "pk__gt": pk})


def timeline_page(request, query: TimelineQuery, page) -> dict:
    cursor = _decode(page.cursor) if page.cursor else None
    wanted = set(query.kind) or set(KIND_KEYS)
    found = []
    for kind in timeline.KINDS:
        if kind.key not in wanted:
            continue
        order = _ORDER[kind.key]
        rows = kind.rows().order_by(kind.date_field, "pk")
        if cursor is not None:
            rows = rows.filter(_after(kind, order, cursor))
        for row in rows[: page.limit + 1]:
            event = kind.event(row)
            found.append(((event.date, order, row.pk), kind.key, event))
    found.sort(key=lambda item: item[0])
    shown = found[: page.limit]
    next_url = None
    if len(found) > page.limit:
        (date, _, pk), key, _ = shown[-1]
        next_url = next_link(request, cursor=_encode(date, key, pk))
    results = [
        {
            "date": event.datetime_attr,
            "kind": key,
            "title": event.title,
            "url": absolute({"request": request}, _RECORD_URL[key](event.record)),
            "html_url": absolute({"request": request}, event.url),
            "sources": event.sources,
        }
        for _, key, event in shown
    ]
    return {"next": next_url, "results": results}
