"""Bar charts drawn on the server as SVG, each with the same numbers as a table.

A chart is data plus geometry: `bar_chart()` and `stacked_chart()` turn counts into rows
whose bars the template `includes/chart.html` draws in a fixed coordinate system, and
whose numbers it also writes as a data table (the text alternative). Colours come from
the stylesheet (`series-<n>` classes), so the strict CSP needs no inline style.
"""

from dataclasses import dataclass, field

from django.utils.text import capfirst
from django.utils.translation import gettext

# The drawing's coordinate system: bars grow from LABEL_GAP to WIDTH - VALUE_ROOM.
WIDTH = 360
ROW_HEIGHT = 34
BAR_HEIGHT = 14
VALUE_ROOM = 40
# Series past this many share the last colour; a stacked chart this wide is unreadable anyway.
SERIES_COLOURS = 6


@dataclass
class Segment:
    series: int
    label: str
    value: int
    x: float
    width: float


@dataclass
class Row:
    label: str
    value: int
    url: str = ""
    segments: list[Segment] = field(default_factory=list)
    # A stacked chart's counts per series, in the chart's series order, for its table.
    cells: list[int] = field(default_factory=list)
    y: float = 0

    @property
    def label_y(self) -> float:
        return self.y + 11

    @property
    def bar_y(self) -> float:
        return self.y + 15

    @property
    def value_x(self) -> float:
        end = self.segments[-1].x + self.segments[-1].width if self.segments else 0
        return round(end + 4, 1)

    @property
    def value_y(self) -> float:
        return self.bar_y + BAR_HEIGHT - 3


@dataclass
class Chart:
    key: str
    title: str
    noun: str  # what is counted, plural: "therapies"
    rows: list[Row]
    series: list[str] = field(default_factory=list)
    row_header: str = ""
    total: int = 0
    # Split by series, with a legend and one table column per series.
    stacked: bool = False

    @property
    def height(self) -> int:
        return len(self.rows) * ROW_HEIGHT + 4

    @property
    def width(self) -> int:
        return WIDTH

    @property
    def bar_height(self) -> int:
        return BAR_HEIGHT

    @property
    def legend(self) -> list[tuple[int, str]]:
        return [(min(n, SERIES_COLOURS - 1), label) for n, label in enumerate(self.series)]

    @property
    def summary(self) -> str:
        """One sentence a screen reader hears for the drawing; the table has the rest."""
        if not self.rows:
            return gettext("No %(noun)s yet.") % {"noun": self.noun}
        top = max(self.rows, key=lambda row: row.value)
        return gettext("%(noun)s: %(total)s in all; most: %(label)s (%(value)s).") % {
            "noun": capfirst(self.noun),
            "total": self.total,
            "label": top.label,
            "value": top.value,
        }

    def __bool__(self) -> bool:
        return bool(self.rows)


def _layout(chart: Chart) -> Chart:
    scale_max = max((row.value for row in chart.rows), default=0) or 1
    room = WIDTH - VALUE_ROOM
    for index, row in enumerate(chart.rows):
        row.y = index * ROW_HEIGHT
        x = 0.0
        for segment in row.segments:
            segment.x = round(x, 1)
            segment.width = round(room * segment.value / scale_max, 1)
            x += segment.width
    chart.total = sum(row.value for row in chart.rows)
    return chart


def bar_chart(key: str, title: str, noun: str, rows: list[tuple[str, int, str]]) -> Chart:
    """One bar per (label, count, link to the counted rows) in the order given."""
    built = [
        Row(label, value, url, [Segment(0, label, value, 0, 0)])
        for label, value, url in rows
        if value
    ]
    return _layout(Chart(key, title, noun, built))


def stacked_chart(
    key: str,
    title: str,
    noun: str,
    counts: dict[tuple[str, str], int],
    *,
    row_header: str,
    others: str = "",
) -> Chart:
    """Rows (years, say) of bars split by series (agencies): counts[(row, series)].

    Series that grow with the content (agencies) name `others` ("Other agencies"): with
    more of them than colours, the largest keep theirs and the rest are added up as that
    one last series. A legend and table of hundreds of agencies is unreadable, and the
    chart grew with the corpus (800 KB of HTML on the home page at 100,000 therapies).
    Series from a small fixed set (kinds of timeline event) need no `others`.
    """
    totals: dict[str, int] = {}
    for (_, name), value in counts.items():
        totals[name] = totals.get(name, 0) + value
    if others and len(totals) > SERIES_COLOURS:
        largest = sorted(totals, key=lambda name: (-totals[name], name))[: SERIES_COLOURS - 1]
        merged: dict[tuple[str, str], int] = {}
        for (label, name), value in counts.items():
            cell = (label, name if name in largest else others)
            merged[cell] = merged.get(cell, 0) + value
        counts = merged
        series = [*sorted(largest), others]
    else:
        series = sorted(totals)
    row_labels = sorted({row for row, _ in counts})
    rows = []
    for label in row_labels:
        segments = [
            Segment(min(n, SERIES_COLOURS - 1), name, counts[(label, name)], 0, 0)
            for n, name in enumerate(series)
            if counts.get((label, name))
        ]
        cells = [counts.get((label, name), 0) for name in series]
        rows.append(Row(label, sum(s.value for s in segments), "", segments, cells))
    chart = Chart(key, title, noun, rows, series=series, row_header=row_header, stacked=True)
    return _layout(chart)
