"""The public data downloads: the States list as CSV and JSON, and deadlines as iCalendar.

Each function turns rows or obligations the views have already selected into
an HTTP response; none of them queries the database.
"""

import csv
import datetime

import icalendar
from django.http import HttpResponse, JsonResponse

from tracker import partial_dates

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
    "clearance_deadline",
    "as_of",
    "url",
]

# Host-independent, so that a calendar client recognises an event whichever
# address it subscribed at, and updates it instead of adding a duplicate.
UID_DOMAIN = "treaty-tracker"


def _iso(day):
    return day.isoformat() if day else None


def state_row_dict(row, treaty, as_of, url):
    """Return one State's row (a Standing) as plain JSON values (ISO dates or None)."""
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
        "clearance_deadline": _iso(row.clearance_deadline),
        "as_of": as_of.isoformat(),
        "url": url,
    }


def states_json(rows, treaty, as_of, url_for):
    """Return /states.json: {"treaty", "as_of", "count", "results"}. ``url_for(state)`` gives a row's address."""
    results = [state_row_dict(row, treaty, as_of, url_for(row.state)) for row in rows]
    body = {
        "treaty": treaty.slug if treaty else None,
        "as_of": as_of.isoformat(),
        "count": len(results),
        "results": results,
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False, "indent": 1})


def states_csv(rows, treaty, as_of, url_for):
    """Return /states.csv: a header row, then one row per State (UTF-8, no BOM)."""
    slug = treaty.slug if treaty else "none"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="states-{slug}-{as_of.isoformat()}.csv"'
    writer = csv.DictWriter(response, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        values = state_row_dict(row, treaty, as_of, url_for(row.state))
        values["in_force"] = "yes" if values["in_force"] else "no"
        writer.writerow({key: "" if value is None else value for key, value in values.items()})
    return response


def bad_request_json(messages):
    return JsonResponse({"errors": messages}, status=400)


def bad_request_text(messages):
    text = "Bad request: " + " ".join(messages) + "\n"
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


# --- deadlines ---------------------------------------------------------------------


def deadlines_calendar(obligations, url_for):
    """Return /deadlines.ics: one all-day VEVENT per obligation's current deadline."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Treaty implementation tracker//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Treaty deadlines")
    for obligation in obligations:
        deadline = obligation.current_deadline
        if deadline is None:
            continue
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
        event.add("summary", summary)
        event.add("description", " ".join(details))
        event.add("url", url_for(state))
        event.add("transp", "TRANSPARENT")
        event.add("categories", [obligation.get_kind_display()])
        calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    return response
