"""The read API, /api/v1/: the public record as JSON, with an OpenAPI schema.

django-ninja builds the schema (/api/v1/openapi.json) and its documentation
page (/api/v1/docs, Swagger UI from the package's own static files) from the
typed code below. Every endpoint is a GET and reuses what the public pages and
downloads use: their filter forms (tracker.filters, tracker.filters_proceedings,
tracker.report_filters), their querysets and their row builders
(tracker.exports, tracker.exports_proceedings), so that a count here is the
count on the page. Bad parameters answer 400 with {"errors": {parameter:
[messages]}}; an unknown object 404 with {"detail": …}.

Caching and conditional requests are the pages' (tracker.caching); CORS is
opened for GET by tracker.cors.
"""

import datetime
from typing import Annotated

from django import forms
from django.http import Http404
from django.utils import timezone
from ninja import Field, NinjaAPI, Query
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from pydantic import BaseModel, WithJsonSchema

from tracker import exports, exports_proceedings, history, views, views_meetings, views_reports
from tracker.filters import ChangeFilterForm, DeadlineFilter, DeadlineOptionsForm, StateListForm
from tracker.filters_proceedings import PledgeFilterForm
from tracker.formfields import DayField
from tracker.models import Meeting, Obligation, Pledge, Source, State, Treaty
from tracker.report_filters import COLUMNS, ReportFilterForm

CHANGES_PER_PAGE = 50

