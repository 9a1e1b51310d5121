"""The world map of a treaty's status on a day: an SVG string, drawn on the server, no JavaScript.

The shapes are tracker/geodata/world.json (Natural Earth via world-atlas, built
once by tools/build_world_map.py; see tracker/geodata/README.md). Each State is a
link to its page with a <title> giving its name and status; micro-States are
circles. Five kinds, each with its own fill *and* pattern (stripes, dots,
cross-hatching), so the legend reads in grey too. The table of States is the
map's text alternative: the map's links are left out of the keyboard's tab order
(the table has the same links) and the SVG is one image to screen readers.

No queries: the caller passes the Standings (Treaty.standings).
"""

import functools
import json
from collections import Counter
from pathlib import Path

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import partial_dates, rules
from tracker.addresses import state_address
from tracker.i18n import state_name

SHAPES = Path(__file__).resolve().parent / "geodata" / "world.json"
CIRCLE_RADIUS = 7
STROKE = "#ffffff"
CIRCLE_STROKE = "#1b2430"
OTHER_LAND = "#f7f8f9"  # land that is none of the States listed: paler than any State

# kind -> (label, fill, the pattern drawn over the fill or None). The order is the legend's.
KINDS = {
    "in_force": (_("State Party, treaty in force for it"), "#1d5c2e", None),
    "not_in_force": (_("State Party, not yet in force for it"), "#7fbf8e", "stripes"),
    "signatory": (_("Signatory"), "#e9b949", "dots"),
    "non_signatory": (_("Non-signatory"), "#c9cfd6", None),
    "withdrawn": (_("Withdrawn"), "#c0504d", "cross"),
}
PATTERN_INK = {"stripes": "#1d5c2e", "dots": "#6e4400", "cross": "#ffffff"}


@functools.cache
def shapes():
    """The map data, read once per process."""
    return json.loads(SHAPES.read_text(encoding="utf-8"))


def kind_of(standing):
    """The map's kind for a Standing: parties split by whether the treaty is in force for them."""
    if standing.status == rules.PARTY:
        return "in_force" if standing.in_force else "not_in_force"
    return standing.status


def _pattern(prefix, kind):
    label, fill, pattern = KINDS[kind]
    ink = PATTERN_INK.get(pattern)
    if pattern == "stripes":
        marks = f'<path d="M0 10L10 0M-2 2L2-2M8 12L12 8" stroke="{ink}" stroke-width="2.5"/>'
    elif pattern == "dots":
        marks = f'<circle cx="5" cy="5" r="1.8" fill="{ink}"/>'
    elif pattern == "cross":
        marks = f'<path d="M0 0L10 10M10 0L0 10" stroke="{ink}" stroke-width="1.5"/>'
    else:
        return ""
    return (
        f'<pattern id="{prefix}-{kind}" width="10" height="10" patternUnits="userSpaceOnUse">'
        f'<rect width="10" height="10" fill="{fill}"/>{marks}</pattern>'
    )


def _paint(prefix, kind):
    _, fill, pattern = KINDS[kind]
    return f"url(#{prefix}-{kind})" if pattern else fill


def _swatch(prefix, kind):
    """A small standalone SVG of a kind's fill and pattern, for the HTML legend."""
    return (
        f'<svg class="map-swatch" width="22" height="16" viewBox="0 0 22 16" aria-hidden="true" focusable="false">'
        f"<defs>{_pattern(prefix, kind)}</defs>"
        f'<rect x="0.5" y="0.5" width="21" height="15" fill="{_paint(prefix, kind)}" stroke="#4a5563"/></svg>'
    )


def counts(standings):
    """How many States of each kind, in the legend's order."""
    found = Counter(kind_of(s) for s in standings)
    return [(kind, KINDS[kind][0], found[kind]) for kind in KINDS]


def describe(treaty, as_of, standings):
    """The map's title and description, in words."""
    day = partial_dates.display(as_of)
    title = gettext("World map: the %(treaty)s on %(day)s") % {"treaty": treaty.short_name, "day": day}
    parts = [f"{label}: {count}" for _kind, label, count in counts(standings)]
    description = (
        gettext("Each State coloured and patterned by its status under the %(treaty)s on %(day)s.")
        % {"treaty": treaty.name, "day": day}
        + " "
        + "; ".join(parts)
        + ". "
        + gettext("Small States are drawn as circles.")
    )
    return title, description


