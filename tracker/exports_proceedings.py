"""The downloads of a meeting's record and of the pledges: JSON and CSV.

Like tracker.exports, each function turns records the views have already
selected and prefetched into a response; CSV cells go through its safe writer.
"""

from tracker import exports, partial_dates

PLEDGE_COLUMNS = [
    "meeting",
    "meeting_date",
    "donor",
    "donor_kind",
    "donor_code",
    "amount",
    "currency",
    "amount_as_stated",
    "status",
    "covers",
    "recipients",
    "recipients_as_stated",
    "purpose",
    "source",
    "source_url",
    "url",
]


def _speaker(statement):
    if statement.state_id:
        return {"kind": "state", "name": statement.state.name, "code": statement.state.iso2}
    if statement.organisation_id:
        return {
            "kind": "organisation",
            "name": statement.organisation.name,
            "code": statement.organisation.slug,
        }
    return {"kind": "office", "name": statement.office, "code": None}


def statement_dict(statement):
    topic = statement.topic
    body = {
        "topic": topic.name,
        "main_topic": topic.parent.name if topic.parent_id else None,
        "speaker": _speaker(statement),
        "delivered_by": statement.delivered_by or None,
        "mode": statement.mode,
        "date": exports._iso(statement.date),
        "summary": statement.summary,
        "cited_figure": statement.cited_figure or None,
        "cited_count": statement.cited_count,
        "count_kind": statement.count_kind or None,
        "source": exports._source(statement.source),
    }
    if statement.cited_count is not None:
        body["tracker_count"] = getattr(statement, "tracker_count", None)
        body["tracker_count_day_before"] = getattr(statement, "tracker_count_before", None)
    return body


def pledge_dict(pledge, url_for):
    donor = pledge.donor
    return {
        "meeting": pledge.meeting.short_name or pledge.meeting.name,
        "meeting_date": partial_dates.iso(pledge.meeting.start_date, pledge.meeting.dates_precision),
        "donor": donor.name,
        "donor_kind": "state" if pledge.donor_state_id else "organisation",
        "donor_code": pledge.donor_state.iso2 if pledge.donor_state_id else pledge.donor_organisation.slug,
        # A decimal as text, exactly as stored: never converted, never rounded.
        "amount": str(pledge.amount) if pledge.amount is not None else None,
        "currency": pledge.currency or None,
        "amount_as_stated": pledge.amount_as_stated or None,
        "status": pledge.status or None,
        "covers": pledge.covers or None,
        "recipients": [state.iso2 for state in pledge.recipients.all()],
        "recipients_as_stated": pledge.recipients_text or None,
        "purpose": pledge.purpose or None,
        "source": exports._source(pledge.source),
        "url": url_for(pledge.meeting),
    }


def totals_list(totals):
    return [
        {"currency": currency, "total": str(total), "pledges": count} for currency, total, count in totals
    ]


def meeting_record_dict(meeting, record, url_for):
    """One meeting's page as data: its facts, statements by topic, pledges, documents and decisions."""
    return exports._json(meeting_record_body(meeting, record, url_for))


def meeting_record_body(meeting, record, url_for):
    body = exports.meeting_dict(meeting)
    body["url"] = url_for(meeting)
    body["statements"] = [statement_dict(s) for s in record["statements"]]
    body["pledges"] = [pledge_dict(p, url_for) for p in record["pledges"]]
    body["pledge_totals"] = totals_list(record["totals"])
    body["decisions"] = {
        "meetings_convened": [
            {"name": m.name, "short_name": m.short_name or None, "url": url_for(m)}
            for m in record["convened"]
        ],
        "presidents_designated": [
            {"meeting": m.short_name or m.name, "president": m.president_name or None, "url": url_for(m)}
            for m in record["designated"]
        ],
        "working_groups_established": [g.name for g in meeting.working_groups_established.all()],
        "coordinators_appointed": [
            {"group": a.group.name, "state": a.state.iso2, "term": a.term_display}
            for a in meeting.appointments.all()
        ],
    }
    return exports._clean(body)


def pledges_json(pledges, totals, url_for):
    """Return /pledges.json: {"count", "totals" (per currency), "results"}."""
    return exports._json(pledges_body(pledges, totals, url_for))


def pledges_body(pledges, totals, url_for):
    results = [pledge_dict(p, url_for) for p in pledges]
    return exports._clean({"count": len(results), "totals": totals_list(totals), "results": results})


def pledges_csv(pledges, url_for):
    """Return /pledges.csv: one row per pledge; recipients as ISO codes separated by spaces."""
    rows = []
    for pledge in pledges:
        row = pledge_dict(pledge, url_for)
        row["recipients"] = " ".join(row["recipients"])
        source = row.pop("source") or {}
        row["source"], row["source_url"] = source.get("title"), source.get("url")
        rows.append(row)
    return exports._csv("pledges.csv", PLEDGE_COLUMNS, rows)
