"""Convert Natural Earth boundaries (the world-atlas npm package) into GeneTx's base map.

Run once, by a developer, when the base map should change; the result is committed as
genetx/data/basemap.json and read at run time by genetx/maps.py, which needs neither this
command nor its dependencies:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/python manage.py build_basemap package/

The boundaries are Natural Earth's (public domain); world-atlas (ISC licence, Mike
Bostock) packages them as TopoJSON. This command decodes the TopoJSON, projects it for
each view (Spain's mainland with the Balearic Islands, a Canary Islands inset, and a small
world view), clips it to each frame and simplifies it to the pixel grid with shapely (a
development dependency), so the committed file stays small.
"""

import json
import math
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

OUTPUT = Path(settings.BASE_DIR) / "genetx" / "data" / "basemap.json"

# Each view is a set of frames drawn on one SVG canvas. A frame maps a longitude/latitude
# box onto a rectangle of the canvas with an equirectangular projection whose horizontal
# scale is cos(the frame's middle latitude): at Spain's size the distortion is invisible,
# and the same few lines in genetx/maps.py place markers exactly where the shapes are.
VIEWS = {
    "spain": {
        "source": "countries-50m.json",
        "title": "Spain, with the Balearic and Canary Islands",
        "scale": 52.0,
        # Simplification tolerance and the smallest island kept, in pixels.
        "tolerance": 0.25,
        "min_area": 0.5,
        "frames": [
            {"name": "peninsula", "bbox": [-9.9, 35.7, 4.6, 44.0], "at": [0, 0]},
            # Below the peninsula, at the same scale, boxed: where Spanish maps put them.
            {"name": "canaries", "bbox": [-18.3, 27.5, -13.3, 29.5], "at": [0, 440]},
        ],
        # Spain is drawn as land, these neighbours as context.
        "highlight": {"724"},
        "context": {"620", "250", "020", "504", "012", "826", "732"},
    },
    "world": {
        "source": "countries-110m.json",
        "title": "The world",
        "scale": 1.0,
        "tolerance": 0.6,
        "min_area": 2.0,
        "frames": [{"name": "world", "bbox": [-180, -58, 180, 84], "at": [0, 0]}],
        "highlight": {"724"},
        "context": None,  # every country
    },
}


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs as absolute longitude/latitude points (they are delta-encoded)."""
    (kx, ky), (dx, dy) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for px, py in arc:
            x, y = x + px, y + py
            points.append((x * kx + dx, y * ky + dy))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs) -> list[tuple[float, float]]:
    """One polygon ring from arc indices; a negative index ~i is arc i reversed."""
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)
    return points


def polygons(geometry: dict, arcs) -> list[list[list[tuple[float, float]]]]:
    if geometry["type"] == "Polygon":
        return [[ring(r, arcs) for r in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[ring(r, arcs) for r in polygon] for polygon in geometry["arcs"]]
    return []


def frame_projection(frame: dict, scale: float):
    west, south, east, north = frame["bbox"]
    k = math.cos(math.radians((south + north) / 2)) * scale
    x0, y0 = frame["at"]
    width = round((east - west) * k, 1)
    height = round((north - south) * scale, 1)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (x0 + (lon - west) * k, y0 + (north - lat) * scale)

    return project, {
        "name": frame["name"],
        "bbox": frame["bbox"],
        "x": x0,
        "y": y0,
        "width": width,
        "height": height,
        "kx": round(k, 6),
        "ky": scale,
    }


def path_data(geometry, min_area: float) -> str:
    """SVG path data with one decimal, absolute moves and relative lines (short text)."""
    from shapely.geometry import MultiPolygon, Polygon

    parts = []
    shapes = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    for shape in shapes:
        if not isinstance(shape, Polygon) or shape.is_empty or shape.area < min_area:
            continue
        for line in [shape.exterior, *shape.interiors]:
            coords = [(round(x * 10), round(y * 10)) for x, y in line.coords[:-1]]
            if len(coords) < 3:
                continue
            (x, y), rest = coords[0], coords[1:]
            steps = []
            for nx, ny in rest:
                if (nx, ny) != (x, y):
                    steps.append(f"{_num(nx - x)} {_num(ny - y)}")
                x, y = nx, ny
            if len(steps) < 2:  # collapsed to a point or a line at this size
                continue
            parts.append(f"M{_num(coords[0][0])} {_num(coords[0][1])}l" + " ".join(steps) + "z")
    return "".join(parts)


def _num(tenths: int) -> str:
    return f"{tenths / 10:g}"


class Command(BaseCommand):
    help = "Build genetx/data/basemap.json from the world-atlas npm package (run once)."

    def add_arguments(self, parser):
        parser.add_argument("package", help="the unpacked world-atlas package folder")

    def handle(self, *args, **options):
        try:
            from shapely.geometry import MultiPolygon, Polygon, box
            from shapely.ops import transform
        except ImportError as error:  # pragma: no cover - a developer's setup
            raise CommandError("build_basemap needs shapely: make install (dev extra)") from error
        folder = Path(options["package"])
        meta = json.loads((folder / "package.json").read_text())
        views = {}
        for view_name, spec in VIEWS.items():
            topology = json.loads((folder / spec["source"]).read_text())
            arcs = decode_arcs(topology)
            countries = topology["objects"]["countries"]["geometries"]
            frames, shapes = [], []
            for frame in spec["frames"]:
                project, frame_meta = frame_projection(frame, spec["scale"])
                frames.append(frame_meta)
                clip = box(*frame["bbox"])
                for country in countries:
                    code = country.get("id")
                    if spec["context"] is not None and code not in (
                        spec["highlight"] | spec["context"]
                    ):
                        continue
                    shape = MultiPolygon(
                        [Polygon(rings[0], rings[1:]) for rings in polygons(country, arcs)]
                    ).buffer(0)
                    shape = shape.intersection(clip)
                    if shape.is_empty:
                        continue
                    # Project, then drop detail and islands too small to see at this size.
                    shape = transform(lambda x, y, p=project: p(x, y), shape)
                    shape = shape.simplify(spec["tolerance"])
                    d = path_data(shape, spec["min_area"])
                    if d:
                        shapes.append(
                            {
                                "id": code,
                                "name": country["properties"]["name"],
                                "frame": frame["name"],
                                "highlight": code in spec["highlight"],
                                "d": d,
                            }
                        )
            width = max(f["x"] + f["width"] for f in frames)
            height = max(f["y"] + f["height"] for f in frames)
            views[view_name] = {
                "title": spec["title"],
                "width": round(width, 1),
                "height": round(height, 1),
                "frames": frames,
                "shapes": shapes,
            }
        data = {
            "provenance": (
                f"Natural Earth boundaries via the world-atlas npm package {meta['version']} "
                f"({', '.join(sorted({v['source'] for v in VIEWS.values()}))}), "
                "converted by manage.py build_basemap"
            ),
            "licence": "Natural Earth: public domain. world-atlas packaging: ISC licence.",
            "views": views,
        }
        OUTPUT.parent.mkdir(exist_ok=True)
        OUTPUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
        size = OUTPUT.stat().st_size
        self.stdout.write(f"Wrote {OUTPUT.relative_to(settings.BASE_DIR)} ({size:,} bytes).")
