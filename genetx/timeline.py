"""The timeline: dated events from claims, regulatory decisions and source publications."""

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from genetx import dates
from genetx.models import DatePrecision
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


def events() -> list[Event]:
    """Every dated public event, oldest first; a fixed number of queries."""
    found = [kind.event(row) for kind in KINDS for row in kind.rows()]
    # Within one day, claims come before the decisions and publications that document them.
    order = {str(kind.label): position for position, kind in enumerate(KINDS)}
    found.sort(key=lambda event: (event.date, order[str(event.kind)], event.title))
    return found


def by_year(found: list[Event]) -> list[Year]:
    return [
        Year(year=year, events=list(group))
        for year, group in itertools.groupby(found, key=lambda event: event.date.year)
    ]


def events_per_year(years: list[Year]):
    """The timeline's events per year as a chart, split by kind of event (no query)."""
    from genetx.charts import stacked_chart

    counts: dict[tuple[str, str], int] = {}
    for year in years:
        for event in year.events:
            key = (str(year.year), str(event.kind))
            counts[key] = counts.get(key, 0) + 1
    return stacked_chart(
        "events",
        gettext("Timeline events per year"),
        gettext("events"),
        counts,
        row_header=gettext("Year"),
    )
