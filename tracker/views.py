"""The public pages. Each view says what its page shows; the rules live on the models.

Nothing here needs a login. Filters are cleaned by tracker.filters (bad input
is ignored with a message on HTML pages and refused with a 400 on downloads),
downloads are written by tracker.exports, and the change log is read through
tracker.history only.
"""

import datetime
import functools
from collections import Counter
from dataclasses import dataclass

from django.db.models import F, Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy

from tracker import (
    charts,
    derived,
    exports,
    footnotes,
    history,
    partial_dates,
    rules,
    views_reports,
    worldmap,
)
from tracker.addresses import absolute_address, state_address
from tracker.filters import (
    ChangeFilterForm,
    DashboardForm,
    DeadlineFilter,
    StateListForm,
    clean_query,
    every_standing,
    every_treaty,
    ignored_messages,
)
from tracker.models import (
    CoordinatorAssignment,
    Declaration,
    Extension,
    Meeting,
    Obligation,
    Participation,
    RatificationStep,
    Source,
    State,
    TransparencyReport,
    Treaty,
    WorkingGroup,
)

# The dashboard's counts, in the plural and in the order shown.
STATUS_PLURALS = {
    rules.PARTY: gettext_lazy("States Parties"),
    rules.SIGNATORY: gettext_lazy("Signed, not yet ratified"),
    rules.NON_SIGNATORY: gettext_lazy("Non-signatories"),
    rules.WITHDRAWN: gettext_lazy("Withdrawn"),
}
# The States list filters folded away (on every screen) unless one is used.
PANEL_FILTERS = (
    "status",
    "region",
    "treaty",
    "as_of",
    "in_force",
    "deadline_before",
    "working_group",
    "sort",
)
CHANGES_PER_PAGE = 50
DASHBOARD_CHANGES = 8
# "Recently completed" on /deadlines/: since 1 January this many years back.
COMPLETED_YEARS = 3


def _url_for(request):
    return absolute_address(request)


def _without_empty_parameters(view):
    """Redirect ``?q=&status=party`` to ``?status=party``: a form's empty fields stay out of shared links."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "GET" and any(value == "" for value in request.GET.values()):
            query = request.GET.copy()
            for name in [name for name, value in request.GET.items() if value == ""]:
                query.pop(name)
            target = request.path + (f"?{query.urlencode()}" if query else "")
            return redirect(target)
        return view(request, *args, **kwargs)

    return wrapper


def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page says: the site's icon."""
    return redirect(static("tracker/favicon.svg"), permanent=True)


# --- dashboard ---------------------------------------------------------------------


def _membership_chart(treaty, participations, today):
    """The chart of States Parties over time (SVG) and its data table, one row per year end."""
    series, by_year = treaty.membership(participations, today)
    start = datetime.date(by_year[0][0].year, 1, 1)
    now = series[-1][1] if series else 0
    svg = charts.step_chart(
        series,
        start=start,
        end=today,
        title=gettext("States Parties to the %(treaty)s, %(start)s–%(end)s")
        % {"treaty": treaty.short_name, "start": start.year, "end": today.year},
        description=gettext(
            "A step line rising with each deposit of an instrument and falling with each withdrawal, "
            "from %(start)s to %(end)s, when it stands at %(count)s."
        )
        % {"start": start.year, "end": partial_dates.display(today), "count": now},
        id_prefix=f"chart-{treaty.slug}",
    )
    return mark_safe(svg), by_year


