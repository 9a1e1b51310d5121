"""The treaties' date rules, as plain functions of dates and a treaty's rule values.

This module is the one place that answers "how is this date computed?". It
imports nothing from Django's ORM: models call it with their field values, and
its tests run without a database.

Every rule is driven by a ``TreatyRules`` value, built from a Treaty row, so a
second treaty is added as data. The defaults are those of the Convention on
Cluster Munitions (CCM):

* Art. 17: entry into force on the first day of the sixth month after the
  month of the 30th deposit; for a later State, the first day of the sixth
  month after its own deposit.
* Art. 20(3): withdrawal takes effect six months after the depositary
  receives the notice; but if on the expiry of that period the State is
  engaged in an armed conflict, not before the end of the armed conflict.
* Art. 3: stockpiles destroyed within 8 years of entry into force for that
  State; extensions of up to 4 years each.
* Art. 4: clearance within 10 years of entry into force (or of the end of
  active hostilities, for later contamination); extensions of up to 5 years.
* Art. 7: initial report within 180 days of entry into force, then an annual
  update by 30 April.
"""

import calendar
import datetime
from dataclasses import dataclass

from django.utils.translation import gettext

# How a treaty counts entry into force from a deposit.
EIF_MONTH_START = "month_start"  # first day of the Nth month after the deposit month
EIF_DAYS_AFTER = "days_after"  # N days after the deposit

# From which day a later State's own entry into force is counted: a deposit after
# the Nth one (CCM Art. 17(2), Mine Ban Convention Art. 17(2)) or after the treaty's
# entry into force (Arms Trade Treaty Art. 22(2)); an earlier deposit gets the general date.
EIF_LATER_AFTER_THRESHOLD = "threshold"
EIF_LATER_AFTER_ENTRY_INTO_FORCE = "entry_into_force"

# How a treaty counts a withdrawal's effect from the notice.
WITHDRAWAL_MONTHS = "months"
WITHDRAWAL_DAYS = "days"

# Participation statuses, in the order a State goes through them.
NON_SIGNATORY = "non_signatory"
SIGNATORY = "signatory"
PARTY = "party"
WITHDRAWN = "withdrawn"
STATUSES = (NON_SIGNATORY, SIGNATORY, PARTY, WITHDRAWN)

# Obligation statuses.
NOT_APPLICABLE = "not_applicable"
UNKNOWN = "unknown"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
OVERDUE = "overdue"
AWAITING_DECISION = "awaiting_decision"
OBLIGATION_STATUSES = (NOT_APPLICABLE, UNKNOWN, IN_PROGRESS, COMPLETED, OVERDUE, AWAITING_DECISION)

# Where an extension request stands on a day.
NOT_YET_REQUESTED = "not_yet_requested"
AWAITING = "awaiting"
DECISION_NOT_RECORDED = "decision_not_recorded"
DECIDED = "decided"


@dataclass(frozen=True)
class TreatyRules:
    """The rule values of one treaty. Periods that do not exist are None."""

    eif_instruments: int = 30
    eif_rule: str = EIF_MONTH_START
    eif_period: int = 6
    eif_later_after: str = EIF_LATER_AFTER_THRESHOLD
    withdrawal_period: int = 6
    withdrawal_rule: str = WITHDRAWAL_MONTHS
    withdrawal_conflict_proviso: bool = True
    stockpile_years: int | None = 8
    stockpile_extension_years: int | None = 4
    clearance_years: int | None = 10
    clearance_extension_years: int | None = 5
    initial_report_days: int | None = 180
    initial_report_months: int | None = None
    annual_report_month: int = 4
    annual_report_day: int = 30


CCM = TreatyRules()


# --- calendar arithmetic -------------------------------------------------------


