"""The public pages of a meeting's record: one meeting, the pledges, an organisation.

Each view fetches with a fixed number of queries, whatever the number of
statements, pledges or States; the rules (who may speak, what a total is) are on
the models, the filters in tracker.filters_proceedings, the downloads in
tracker.exports_proceedings.
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from tracker import derived, exports, exports_proceedings
from tracker.filters import clean_query, ignored_messages
from tracker.filters_proceedings import PledgeFilterForm
from tracker.models import (
    Meeting,
    Organisation,
    Pledge,
    Statement,
)
from tracker.views import _url_for, _without_empty_parameters


def _statements():
    return Statement.objects.select_related("topic__parent", "state", "organisation", "source", "meeting")


def _pledges():
    return (
        Pledge.objects.select_related("meeting", "donor_state", "donor_organisation", "source")
        .prefetch_related("recipients")
        .order_by("-meeting__start_date", "meeting_id", "position", "pk")
    )


def _by_topic(statements):
    """[{"topic", "subtopics": [{"topic", "statements"}], "statements"}] in the topics' order."""
    sections = {}
    for statement in statements:
        topic = statement.topic
        main = topic.parent if topic.parent_id else topic
        section = sections.setdefault(main.pk, {"topic": main, "statements": [], "subtopics": {}})
        if topic.parent_id:
            section["subtopics"].setdefault(topic.pk, {"topic": topic, "statements": []})[
                "statements"
            ].append(statement)
        else:
            section["statements"].append(statement)
    ordered = sorted(sections.values(), key=lambda s: (s["topic"].position, s["topic"].name))
    for section in ordered:
        section["subtopics"] = sorted(
            section["subtopics"].values(), key=lambda s: (s["topic"].position, s["topic"].name)
        )
    return ordered


def _meeting_record(slug):
    """The meeting of ``slug`` with everything its page shows, or a 404."""
    meeting = get_object_or_404(
        Meeting.objects.with_outcomes()
        .select_related("convened_by")
        .prefetch_related(
            Prefetch(
                "meetings_convened",
                queryset=Meeting.objects.select_related("announced_in").order_by("start_date"),
            ),
        ),
        slug=slug,
    )
    statements = list(_statements().filter(meeting=meeting).order_by("topic__position", "position", "pk"))
    Statement.with_tracker_counts(statements)
    pledges = list(_pledges().filter(meeting=meeting))
    designated = list(
        Meeting.objects.filter(president_designated_at=meeting).select_related("president_state")
    )
    return meeting, {
        "statements": statements,
        "topics": _by_topic(statements),
        "pledges": pledges,
        "totals": Pledge.totals(pledges),
        "convened": list(meeting.meetings_convened.all()),
        "designated": designated,
    }


def meeting_detail(request, slug):
    """One meeting: where and when, president, statements by topic, pledges, documents and decisions."""
    if slug != slug.lower():
        return redirect("meeting-detail", slug.lower(), permanent=True)
    # The same for every reader until the data changes (tracker.derived).
    meeting, record = derived.memo(("meeting record", slug), lambda: _meeting_record(slug))
    context = {"meeting": meeting, **record, "today": timezone.localdate()}
    return render(request, "tracker/meeting_detail.html", context)


def meeting_detail_json(request, slug):
    """One meeting's page as JSON."""
    slug = slug.lower()
    meeting, record = derived.memo(("meeting record", slug), lambda: _meeting_record(slug))
    return exports_proceedings.meeting_record_dict(meeting, record, _url_for(request))


@_without_empty_parameters
def pledge_list(request):
    """Every pledge and contribution, filterable, with totals per currency (never summed across currencies)."""
    form = PledgeFilterForm(request.GET)
    form.is_valid()
    # The same filters give the same pledges until the data changes (tracker.derived).
    pledges = derived.memo(("pledges", clean_query(form).urlencode()), lambda: list(form.filter(_pledges())))
    context = {
        "form": form,
        "pledges": pledges,
        "totals": Pledge.totals(pledges),
        "ignored": ignored_messages(form),
        "query": clean_query(form),
        "filtered": bool(clean_query(form)),
    }
    return render(request, "tracker/pledge_list.html", context)


def _listed_pledges(request):
    form = PledgeFilterForm(request.GET)
    if not form.is_valid():
        return None, form
    return list(form.filter(_pledges())), form


def pledges_json(request):
    pledges, form = _listed_pledges(request)
    if pledges is None:
        return exports.bad_request_json({name: list(errors) for name, errors in form.errors.items()})
    return exports_proceedings.pledges_json(pledges, Pledge.totals(pledges), _url_for(request))


def pledges_csv(request):
    pledges, form = _listed_pledges(request)
    if pledges is None:
        return exports.bad_request_text(ignored_messages(form))
    return exports_proceedings.pledges_csv(pledges, _url_for(request))


def organisation_detail(request, slug):
    """One organisation: what it is, its statements and pledges at meetings, newest first."""
    if slug != slug.lower():
        return redirect("organisation-detail", slug.lower(), permanent=True)
    organisation = get_object_or_404(Organisation.objects.select_related("source"), slug=slug)
    statements = (
        _statements()
        .filter(organisation=organisation)
        .order_by("-meeting__start_date", "topic__position", "position", "pk")
    )
    context = {
        "organisation": organisation,
        "statements": list(statements),
        "pledges": list(_pledges().filter(donor_organisation=organisation)),
    }
    return render(request, "tracker/organisation_detail.html", context)


def state_at_meetings(state):
    """A State's statements, pledges made and pledges received, newest meeting first (for its page)."""
    statements = (
        _statements()
        .filter(state=state)
        .order_by("-meeting__start_date", "topic__position", "position", "pk")
    )
    pledges = list(_pledges().concerning(state))
    return {
        "statements": list(statements),
        "pledges_made": [p for p in pledges if p.donor_state_id == state.pk],
        "pledges_received": [p for p in pledges if any(r.pk == state.pk for r in p.recipients.all())],
    }