def _dashboard_facts(treaties, chosen, today):
    """The dashboard's summaries per treaty, map, deadlines and latest changes (``chosen``: one treaty or None)."""
    summaries = []
    overdue_reports = views_reports.overdue_counts(today)
    # The map shows the chosen treaty, or the first entered (as /states/ does by default).
    mapped = chosen or min(treaties, key=lambda t: t.pk, default=None)
    world_map = ""
    states = list(State.objects.all())  # one query for every treaty's standings
    for treaty in [chosen] if chosen else treaties:
        standings = every_standing(treaty, today, obligations=False, states=states)
        if treaty == mapped:
            world_map = _world_map(treaty, today, standings, table_below=False)
        counts = Counter(s.status for s in standings)
        participations = [s.participation for s in standings if s.participation.pk]
        chart, table = _membership_chart(treaty, participations, today)
        signatories, parties = treaty.depositary_counts(participations, today)
        summaries.append(
            {
                "treaty": treaty,
                "counts": [(status, label, counts[status]) for status, label in STATUS_PLURALS.items()],
                "in_force": sum(s.in_force for s in standings),
                "depositary_signatories": signatories,
                "depositary_parties": parties,
                "chart": chart,
                "table": table,
                "overdue_reports": overdue_reports[treaty.pk],
            }
        )
    obligations = (
        Obligation.objects.of_parties(today).with_state().with_extensions().order_by("current_deadline")
    )
    if chosen:
        obligations = obligations.filter(participation__treaty=chosen)
    return {
        "summaries": summaries,
        "upcoming": list(obligations.upcoming(today, days=365)),
        "overdue": list(obligations.overdue(today)),
        "awaiting": list(obligations.awaiting_decision(today)),
        "changes": history.changes(treaty=chosen, limit=DASHBOARD_CHANGES),
        "world_map": world_map,
    }


def dashboard(request):
    """Counts by status per treaty as of today, deadlines, latest changes and the membership chart;
    with ``treaty``, one treaty's only."""
    today = timezone.localdate()
    treaties = every_treaty()
    form = DashboardForm(request.GET, treaties)
    chosen = form.chosen_treaty
    context = {
        "today": today,
        "treaty": chosen,
        "treaties": treaties,
        "ignored": ignored_messages(form),
        # The same for every reader until the data changes (tracker.derived).
        **derived.memo(
            ("dashboard", chosen.pk if chosen else None),
            lambda: _dashboard_facts(treaties, chosen, today),
        ),
        "state_address": state_address(),
    }
    return render(request, "tracker/dashboard.html", context, using="jinja2")


# --- the States list and its downloads ---------------------------------------------


@_without_empty_parameters
def state_list(request):
    """Every State with its status under one treaty on one day, filtered and sorted."""
    form = StateListForm(request.GET)
    treaty, as_of = form.chosen_treaty, form.as_of_date
    # Every State's standing: the list's rows and the map of every State, whatever the filters.
    standings = every_standing(treaty, as_of) if treaty else []
    context = {
        "form": form,
        "rows": form.rows(standings),
        "treaty": form.chosen_treaty,
        "as_of": form.as_of_date,
        "today": timezone.localdate(),
        "total": derived.memo(("state count",), State.objects.count),
        "ignored": form.ignored,
        "chips": form.chips(),
        "columns": form.columns(),
        "has_stockpile": form.has_obligation("stockpile"),
        "has_clearance": form.has_obligation("clearance"),
        "query": form.query(),
        "open_filters": any(form.data.get(name) for name in PANEL_FILTERS),
        "world_map": _world_map(treaty, as_of, standings, table_below=True) if treaty else "",
        "state_address": state_address(),
    }
    return render(request, "tracker/state_list.html", context, using="jinja2")


def _world_map(treaty, as_of, standings, table_below):
    """worldmap.render, kept for the data's version (tracker.derived)."""
    return derived.memo(
        ("world map", treaty.pk, as_of, table_below),
        lambda: worldmap.render(treaty, as_of, standings, table_below=table_below),
    )


def map_standings(treaty, as_of):
    """Every State's standing under ``treaty`` on ``as_of``, for the world map alone (/map.svg):
    without obligations, which the map does not show. Three queries when not kept."""
    return every_standing(treaty, as_of, obligations=False)


