"""The public data downloads: lists as CSV and JSON, deadlines as iCalendar.

Each function turns records the views have already selected into an HTTP
response, and queries nothing the views have not prefetched. Every CSV cell
goes through ``safe_cell()``, so that no spreadsheet reads it as a formula;
control characters never reach a download (``plain()``).
"""

import csv
import datetime
import io

import icalendar
from django.http import HttpResponse, JsonResponse

from tracker import derived, partial_dates
from tracker.plaintext import plain, safe_cell

# The columns of /states.csv and the keys of each /states.json row, in order.
COLUMNS = [
    "treaty",
    "name",
    "iso2",
    "region",
    "subregion",
    "status",
    "in_force",
    "signature_date",
    "instrument",
    "deposit_date",
    "entry_into_force_date",
    "provisional_application_date",
    "withdrawal_notice_date",
    "withdrawal_effective_date",
    "stockpile_deadline",
    "stockpile_status",
    "clearance_deadline",
    "clearance_status",
    "as_of",
    "url",
]
DEADLINE_COLUMNS = [
    "treaty",
    "name",
    "iso2",
    "obligation",
    "article",
    "applicability",
    "status",
    "original_deadline",
    "current_deadline",
    "completed",
    "extension_requests",
    "as_of",
    "url",
]

# Host-independent, so that a calendar client recognises an event whichever
# address it subscribed at, and updates it instead of adding a duplicate.
UID_DOMAIN = "treaty-tracker"


def _iso(day):
    return day.isoformat() if day else None


def _json(body):
    # Compact: with an indent, Python's json module encodes in Python instead of C (ten times slower
    # for /states.json); readers who want it spread out use a JSON viewer or `python -m json.tool`.
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


def _csv(filename, columns, rows):
    return _csv_lines(filename, columns, [_csv_line(_cells(row, columns)) for row in rows])


def _csv_line(cells):
    """One CSV record, with its line end, of cells already made safe (_cells)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def _csv_lines(filename, columns, lines):
    """A CSV download: the header, then records already written (_csv_line)."""
    response = HttpResponse(_csv_line(columns) + "".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cells(row, columns):
    return [safe_cell("yes" if row[c] is True else "no" if row[c] is False else row[c]) for c in columns]


def _clean(value):
    """A JSON value without control characters, recursively."""
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return plain(value)


# --- States --------------------------------------------------------------------------


def state_row_dict(row, treaty, as_of, url):
    """Return one State's row (a Standing) as plain JSON values (ISO dates or None).

    Deadlines are given where the obligation is recorded as applying, as they
    stood on ``as_of``; each obligation's status is beside its deadline.
    """
    participation = row.participation
    return {
        "treaty": treaty.slug if treaty else None,
        "name": row.state.name,
        "iso2": row.state.iso2,
        "region": row.state.region,
        "subregion": row.state.subregion or None,
        "status": row.status,
        "in_force": row.in_force,
        "signature_date": _iso(participation.signature_date),
        "instrument": participation.instrument or None,
        "deposit_date": _iso(participation.deposit_date),
        "entry_into_force_date": _iso(participation.entry_into_force_date),
        "provisional_application_date": _iso(participation.provisional_application_date),
        "withdrawal_notice_date": _iso(participation.withdrawal_notice_date),
        "withdrawal_effective_date": _iso(participation.withdrawal_effective_date),
        "stockpile_deadline": _iso(row.stockpile_deadline),
        "stockpile_status": row.stockpile_status,
        "clearance_deadline": _iso(row.clearance_deadline),
        "clearance_status": row.clearance_status,
        "as_of": as_of.isoformat(),
        "url": url,
    }


def states_json(rows, treaty, as_of, url_for):
    """Return /states.json: {"treaty", "as_of", "count", "results"}. ``url_for(state)`` gives a row's address."""
    return _json(states_body(rows, treaty, as_of, url_for))


def states_body(rows, treaty, as_of, url_for):
    """The body of /states.json (and of the API's /states), control characters removed."""
    results = [_kept_state_row(row, treaty, as_of, url_for(row.state)) for row in rows]
    head = {
        "treaty": treaty.slug if treaty else None,
        "as_of": as_of.isoformat(),
        "depositary_as_at": _iso(treaty.depositary_as_at) if treaty else None,
        "count": len(results),
    }
    return {**_clean(head), "results": results}  # (the rows are clean already)


