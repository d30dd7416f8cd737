"""The timeline in the API: the public timeline's entries, a keyset page at a time
(genetx.timeline reads them, for the public page too)."""

from typing import Literal

from django.urls import reverse
from ninja import Field, Schema

from genetx import timeline

from .querying import MAX_VALUES, ApiInputError, next_link
from .schemas import absolute

KIND_KEYS = timeline.KIND_KEYS
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


def timeline_page(request, query: TimelineQuery, page) -> dict:
    try:
        cursor = timeline.decode(page.cursor) if page.cursor else None
    except ValueError as error:
        raise ApiInputError({"cursor": [str(error)]}) from None
    wanted = set(query.kind) or set(KIND_KEYS)
    kinds = [kind for kind in timeline.KINDS if kind.key in wanted]
    shown, more = timeline.entries(limit=page.limit, after=cursor, kinds=kinds)
    next_url = next_link(request, cursor=timeline.encode(shown[-1].cursor)) if more else None
    results = [
        {
            "date": entry.event.datetime_attr,
            "kind": entry.kind.key,
            "title": entry.event.title,
            "url": absolute({"request": request}, _RECORD_URL[entry.kind.key](entry.event.record)),
            "html_url": absolute({"request": request}, entry.event.url),
            "sources": entry.event.sources,
        }
        for entry in shown
    ]
    return {"next": next_url, "results": results}