def states_csv(request):
    form = StateListForm(request.GET)
    if form.ignored:
        return exports.bad_request_text(form.ignored)
    return exports.states_csv(form.rows(), form.chosen_treaty, form.as_of_date, _url_for(request))


def states_json(request):
    form = StateListForm(request.GET)
    if form.ignored:
        return exports.bad_request_json({name: list(errors) for name, errors in form.errors.items()})
    return exports.states_json(form.rows(), form.chosen_treaty, form.as_of_date, _url_for(request))


# --- one State -----------------------------------------------------------------------


@dataclass
class TimelineEvent:
    date: datetime.date
    when: str
    title: str
    text: str = ""
    source: Source | None = None
    expected: str = ""
    computed: bool = False


def _timeline(participation):
    """The road to joining, and beyond: every dated fact of a participation, oldest first."""
    p = participation
    if not p.pk:
        return []
    display = partial_dates.display
    events = []
    if p.signature_date:
        events.append(
            TimelineEvent(p.signature_date, display(p.signature_date), gettext("Signed"), source=p.source)
        )
    for step in p.steps.all():
        events.append(
            TimelineEvent(
                step.date,
                step.date_display,
                step.get_kind_display(),
                step.description,
                step.source,
                expected=step.expected_display,
            )
        )
    if p.deposit_date:
        events.append(
            TimelineEvent(
                p.deposit_date,
                display(p.deposit_date),
                gettext("Instrument of %(instrument)s deposited")
                % {"instrument": p.get_instrument_display().lower()},
                gettext("The State became a State Party."),
                p.source,
            )
        )
    if p.provisional_application_date:
        events.append(
            TimelineEvent(
                p.provisional_application_date,
                display(p.provisional_application_date),
                gettext("Provisional application declared"),
                gettext(
                    "The State declared that it applies the treaty provisionally, pending its entry into force."
                ),
                p.source,
            )
        )
    if p.entry_into_force_date:
        events.append(
            TimelineEvent(
                p.entry_into_force_date,
                display(p.entry_into_force_date),
                gettext("Entry into force"),
                gettext("Computed from the deposit date by the treaty's rule."),
                computed=True,
            )
        )
    if p.withdrawal_notice_date:
        events.append(
            TimelineEvent(
                p.withdrawal_notice_date,
                display(p.withdrawal_notice_date),
                gettext("Withdrawal notified"),
                "",
                p.source,
            )
        )
    if p.withdrawal_effective_date:
        events.append(
            TimelineEvent(
                p.withdrawal_effective_date,
                display(p.withdrawal_effective_date),
                gettext("Withdrawal takes effect"),
                gettext("Computed from the notice by the treaty's rule."),
                computed=True,
            )
        )
    events.sort(key=lambda event: event.date)
    return events


def _obligations(participation):
    """A participation's obligations in the treaty's order (stockpiles, then clearance), labelled."""
    if not participation.pk:
        return []
    order = list(Obligation.Kind)
    return sorted(participation.obligations.all(), key=lambda o: order.index(o.kind))


def _unrecorded(reports):
    """The due reports whose submission is not recorded, as (count, first due, last due), or None.

    The printed profile lists them in one line instead of a row each (site.css hides the rows).
    """
    dues = [due.due for due in reports if due.status == rules.NOT_RECORDED]
    return (len(dues), min(dues), max(dues)) if dues else None


def _canonical(request, iso2, name):
    """Redirect an upper-case ISO code to the canonical lower-case address."""
    url = redirect(name, iso2.lower()).url
    if request.GET:
        url += "?" + request.GET.urlencode()
    return redirect(url, permanent=True)


