"""A small SVG step chart, drawn on the server so that it reads without JavaScript.

Pure: it takes dates and numbers and returns SVG markup as a string, escaping
every text it is given. It knows nothing of treaties or the database; the
dashboard view hands it the counts. Colours come from the site's CSS classes
(``chart-*``), with plain attributes as a fallback.
"""

import datetime
from html import escape

WIDTH = 600
HEIGHT = 300
MARGIN_LEFT = 56
MARGIN_RIGHT = 60
MARGIN_TOP = 28
MARGIN_BOTTOM = 40
FONT_SIZE = 15


def nice_step(maximum, ticks=5):
    """Return a round tick step (1, 2, 5 × 10ⁿ) giving about ``ticks`` ticks up to ``maximum``."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def year_ticks(start, end, most=10):
    """Return the 1 January dates between ``start`` and ``end``, thinned to at most ``most``."""
    years = list(range(start.year + (0 if (start.month, start.day) == (1, 1) else 1), end.year + 1))
    every = 1
    while len(years[::every]) > most:
        every += 1
    # Keep the most recent year labelled; thin out from there backwards.
    kept = years[::-1][::every][::-1]
    return [datetime.date(year, 1, 1) for year in kept]


def step_chart(points, *, start, end, title, description, id_prefix="chart"):
    """Return an SVG step line of ``points`` from ``start`` to ``end``.

    ``points`` are (date, value) pairs sorted by date: the value holds from
    that date until the next point. Before the first point the value is 0.
    """
    start = min(start, end)
    span = max((end - start).days, 1)
    values = [value for _, value in points]
    top = max(values, default=0)
    step = nice_step(top)
    y_max = max(step, -(-top // step) * step)  # round up to a whole step
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x(day):
        day = min(max(day, start), end)
        return round(MARGIN_LEFT + plot_w * (day - start).days / span, 1)

    def y(value):
        return round(MARGIN_TOP + plot_h * (1 - value / y_max), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" font-size="{FONT_SIZE}">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(description)}</desc>',
    ]

    # Horizontal grid lines and the value axis.
    for tick in range(0, y_max + 1, step):
        parts.append(
            f'<line class="chart-grid" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y(tick)}" '
            f'y2="{y(tick)}" stroke="#d5dae1" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="chart-label" x="{MARGIN_LEFT - 8}" y="{y(tick)}" text-anchor="end" '
            f'dominant-baseline="middle" fill="#3d4651">{tick}</text>'
        )

    # Years along the time axis.
    base = y(0)
    parts.append(
        f'<line class="chart-axis" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{base}" y2="{base}" '
        f'stroke="#3d4651" stroke-width="1.5"/>'
    )
    ticks = year_ticks(start, end)
    for index, day in enumerate(ticks):
        # Every other label, counted back from the latest, is "minor": the CSS hides
        # those on narrow screens, where the labels are drawn larger.
        minor = " chart-minor" if (len(ticks) - 1 - index) % 2 else ""
        parts.append(
            f'<line class="chart-axis" x1="{x(day)}" x2="{x(day)}" y1="{base}" y2="{base + 6}" '
            f'stroke="#3d4651" stroke-width="1.5"/>'
        )
        parts.append(
            f'<text class="chart-label{minor}" x="{x(day)}" y="{base + 8 + FONT_SIZE}" text-anchor="middle" '
            f'fill="#3d4651">{day.year}</text>'
        )

    # The step line, and the area under it.
    path = [f"M{x(start)},{y(0)}"]
    for day, value in points:
        if day > end:
            break
        path.append(f"H{x(day)}V{y(value)}")
    path.append(f"H{x(end)}")
    line = "".join(path)
    parts.append(
        f'<path class="chart-area" d="{line}V{y(0)}Z" fill="#1d5fa8" fill-opacity="0.12" stroke="none"/>'
    )
    parts.append(
        f'<path class="chart-line" d="{line}" fill="none" stroke="#1d5fa8" stroke-width="2.5" '
        f'stroke-linejoin="round"/>'
    )

    # The latest value, at the end of the line.
    last = next((value for day, value in reversed(points) if day <= end), 0)
    parts.append(
        f'<circle class="chart-dot" cx="{x(end)}" cy="{y(last)}" r="4" fill="#1d5fa8"/>'
        f'<text class="chart-value" x="{x(end) + 7}" y="{y(last)}" dominant-baseline="middle" '
        f'font-weight="700" fill="#1b2430">{last}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)
