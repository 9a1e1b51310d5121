"""Build tracker/geodata/world.json, the world map's shapes, once, from Natural Earth via world-atlas.

Run by hand when the shapes should change (never at deploy time):

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    pip install --target /tmp/pycountry pycountry==26.2.16
    PYTHONPATH=/tmp/pycountry python tools/build_world_map.py package/

The input is the TopoJSON of Natural Earth's admin-0 countries (public domain) as
the npm package world-atlas redistributes it (ISC licence; its countries carry the
ISO 3166-1 numeric code). pycountry (LGPL-2.1) is used only here, to turn those
numeric codes into the alpha-2 codes the tracker uses; it is not needed to run the
site. The output holds, per State of fixtures/data/states.csv:

- ``shapes``: its 1:110m outline, projected (Equal Earth) into SVG path data with
  integer coordinates, absolute for each ring's first point and relative after;
- ``points``: for micro-States (absent at 1:110m, or smaller there than a few
  pixels), the projected centroid of its largest polygon at 1:50m (1:10m where
  1:50m lacks it), nudged apart where circles would overlap, drawn by
  tracker/worldmap.py as a circle;
- ``others``: land that is not one of the States (territories, disputed areas)
  as one grey path, so the continents read whole. Antarctica is left out.
"""

import csv
import json
import math
import sys
from itertools import pairwise
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parent.parent
STATES = ROOT / "fixtures" / "data" / "states.csv"
OUTPUT = ROOT / "tracker" / "geodata" / "world.json"

WIDTH = 2000  # viewBox units; the page scales the SVG to its box
NORTH, SOUTH = 84.0, -56.0  # latitudes kept: Greenland's tip to Cape Horn
ANTARCTICA = "010"
# Natural Earth draws these apart, with no ISO code; the UN counts them as part of a State.
PART_OF = {"N. Cyprus": "CY", "Somaliland": "SO"}
# A State whose 1:110m outline covers fewer square units than this (about 4 px² on
# a 1000 px wide map) also gets a circle, so that a reader can see and click it.
TINY_AREA = 16.0
# Circles closer than this (in viewBox units) are pushed apart, so that each stays
# clickable: the Caribbean's island States sit a few pixels from one another.
SPACING = 15

# Equal Earth (Šavrič, Patterson and Jenny, 2018).
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon, lat):
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(theta) / (3 * (9 * A4 * t6 * t2 + 7 * A3 * t6 + 3 * A2 * t2 + A1))
    y = theta * (A4 * t6 * t2 + A3 * t6 + A2 * t2 + A1)
    return x, y


X_MAX = equal_earth(180, 0)[0]
SCALE = WIDTH / (2 * X_MAX)
TOP = equal_earth(0, NORTH)[1]
HEIGHT = round((TOP - equal_earth(0, SOUTH)[1]) * SCALE)


def project(lon, lat):
    x, y = equal_earth(lon, max(min(lat, NORTH), SOUTH))
    return round((x + X_MAX) * SCALE), round((TOP - y) * SCALE)