def _state_facts(state, today):
    """A State's sections per treaty, its coordinator terms and what it did at meetings."""
    extensions = Extension.objects.select_related("meeting", "source").order_by("requested_on", "pk")
    participations = {
        p.treaty_id: p
        for p in state.participations.select_related(
            "treaty", "source", "withdrawal_source", "conflict_source"
        ).prefetch_related(
            Prefetch("steps", queryset=RatificationStep.objects.select_related("source")),
            Prefetch("declarations", queryset=Declaration.objects.select_related("source")),
            Prefetch(
                "obligations",
                queryset=Obligation.objects.select_related("source").prefetch_related(
                    Prefetch("extensions", queryset=extensions)
                ),
            ),
            Prefetch(
                "reports", queryset=TransparencyReport.objects.select_related("source", "missing_source")
            ),
        )
    }
    sections = []
    for treaty in Treaty.objects.all():
        participation = participations.get(treaty.pk) or Participation(state=state, treaty=treaty)
        participation.treaty, participation.state = treaty, state
        status = participation.status(today)
        reports = views_reports.state_reports(participation, today)
        sections.append(
            {
                "treaty": treaty,
                "participation": participation,
                "status": status,
                "status_label": Participation.Status(status).label,
                "in_force": participation.in_force(today),
                "timeline": _timeline(participation),
                "obligations": _obligations(participation),
                "next_report": participation.next_report_due(today) if status == rules.PARTY else None,
                "withdrawal_expiry": participation.withdrawal_expiry(),
                "reports": reports,
                # The key the page keeps the reports' table under (tracker/derived.py).
                "reports_key": ("state reports", participation.pk),
                "unrecorded_reports": _unrecorded(reports),
            }
        )
    assignments = state.coordinator_assignments.select_related(
        "group__treaty", "appointed_at", "source"
    ).order_by("term_start", "group__position")
    # Imported here: views_meetings builds on this module's helpers.
    from tracker.views_meetings import state_at_meetings

    return {"sections": sections, "assignments": list(assignments), "at_meetings": state_at_meetings(state)}


def _state_or_404(iso2):
    """The State of an ISO code, kept per data version (tracker.derived): its pages ask on every request."""
    code = iso2.upper()
    state = derived.memo(("state by code", code), lambda: State.objects.filter(iso2=code).first())
    if state is None:
        raise Http404("No State matches the given query.")
    return state


def state_detail(request, iso2):
    """One State: per treaty its timeline, obligations and reports; its coordinator roles."""
    if iso2 != iso2.lower():
        return _canonical(request, iso2, "state-detail")
    state = _state_or_404(iso2)
    today = timezone.localdate()
    context = {
        "state": state,
        # The same for every reader until the data changes (tracker.derived).
        **derived.memo(("state", state.pk), lambda: _state_facts(state, today)),
        "today": today,
        # Printed, the page cites its sources by number and lists them at the end.
        "source_notes": footnotes.SourceNotes(),
        "state_address": state_address(),
    }
    return render(request, "tracker/state_detail.html", context, using="jinja2")


# --- change history ----------------------------------------------------------------------


def _change_page(request, state=None):
    """Shared by /changes/ and /states/<iso2>/history/: one page of changes, newest first."""
    form = ChangeFilterForm(request.GET)
    form.is_valid()
    ignored = ignored_messages(form)
    arguments = form.history_arguments()
    if state is not None:
        arguments["state"] = state
    query = clean_query(form, drop=("before", "state") if state else ("before",))

    def page():
        try:
            changes = history.changes(**arguments, limit=CHANGES_PER_PAGE + 1)
            problem = None
        except ValueError as error:
            problem = f"{error} Showing the latest changes instead."
            arguments["before"] = None
            changes = history.changes(**arguments, limit=CHANGES_PER_PAGE + 1)
        return changes, problem, bool(arguments.get("before"))

    # Anonymous readers of one version see the same page of changes (tracker.derived); staff
    # see editors' names, and their requests keep nothing.
    changes, problem, paged = derived.memo(
        ("changes", state.pk if state else None, clean_query(form).urlencode()), page
    )
    if problem:
        ignored.append(problem)
    older = None
    if len(changes) > CHANGES_PER_PAGE:
        changes = changes[:CHANGES_PER_PAGE]
        older = query.copy()
        older["before"] = changes[-1].cursor
    return {
        "form": form,
        "changes": changes,
        "older": older,
        "query": query,
        "paged": paged,
        "ignored": ignored,
        "show_editor": request.user.is_staff,
    }