def _kept_state_row(row, treaty, as_of, url):
    """state_row_dict, without control characters, kept for the data's version (tracker.derived). Read-only."""
    return derived.memo(
        ("state row", treaty.pk if treaty else None, as_of, row.state.pk, url),
        lambda: _clean(state_row_dict(row, treaty, as_of, url)),
    )


def states_csv(rows, treaty, as_of, url_for):
    """Return /states.csv: a header row, then one row per State (UTF-8, no BOM)."""
    slug = treaty.slug if treaty else "none"
    lines = []
    for row in rows:
        url = url_for(row.state)
        lines.append(
            derived.memo(
                ("state csv line", treaty.pk if treaty else None, as_of, row.state.pk, url),
                lambda row=row, url=url: _csv_line(_cells(_kept_state_row(row, treaty, as_of, url), COLUMNS)),
            )
        )
    return _csv_lines(f"states-{slug}-{as_of.isoformat()}.csv", COLUMNS, lines)


def bad_request_json(messages):
    return JsonResponse({"errors": messages}, status=400)


def bad_request_text(messages):
    text = "Bad request: " + " ".join(messages) + "\n"
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


# --- deadlines ---------------------------------------------------------------------


def deadline_dict(obligation, as_of, url):
    """One obligation of a State Party as plain JSON values."""
    state = obligation.participation.state
    known = obligation.applies is True
    return {
        "treaty": obligation.participation.treaty.slug,
        "name": state.name,
        "iso2": state.iso2,
        "obligation": obligation.kind,
        "article": obligation.article_label,
        "applicability": obligation.applicability,
        "status": obligation.status(as_of),
        "original_deadline": _iso(obligation.original_deadline) if known else None,
        "current_deadline": _iso(obligation.current_deadline) if known else None,
        "completed": partial_dates.iso(obligation.completed_on, obligation.completed_precision),
        "extension_requests": [
            {
                "requested": partial_dates.iso(e.requested_on, e.requested_precision),
                "meeting": e.meeting.short_name or e.meeting.name if e.meeting else None,
                "outcome": e.state_on(as_of) if e.state_on(as_of) != "decided" else e.decision,
                "new_deadline": partial_dates.iso(e.new_deadline, e.new_deadline_precision),
            }
            for e in obligation.extension_list()
        ],
        "as_of": as_of.isoformat(),
        "url": url,
    }


def deadlines_json(obligations, as_of, url_for):
    """Return /deadlines.json: {"as_of", "count", "results"}."""
    return _json(deadlines_body(obligations, as_of, url_for))


def deadlines_body(obligations, as_of, url_for):
    results = [deadline_dict(o, as_of, url_for(o.participation.state)) for o in obligations]
    return _clean({"as_of": as_of.isoformat(), "count": len(results), "results": results})


def deadlines_csv(obligations, as_of, url_for):
    """Return /deadlines.csv: one row per obligation; extension requests as "meeting: outcome" in one cell."""
    rows = []
    for obligation in obligations:
        row = deadline_dict(obligation, as_of, url_for(obligation.participation.state))
        row["extension_requests"] = "; ".join(
            f"{r['meeting'] or 'meeting not recorded'}: {r['outcome']}"
            + (f" (new deadline {r['new_deadline']})" if r["new_deadline"] else "")
            for r in row["extension_requests"]
        )
        rows.append(row)
    return _csv(f"deadlines-{as_of.isoformat()}.csv", DEADLINE_COLUMNS, rows)


