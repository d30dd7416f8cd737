"""The timeline: dated events from claims, regulatory decisions, source publications and
clinical trials.

Entries are ordered by date, then kind (claims before the decisions and publications that
document them), then id, and read a page at a time by keyset: a page reads at most
`limit + 1` rows of each kind after (or before) a cursor and merges them, so it costs the
same few queries however long the timeline grows. The public page and the API both read
it this way; the whole timeline at 100,000 therapies was 100 MB of HTML in 100 s.
"""

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from genetx import dates
from genetx.models import DatePrecision
from genetx.text import from_token, to_token
from sources.models import Citation, Claim, Source
from therapies.models import RegulatoryDecision, Trial, TrialCitation


@dataclass
class Event:
    date: datetime.date
    precision: str
    kind: str
    title: str
    url: str
    sources: list = field(default_factory=list)
    # The claim, decision or source the entry comes from.
    record: object = None

    @property
    def date_display(self) -> str:
        return dates.display(self.date, self.precision)

    @property
    def datetime_attr(self) -> str:
        """The date for <time datetime>, only as precise as it is known."""
        return dates.iso(self.date, self.precision)


@dataclass
class Year:
    year: int
    events: list[Event]


# The kinds of entry, as readers read them (translated when shown).
EVENT = _("Event")
DECISION = _("Regulatory decision")
PUBLICATION = _("Publication")
TRIAL_START = _("Trial start")
TRIAL_COMPLETION = _("Trial completion")


def claim_rows():
    """Published claims about a dated event, with their published sources."""
    return (
        Claim.objects.published()
        .filter(event_date__isnull=False)
        .prefetch_related(Prefetch("citations", queryset=Citation.objects.for_reference_list()))
    )


def claim_event(claim) -> Event:
    return Event(
        date=claim.event_date,
        precision=claim.event_date_precision or DatePrecision.DAY,
        kind=EVENT,
        title=claim.statement,
        url=claim.get_absolute_url(),
        sources=[citation.source for citation in claim.citations.all()],
        record=claim,
    )


def decision_rows():
    """Published regulatory decisions, with therapy, agency and source."""
    return RegulatoryDecision.objects.for_listing()


def decision_event(decision) -> Event:
    return Event(
        date=decision.date,
        precision=DatePrecision.DAY,
        kind=DECISION,
        title=gettext("%(agency)s: %(kind)s of %(therapy)s")
        % {
            "agency": decision.agency.name,
            "kind": decision.get_kind_display().lower(),
            "therapy": decision.therapy.name,
        },
        url=decision.therapy.get_absolute_url(),
        sources=[decision.source] if decision.source.is_published else [],
        record=decision,
    )


def source_rows():
    """Published sources with a publication date, with their authors."""
    return Source.objects.published().filter(issued__isnull=False).prefetch_related("authors")


def source_event(source) -> Event:
    return Event(
        date=source.issued,
        precision=source.issued_precision or DatePrecision.DAY,
        kind=PUBLICATION,
        title=source.display_title or str(source),
        # The entry links to the source itself, so it lists no further source.
        url=source.get_absolute_url(),
        record=source,
    )


def _trial_rows(date_field: str):
    """Published trials with this date, with their citations of published sources."""
    return (
        Trial.objects.published()
        .filter(**{f"{date_field}__isnull": False})
        .prefetch_related(
            Prefetch("citations", queryset=TrialCitation.objects.for_reference_list())
        )
    )


def trial_start_rows():
    return _trial_rows("start_date")


def trial_completion_rows():
    return _trial_rows("completion_date")


def _trial_event(trial, kind, date, precision: str, figure_kind: str) -> Event:
    anticipated = figure_kind == Trial.FigureKind.ANTICIPATED
    if kind == TRIAL_START:
        text = (
            gettext("%(trial)s starts (anticipated)")
            if anticipated
            else gettext("%(trial)s starts")
        )
    else:
        text = (
            gettext("%(trial)s completes (anticipated)")
            if anticipated
            else gettext("%(trial)s completes")
        )
    return Event(
        date=date,
        precision=precision or DatePrecision.DAY,
        kind=kind,
        title=text % {"trial": f"{trial.display_name} ({trial.registry_number})"},
        url=trial.get_absolute_url(),
        sources=[citation.source for citation in trial.citations.all()],
        record=trial,
    )


def trial_start_event(trial) -> Event:
    return _trial_event(
        trial, TRIAL_START, trial.start_date, trial.start_date_precision, trial.start_date_kind
    )


def trial_completion_event(trial) -> Event:
    return _trial_event(
        trial,
        TRIAL_COMPLETION,
        trial.completion_date,
        trial.completion_date_precision,
        trial.completion_date_kind,
    )


@dataclass(frozen=True)
class EventKind:
    """One kind of timeline entry: its rows, the date they are placed by, and the entry."""

    key: str
    label: str
    rows: Callable
    date_field: str
    event: Callable