@_without_empty_parameters
def change_list(request):
    """Every edit to the public record, newest first, filterable by State, kind and dates."""
    return render(request, "tracker/change_list.html", _change_page(request), using="jinja2")


def state_history(request, iso2):
    """Every edit to one State's records, deleted ones included."""
    if iso2 != iso2.lower():
        return _canonical(request, iso2, "state-history")
    state = _state_or_404(iso2)
    context = _change_page(request, state=state)
    context["state"] = state
    return render(request, "tracker/change_list.html", context, using="jinja2")


# --- deadlines ---------------------------------------------------------------------------


@_without_empty_parameters
def deadline_list(request):
    """Upcoming and overdue deadlines, recent completions, and deadlines whose status is not recorded."""
    today = timezone.localdate()
    deadlines = DeadlineFilter(request.GET, as_of=today)
    show = deadlines.options.get("status") or ""
    since = datetime.date(today.year - COMPLETED_YEARS, 1, 1)

    def lists():
        obligations = deadlines.qs.with_extensions().order_by(
            "current_deadline", "participation__state__name"
        )
        unrecorded = obligations.unrecorded(today)
        if show == "upcoming":
            unrecorded = unrecorded.due_from(today)
        elif show == "overdue":
            unrecorded = unrecorded.due_before(today)
        return {
            "upcoming": list(obligations.upcoming(today)) if show in ("", "upcoming") else None,
            "overdue": list(obligations.overdue(today)) if show in ("", "overdue") else None,
            # Past the deadline but not overdue: an extension request awaits its decision.
            "awaiting": list(obligations.awaiting_decision(today)) if show in ("", "overdue") else [],
            "completed": (
                list(obligations.completed_between(since, today)) if show in ("", "completed") else None
            ),
            "unrecorded": list(unrecorded) if show != "completed" else [],
            "outcome_unrecorded": (
                list(obligations.decision_not_recorded(today)) if show in ("", "overdue") else []
            ),
        }

    query = clean_query(deadlines.form)
    context = {
        "form": deadlines.form,
        "today": today,
        # The same filters give the same lists until the data changes (tracker.derived).
        **derived.memo(("deadline lists", query.urlencode()), lists),
        "completed_since": since,
        "completed_caption": gettext("Completed since 1 January %(year)s") % {"year": since.year},
        "show_unrecorded": deadlines.options.get("applicability") == "all",
        "ignored": ignored_messages(deadlines.form),
        "query": query,
        "state_address": state_address(),
    }
    return render(request, "tracker/deadline_list.html", context, using="jinja2")


def _listed_deadlines(request):
    """The deadlines downloads' obligations and filter, or a 400 response naming the bad parameters."""
    today = timezone.localdate()
    deadlines = DeadlineFilter(request.GET, as_of=today)
    if deadlines.form.errors:
        return None, deadlines
    obligations = deadlines.qs.listed(
        today,
        show=deadlines.options.get("status") or "",
        unrecorded=deadlines.options.get("applicability") == "all",
    )
    ordered = obligations.with_extensions().order_by("current_deadline", "participation__state__name", "pk")
    # The same filters give the same list until the data changes (tracker.derived).
    return derived.memo(
        ("listed deadlines", clean_query(deadlines.form).urlencode()), lambda: list(ordered)
    ), deadlines