def obligation_event(obligation, url):
    """One obligation's current deadline as an all-day VEVENT, with a UID stable across edits."""
    deadline = obligation.current_deadline
    state = obligation.participation.state
    summary = f"{state.name}: {obligation.title}"
    if obligation.applicability != obligation.Applicability.APPLICABLE:
        summary += " – applicability not recorded"
    details = [f"Original deadline: {partial_dates.display(obligation.original_deadline)}."]
    if deadline != obligation.original_deadline:
        details.append(f"Current deadline, as extended: {partial_dates.display(deadline)}.")
    if obligation.expected_display:
        details.append(f"Expected completion: {obligation.expected_display}.")
    event = icalendar.Event()
    event.add("uid", f"obligation-{obligation.pk}@{UID_DOMAIN}")
    event.add("sequence", obligation.version)
    event.add("dtstamp", obligation.updated_at)
    event.add("last-modified", obligation.updated_at)
    event.add("dtstart", deadline)
    event.add("dtend", deadline + datetime.timedelta(days=1))
    event.add("summary", plain(summary))
    event.add("description", plain(" ".join(details)))
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    event.add("categories", [obligation.get_kind_display()])
    return event


CALENDAR_END = b"END:VCALENDAR\r\n"


def deadlines_calendar(obligations, url_for, reports=()):
    """Return /deadlines.ics: one all-day VEVENT per obligation's current deadline (and per report
    due, with ``reports``: DueReports).

    Each event's text is kept for the data's version (tracker.derived) and the calendar is
    its header, the events and its end, as icalendar writes a calendar with components.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Treaty implementation tracker//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Treaty deadlines")
    events = []
    for obligation in obligations:
        if obligation.current_deadline is None:
            continue
        url = url_for(obligation.participation.state)
        events.append(
            derived.memo(
                ("calendar obligation", obligation.pk, url),
                lambda obligation=obligation, url=url: obligation_event(obligation, url).to_ical(),
            )
        )
    for due in reports:
        events.append(report_event(due, url_for).to_ical())
    head, end, _ = calendar.to_ical().rpartition(CALENDAR_END)
    body = head + b"".join(events) + end
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    return response


# --- meetings and working groups ---------------------------------------------------------


def _source(source):
    if source is None:
        return None
    return {
        "title": source.title,
        "publisher": source.publisher or None,
        "symbol": source.symbol or None,
        "url": source.url or None,
        "date": partial_dates.iso(source.date, source.date_precision),
    }


def meeting_dict(meeting):
    """One meeting as plain JSON values, with its parts, documents and source."""
    return {
        "treaty": meeting.treaty.slug,
        "name": meeting.name,
        "short_name": meeting.short_name or None,
        "kind": meeting.kind,
        "number": meeting.number,
        "city": meeting.city or None,
        "country": meeting.country.iso2 if meeting.country else None,
        "venue": meeting.venue or None,
        "start_date": partial_dates.iso(meeting.start_date, meeting.dates_precision),
        "end_date": _iso(meeting.end_date),
        "announced_start_date": _iso(meeting.announced_start_date),
        "announced_end_date": _iso(meeting.announced_end_date),
        "parts": [
            {
                "label": part.label,
                "start_date": _iso(part.start_date),
                "end_date": _iso(part.end_date),
                "city": part.city or None,
                "format": part.format,
                "source": _source(part.source),
            }
            for part in meeting.parts.all()
        ],
        "president": meeting.president_name or None,
        "presidency": meeting.president_state.iso2 if meeting.president_state else None,
        "outcomes": meeting.outcomes or None,
        "documents": [
            {
                "title": document.title,
                "kind": document.kind,
                "action": document.action,
                "symbol": document.symbol or None,
                "url": document.url or None,
                "from": document.submitted_by or None,
                "source": _source(document.source),
            }
            for document in meeting.documents.all()
        ],
        "source": _source(meeting.source),
    }


def meetings_json(meetings, url_for):
    """Return /meetings.json: {"count", "results"}, the next meeting first, then the newest."""
    return _json(meetings_body(meetings, url_for))


def meetings_body(meetings, url_for):
    results = [{**meeting_dict(meeting), "url": url_for(meeting)} for meeting in meetings]
    return _clean({"count": len(results), "results": results})


def working_groups_json(groups, as_of, url_for):
    """Return /working-groups.json: every group and role with its terms and coordinators."""
    return _json(working_groups_body(groups, as_of, url_for))


def working_groups_body(groups, as_of, url_for):
    results = [
        {
            "treaty": group.treaty.slug,
            "name": group.name,
            "slug": group.slug,
            "seats": group.seats,
            "established_at": group.established_at.short_name if group.established_at else None,
            "serving": [a.state.iso2 for a in group.serving],
            "terms": [
                {
                    "term": term["label"],
                    "current": term["current"],
                    "coordinators": [
                        {
                            "name": a.state.name,
                            "iso2": a.state.iso2,
                            "term_start": _iso(a.term_start),
                            "term_end": _iso(a.term_end),
                            "appointed_at": a.appointed_at.short_name if a.appointed_at else None,
                            "url": url_for(a.state),
                            "source": _source(a.source),
                        }
                        for a in term["assignments"]
                    ],
                }
                for term in group.terms
            ],
            "source": _source(group.source),
        }
        for group in groups
    ]
    return _clean({"as_of": as_of.isoformat(), "count": len(results), "results": results})


# --- transparency reports ------------------------------------------------------------

REPORT_COLUMNS = [
    "treaty",
    "name",
    "iso2",
    "region",
    "report",
    "period",
    "due_date",
    "submitted",
    "status",
    "days_late_or_overdue",
    "not_submitted_as_at",
    "access",
    "report_url",
    "source",
    "as_of",
    "url",
]


def report_dict(due, as_of, url):
    """One due report (a DueReport) as plain JSON values; unrecorded facts are None."""
    report, state = due.report, due.participation.state
    source = None
    if report is not None:
        source = report.source if report.submitted_on else report.missing_source
    return {
        "treaty": due.participation.treaty.slug,
        "name": state.name,
        "iso2": state.iso2,
        "region": state.region,
        "report": due.kind,
        "period": due.period,
        "due_date": _iso(due.due),
        "submitted": partial_dates.iso(report.submitted_on, report.submitted_precision) if report else None,
        "status": due.status,
        "days_late_or_overdue": due.days if due.status in ("late", "overdue") else None,
        "not_submitted_as_at": _iso(report.missing_on) if report else None,
        "access": report.access if report and report.access != "not_recorded" else None,
        "report_url": (report.url or None) if report else None,
        "source": _source(source),
        "as_of": as_of.isoformat(),
        "url": url,
    }


def reports_json(due_reports, summary, columns, as_of, url_for):
    """Return /reports.json: {"as_of", "summary", "count", "results"}."""
    return _json(reports_body(due_reports, summary, columns, as_of, url_for))


def reports_body(due_reports, summary, columns, as_of, url_for):
    results = [report_dict(d, as_of, url_for(d.participation.state)) for d in due_reports]
    body = {
        "as_of": as_of.isoformat(),
        "summary": [
            {
                "treaty": treaty.slug,
                "year": year,
                "due": total,
                **dict(zip(columns, counts, strict=True)),
            }
            for treaty, years in summary
            for year, total, counts in years
        ],
        "count": len(results),
        "results": results,
    }
    return _clean(body)


def reports_csv(due_reports, as_of, url_for):
    """Return /reports.csv: one row per due report; the source as its title and address."""
    rows = []
    for due in due_reports:
        row = report_dict(due, as_of, url_for(due.participation.state))
        source = row["source"]
        row["source"] = f"{source['title']} {source['url'] or ''}".strip() if source else None
        rows.append(row)
    return _csv(f"reports-{as_of.isoformat()}.csv", REPORT_COLUMNS, rows)


def report_event(due, url_for):
    """One report's due date as an all-day VEVENT, with a UID stable across edits."""
    participation = due.participation
    state, treaty = participation.state, participation.treaty
    event = icalendar.Event()
    period = due.period if due.period is not None else "initial"
    event.add("uid", f"report-{participation.pk}-{period}@{UID_DOMAIN}")
    stamp = due.report.updated_at if due.report else participation.updated_at
    event.add("dtstamp", stamp)
    event.add("dtstart", due.due)
    event.add("dtend", due.due + datetime.timedelta(days=1))
    event.add(
        "summary", plain(f"{state.name}: {due.label.lower()} due ({treaty.short_name} transparency report)")
    )
    event.add(
        "description",
        plain(
            f"Due by {partial_dates.display(due.due)} under the {treaty.short_name}'s rule; no submission recorded."
        ),
    )
    event.add("url", url_for(state))
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["Transparency report"])
    return event