def add_months(day, months):
    """Return the same day-of-month ``months`` later, clamped to the month's end.

    31 August + 6 months is 28 (or 29) February: a period "of six months" must
    end inside the sixth month, never spill into the seventh.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def add_years(day, years):
    """Return the same calendar day ``years`` later; 29 February becomes 28 February."""
    return add_months(day, years * 12)


def first_day_of_month_after(day, months):
    """Return the first day of the ``months``-th month after the month of ``day``."""
    return add_months(day.replace(day=1), months)


# --- entry into force ----------------------------------------------------------


def threshold_date(deposit_dates, rules=CCM):
    """Return the date of the deposit that brought the treaty into force, or None.

    That is the date of the Nth instrument (N = ``rules.eif_instruments``),
    counting every deposit ever made, including those of States that later
    withdrew. None while fewer than N instruments have been deposited.
    """
    dates = sorted(d for d in deposit_dates if d is not None)
    if len(dates) < rules.eif_instruments:
        return None
    return dates[rules.eif_instruments - 1]


def _eif_after(day, rules):
    if rules.eif_rule == EIF_DAYS_AFTER:
        return day + datetime.timedelta(days=rules.eif_period)
    if rules.eif_rule == EIF_MONTH_START:
        return first_day_of_month_after(day, rules.eif_period)
    raise ValueError(f"Unknown entry-into-force rule: {rules.eif_rule!r}")


def general_entry_into_force(threshold, rules=CCM):
    """Return the date the treaty itself entered into force, or None before the threshold."""
    if threshold is None:
        return None
    return _eif_after(threshold, rules)


def entry_into_force(deposit, threshold, rules=CCM):
    """Return the date the treaty enters into force for a State that deposited on ``deposit``.

    A State that deposited on or before the date of the Nth deposit (the
    ``threshold``) gets the treaty's general date: CCM Art. 17(2) applies only
    to deposits made *after* the date of the 30th. A later State counts from
    its own deposit. Under the Arms Trade Treaty (``eif_later_after`` is
    entry_into_force) a State counts from its own deposit only if it deposited
    after the treaty entered into force (Art. 22(2)); one that deposited between
    the 50th deposit and that day gets the general date. None when nothing was
    deposited, or while the threshold has not been reached.
    """
    if deposit is None or threshold is None:
        return None
    general = general_entry_into_force(threshold, rules)
    if deposit <= threshold:
        return general
    if rules.eif_later_after == EIF_LATER_AFTER_ENTRY_INTO_FORCE and deposit < general:
        return general
    return _eif_after(deposit, rules)


# --- withdrawal ----------------------------------------------------------------


def withdrawal_expiry(notice, rules=CCM):
    """Return the day the withdrawal period runs out: N months (or days) after the depositary receives notice."""
    if notice is None:
        return None
    if rules.withdrawal_rule == WITHDRAWAL_DAYS:
        return notice + datetime.timedelta(days=rules.withdrawal_period)
    return add_months(notice, rules.withdrawal_period)


def withdrawal_effective(notice, rules=CCM, in_conflict_at_expiry=False, conflict_ended=None):
    """Return the day a withdrawal takes effect, or None while it cannot be known.

    The period runs from the depositary's receipt of the notice (CCM and Mine
    Ban Convention Art. 20(3): six months). Under those treaties' proviso, a
    State engaged in an armed conflict when the period runs out withdraws "not
    before the end of the armed conflict": on the recorded end of the conflict
    (never before the period's expiry), and not at all while no end is recorded.
    """
    expiry = withdrawal_expiry(notice, rules)
    if expiry is None or not (in_conflict_at_expiry and rules.withdrawal_conflict_proviso):
        return expiry
    if conflict_ended is None:
        return None
    return max(expiry, conflict_ended)


def withdrawal_pending(as_of, notice, effective):
    """Return True when a withdrawal has been notified by ``as_of`` but has not taken effect."""
    return notice is not None and notice <= as_of and (effective is None or as_of < effective)


# --- status on a day -----------------------------------------------------------


def status(as_of, signature=None, deposit=None, withdrawal_effective_date=None):
    """Return the participation status of a State on ``as_of``.

    As the treaty community counts, a State is a party from the day it deposits
    its instrument, before the treaty is in force for it. It stays a party until
    its withdrawal takes effect, even after giving notice.
    """
    if withdrawal_effective_date is not None and as_of >= withdrawal_effective_date:
        return WITHDRAWN
    if deposit is not None and as_of >= deposit:
        return PARTY
    if signature is not None and as_of >= signature:
        return SIGNATORY
    return NON_SIGNATORY


def in_force(as_of, eif=None, withdrawal_effective_date=None):
    """Return True when the treaty is in force for the State on ``as_of``."""
    if eif is None or as_of < eif:
        return False
    return withdrawal_effective_date is None or as_of < withdrawal_effective_date


# --- obligations and deadlines -------------------------------------------------


def stockpile_deadline(eif, rules=CCM):
    """Return the Art. 3 stockpile destruction deadline (EIF + 8 years for CCM), or None."""
    if eif is None or rules.stockpile_years is None:
        return None
    return add_years(eif, rules.stockpile_years)


def clearance_deadline(eif, rules=CCM, hostilities_ended=None):
    """Return the Art. 4 clearance deadline, or None.

    Counted from entry into force, or, for land contaminated after entry into
    force, from the end of the active hostilities (Art. 4(1)(b)).
    """
    start = hostilities_ended or eif
    if start is None or rules.clearance_years is None:
        return None
    return add_years(start, rules.clearance_years)


def original_deadline(kind, eif, rules=CCM, hostilities_ended=None):
    """Return the original deadline of an obligation of ``kind`` ("stockpile" or "clearance")."""
    if kind == "stockpile":
        return stockpile_deadline(eif, rules)
    if kind == "clearance":
        return clearance_deadline(eif, rules, hostilities_ended)
    raise ValueError(f"Unknown obligation kind: {kind!r}")


def max_extension_years(kind, rules=CCM):
    """Return the longest extension one request may grant, in years, or None if none exist."""
    if kind == "stockpile":
        return rules.stockpile_extension_years
    if kind == "clearance":
        return rules.clearance_extension_years
    raise ValueError(f"Unknown obligation kind: {kind!r}")


def latest_extension_end(previous_deadline, kind, rules=CCM):
    """Return the furthest new deadline an extension of ``previous_deadline`` may set."""
    years = max_extension_years(kind, rules)
    if previous_deadline is None or years is None:
        return None
    return add_years(previous_deadline, years)


def current_deadline(original, granted_deadlines):
    """Return the deadline in force: the latest granted extension, else the original."""
    granted = [d for d in granted_deadlines if d is not None]
    return max(granted) if granted else original


def deadline_on(as_of, original, granted):
    """Return the deadline as it stood on ``as_of``: the original, or the latest extension known by then.

    ``granted`` holds (known from, new deadline) pairs: an extension counts from
    the day it was decided. One whose decision day is not recorded counts
    always (the shipped data records one for every granted extension).
    """
    return current_deadline(original, [new for known, new in granted if known is None or known <= as_of])


def request_state(as_of, requested_on, decided, decision_day, meeting_end):
    """Return where an extension request stands on ``as_of``.

    ``decided``: a decision (grant, refusal, withdrawal) is recorded, taken on
    ``decision_day`` (None when only the meeting is known: then its end).
    ``meeting_end``: the last day of the meeting that considers the request
    (``datetime.date.max`` for a meeting whose dates are not set yet; None when
    no meeting is recorded).

    NOT_YET_REQUESTED before the request day; DECIDED from the decision day;
    before that AWAITING while a decision is to come: a recorded decision, or
    the meeting not yet over. A request with no recorded decision after its
    meeting ended, or with no meeting recorded, is DECISION_NOT_RECORDED: a gap
    in the record, never a decision still awaited.
    """
    if requested_on is not None and as_of < requested_on:
        return NOT_YET_REQUESTED
    if decided:
        day = decision_day or meeting_end
        return DECIDED if day is None or as_of >= day else AWAITING
    if meeting_end is not None and as_of <= meeting_end:
        return AWAITING
    return DECISION_NOT_RECORDED


def request_is_late(requested_on, meeting_starts, months=9):
    """Return True when an extension request reached the meeting less than nine months ahead."""
    if requested_on is None or meeting_starts is None:
        return False
    return add_months(requested_on, months) > meeting_starts


def obligation_status(
    as_of,
    deadline,
    applicable=True,
    completed_on=None,
    awaiting_decision=False,
    decision_not_recorded=False,
    record_checked_on=None,
):
    """Return the status of an obligation on ``as_of``.

    ``applicable`` is True, False, or None when it is not known whether the
    State has stockpiles or contamination at all: then the status is UNKNOWN,
    never a breach. A completion counts from its recorded date. An obligation
    is OVERDUE from the day after its deadline ("not later than" the deadline)
    unless an extension request was filed: then it is AWAITING_DECISION until
    the meeting that considers the request has ended (Art. 3(3), Art. 4(6)),
    and UNKNOWN if the decision is not recorded. A deadline that passed after
    ``record_checked_on`` (the day the record was last checked against the
    sources) is UNKNOWN too: a request or a completion since then may not be
    recorded yet. A gap in the record is never shown as a State's failure.
    """
    if applicable is False:
        return NOT_APPLICABLE
    if completed_on is not None and as_of >= completed_on:
        return COMPLETED
    if applicable is None:
        return UNKNOWN
    if deadline is not None and as_of > deadline:
        if awaiting_decision:
            return AWAITING_DECISION
        if decision_not_recorded:
            return UNKNOWN
        if record_checked_on is not None and deadline >= record_checked_on:
            return UNKNOWN
        return OVERDUE
    return IN_PROGRESS


# --- Article 7 reports ---------------------------------------------------------


def initial_report_due(eif, rules=CCM):
    """Return the date the initial transparency report is due, or None.

    EIF + 180 days for the CCM (Art. 7(1)); a treaty that counts the period in
    months ("within the first year": the Arms Trade Treaty, Art. 13(1)) sets
    ``initial_report_months`` instead, and the period then ends on the same
    calendar day that many months later.
    """
    if eif is None:
        return None
    if rules.initial_report_months is not None:
        return add_months(eif, rules.initial_report_months)
    if rules.initial_report_days is None:
        return None
    return eif + datetime.timedelta(days=rules.initial_report_days)


def annual_report_due(year, rules=CCM):
    """Return the date the annual update covering ``year - 1`` is due in ``year``."""
    return datetime.date(year, rules.annual_report_month, rules.annual_report_day)


def report_due_dates(eif, until, rules=CCM, withdrawal_effective_date=None):
    """Return the (due date, label) pairs of transparency reports from EIF through ``until``.

    The first annual update is the first 30 April after the initial report is
    due; no report is due once a withdrawal has taken effect.
    """
    return [
        (
            day,
            gettext("Initial report")
            if kind == INITIAL
            else gettext("Annual report covering %(year)s") % {"year": period},
        )
        for kind, period, day in reports_due(eif, until, rules, withdrawal_effective_date)
    ]


def next_report_due(eif, as_of, rules=CCM, withdrawal_effective_date=None):
    """Return the next (due date, label) on or after ``as_of``, or None."""
    horizon = as_of.replace(year=as_of.year + 2, day=1)
    for due, label in report_due_dates(eif, horizon, rules, withdrawal_effective_date):
        if due >= as_of:
            return due, label
    return None


# Report kinds, and the status of one due report on a day.
INITIAL = "initial"
ANNUAL = "annual"

NOT_YET_DUE = "not_yet_due"
ON_TIME = "on_time"
LATE = "late"
SUBMITTED = "submitted"  # submitted, but the date recorded is too rough to tell whether on time
NOT_RECORDED = "not_recorded"
# OVERDUE (above) is shared with the obligations.
REPORT_STATUSES = (NOT_YET_DUE, ON_TIME, LATE, SUBMITTED, OVERDUE, NOT_RECORDED)


def reports_due(eif, until, rules=CCM, withdrawal_effective_date=None):
    """Return [(kind, period, due date)] of the reports due from EIF through ``until``, oldest first.

    ``period`` is None for the initial report and the calendar year covered
    for an annual one (the report due by 30 April 2012 covers 2011). The first
    annual report is the first one due after the initial report; nothing is
    due from the day a withdrawal takes effect.
    """
    initial = initial_report_due(eif, rules)
    if initial is None:
        return []
    end = until
    if withdrawal_effective_date is not None:
        end = min(end, withdrawal_effective_date - datetime.timedelta(days=1))
    due = []
    if initial <= end:
        due.append((INITIAL, None, initial))
    year = initial.year
    while True:
        annual = annual_report_due(year, rules)
        if annual > end:
            break
        if annual > initial:
            due.append((ANNUAL, year - 1, annual))
        year += 1
    return due


def report_due(kind, period, eif, rules=CCM, withdrawal_effective_date=None):
    """Return the due date of one report (``kind``, ``period``), or None if the rules owe no such report.

    None before entry into force is known, for an annual report whose due date
    comes before the initial report's, and for a report due once a withdrawal
    has taken effect.
    """
    initial = initial_report_due(eif, rules)
    if initial is None:
        return None
    if kind == INITIAL:
        day = initial
    elif kind == ANNUAL:
        if period is None:
            return None
        day = annual_report_due(period + 1, rules)
        if day <= initial:
            return None
    else:
        raise ValueError(f"Unknown report kind: {kind!r}")
    if withdrawal_effective_date is not None and day >= withdrawal_effective_date:
        return None
    return day


def report_status(as_of, due, submitted=None, submitted_latest=None, missing_on=None):
    """Return (status, days) of a due report on ``as_of``; (None, None) if it is not due at all.

    ``submitted`` is the earliest day the report may have been submitted and
    ``submitted_latest`` the latest (the same day for an exact date; the end of
    the month for "March 2011"). A submission counts from ``submitted`` on: a
    report that may have been submitted is never called overdue.

    * ON_TIME: submitted no later than the due day ("not later than").
    * LATE: submitted after it; ``days`` counts from the due day to the
      earliest possible submission day (so "at least" for a rough date).
    * SUBMITTED: the date recorded is too rough to say which.
    * NOT_YET_DUE: not submitted, and the due day has not passed.
    * OVERDUE: a source says it had not been submitted on ``missing_on``, a day
      after the due day and no later than ``as_of``; ``days`` counts to that
      day (what is known, not a guess about today).
    * NOT_RECORDED: due and past, and the record says neither that it was
      submitted nor that it was missing: a gap in the record, never a failure.
    """
    if due is None:
        return None, None
    if submitted is not None and submitted <= as_of:
        latest = submitted_latest or submitted
        if latest <= due:
            return ON_TIME, 0
        if submitted > due:
            return LATE, (submitted - due).days
        return SUBMITTED, None
    if as_of <= due:
        return NOT_YET_DUE, None
    if missing_on is not None and due < missing_on <= as_of:
        return OVERDUE, (missing_on - due).days
    return NOT_RECORDED, None