def deadlines_ics(request):
    """The current deadline of every open obligation as an all-day event (iCalendar)."""
    today = timezone.localdate()
    deadlines = DeadlineFilter(request.GET, as_of=today)
    if deadlines.form.errors:
        return exports.bad_request_text(ignored_messages(deadlines.form))
    obligations = deadlines.qs.in_calendar(
        today,
        show=deadlines.options.get("status") or "",
        unrecorded=deadlines.options.get("applicability") == "all",
    )
    reports, form = views_reports.calendar_reports(request.GET, today, deadlines.options.get("treaty"))
    if reports is None:
        return exports.bad_request_text(form.ignored)
    ordered = obligations.order_by("current_deadline", "pk")
    # The same filters give the same events until the data changes (tracker.derived).
    listed = derived.memo(
        ("calendar deadlines", clean_query(deadlines.form).urlencode()), lambda: list(ordered)
    )
    return exports.deadlines_calendar(listed, _url_for(request), reports=reports)


def deadlines_json(request):
    """The deadlines of /deadlines/, with the same filters, as JSON."""
    obligations, deadlines = _listed_deadlines(request)
    if obligations is None:
        return exports.bad_request_json(
            {name: list(errors) for name, errors in deadlines.form.errors.items()}
        )
    return exports.deadlines_json(obligations, timezone.localdate(), _url_for(request))


def deadlines_csv(request):
    """The deadlines of /deadlines/, with the same filters, as CSV."""
    obligations, deadlines = _listed_deadlines(request)
    if obligations is None:
        return exports.bad_request_text(ignored_messages(deadlines.form))
    return exports.deadlines_csv(obligations, timezone.localdate(), _url_for(request))


# --- working groups and meetings --------------------------------------------------------


def _groups(today):
    """The working groups with their terms, newest first, and who serves on ``today``."""
    serving = set(CoordinatorAssignment.objects.serving_on(today).values_list("pk", flat=True))
    assignments = CoordinatorAssignment.objects.select_related("state", "appointed_at", "source").order_by(
        "-term_start", F("term_end").desc(nulls_first=True), "state__name"
    )
    groups = WorkingGroup.objects.select_related("treaty", "established_at", "source").prefetch_related(
        Prefetch("assignments", queryset=assignments)
    )
    for group in groups:
        terms = {}
        for assignment in group.assignments.all():
            assignment.serving = assignment.pk in serving
            terms.setdefault(assignment.term_display, []).append(assignment)
        group.terms = [
            {"label": label, "assignments": members, "current": any(a.serving for a in members)}
            for label, members in terms.items()
        ]
        group.serving = [a for a in group.assignments.all() if a.serving]
        yield group


def working_groups(request):
    """Who coordinates what now, then each working group and single-coordinator role with every term."""
    today = timezone.localdate()

    def build():
        sections = {}
        for group in _groups(today):
            section = sections.setdefault(
                group.treaty_id, {"treaty": group.treaty, "groups": [], "roles": [], "current": []}
            )
            (section["groups"] if group.seats > 1 else section["roles"]).append(group)
            if group.serving:
                section["current"].append(group)
        return list(sections.values())

    context = {
        # The same for every reader until the data changes (tracker.derived).
        "sections": derived.memo(("working groups",), build),
        "today": today,
        "state_address": state_address(),
    }
    return render(request, "tracker/working_groups.html", context, using="jinja2")


def working_groups_json(request):
    """Every working group and role with its terms and coordinators, as JSON."""
    today = timezone.localdate()
    return exports.working_groups_json(list(_groups(today)), today, _url_for(request))


def meeting_list(request):
    """Meetings, the next one first, then the past ones newest first: place, dates, president, decisions."""
    today = timezone.localdate()
    return render(
        request,
        "tracker/meeting_list.html",
        {
            # The same for every reader until the data changes (tracker.derived).
            "meetings": derived.memo(
                ("meetings", today), lambda: list(Meeting.objects.with_outcomes().in_reading_order(today))
            ),
            "today": today,
            "state_address": state_address(),
        },
        using="jinja2",
    )


def meetings_json(request):
    """Every meeting as JSON, in the order of /meetings/."""
    today = timezone.localdate()
    return exports.meetings_json(Meeting.objects.with_outcomes().in_reading_order(today), _url_for(request))