def render_svg(treaty, as_of, standings, prefix="map", legend=False):
    """The map as an SVG document string (``legend`` adds the key inside the image, for /map.svg)."""
    data = shapes()
    width, height = data["width"], data["height"]
    by_kind = {kind: [] for kind in KINDS}
    for standing in standings:
        by_kind[kind_of(standing)].append(standing)
    title, description = describe(treaty, as_of, standings)
    key_height = 70 * len(KINDS) + 40 if legend else 0
    # On a page the map is a labelled group whose shapes (mouse-only links) are hidden from
    # assistive technology, which reads the title, the description and the table instead: an
    # element with role="img" may not hold links (axe-core, nested-interactive). The
    # standalone /map.svg, shown as an image, stays one.
    role = "img" if legend else "group"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="world-map" viewBox="0 0 {width} {height + key_height}" '
        f'role="{role}" aria-labelledby="{prefix}-title {prefix}-desc">',
        f'<title id="{prefix}-title">{escape(title)}</title>',
        f'<desc id="{prefix}-desc">{escape(description)}</desc>',
        "<defs>" + "".join(_pattern(prefix, kind) for kind in KINDS) + "</defs>",
        "" if legend else '<g aria-hidden="true">',
        f'<path fill="{OTHER_LAND}" stroke="#aab2bc" stroke-width="1" d="{data["others"]}"/>',
    ]
    circles = []
    address = state_address()
    for kind, members in by_kind.items():
        paint = _paint(prefix, kind)
        out.append(f'<g fill="{paint}" stroke="{STROKE}" stroke-width="1" class="map-{kind}">')
        for standing in members:
            code = standing.state.iso2
            label = f"{state_name(standing.state)}: {KINDS[kind][0]}"
            link = f'<a href="{escape(address(standing.state))}" tabindex="-1"><title>{escape(label)}</title>'
            if code in data["shapes"]:
                out.append(f'{link}<path d="{data["shapes"][code]}"/></a>')
            if code in data["points"]:
                x, y = data["points"][code]
                circles.append(
                    f'{link}<circle cx="{x}" cy="{y}" r="{CIRCLE_RADIUS}" fill="{paint}" '
                    f'stroke="{CIRCLE_STROKE}" stroke-width="1.5"/></a>'
                )
        out.append("</g>")
    # Circles last, so that no outline covers them.
    out.append('<g class="map-small-states">' + "".join(circles) + "</g>")
    if not legend:
        out.append("</g>")
    if legend:
        out.append(_svg_key(prefix, height, standings))
    out.append("</svg>")
    return "".join(out)


def _svg_key(prefix, top, standings):
    rows = []
    for n, (kind, label, count) in enumerate(counts(standings)):
        y = top + 30 + 70 * n
        rows.append(
            f'<rect x="40" y="{y}" width="80" height="50" fill="{_paint(prefix, kind)}" stroke="#4a5563" stroke-width="2"/>'
            f'<text x="140" y="{y + 38}" font-size="36" font-family="sans-serif" fill="#1b2430">'
            f"{escape(label)}: {count}</text>"
        )
    return '<g class="map-key">' + "".join(rows) + "</g>"


def render(treaty, as_of, standings, *, table_below):
    """The inside of the map's <figure> on a page: its caption, the SVG, its key as a list (with the
    count of each kind) and the note naming its text alternative (the table below on /states/,
    the list of States elsewhere)."""
    if treaty is None:
        return ""
    items = "".join(
        format_html(
            '<li>{} {} <span class="map-count">({})</span></li>',
            mark_safe(_swatch(f"key-{kind}", kind)),
            label,
            count,
        )
        for kind, label, count in counts(standings)
    )
    if table_below:
        note = gettext(
            "The table below lists every State with its status in words: it is the map’s text alternative."
        )
    else:
        note = format_html(
            gettext(
                'The <a href="{}">list of States</a> gives every State’s status in words: it is the map’s text alternative.'
            ),
            f"{treaty.get_absolute_url()}&as_of={as_of.isoformat()}",
        )
    caption = format_html(
        "<figcaption><strong>{}.</strong> {}</figcaption>",
        describe(treaty, as_of, standings)[0],
        gettext(
            "Each State is coloured and patterned by its status, whatever the filters; select one for its page."
        )
        if table_below
        else gettext("Each State is coloured and patterned by its status; select one for its page."),
    )
    return mark_safe(
        caption
        + render_svg(treaty, as_of, standings)
        + format_html('<ul class="map-legend" aria-label="{}">', gettext("Map key"))
        + items
        + "</ul>"
        + format_html(
            '<p class="map-note">{} {}</p>',
            note,
            gettext(
                "Small States are circles; pale land with a grey outline is not one of the States listed."
            ),
        )
    )