def decode_arcs(topology):
    """The topology's arcs as lists of (lon, lat), undoing the quantisation and delta encoding."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs, indexes):
    points = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def polygons(arcs, geometry):
    if geometry["type"] == "Polygon":
        return [[ring(arcs, r) for r in geometry["arcs"]]]
    if geometry["type"] == "MultiPolygon":
        return [[ring(arcs, r) for r in polygon] for polygon in geometry["arcs"]]
    return []


def area(points):
    """The planar area of a projected ring (shoelace), unsigned."""
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(points + points[:1]))) / 2


def centroid(points):
    """The centroid of a projected ring; the mean of its points for a degenerate one."""
    signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(points + points[:1])) / 2
    if abs(signed) < 1e-9:
        return sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points)
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in pairwise(points + points[:1]))
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in pairwise(points + points[:1]))
    return cx / (6 * signed), cy / (6 * signed)


def projected_float(points):
    result = []
    for lon, lat in points:
        x, y = equal_earth(lon, max(min(lat, NORTH), SOUTH))
        result.append(((x + X_MAX) * SCALE, (TOP - y) * SCALE))
    return result


def split_at_antimeridian(points):
    """A ring that jumps from 180° to -180° (Fiji, Russia's Chukotka) as pieces that do not cross the map."""
    pieces, current = [], [points[0]]
    for previous, point in pairwise(points):
        if abs(point[0] - previous[0]) > 180:
            pieces.append(current)
            current = []
        current.append(point)
    if pieces and abs(current[-1][0] - pieces[0][0][0]) <= 180:
        pieces[0] = current + pieces[0]  # the ring's end joins its start
    else:
        pieces.append(current)
    return pieces


def path_data(rings):
    """SVG path data: each ring starts absolute (M) and goes on relative (l), closed (z)."""
    parts = []
    for points in (piece for ring in rings for piece in split_at_antimeridian(ring)):
        projected = []
        for lon, lat in points:
            point = project(lon, lat)
            if not projected or point != projected[-1]:
                projected.append(point)
        if len(projected) > 1 and projected[0] == projected[-1]:
            projected.pop()
        if len(projected) < 3:
            continue
        (x0, y0), steps = projected[0], []
        for (xa, ya), (xb, yb) in pairwise(projected):
            steps.append(f"{xb - xa} {yb - ya}")
        parts.append(f"M{x0} {y0}l" + " ".join(steps).replace(" -", "-") + "z")
    return "".join(parts)


def spread(points, rounds=60):
    """Push circles that would overlap apart, a little at a time, in place."""
    codes = sorted(points)
    for _ in range(rounds):
        moved = False
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                (xa, ya), (xb, yb) = points[a], points[b]
                dx, dy = xb - xa, yb - ya
                distance = math.hypot(dx, dy)
                if distance >= SPACING:
                    continue
                if distance == 0:
                    dx, dy, distance = 0.0, 1.0, 1.0
                push = (SPACING - distance) / 2 + 0.5
                ux, uy = dx / distance * push, dy / distance * push
                points[a] = [round(xa - ux), round(ya - uy)]
                points[b] = [round(xb + ux), round(yb + uy)]
                moved = True
        if not moved:
            return


def alpha2(numeric):
    country = pycountry.countries.get(numeric=numeric)
    return country.alpha_2 if country else None


def load(folder, scale):
    topology = json.loads((folder / f"countries-{scale}.json").read_text())
    arcs = decode_arcs(topology)
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        code = alpha2(numeric) if numeric else PART_OF.get(geometry["properties"]["name"])
        yield code, numeric, polygons(arcs, geometry)


def main(folder):
    with STATES.open(newline="", encoding="utf-8") as f:
        states = {row["iso2"]: row["name"] for row in csv.DictReader(f)}
    shapes, points, others, sizes = {}, {}, [], {}
    for code, numeric, polys in load(folder, "110m"):
        if numeric == ANTARCTICA:
            continue
        rings = [r for polygon in polys for r in polygon]
        if code in states:
            shapes[code] = shapes.get(code, "") + path_data(rings)
            sizes[code] = sizes.get(code, 0) + sum(area(projected_float(polygon[0])) for polygon in polys)
        else:
            others.append(path_data(rings))
    wanted = {code for code in states if code not in shapes or sizes[code] < TINY_AREA}
    sources = {}
    for scale in ("50m", "10m"):
        for code, _, polys in load(folder, scale):
            if code in wanted and code not in points and polys:
                largest = max((projected_float(polygon[0]) for polygon in polys), key=area)
                x, y = centroid(largest)
                points[code] = [round(x), round(y)]
                sources[code] = scale
    spread(points)
    missing = sorted(set(states) - set(shapes) - set(points))
    data = {
        "about": (
            "Natural Earth admin-0 countries (public domain, naturalearthdata.com), v4.1.0, as "
            "redistributed by the npm package world-atlas 2.0.2 (ISC licence, Copyright 2013-2019 "
            "Michael Bostock). Outlines at 1:110m; micro-States as the centroid of their largest "
            "polygon at 1:50m or 1:10m, nudged apart where they would overlap. Equal Earth projection. Built by tools/build_world_map.py."
        ),
        "width": WIDTH,
        "height": HEIGHT,
        "shapes": dict(sorted(shapes.items())),
        "points": dict(sorted(points.items())),
        "point_scales": dict(sorted(sources.items())),
        "others": "".join(others),
        "missing": missing,
    }
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(shapes)} outlines, {len(points)} circles, {len(missing)} States without a place: {missing}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
