"""The edit history of every tracked record, read as one stream of field-level changes.

django-simple-history keeps one historical table per model. The change pages,
the Atom feed, the admin's audit log, its conflict messages and restore all
read those tables through this module, and show values through ``display()``.

How a page is read, in a fixed number of ORM queries whatever the size of the
history (the indexes are declared by ``tracker.models.History``):

1. the keys (time, id) of the newest ``limit`` rows of each kind, each an
   ordered walk of a (history_date, history_id) index; for one State, one such
   walk per record or parent record of the State (a State has a few of each
   kind), on an (id or parent, history_date, history_id) index; merged in
   Python;
2. for each kind on the page, its rows, with the id of each one's previous
   version (one probe of the (id, history_date, history_id) index per row),
   then those previous versions;
3. the names the page shows: States, and the records foreign keys point to.

The one query that is not the ORM's is ``edit_stamp()``, run on every public
request: see there why.
"""

import base64
import datetime
import functools
import heapq
import itertools
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import OuterRef, Q, Subquery
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from tracker import models as m
from tracker import partial_dates

KINDS = m.TRACKED
KIND_SLUGS = list(KINDS)
# The kinds of record as the public pages name them, in the page's language (the models'
# own verbose names, which the admin shows, stay English).
KIND_NAMES = {
    "treaty": gettext_lazy("Treaty"),
    "state": gettext_lazy("State"),
    "participation": gettext_lazy("Participation"),
    "declaration": gettext_lazy("Declaration"),
    "step": gettext_lazy("Ratification step"),
    "obligation": gettext_lazy("Obligation"),
    "extension": gettext_lazy("Extension"),
    "meeting": gettext_lazy("Meeting"),
    "meeting-part": gettext_lazy("Meeting part"),
    "document": gettext_lazy("Document"),
    "working-group": gettext_lazy("Working group"),
    "assignment": gettext_lazy("Coordinator assignment"),
    "source": gettext_lazy("Source"),
    "report": gettext_lazy("Transparency report"),
    "organisation": gettext_lazy("Organisation"),
    "agenda-topic": gettext_lazy("Agenda topic"),
    "statement": gettext_lazy("Statement"),
    "pledge": gettext_lazy("Pledge"),
}
KIND_LABELS = {
    slug: KIND_NAMES.get(slug, capfirst(model._meta.verbose_name)) for slug, model in KINDS.items()
}
# Kinds whose records belong to one State.
STATE_KINDS = (
    "state",
    "participation",
    "declaration",
    "step",
    "obligation",
    "extension",
    "assignment",
    "statement",
    "pledge",
    "report",
)

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Bookkeeping, not facts: never shown as a change. (A date's precision is shown
# with the date itself; see display().)
BOOKKEEPING = {"version", "updated_at", "extension_pending", "search_text"}
# Facts for editors only: in the admin's audit log, never on a public page or in the feed.
EDITORS_ONLY = {"research_notes"}

# Newest first: the order of every stream.
NEWEST = ("-history_date", "-history_id")
# Cursors outside these years are not ours (and could overflow date arithmetic).
CURSOR_YEARS = (1900, 9000)


@dataclass
class FieldChange:
    name: str
    label: str
    old: str
    new: str


@dataclass
class Change:
    kind: str
    kind_label: str
    object_id: int
    object_repr: str
    history_id: int
    date: datetime.datetime
    action: str
    reason: str
    user_id: int | None
    username: str
    state_iso2: str | None
    state_name: str | None
    fields: list[FieldChange] = field(default_factory=list)
    cursor: str = ""


@functools.cache
def history_model(kind):
    # Each read of ``Model.history`` builds a new manager class (simple-history's
    # descriptor): costly on the cached page path, which asks on every request.
    return KINDS[kind].history.model


# --- cursors -----------------------------------------------------------------------


def encode_cursor(date, kind, history_id):
    raw = f"{date.isoformat()}|{kind}|{history_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """Return (datetime, kind, history_id) from a cursor; ValueError if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        date_text, kind, history_id = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        date = datetime.datetime.fromisoformat(date_text)
        if kind not in KINDS or date.tzinfo is None:
            raise ValueError
        date = date.astimezone(datetime.UTC)
        if not CURSOR_YEARS[0] <= date.year <= CURSOR_YEARS[1]:
            raise ValueError
        number = int(history_id)
        if not 0 < number < 2**63:
            raise ValueError
        return date, kind, number
    except (ValueError, TypeError, UnicodeError, OverflowError) as error:
        raise ValueError("This link to older changes is not valid.") from error


def _kind_order(kind):
    return KIND_SLUGS.index(kind)


def _after_cursor(kind, cursor):
    """Rows of ``kind`` that come after ``cursor`` in newest-first order."""
    date, cursor_kind, history_id = cursor
    order, cursor_order = _kind_order(kind), _kind_order(cursor_kind)
    if order > cursor_order:
        return Q(history_date__lt=date)
    if order < cursor_order:
        return Q(history_date__lte=date)
    # "Before (date, id)", with a plain bound on the date so that the index walk
    # starts at the cursor instead of filtering everything newer.
    return Q(history_date__lte=date) & (Q(history_date__lt=date) | Q(history_id__lt=history_id))


# --- reading a page ------------------------------------------------------------------


def changes(
    *,
    state=None,
    treaty=None,
    kinds=None,
    start=None,
    end=None,
    before=None,
    limit=50,
    user=None,
    public=True,
):
    """Return up to ``limit`` changes, newest first.

    ``state`` is a State or ISO code; ``treaty`` a Treaty or slug (its own
    record and the records that belong to it: no State or source changes);
    ``kinds`` an iterable of KINDS slugs;
    ``start`` and ``end`` dates (inclusive, UTC days); ``before`` the cursor of
    the last change of the previous page; ``user`` an editor (User or id);
    ``public`` leaves out the editors' research notes (the admin's audit log
    shows them). Raises ValueError for an invalid cursor.
    """
    kinds = list(KINDS) if not kinds else [k for k in KINDS if k in set(kinds)]
    cursor = decode_cursor(before) if before else None
    walks = {kind: [Q()] for kind in kinds}
    if state is not None:
        state = (
            state if isinstance(state, m.State) else m.State.objects.filter(iso2=str(state).upper()).first()
        )
        if state is None:
            return []
        walks = _state_walks(state.pk)
        kinds = [k for k in kinds if k in STATE_KINDS]
    scopes = {}
    if treaty is not None:
        treaty = treaty if isinstance(treaty, m.Treaty) else m.Treaty.objects.filter(slug=str(treaty)).first()
        if treaty is None:
            return []
        scopes = _treaty_scopes(treaty.pk)
        kinds = [k for k in kinds if k in scopes]
    user_id = getattr(user, "pk", user)

    streams = []
    for kind in kinds:
        qs = history_model(kind).objects.all()
        if start:
            qs = qs.filter(history_date__gte=_day_start(start))
        if end:
            qs = qs.filter(history_date__lt=_day_start(end + datetime.timedelta(days=1)))
        if user_id is not None:
            qs = qs.filter(history_user_id=user_id)
        if cursor is not None:
            qs = qs.filter(_after_cursor(kind, cursor))
        if kind in scopes:
            qs = qs.filter(scopes[kind])
        order = _kind_order(kind)
        # One ordered walk of an index per filter: the kind's whole table, or each
        # of the State's records (or parent records) of this kind.
        for scope in walks[kind]:
            keys = qs.filter(scope).order_by(*NEWEST).values_list("history_date", "history_id")[:limit]
            streams.append([((date, -order, history_id), kind) for date, history_id in keys])
    page = list(itertools.islice(heapq.merge(*streams, reverse=True), limit))

    wanted = {}
    for (_, _, history_id), kind in page:
        wanted.setdefault(kind, []).append(history_id)
    rows = {}
    for kind, ids in wanted.items():
        model = history_model(kind)
        previous = model.objects.filter(
            Q(id=OuterRef("id"), history_date__lte=OuterRef("history_date"))
            & (Q(history_date__lt=OuterRef("history_date")) | Q(history_id__lt=OuterRef("history_id")))
        ).order_by(*NEWEST)
        found = (
            model.objects.filter(history_id__in=ids)
            .order_by()
            .annotate(previous_id=Subquery(previous.values("history_id")[:1]))
        )
        rows.update(((kind, row.history_id), row) for row in found)
    return _build_changes([(kind, rows[(kind, key[2])]) for key, kind in page], public)


def _state_walks(state_id):
    """Return {kind: [Q, ...]}: one filter per index walk over the history of a State's records.

    Each filter selects one contiguous range of an index ordered by date: a
    record's versions (id), or a parent record's children (participation_id,
    obligation_id, state_id). So each walk reads at most a page of index
    entries, however many versions the State's records have. The records
    are the State's current ones and those deleted since (found in the small
    index of deletion rows).
    """

    def ids(kind, **parent):
        live = KINDS[kind].objects.filter(**parent).values_list("pk", flat=True)
        deleted = history_model(kind).objects.filter(history_type="-", **parent).values_list("id", flat=True)
        return sorted({*live, *deleted})

    participations = ids("participation", state_id=state_id)
    obligations = ids("obligation", participation_id__in=participations) if participations else []
    return {
        "state": [Q(id=state_id)],
        "participation": [Q(id=i) for i in participations],
        "declaration": [Q(participation_id=i) for i in participations],
        "step": [Q(participation_id=i) for i in participations],
        "obligation": [Q(id=i) for i in obligations],
        "extension": [Q(obligation_id=i) for i in obligations],
        "assignment": [Q(state_id=state_id)],
        # Its statements and the pledges it made (a pledge it receives is the donor's record).
        "statement": [Q(state_id=state_id)],
        "pledge": [Q(donor_state_id=state_id)],
        "report": [Q(participation_id=i) for i in participations],
    }


def _treaty_scopes(treaty_id):
    """Return {kind: Q}: which history rows of each kind belong to a treaty (kinds that do not are absent).

    A record belongs to the treaty directly (participations, meetings, working
    groups) or through its parent. The parents are the treaty's current ones and
    those deleted since, read in two queries per parent kind, whatever their number.
    """

    def ids(kind, **parent):
        live = KINDS[kind].objects.filter(**parent).values_list("pk", flat=True)
        deleted = history_model(kind).objects.filter(history_type="-", **parent).values_list("id", flat=True)
        return sorted({*live, *deleted})

    participations = ids("participation", treaty_id=treaty_id)
    meetings = ids("meeting", treaty_id=treaty_id)
    groups = ids("working-group", treaty_id=treaty_id)
    obligations = ids("obligation", participation_id__in=participations)
    return {
        "treaty": Q(id=treaty_id),
        "participation": Q(treaty_id=treaty_id),
        "declaration": Q(participation_id__in=participations),
        "step": Q(participation_id__in=participations),
        "obligation": Q(participation_id__in=participations),
        "extension": Q(obligation_id__in=obligations),
        "meeting": Q(treaty_id=treaty_id),
        "meeting-part": Q(meeting_id__in=meetings),
        "document": Q(meeting_id__in=meetings),
        "working-group": Q(treaty_id=treaty_id),
        "assignment": Q(group_id__in=groups),
        "statement": Q(meeting_id__in=meetings),
        "pledge": Q(meeting_id__in=meetings),
        "report": Q(participation_id__in=participations),
    }


def _day_start(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def edit_stamp():
    """Return (a text that changes with every new history row, the time of the newest row or None).

    The public page cache asks this on every request (tracker/caching.py), so it
    is one query: the newest history id and date of every kind, each read from
    the end of an index. It is written in SQL because one ORM query cannot
    select several other tables' maxima without a table to select from. Every
    save and delete through the ORM adds a history row; QuerySet.update(),
    bulk_create() and loaddata do not.
    """
    with connection.cursor() as cursor:
        cursor.execute(_edit_stamp_sql(connection.vendor))
        row = cursor.fetchone()
    newest = _newest_date(row[1::2])
    token = "-".join(str(i or 0) for i in row[0::2])
    return f"{token}-{newest.isoformat() if newest else ''}", newest


@functools.cache
def _edit_stamp_sql(vendor):
    qn = connection.ops.quote_name
    columns = []
    for kind in KINDS:
        table = qn(history_model(kind)._meta.db_table)
        # One aggregate per sub-select: SQLite reads a lone MAX() from the end of an index.
        columns += [f"(SELECT MAX(history_id) FROM {table})", f"(SELECT MAX(history_date) FROM {table})"]
    return "SELECT " + ", ".join(columns)


def _newest_date(values):
    """The newest of history dates as the database returns them, converted (None if there are none)."""
    # SQLite returns text of one fixed format, which sorts as the times do: only the newest is converted.
    newest = max((value for value in values if value is not None), default=None)
    if newest is not None:
        date_field = history_model("treaty")._meta.get_field("history_date")
        expression = date_field.get_col(date_field.model._meta.db_table)
        for converter in connection.ops.get_db_converters(expression):
            newest = converter(newest, date_field, connection)
    return newest


def latest_change_at():
    """Return the time of the newest history row of any kind, or None (one query)."""
    return edit_stamp()[1]


# --- values as readers see them --------------------------------------------------------


def tracked_fields(model, public=False):
    """The fields of ``model`` whose changes are shown: every stored fact, computed ones included
    (without the editors' research notes when ``public``)."""
    hidden = BOOKKEEPING | precision_fields(model) | (EDITORS_ONLY if public else set())
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in hidden]


def precision_fields(model):
    """The names of ``model``'s date-precision fields (shown with their dates, never alone)."""
    return set(getattr(model, "PARTIAL_DATES", {}).values())


def display(field, value, row=None, names=None):
    """Return a stored value as readers see it, in words; "" when empty.

    Used by every page that shows stored values: the change pages and feed, the
    audit log, the admin's conflict messages and restore. Choices show their
    labels, links the linked record's name (from ``names``, a Names, or one
    query), dates as on the rest of the site and at the precision stored beside
    them in ``row`` (a record or historical row), yes/no for flags.
    """
    if value is None or value == "":
        return ""
    if field.is_relation:
        return (names or Names()).label(field.related_model, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%d %B %Y, %H:%M UTC").lstrip("0")
    if isinstance(value, datetime.date):
        precision = getattr(field.model, "PARTIAL_DATES", {}).get(field.name)
        return partial_dates.display(
            value, getattr(row, precision) if precision and row else partial_dates.DAY
        )
    return str(value)


class Names:
    """Names of the records that foreign keys point to, read in one query per model."""

    def __init__(self, rows=()):
        self.labels = {}
        wanted = {}
        for row in rows:
            for f in tracked_fields(row.instance_type):
                value = getattr(row, f.attname) if f.is_relation else None
                if value is not None:
                    wanted.setdefault(f.related_model, set()).add(value)
        for model, ids in wanted.items():
            self._load(model, ids)

    def _load(self, model, ids):
        queryset = model._default_manager.filter(pk__in=ids)
        if model is m.Participation:
            queryset = queryset.select_related("state", "treaty")
        elif model is m.Obligation:
            queryset = queryset.select_related("participation__state")
        for obj in queryset:
            self.labels[(model, obj.pk)] = _short_label(obj)

    def label(self, model, pk):
        if (model, pk) not in self.labels:
            self._load(model, [pk])
        return self.labels.get((model, pk), f"{model._meta.verbose_name} #{pk} (deleted)")


def _short_label(obj):
    if isinstance(obj, m.Participation):
        return f"{obj.state.name} – {obj.treaty.short_name}"
    if isinstance(obj, m.Obligation):
        return f"{obj.participation.state.name}: {obj.get_kind_display()}"
    return str(obj)


def field_changes(older, newer, names=None, public=False):
    """Return [FieldChange] between two historical rows of one record (``older`` may be None).

    simple-history's own diff, with the computed fields included; in the
    model's field order; a precision change shown as a change of its date;
    without research notes when ``public``.
    """
    model = newer.instance_type
    shown = tracked_fields(model, public)
    if older is None:
        changed = {f.name for f in shown}
    else:
        precisions = getattr(model, "PARTIAL_DATES", {})
        delta = newer.diff_against(older, included_fields=[f.name for f in model._meta.concrete_fields])
        changed = set(delta.changed_fields)
        changed |= {date for date, precision in precisions.items() if precision in changed}
    result = []
    for f in shown:
        if f.name not in changed:
            continue
        old = display(f, getattr(older, f.attname), older, names) if older is not None else ""
        new = display(f, getattr(newer, f.attname), newer, names)
        if old or new:
            result.append(FieldChange(f.name, capfirst(str(f.verbose_name)), old, new))
    return result


# --- turning rows into Change values ------------------------------------------------------


def _build_changes(page, public):
    if not page:
        return []
    by_kind = {}
    for kind, row in page:
        by_kind.setdefault(kind, []).append(row)
    previous_rows = {}
    for kind, rows in by_kind.items():
        ids = [r.previous_id for r in rows if r.previous_id]
        if ids:
            for p in history_model(kind).objects.filter(history_id__in=ids):
                previous_rows[(kind, p.history_id)] = p

    states = _StateNames(page)
    names = Names([row for _, row in page] + list(previous_rows.values()))
    users = _usernames(row.history_user_id for _, row in page)

    result = []
    for kind, row in page:
        previous = previous_rows.get((kind, row.previous_id))
        action = ACTIONS.get(row.history_type, "changed")
        if action == "created":
            fields = field_changes(None, row, names, public)
        elif action == "deleted":
            fields = [
                FieldChange(c.name, c.label, c.new, "") for c in field_changes(None, row, names, public)
            ]
        else:
            # Without the earlier version (a trimmed history), every value is shown as new.
            fields = field_changes(previous, row, names, public)
        state_id = states.state_id(kind, row)
        result.append(
            Change(
                kind=kind,
                kind_label=str(KIND_LABELS[kind]),
                object_id=row.id,
                object_repr=_object_repr(kind, row, states.name(state_id) or "", names),
                history_id=row.history_id,
                date=row.history_date,
                action=action,
                reason=row.history_change_reason or "",
                user_id=row.history_user_id,
                username=users.get(row.history_user_id, ""),
                state_iso2=states.iso2(state_id),
                state_name=states.name(state_id),
                fields=fields,
                cursor=encode_cursor(row.history_date, kind, row.history_id),
            )
        )
    return result


def _usernames(user_ids):
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    User = get_user_model()
    return dict(User.objects.filter(pk__in=ids).values_list("pk", User.USERNAME_FIELD))


def _newest_values(kind, ids, *fields):
    """{id: (field values)} of records ``ids`` of ``kind``: from the record, or its last version if deleted."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    found = {row[0]: row[1:] for row in KINDS[kind].objects.filter(pk__in=ids).values_list("pk", *fields)}
    missing = ids - set(found)
    if missing:
        versions = history_model(kind).objects.filter(id__in=missing).order_by("id", *NEWEST)
        for record_id, group in itertools.groupby(versions.values_list("id", *fields), key=lambda r: r[0]):
            found[record_id] = next(group)[1:]
    return found


class _StateNames:
    """Maps the rows of a page to their State, in a fixed number of queries."""

    def __init__(self, page):
        participation_ids, obligation_ids, state_ids = set(), set(), set()
        for kind, row in page:
            if kind == "state":
                state_ids.add(row.id)
            elif kind in ("participation", "assignment", "statement"):
                state_ids.add(row.state_id)
            elif kind == "pledge":
                state_ids.add(row.donor_state_id)
            elif kind in ("declaration", "step", "obligation", "report"):
                participation_ids.add(row.participation_id)
            elif kind == "extension":
                obligation_ids.add(row.obligation_id)
        self.obligation_participation = {
            i: pid for i, (pid,) in _newest_values("obligation", obligation_ids, "participation_id").items()
        }
        participation_ids |= set(self.obligation_participation.values())
        self.participation_state = {
            i: sid for i, (sid,) in _newest_values("participation", participation_ids, "state_id").items()
        }
        state_ids |= set(self.participation_state.values())
        self.states = dict(_newest_values("state", state_ids, "iso2", "name"))

    def state_id(self, kind, row):
        if kind == "state":
            return row.id
        if kind in ("participation", "assignment", "statement"):
            return row.state_id
        if kind == "pledge":
            return row.donor_state_id
        if kind in ("declaration", "step", "obligation", "report"):
            return self.participation_state.get(row.participation_id)
        if kind == "extension":
            return self.participation_state.get(self.obligation_participation.get(row.obligation_id))
        return None

    def iso2(self, state_id):
        state = self.states.get(state_id)
        return state[0].lower() if state else None

    def name(self, state_id):
        state = self.states.get(state_id)
        return state[1] if state else None


def _object_repr(kind, row, state, names):
    model = KINDS[kind]
    if kind == "state":
        return row.name
    if kind == "participation":
        return f"{state} – {names.label(m.Treaty, row.treaty_id)}"
    if kind in ("declaration", "step", "obligation"):
        return f"{state}: {dict(model._meta.get_field('kind').flatchoices).get(row.kind, row.kind)}"
    if kind == "extension":
        return f"{state}: extension request"
    if kind == "assignment":
        return f"{state}: {names.label(m.WorkingGroup, row.group_id)}"
    if kind == "treaty":
        return row.short_name
    if kind == "meeting":
        return row.short_name or row.name
    if kind in ("meeting-part", "document"):
        meeting = names.label(m.Meeting, row.meeting_id)
        return f"{meeting}: {row.label if kind == 'meeting-part' else row.title}"
    if kind == "source":
        return row.title
    if kind in ("statement", "pledge"):
        if kind == "statement":
            state_id, organisation_id, office = row.state_id, row.organisation_id, row.office
        else:
            state_id, organisation_id, office = row.donor_state_id, row.donor_organisation_id, ""
        if state_id:
            speaker = state
        elif organisation_id:
            speaker = names.label(m.Organisation, organisation_id)
        else:
            speaker = office or "?"
        return f"{speaker}: {'statement' if kind == 'statement' else 'pledge'} at {names.label(m.Meeting, row.meeting_id)}"
    if kind in ("organisation", "agenda-topic"):
        return row.name
    if kind == "report":
        return f"{state}: {m.TransparencyReport.label_for(row.kind, row.period).lower()}"
    return str(row.instance)