api = NinjaAPI(
    title="Treaty implementation tracker",
    version="1",
    description=(
        "The public record of the tracker, read-only. Dates are ISO 8601; a date known only to the "
        "month or year is given as YYYY-MM or YYYY. A fact that is not recorded is null, never a default."
    ),
    urls_namespace="api-v1",
    # Swagger UI from django-ninja's own static files (no CDN; the CSP allows only 'self').
    # No online validator badge: it would call another site.
    docs=Swagger(settings={"validatorUrl": None}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


class BadParameters(Exception):
    """Raised with {parameter: [messages]} when a query parameter is refused."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


@api.exception_handler(BadParameters)
def _bad_parameters(request, error):
    return api.create_response(request, {"errors": error.errors}, status=400)


@api.exception_handler(NinjaValidationError)
def _invalid_input(request, error):
    errors = {}
    for item in error.errors:
        location = [str(part) for part in item.get("loc", ()) if part not in ("query", "path")]
        errors.setdefault(location[-1] if location else "request", []).append(item.get("msg", "Invalid."))
    return api.create_response(request, {"errors": errors}, status=400)


@api.exception_handler(Http404)
def _not_found(request, error):
    return api.create_response(request, {"detail": str(error) or "Not found."}, status=404)


@api.exception_handler(HttpError)
def _http_error(request, error):
    return api.create_response(request, {"detail": str(error)}, status=error.status_code)


def _check(form):
    """Raise BadParameters when the form has errors (the downloads refuse such requests too)."""
    if form.errors:
        raise BadParameters({name: list(errors) for name, errors in form.errors.items()})


# --- the shapes of the answers -------------------------------------------------------------


class Out(BaseModel):
    """The base of the answers' schemas: plain pydantic models of the dicts the downloads' code builds
    (ninja's Schema would read each field through its Django-object wrapper, a third of the time
    of /api/v1/states)."""


class Errors(Out):
    errors: dict[str, list[str]] = Field(description="Each refused parameter with the reasons.")


class NotFound(Out):
    detail: str


FAILURES = {400: Errors, 404: NotFound}


class SourceRef(Out):
    title: str
    publisher: str | None
    symbol: str | None
    url: str | None
    date: str | None


class TreatyOut(Out):
    slug: str
    name: str
    short_name: str
    adopted_on: str | None
    opened_for_signature_on: str | None
    entry_into_force_date: str | None
    depositary: str | None
    depositary_as_at: str | None
    text_url: str | None
    depositary_url: str | None
    stockpile_years: int | None
    clearance_years: int | None
    url: str


class StateRow(Out):
    treaty: str | None
    name: str
    iso2: str
    region: str
    subregion: str | None
    status: str = Field(description="non_signatory, signatory, party or withdrawn, on as_of.")
    in_force: bool
    signature_date: str | None
    instrument: str | None
    deposit_date: str | None
    entry_into_force_date: str | None
    provisional_application_date: str | None
    withdrawal_notice_date: str | None
    withdrawal_effective_date: str | None
    stockpile_deadline: str | None
    stockpile_status: str | None
    clearance_deadline: str | None
    clearance_status: str | None
    as_of: str
    url: str


class StateList(Out):
    treaty: str | None
    as_of: str
    depositary_as_at: str | None
    count: int
    results: list[StateRow]


class ExtensionRequest(Out):
    requested: str | None
    meeting: str | None
    outcome: str | None
    new_deadline: str | None


class ObligationOut(Out):
    treaty: str
    name: str
    iso2: str
    obligation: str
    article: str | None
    applicability: str
    status: str | None
    original_deadline: str | None
    current_deadline: str | None
    completed: str | None
    extension_requests: list[ExtensionRequest]
    as_of: str
    url: str


class ObligationList(Out):
    as_of: str
    count: int
    results: list[ObligationOut]


class StateOut(Out):
    name: str
    iso2: str
    region: str
    subregion: str | None
    as_of: str
    url: str
    treaties: list[StateRow] = Field(description="The State's standing under each treaty on as_of.")
    obligations: list[ObligationOut]


class MeetingPartOut(Out):
    label: str
    start_date: str | None
    end_date: str | None
    city: str | None
    format: str
    source: SourceRef | None


class DocumentOut(Out):
    title: str
    kind: str
    action: str
    symbol: str | None
    url: str | None
    submitted_by: str | None = Field(None, alias="from")
    source: SourceRef | None


class MeetingOut(Out):
    treaty: str
    name: str
    short_name: str | None
    kind: str
    number: int | None
    city: str | None
    country: str | None
    venue: str | None
    start_date: str | None
    end_date: str | None
    announced_start_date: str | None
    announced_end_date: str | None
    parts: list[MeetingPartOut]
    president: str | None
    presidency: str | None
    outcomes: str | None
    documents: list[DocumentOut]
    source: SourceRef | None
    url: str


class MeetingList(Out):
    count: int
    results: list[MeetingOut]


class Speaker(Out):
    kind: str
    name: str
    code: str | None


class StatementOut(Out):
    topic: str
    main_topic: str | None
    speaker: Speaker
    delivered_by: str | None
    mode: str
    date: str | None
    summary: str
    cited_figure: str | None
    cited_count: int | None
    count_kind: str | None
    source: SourceRef | None
    tracker_count: int | None = None
    tracker_count_day_before: int | None = None


class PledgeOut(Out):
    meeting: str
    meeting_date: str | None
    donor: str
    donor_kind: str
    donor_code: str
    amount: str | None = Field(description="A decimal as text, exactly as recorded; never converted.")
    currency: str | None
    amount_as_stated: str | None
    status: str | None
    covers: str | None
    recipients: list[str]
    recipients_as_stated: str | None
    purpose: str | None
    source: SourceRef | None
    url: str


class PledgeTotal(Out):
    currency: str
    total: str
    pledges: int


class ConvenedMeeting(Out):
    name: str
    short_name: str | None
    url: str


class DesignatedPresident(Out):
    meeting: str
    president: str | None
    url: str


class Appointment(Out):
    group: str
    state: str
    term: str


class Decisions(Out):
    meetings_convened: list[ConvenedMeeting]
    presidents_designated: list[DesignatedPresident]
    working_groups_established: list[str]
    coordinators_appointed: list[Appointment]


class MeetingRecord(MeetingOut):
    statements: list[StatementOut]
    pledges: list[PledgeOut]
    pledge_totals: list[PledgeTotal]
    decisions: Decisions


class PledgeList(Out):
    count: int
    totals: list[PledgeTotal] = Field(description="Per currency; never summed across currencies.")
    results: list[PledgeOut]


class ReportOut(Out):
    treaty: str
    name: str
    iso2: str
    region: str
    report: str
    period: int | None
    due_date: str | None
    submitted: str | None
    status: str
    days_late_or_overdue: int | None
    not_submitted_as_at: str | None
    access: str | None
    report_url: str | None
    source: SourceRef | None
    as_of: str
    url: str


class ReportYear(Out):
    treaty: str
    year: int
    due: int
    not_yet_due: int
    on_time: int
    late: int
    submitted: int
    overdue: int
    not_recorded: int


class ReportList(Out):
    as_of: str
    summary: list[ReportYear]
    count: int
    results: list[ReportOut]


class Coordinator(Out):
    name: str
    iso2: str
    term_start: str | None
    term_end: str | None
    appointed_at: str | None
    url: str
    source: SourceRef | None


class Term(Out):
    term: str
    current: bool
    coordinators: list[Coordinator]


class WorkingGroupOut(Out):
    treaty: str
    name: str
    slug: str
    seats: int
    established_at: str | None
    serving: list[str]
    terms: list[Term]
    source: SourceRef | None


class WorkingGroupList(Out):
    as_of: str
    count: int
    results: list[WorkingGroupOut]


class SourceOut(Out):
    id: int
    key: str | None = Field(description="The shipped data's name for the source, e.g. 'seed001'.")
    title: str
    publisher: str | None
    symbol: str | None
    url: str | None
    date: str | None
    notes: str | None


class SourceList(Out):
    count: int
    results: list[SourceOut]


class FieldChangeOut(Out):
    name: str
    label: str
    old: str
    new: str


class ChangeOut(Out):
    kind: str
    kind_label: str
    object_id: int
    object: str
    date: str
    action: str = Field(description="created, changed or deleted.")
    reason: str
    state: str | None = Field(description="The ISO code of the State the record belongs to, if any.")
    state_name: str | None
    fields: list[FieldChangeOut]
    cursor: str


class ChangeList(Out):
    count: int
    next: str | None = Field(description="The address of the next (older) page, or null at the end.")
    results: list[ChangeOut]


# --- small forms for the parameters the pages' forms do not have ----------------------------


class AsOfForm(forms.Form):
    as_of = DayField(label="As of", required=False)


class ObligationStateForm(forms.Form):
    state = forms.CharField(label="State (ISO code)", required=False, max_length=2)

    def clean_state(self):
        key = self.cleaned_data["state"].strip()
        if not key:
            return None
        state = State.objects.filter(iso2=key.upper()).first() if key.isalpha() and key.isascii() else None
        if state is None:
            raise forms.ValidationError("No State has this ISO code.", code="unknown")
        return state


# --- the parameters, described from the forms that clean them ------------------------------


def _q(description):
    """A query parameter, empty by default (the form that cleans it is the rule)."""
    return Query("", description=description)


def _choice(field):
    """A string parameter whose allowed values are the form field's choices (listed in the schema)."""
    values = list(dict.fromkeys(["", *(str(value) for value, _ in field.choices)]))
    return Annotated[str, WithJsonSchema({"type": "string", "enum": values})]


# A day, YYYY-MM-DD (the form refuses other shapes and years outside 1900–2999).
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


_STATES = StateListForm.base_fields
_DEADLINES = DeadlineOptionsForm.base_fields
_REPORTS = ReportFilterForm.base_fields
TREATY = "A treaty's slug (see /api/v1/treaties), e.g. ccm."
AS_OF = "The day (YYYY-MM-DD, 1900–2999); default today."


# --- endpoints ------------------------------------------------------------------------------


def _iso(day):
    return day.isoformat() if day else None


@api.get("/treaties", response={200: list[TreatyOut]}, tags=["treaties"])
def treaties(request):
    """Every treaty tracked, in the order they were entered."""
    url_for = views._url_for(request)
    rows = [
        {
            "slug": t.slug,
            "name": t.name,
            "short_name": t.short_name,
            "adopted_on": _iso(t.adopted_on),
            "opened_for_signature_on": _iso(t.opened_for_signature_on),
            "entry_into_force_date": _iso(t.entry_into_force_date),
            "depositary": t.depositary or None,
            "depositary_as_at": _iso(t.depositary_as_at),
            "text_url": t.text_url or None,
            "depositary_url": t.depositary_url or None,
            "stockpile_years": t.stockpile_years,
            "clearance_years": t.clearance_years,
            "url": url_for(t),
        }
        for t in Treaty.objects.order_by("pk")
    ]
    return exports._clean(rows)


@api.get("/states", response={200: StateList, **FAILURES}, tags=["states"])
def states(
    request,
    treaty: str = _q(TREATY + " Default: the first treaty entered (the CCM)."),
    status: _choice(_STATES["status"]) = _q("The status on as_of."),
    region: _choice(_STATES["region"]) = _q("The UN region."),
    q: str = Query("", description="Part of a name, or an ISO code.", max_length=100),
    as_of: Day = _q(AS_OF),
    in_force: _choice(_STATES["in_force"]) = _q("In force on as_of, or not."),
    deadline_before: Day = _q("An open deadline before this day."),
    working_group: str = _q("Coordinates this working group (its slug)."),
    sort: _choice(_STATES["sort"]) = _q("The order; a leading - for descending."),
):
    """Every State's standing under one treaty on a day: the filters of /states/ and /states.json.

    ``treaty`` is a slug (default: the first treaty, the CCM); ``as_of`` a day (YYYY-MM-DD, default
    today); ``status`` non_signatory, signatory, party or withdrawn; ``region`` africa, americas,
    asia, europe or oceania; ``q`` a name or ISO code.
    """
    form = StateListForm(request.GET)
    _check(form)
    return exports.states_body(form.rows(), form.chosen_treaty, form.as_of_date, views._url_for(request))


@api.get("/states/{iso2}", response={200: StateOut, **FAILURES}, tags=["states"])
def state(request, iso2: str, as_of: Day = _q(AS_OF)):
    """One State: its standing under every treaty on ``as_of`` (default today), and its obligations."""
    found = State.objects.filter(iso2=iso2.upper()).first() if len(iso2) == 2 and iso2.isalpha() else None
    if found is None:
        raise Http404("No State has this ISO code.")
    form = AsOfForm(request.GET)
    _check(form)
    day = form.cleaned_data.get("as_of") or timezone.localdate()
    url_for = views._url_for(request)
    rows = []
    for treaty in Treaty.objects.order_by("pk"):
        rows.extend(
            exports.state_row_dict(row, treaty, day, url_for(found)) for row in treaty.standings([found], day)
        )
    obligations = (
        Obligation.objects.of_parties(day)
        .with_state()
        .with_extensions()
        .filter(participation__state=found)
        .order_by("participation__treaty__pk", "kind")
    )
    return exports._clean(
        {
            "name": found.name,
            "iso2": found.iso2,
            "region": found.region,
            "subregion": found.subregion or None,
            "as_of": day.isoformat(),
            "url": url_for(found),
            "treaties": rows,
            "obligations": [exports.deadline_dict(o, day, url_for(found)) for o in obligations],
        }
    )


@api.get("/obligations", response={200: ObligationList, **FAILURES}, tags=["obligations"])
def obligations(
    request,
    treaty: str = _q(TREATY),
    state: str = _q("A State's ISO code, e.g. LB."),
    status: _choice(_DEADLINES["status"]) = _q("Which deadlines, on today."),
    kind: _choice(DeadlineFilter.base_filters["kind"].field) = _q("The obligation."),
    applicability: _choice(_DEADLINES["applicability"]) = _q(
        "'all' adds the obligations whose applicability is not recorded."
    ),
):
    """States Parties' stockpile and clearance obligations with their deadlines and extension requests:
    the list of /deadlines.json, with the same filters, and ``state`` (an ISO code).

    ``status`` upcoming, overdue or completed; ``kind`` stockpile or clearance; ``applicability``
    "all" to add obligations whose applicability is not recorded.
    """
    today = timezone.localdate()
    deadlines = DeadlineFilter(request.GET, as_of=today)
    chosen = ObligationStateForm(request.GET)
    errors = {**deadlines.form.errors, **chosen.errors}
    if errors:
        raise BadParameters({name: list(messages) for name, messages in errors.items()})
    listed = deadlines.qs.listed(
        today,
        show=deadlines.options.get("status") or "",
        unrecorded=deadlines.options.get("applicability") == "all",
    )
    if chosen.cleaned_data.get("state"):
        listed = listed.filter(participation__state=chosen.cleaned_data["state"])
    listed = listed.with_extensions().order_by("current_deadline", "participation__state__name", "pk")
    return exports.deadlines_body(listed, today, views._url_for(request))


@api.get("/meetings", response={200: MeetingList}, tags=["meetings"], by_alias=True)
def meetings(request):
    """Every meeting, the next one first, then the past ones newest first, with parts and documents."""
    today = timezone.localdate()
    return exports.meetings_body(
        Meeting.objects.with_outcomes().in_reading_order(today), views._url_for(request)
    )


# (exclude_unset: a statement has its tracker counts only when it cites a count, as on the page.)
@api.get(
    "/meetings/{slug}",
    response={200: MeetingRecord, **FAILURES},
    tags=["meetings"],
    by_alias=True,
    exclude_unset=True,
)
def meeting(request, slug: str):
    """One meeting's record: its facts, statements by topic, pledges, documents and decisions."""
    if len(slug) > 100:
        raise Http404("No meeting has this address.")
    record_meeting, record = views_meetings._meeting_record(slug.lower())
    return exports_proceedings.meeting_record_body(record_meeting, record, views._url_for(request))


@api.get("/pledges", response={200: PledgeList, **FAILURES}, tags=["meetings"])
def pledges(
    request,
    donor: str = _q("A State's ISO code (e.g. DE) or an organisation's short name (e.g. cmc)."),
    recipient: str = _q("A State's ISO code, e.g. LB."),
    meeting: str = _q("A meeting's slug, e.g. ccm-2msp."),
    purpose: _choice(PledgeFilterForm.base_fields["purpose"]) = _q(
        "What the pledge is for ('none': not stated)."
    ),
    currency: str = _q("An ISO 4217 code, e.g. EUR."),
):
    """Pledges and contributions with totals per currency: the filters of /pledges/ and /pledges.json."""
    form = PledgeFilterForm(request.GET)
    form.is_valid()
    _check(form)
    listed = list(form.filter(views_meetings._pledges()))
    return exports_proceedings.pledges_body(listed, Pledge.totals(listed), views._url_for(request))


@api.get("/reports", response={200: ReportList, **FAILURES}, tags=["reports"])
def reports(
    request,
    treaty: str = _q(TREATY + " Default: every treaty."),
    region: _choice(_REPORTS["region"]) = _q("The UN region."),
    year: str = _q("The year the reports were due, e.g. 2015."),
    kind: _choice(_REPORTS["kind"]) = _q("Initial or annual reports."),
    status: _choice(_REPORTS["status"]) = _q("The report's status on today."),
):
    """Article 7 transparency reports due by each treaty's rule, and the yearly counts:
    the filters of /reports/ and /reports.json."""
    day = views_reports.today()
    form = ReportFilterForm(request.GET)
    _check(form)
    due = [d for d in views_reports.due_reports(form, day) if form.keep(d)]
    return exports.reports_body(due, views_reports.summary(due), COLUMNS, day, views._url_for(request))


@api.get("/working-groups", response={200: WorkingGroupList}, tags=["working groups"])
def working_groups(request):
    """Every working group and single-coordinator role with its terms and coordinators."""
    today = timezone.localdate()
    return exports.working_groups_body(list(views._groups(today)), today, views._url_for(request))


@api.get("/sources", response={200: SourceList}, tags=["sources"])
def sources(request):
    """Every source the record cites (the documents its facts come from)."""
    # A source as every download cites it, with its identity and notes.
    results = [
        {"id": s.pk, "key": s.key, **exports._source(s), "notes": s.notes or None}
        for s in Source.objects.order_by("pk")
    ]
    return exports._clean({"count": len(results), "results": results})


@api.get("/changes", response={200: ChangeList, **FAILURES}, tags=["changes"])
def changes(
    request,
    state: str = "",
    treaty: str = "",
    kind: str = "",
    start: str = "",
    end: str = "",
    before: str = "",
):
    """Every edit to the public record, newest first, in pages of 50: the filters of /changes/.

    Follow ``next`` for older changes (``before`` is a cursor from a previous page; it stays valid
    however many edits are made meanwhile).
    """
    form = ChangeFilterForm(request.GET)
    form.is_valid()
    _check(form)
    try:
        page = history.changes(**form.history_arguments(), limit=CHANGES_PER_PAGE + 1)
    except ValueError as error:
        raise BadParameters({"before": [str(error)]}) from None
    following = None
    if len(page) > CHANGES_PER_PAGE:
        page = page[:CHANGES_PER_PAGE]
        query = request.GET.copy()
        query["before"] = page[-1].cursor
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    results = [
        {
            "kind": c.kind,
            "kind_label": c.kind_label,
            "object_id": c.object_id,
            "object": c.object_repr,
            "date": c.date.astimezone(datetime.UTC).isoformat(),
            "action": c.action,
            "reason": c.reason,
            "state": c.state_iso2.upper() if c.state_iso2 else None,
            "state_name": c.state_name,
            "fields": [{"name": f.name, "label": f.label, "old": f.old, "new": f.new} for f in c.fields],
            "cursor": c.cursor,
        }
        for c in page
    ]
    return exports._clean({"count": len(results), "next": following, "results": results})


# Registered last, so that it only answers addresses no endpoint has: a JSON 404, like an unknown object's.
@api.get("/{path:rest}", response={404: NotFound}, include_in_schema=False)
def unknown(request, rest: str):
    raise Http404("No endpoint has this address; see /api/v1/openapi.json.")
