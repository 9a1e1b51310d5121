"""/reports/ and its downloads: Article 7 transparency reports, due by each treaty's rule.

Every report the rules make due from a State Party is counted, whether or not a
record of it exists: its due date comes from the rules, its status from the
record (TransparencyReport.due_from). Three queries whatever the number of
States: the treaties, the participations with their States and treaties, and
their reports with their sources.
"""

import datetime
from collections import Counter, defaultdict

from django.shortcuts import render

from tracker import derived, exports, rules
from tracker.addresses import absolute_address, state_address
from tracker.models import Participation, TransparencyReport, today
from tracker.report_filters import COLUMN_LABELS, COLUMNS, CalendarReportsForm, ReportFilterForm


def _due_from(as_of, until, treaty=None, region=None):
    """TransparencyReport.due_from() for the participations that owe reports (entry into force
    known), of ``treaty`` and ``region`` if given: two queries, the reports grouped by hand
    (a prefetch would build a queryset per participation)."""
    participations = Participation.objects.filter(entry_into_force_date__isnull=False)
    reports = TransparencyReport.objects.filter(participation__entry_into_force_date__isnull=False)
    if treaty:
        participations = participations.filter(treaty__slug=treaty)
        reports = reports.filter(participation__treaty__slug=treaty)
    if region:
        participations = participations.filter(state__region=region)
        reports = reports.filter(participation__state__region=region)
    recorded = defaultdict(list)
    for report in reports.select_related("source", "missing_source").order_by("pk"):
        recorded[report.participation_id].append(report)
    return TransparencyReport.due_from(
        participations.select_related("state", "treaty").order_by("treaty__pk", "state__name"),
        as_of,
        until,
        recorded=recorded,
    )


def due_reports(form, as_of):
    """Every report due through the end of ``as_of``'s year from the parties the form's treaty and
    region select (the year, kind and status filters are not applied)."""
    data = form.cleaned_data
    treaty, region = data.get("treaty"), data.get("region")
    until = datetime.date(as_of.year, 12, 31)
    # The same treaty and region give the same reports until the data changes (tracker.derived).
    return derived.memo(
        ("due reports", treaty, region, as_of),
        lambda: _due_from(as_of, until, treaty, region),
    )


def summary(due):
    """Per treaty and year due: [(treaty, [(year, total, [count per COLUMNS])])], oldest year first."""
    counts = {}
    for report in due:
        treaty = report.participation.treaty
        counts.setdefault(treaty, {}).setdefault(report.due.year, Counter())[report.status] += 1
    return [
        (
            treaty,
            [
                (year, sum(by_status.values()), [by_status[status] for status in COLUMNS])
                for year, by_status in sorted(years.items())
            ],
        )
        for treaty, years in counts.items()
    ]


def report_list(request):
    """Per year, how many reports were due and how many were on time, late, overdue or not recorded;
    the overdue initial reports, longest overdue first; and the reports the filters select."""
    as_of = today()
    form = ReportFilterForm(request.GET)
    due = due_reports(form, as_of)
    treaty, region = form.cleaned_data.get("treaty"), form.cleaned_data.get("region")

    def select():
        listed = [d for d in due if form.keep(d)]
        return listed if form.filtered else [d for d in listed if d.kind == rules.INITIAL]

    # The same filters give the same lists until the data changes (tracker.derived); the
    # template keeps their rendered rows under the same keys.
    overdue_key = ("overdue initial reports", treaty, region, as_of)
    query = form.query()
    listed_key = ("listed reports", query.urlencode(), as_of)
    summary_key = ("report summary", treaty, region, as_of)
    overdue_initial = derived.memo(
        overdue_key,
        lambda: sorted(
            (d for d in due if d.kind == rules.INITIAL and d.status == rules.OVERDUE),
            key=lambda d: (d.due, d.participation.state.name),
        ),
    )
    listed = derived.memo(listed_key, select)
    context = {
        "form": form,
        "today": as_of,
        "summary": derived.memo(summary_key, lambda: summary(due)),
        "summary_key": summary_key,
        "columns": [COLUMN_LABELS[status] for status in COLUMNS],
        "overdue_initial": overdue_initial,
        "overdue_key": overdue_key,
        "listed": listed,
        "listed_key": listed_key,
        "filtered": form.filtered,
        "ignored": form.ignored,
        "query": query,
        "state_address": state_address(),
    }
    return render(request, "tracker/report_list.html", context, using="jinja2")


def _selected(request):
    """The reports the downloads' filters select, or the form with its errors."""
    as_of = today()
    form = ReportFilterForm(request.GET)
    if form.errors:
        return None, form, as_of
    return [d for d in due_reports(form, as_of) if form.keep(d)], form, as_of


def reports_csv(request):
    """The reports of /reports/ with the same filters, one row per due report, as CSV."""
    due, form, as_of = _selected(request)
    if due is None:
        return exports.bad_request_text(form.ignored)
    return exports.reports_csv(due, as_of, absolute_address(request))


def reports_json(request):
    """The reports of /reports/ with the same filters, and the yearly counts, as JSON."""
    due, form, as_of = _selected(request)
    if due is None:
        return exports.bad_request_json({name: list(errors) for name, errors in form.errors.items()})
    return exports.reports_json(due, summary(due), COLUMNS, as_of, absolute_address(request))


def calendar_reports(data, as_of, treaty=None):
    """The due reports /deadlines.ics?reports=1 adds: those due from ``as_of`` to the end of next year,
    of States Parties, without a recorded submission. [] without the parameter; None if it is invalid
    (with the form, for the message)."""
    form = CalendarReportsForm(data)
    if form.errors:
        return None, form
    if not form.cleaned_data.get("reports"):
        return [], form
    until = datetime.date(as_of.year + 1, 12, 31)
    due = _due_from(as_of, until, treaty)
    return [d for d in due if d.due >= as_of and d.status == rules.NOT_YET_DUE], form


def state_reports(participation, as_of):
    """One participation's due reports through the end of the year (its reports prefetched)."""
    if not participation.pk or participation.entry_into_force_date is None:
        return []
    return TransparencyReport.due_from([participation], as_of, datetime.date(as_of.year, 12, 31))


def overdue_counts(as_of):
    """{treaty id: reports recorded as overdue on ``as_of``} (one query)."""
    rows = TransparencyReport.objects.overdue(as_of).values_list("participation__treaty_id", flat=True)
    return Counter(rows)
