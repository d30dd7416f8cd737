"""Maps of institutions, drawn on the server as SVG over a committed base map.

The base map (genetx/data/basemap.json) holds Natural Earth boundaries already projected
into SVG coordinates by `manage.py build_basemap`, with each frame's projection; this module
places markers with the same projection, so a page needs no tiles, no script and nothing
from another host. Spain's view has the peninsula with the Balearic Islands and a Canary
Islands inset; institutions outside those frames go on a small world view.

Pages build a list of `MapPoint`s (from rows they already read) and pass it to
`institution_map()`, which costs no query.
"""

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _

BASEMAP = Path(__file__).resolve().parent / "data" / "basemap.json"
# Markers closer than this (pixels) would hide each other: they are fanned out around
# their shared place instead (two hospitals in Barcelona at city-level coordinates).
CROWD_DISTANCE = 8.0
FAN_RADIUS = 9.0
# Role key for an institution with no public programme (a publisher, say).
NO_ROLE = "none"
# The views' titles in the reader's language (the base map file holds the English ones).
VIEW_TITLES = {
    "spain": _("Spain, with the Balearic and Canary Islands"),
    "world": _("The world"),
}
# Legend order and labels; the CSS colours markers by `role-<key>`.
ROLE_LABELS = {
    "develops": _("Develops"),
    "implements": _("Implements"),
    "treats": _("Treats patients"),
    "trial_site": _("Trial site"),
    "designated_centre": _("Designated centre"),
    "authorises": _("Authorises treatment requests"),
    NO_ROLE: _("No programme listed"),
}


@dataclass
class MapPoint:
    """One institution to show: its roles in the page's context, first role colours it."""

    name: str
    url: str
    place: str
    latitude: float | None
    longitude: float | None
    roles: list[str] = field(default_factory=list)

    @property
    def role(self) -> str:
        return self.roles[0] if self.roles else NO_ROLE

    @property
    def role_labels(self) -> list[str]:
        return [str(ROLE_LABELS.get(role, role)) for role in self.roles or [NO_ROLE]]

    @property
    def label(self) -> str:
        """The marker's accessible name: who, where, and what it does."""
        parts = [self.name]
        if self.place:
            parts.append(self.place)
        return ", ".join(parts) + ": " + ", ".join(self.role_labels).lower()


@dataclass
class Marker:
    point: MapPoint
    x: float
    y: float


@dataclass
class MapView:
    key: str
    title: str
    width: float
    height: float
    shapes: list[dict]
    frames: list[dict]
    markers: list[Marker]

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width:g} {self.height:g}"


@dataclass
class InstitutionMap:
    views: list[MapView]
    points: list[MapPoint]
    unplaced: list[MapPoint]
    legend: list[tuple[str, str]]
    total: int

    @property
    def shown(self) -> int:
        return len(self.points)

    def __bool__(self) -> bool:
        return bool(self.points)


@cache
def basemap() -> dict:
    """The committed base map, read once per process."""
    return json.loads(BASEMAP.read_text())


def _project(frame: dict, latitude: float, longitude: float) -> tuple[float, float] | None:
    west, south, east, north = frame["bbox"]
    if not (west <= longitude <= east and south <= latitude <= north):
        return None
    return (
        frame["x"] + (longitude - west) * frame["kx"],
        frame["y"] + (north - latitude) * frame["ky"],
    )


def _place(view: dict, latitude: float, longitude: float) -> tuple[float, float] | None:
    for frame in view["frames"]:
        position = _project(frame, latitude, longitude)
        if position is not None:
            return position
    return None


def _fan_out(markers: list[Marker]) -> list[Marker]:
    """Spread markers that would overlap evenly around the place they share."""
    groups: list[list[Marker]] = []
    for marker in markers:
        for group in groups:
            if math.dist((group[0].x, group[0].y), (marker.x, marker.y)) < CROWD_DISTANCE:
                group.append(marker)
                break
        else:
            groups.append([marker])
    for group in groups:
        if len(group) < 2:
            continue
        cx, cy = group[0].x, group[0].y
        radius = FAN_RADIUS * max(1.0, len(group) / 6)
        for index, marker in enumerate(group):
            angle = 2 * math.pi * index / len(group) - math.pi / 2
            marker.x = round(cx + radius * math.cos(angle), 1)
            marker.y = round(cy + radius * math.sin(angle), 1)
    return markers


def institution_map(points: list[MapPoint], *, total: int | None = None) -> InstitutionMap:
    """Spain's view for points in its frames, the world view for the rest.

    `total` is how many institutions matched when the caller read only the first few.
    """
    data = basemap()["views"]
    spain, world = data["spain"], data["world"]
    placed: dict[str, list[Marker]] = {"spain": [], "world": []}
    unplaced = []
    for point in points:
        if point.latitude is None or point.longitude is None:
            unplaced.append(point)
            continue
        lat, lon = float(point.latitude), float(point.longitude)
        position = _place(spain, lat, lon)
        key = "spain"
        if position is None:
            position, key = _place(world, lat, lon), "world"
        if position is None:  # beyond the world view's latitudes (Antarctica)
            unplaced.append(point)
            continue
        placed[key].append(Marker(point, round(position[0], 1), round(position[1], 1)))
    views = [
        MapView(
            key,
            VIEW_TITLES.get(key, data[key]["title"]),
            data[key]["width"],
            data[key]["height"],
            data[key]["shapes"],
            data[key]["frames"],
            _fan_out(markers),
        )
        for key, markers in placed.items()
        if markers
    ]
    used = {point.role for point in points}
    legend = [(role, str(label)) for role, label in ROLE_LABELS.items() if role in used]
    return InstitutionMap(
        views=views,
        points=points,
        unplaced=unplaced,
        legend=legend,
        total=len(points) if total is None else total,
    )


def roles_in_order(roles) -> list[str]:
    """Distinct roles in legend order, so the first one colours the marker."""
    order = list(ROLE_LABELS)
    return sorted(set(roles), key=lambda role: order.index(role) if role in order else len(order))