KINDS = [
    EventKind("event", EVENT, claim_rows, "event_date", claim_event),
    EventKind("decision", DECISION, decision_rows, "date", decision_event),
    EventKind("publication", PUBLICATION, source_rows, "issued", source_event),
    EventKind("trial-start", TRIAL_START, trial_start_rows, "start_date", trial_start_event),
    EventKind(
        "trial-completion",
        TRIAL_COMPLETION,
        trial_completion_rows,
        "completion_date",
        trial_completion_event,
    ),
]
KIND_KEYS = tuple(kind.key for kind in KINDS)
# Where each kind sorts among the entries of one day.
ORDER = {kind.key: position for position, kind in enumerate(KINDS)}

# An entry's place in the timeline: (date, ORDER of its kind, id).
Cursor = tuple[datetime.date, int, int]


@dataclass
class Entry:
    cursor: Cursor
    kind: EventKind
    event: Event


def encode(cursor: Cursor) -> str:
    """A cursor as an opaque, URL-safe token (the API's and the page's links carry it)."""
    date, order, pk = cursor
    return to_token([date.isoformat(), KINDS[order].key, pk])


def decode(token: str) -> Cursor:
    """The cursor a token stands for; ValueError for anything this code did not write."""
    try:
        date, kind, pk = from_token(token)
        if kind not in ORDER or isinstance(pk, bool) or not isinstance(pk, int):
            raise ValueError(kind)
        return datetime.date.fromisoformat(date), ORDER[kind], pk
    except (ValueError, TypeError, OverflowError):
        raise ValueError("The cursor is not one this list gave out.") from None


def year_start(year: int) -> Cursor:
    """A cursor just before the first entry of the year: read after it to start there."""
    return datetime.date(year, 1, 1), -1, 0


def _beyond(kind: EventKind, cursor: Cursor, *, later: bool) -> Q:
    """This kind's rows that sort after the cursor's entry (later=True), or before it."""
    date, cursor_order, pk = cursor
    field, order = kind.date_field, ORDER[kind.key]
    strictly, or_same = ("gt", "gte") if later else ("lt", "lte")
    if order != cursor_order:
        # Another kind: on the cursor's day it sorts wholly on one side of the cursor.
        on_its_side = order > cursor_order if later else order < cursor_order
        return Q(**{f"{field}__{or_same if on_its_side else strictly}": date})
    return Q(**{f"{field}__{strictly}": date}) | Q(**{field: date, f"pk__{strictly}": pk})


def entries(
    *, limit: int, after: Cursor | None = None, before: Cursor | None = None, kinds=KINDS
) -> tuple[list[Entry], bool]:
    """Up to `limit` entries in timeline order: the first ones, those after `after`, or
    the last ones before `before`; and whether more lie beyond them in the direction read.

    Two steps: each kind's next `limit + 1` positions (date and id only), merged to find
    the entries shown; then the shown rows of each kind, with what their entries show.
    Reading whole rows and their sources for every candidate built five times the
    entries a page shows (a 200-entry page: about 2,200 model instances for 200 shown).
    """
    candidates = []
    for kind in kinds:
        rows = kind.rows()
        if before is not None:
            rows = rows.filter(_beyond(kind, before, later=False)).order_by(
                f"-{kind.date_field}", "-pk"
            )
        else:
            rows = rows.order_by(kind.date_field, "pk")
            if after is not None:
                rows = rows.filter(_beyond(kind, after, later=True))
        order = ORDER[kind.key]
        positions = rows.values_list(kind.date_field, "pk")[: limit + 1]
        candidates += [((date, order, pk), kind) for date, pk in positions]
    candidates.sort(key=lambda candidate: candidate[0], reverse=before is not None)
    shown = candidates[:limit]
    if before is not None:
        shown.reverse()
    wanted: dict[EventKind, list[int]] = {}
    for cursor, kind in shown:
        wanted.setdefault(kind, []).append(cursor[2])
    events = {
        (kind.key, row.pk): kind.event(row)
        for kind, pks in wanted.items()
        for row in kind.rows().filter(pk__in=pks)
    }
    # A row unpublished between the two steps by another writer is left out, not an error.
    found = [
        Entry(cursor, kind, events[kind.key, cursor[2]])
        for cursor, kind in shown
        if (kind.key, cursor[2]) in events
    ]
    return found, len(candidates) > limit


def counts_by_year() -> dict[tuple[int, int], int]:
    """How many entries each year has of each kind, {(year, ORDER of the kind): n}: one
    grouped count per kind (the year index and the chart; keep it per content version,
    genetx.cache.per_version)."""
    counts = {}
    for kind in KINDS:
        rows = (
            kind.rows()
            .prefetch_related(None)
            .order_by()
            .values_list(ExtractYear(kind.date_field))
            .annotate(n=Count("pk"))
        )
        counts.update({(year, ORDER[kind.key]): n for year, n in rows})
    return counts


def by_year(found: list[Event]) -> list[Year]:
    return [
        Year(year=year, events=list(group))
        for year, group in itertools.groupby(found, key=lambda event: event.date.year)
    ]


def events_per_year(counts: dict[tuple[int, int], int]):
    """The timeline's entries per year as a chart, split by kind of entry (no query)."""
    from genetx.charts import stacked_chart

    return stacked_chart(
        "events",
        gettext("Timeline events per year"),
        gettext("events"),
        {(str(year), str(KINDS[order].label)): n for (year, order), n in counts.items()},
        row_header=gettext("Year"),
    )
