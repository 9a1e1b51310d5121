"""Dates known only to the month, the year or a part of a year.

Treaty facts are often reported as "late 2011" or "in 2012". Such a date is
stored as the first day of the period it names plus a precision, and shown
with that precision, never as a false exact day. An empty precision (the
stored value while there is no date) reads as an exact day.
"""

import datetime
import functools

from django.utils.dateformat import format as format_date
from django.utils.translation import get_language, gettext

DAY = "day"
MONTH = "month"
EARLY = "early"
MID = "mid"
LATE = "late"
YEAR = "year"
BEFORE = "before"

CHOICES = [
    (DAY, "Exact day"),
    (MONTH, "Month only"),
    (EARLY, "Early in the year (January–April)"),
    (MID, "Mid-year (May–August)"),
    (LATE, "Late in the year (September–December)"),
    (YEAR, "Year only"),
    (BEFORE, "Some time before the month given"),
]

# The first month of each part of a year.
_PART_START = {EARLY: 1, MID: 5, LATE: 9}


def normalise(day, precision):
    """Return the canonical stored date for ``day`` at ``precision`` (the period's first day)."""
    precision = precision or DAY
    if day is None:
        return None
    if precision in (MONTH, BEFORE):
        return day.replace(day=1)
    if precision in _PART_START:
        return datetime.date(day.year, _PART_START[precision], 1)
    if precision == YEAR:
        return datetime.date(day.year, 1, 1)
    return day


def period_end(day, precision):
    """Return the last day the period could mean (the latest possible exact date)."""
    precision = precision or DAY
    if day is None:
        return None
    if precision == DAY:
        return day
    if precision == BEFORE:
        return day - datetime.timedelta(days=1)
    if precision == MONTH:
        first_next = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return first_next - datetime.timedelta(days=1)
    if precision in _PART_START:
        end_month = _PART_START[precision] + 3
        first_next = datetime.date(day.year, end_month, 28) + datetime.timedelta(days=4)
        return first_next.replace(day=1) - datetime.timedelta(days=1)
    return datetime.date(day.year, 12, 31)


def display(day, precision=DAY):
    """Return ``day`` as words at its precision: "13 September 2011", "late 2011", …

    In the active language (English outside /fr/ and /es/). Kept per day, precision and
    language: long lists show the same days again and again, and Django's date
    formatting is several times slower than strftime.
    """
    if day is None:
        return ""
    return _display(day, precision or DAY, get_language())


@functools.lru_cache(maxsize=8192)
def _display(day, precision, language):
    from tracker.i18n import local_format

    if precision == MONTH:
        return format_date(day, local_format("F Y"))
    if precision == BEFORE:
        return gettext("before %(month)s") % {"month": format_date(day, local_format("F Y"))}
    if precision == EARLY:
        return gettext("early %(year)s") % {"year": day.year}
    if precision == MID:
        return gettext("mid-%(year)s") % {"year": day.year}
    if precision == LATE:
        return gettext("late %(year)s") % {"year": day.year}
    if precision == YEAR:
        return str(day.year)
    return format_date(day, local_format("j F Y"))


def iso(day, precision=DAY):
    """Return an ISO 8601 form truncated to the precision: 2011-09-13, 2011-09 or 2011."""
    precision = precision or DAY
    if day is None:
        return None
    if precision == DAY:
        return day.isoformat()
    if precision in (MONTH, BEFORE):
        return day.strftime("%Y-%m")
    return str(day.year)
