"""Reading the edit history of every tracked record, field by field.

django-simple-history keeps one historical table per model. This module reads
them all as one stream of ``Change`` values, newest first, for the public
change pages, the Atom feed and the admin's audit log, so none of them
queries a historical table directly.

Cost: a page is a fixed number of queries whatever the size of the history
(see docs/performance.md): one for the page itself (the kind and id of its
rows, merged in the database from every kind's stream), then for each kind
shown, one for its rows and one for their previous versions, and one per
related model whose names are displayed; a State's page adds two to find its
records. Nothing counts the whole table.

Each query also reads a bounded number of index entries, whatever the size of
the history (the indexes are declared by ``tracker.models.History``):

* each kind's stream walks (history_date, history_id) backwards from the
  cursor, LIMIT the page size; a row's previous version is one probe of (id,
  history_date, history_id);
* a State's streams are one such ordered, limited walk per record or parent
  record of that State (UNION ALL), never a sort of all their versions;
* the records of a State are found by a "loose index scan" (one index probe
  per record, not one per version), and a record's State and treaty are read
  from its newest version only.
"""

import base64
import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import IntegerField, OuterRef, Q, Subquery, Value
from django.utils.text import capfirst

from tracker import models as m

# Record kinds, in a fixed order that also breaks ties between equal timestamps.
KINDS = {
    "treaty": m.Treaty,
    "state": m.State,
    "participation": m.Participation,
    "step": m.RatificationStep,
    "obligation": m.Obligation,
    "extension": m.Extension,
    "meeting": m.Meeting,
    "working-group": m.WorkingGroup,
    "assignment": m.CoordinatorAssignment,
    "source": m.Source,
}
KIND_SLUGS = list(KINDS)
KIND_LABELS = {slug: capfirst(model._meta.verbose_name) for slug, model in KINDS.items()}
KIND_LABELS["step"] = "Ratification step"
# Kinds whose records belong to one State.
STATE_KINDS = ("state", "participation", "step", "obligation", "extension", "assignment")

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Bookkeeping fields that are not facts.
IGNORED_FIELDS = {"version", "updated_at"}


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


# Model.history builds a new manager on every access: look the historical models up once.
_HISTORY_MODELS = {kind: model.history.model for kind, model in KINDS.items()}


def history_model(kind):
    return _HISTORY_MODELS[kind]


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
        return date, kind, int(history_id)
    except (ValueError, TypeError, UnicodeError) as error:
        raise ValueError("This link to older changes is not valid.") from error


def _kind_order(kind):
    return KIND_SLUGS.index(kind)


def _before_q(kind, cursor):
    """Rows of ``kind`` that come after ``cursor`` in newest-first order."""
    date, cursor_kind, history_id = cursor
    order, cursor_order = _kind_order(kind), _kind_order(cursor_kind)
    if order > cursor_order:
        return Q(history_date__lt=date)
    if order < cursor_order:
        return Q(history_date__lte=date)
    # "Before (date, id)", written with a plain bound on the date so that the
    # index walk starts at the cursor instead of filtering everything newer.
    return Q(history_date__lte=date) & (Q(history_date__lt=date) | Q(history_id__lt=history_id))


def _previous_q():
    """The versions of the outer row's record that come before it (same form as _before_q)."""
    return Q(id=OuterRef("id"), history_date__lte=OuterRef("history_date")) & (
        Q(history_date__lt=OuterRef("history_date")) | Q(history_id__lt=OuterRef("history_id"))
    )


# Newest first: the order of every stream, served by the indexes of tracker.models.History.
NEWEST = ("-history_date", "-history_id")
# A State's streams are a UNION ALL of this many ordered index walks at most;
# beyond that (a pathological State), one plain query that sorts their versions.
MAX_UNION_PARTS = 100
# A query is compiled once and repeated for every part of a union with the
# values swapped in; until then these stand for them (no id is negative).
_MARKER = -7_919_191_919


def _state_scope(state_id):
    """Return {kind: (fields, [values, ...])} selecting one State's records, deleted ones included.

    The rows of a kind are those whose ``fields`` equal one of the tuples of
    values; each tuple is one contiguous range of an index.
    """
    participation_ids = [i for _, i in _record_ids("participation", "state_id", [state_id])]
    obligations = _record_ids("obligation", "participation_id", participation_ids)
    return {
        "state": (("id",), [(state_id,)]),
        "participation": (("state_id", "id"), [(state_id, i) for i in participation_ids]),
        "step": (("participation_id",), [(i,) for i in participation_ids]),
        "obligation": (("participation_id", "id"), obligations),
        "extension": (("obligation_id",), sorted({(i,) for _, i in obligations})),
        "assignment": (("state_id",), [(state_id,)]),
    }


def _record_ids(kind, column, values):
    """Return the distinct (column value, record id) pairs in ``kind``'s history, in one query.

    A "loose index scan" of the (column, id, ...) index: it jumps from one
    record to the next, so it reads one entry per record whatever the number
    of their versions (SELECT DISTINCT would read them all).
    """
    if not values:
        return []
    qn = connection.ops.quote_name
    table, column = qn(history_model(kind)._meta.db_table), qn(column)
    first = f"SELECT CAST(%s AS bigint), (SELECT id FROM {table} WHERE {column} = %s ORDER BY id LIMIT 1)"
    sql = (
        "WITH RECURSIVE found(parent, id) AS ("
        + " UNION ALL ".join([first] * len(values))
        + " UNION ALL SELECT parent, (SELECT t.id FROM "
        + f"{table} t WHERE t.{column} = found.parent AND t.id > found.id ORDER BY t.id LIMIT 1)"
        + " FROM found WHERE found.id IS NOT NULL"
        + ") SELECT parent, id FROM found WHERE id IS NOT NULL ORDER BY parent, id"
    )
    params = [p for value in values for p in (value, value)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _resolve_state(state):
    if state is None or isinstance(state, m.State):
        return state
    return m.State.objects.filter(iso2=str(state).upper()).first()


def changes(*, state=None, kinds=None, start=None, end=None, before=None, limit=50, user=None):
    """Return up to ``limit`` changes, newest first.

    ``state`` is a State or ISO code; ``kinds`` an iterable of KINDS slugs;
    ``start`` and ``end`` dates (inclusive, UTC days); ``before`` the cursor of
    the last change of the previous page; ``user`` an editor (User or id).
    Raises ValueError for an invalid cursor or unknown kind.
    """
    kinds = list(KINDS) if not kinds else [k for k in KINDS if k in set(kinds)]
    if before:
        cursor = decode_cursor(before)
    else:
        cursor = None
    scope = None
    if state is not None:
        state_obj = _resolve_state(state)
        if state_obj is None:
            return []
        scope = _state_scope(state_obj.pk)
        kinds = [k for k in kinds if k in STATE_KINDS]
    user_id = getattr(user, "pk", user)

    # First the page: the (kind, history_id) of its rows, from one query that
    # merges an ordered, limited walk of each kind's index (of each of the
    # State's records, for a State). Then those rows only, one query per kind.
    parts = []
    for kind in kinds:
        qs = history_model(kind).objects.all()
        if start:
            qs = qs.filter(history_date__gte=_day_start(start))
        if end:
            qs = qs.filter(history_date__lt=_day_start(end + datetime.timedelta(days=1)))
        if user_id is not None:
            qs = qs.filter(history_user_id=user_id)
        if cursor is not None:
            qs = qs.filter(_before_q(kind, cursor))
        fields, values = scope[kind] if scope is not None else ((), [()])
        parts += _walks(qs, _kind_order(kind), fields, values, limit)
    keys = _merge(parts, limit)

    wanted = {}
    for order, history_id in keys:
        wanted.setdefault(KIND_SLUGS[order], []).append(history_id)
    rows = {}
    for kind, ids in wanted.items():
        model = history_model(kind)
        previous = model.objects.filter(_previous_q()).order_by(*NEWEST)
        found = (
            model.objects.filter(history_id__in=ids)
            .order_by()
            .annotate(previous_id=Subquery(previous.values("history_id")[:1]))
        )
        rows.update(((kind, row.history_id), row) for row in found)
    page = [(KIND_SLUGS[order], rows[(KIND_SLUGS[order], history_id)]) for order, history_id in keys]
    return _build_changes(page)


def _walks(qs, order, fields, values, limit):
    """Return the (sql, params) of the ``limit`` newest keys of ``qs`` for each tuple of ``values``.

    Each walk reads (history_date, history_id, the kind's order) newest first
    from one contiguous range of an index.
    """
    if not values:
        return []
    keys = qs.annotate(kind_order=Value(order, output_field=IntegerField()))
    keys = keys.order_by(*NEWEST).values_list("history_date", "history_id", "kind_order")
    if len(values) > MAX_UNION_PARTS:
        either = Q()
        for value in values:
            either |= Q(**dict(zip(fields, value, strict=True)))
        return [keys.filter(either)[:limit].query.sql_with_params()]
    return _copies(keys.filter(**_markers(fields))[:limit], fields, values)


def _merge(parts, limit):
    """Return the page's (kind order, history_id), newest first, from the walks ``parts`` (one query)."""
    if not parts:
        return []
    qn = connection.ops.quote_name
    union = " UNION ALL ".join(f"SELECT * FROM ({sql}) AS walk{n}" for n, (sql, _) in enumerate(parts))
    # Equal times are ordered by kind, then newest history row first (see encode_cursor).
    order = f"{qn('history_date')} DESC, {qn('kind_order')}, {qn('history_id')} DESC"
    columns = f"{qn('kind_order')}, {qn('history_id')}"
    sql = f"SELECT {columns} FROM ({union}) AS walks ORDER BY {order} LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [p for _, params in parts for p in params])
        return cursor.fetchall()


def _markers(fields):
    return {name: _MARKER - n for n, name in enumerate(fields)}


def _copies(part, fields, values):
    """Return [(sql, params)] of ``part`` for each tuple of ``values``.

    ``part`` is a queryset filtered on ``_markers(fields)``: it is compiled
    once, and each copy gets its own values in the markers' places.
    """
    sql, params = part.query.sql_with_params()
    slots = [params.index(marker) for marker in _markers(fields).values()]
    copies = []
    for value in values:
        copy = list(params)
        for slot, item in zip(slots, value, strict=True):
            copy[slot] = item
        copies.append((sql, copy))
    return copies


def _day_start(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def data_version():
    """Return (time of the newest history row or None, a text that changes with every new history row).

    One query: the newest history id and date of each kind, each read from
    the end of an index. Every save and delete through the ORM adds a history
    row, so the text changes with every edit; writes that bypass history
    (QuerySet.update(), bulk_create(), loaddata) do not change it.
    """
    with connection.cursor() as cursor:
        cursor.execute(_data_version_sql())
        row = cursor.fetchone()
    newest = _newest_date(row[1::2])
    token = "-".join(str(i or 0) for i in row[0::2])
    return newest, f"{token}-{newest.isoformat() if newest else ''}"


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


def _data_version_sql():
    qn = connection.ops.quote_name
    columns = []
    for kind in KINDS:
        table = qn(history_model(kind)._meta.db_table)
        # One aggregate per sub-select: SQLite reads a lone MAX() from the end of an index.
        columns.append(f"(SELECT MAX(history_id) FROM {table})")
        columns.append(f"(SELECT MAX(history_date) FROM {table})")
    return "SELECT " + ", ".join(columns)


def latest_change_at():
    """Return the time of the newest history row of any kind, or None (one query)."""
    return data_version()[0]


# --- turning rows into Change values --------------------------------------------


def _tracked_fields(model):
    return [f for f in model._meta.concrete_fields if f.name not in IGNORED_FIELDS and not f.primary_key]


def _build_changes(page):
    if not page:
        return []
    by_kind = {}
    for kind, row in page:
        by_kind.setdefault(kind, []).append(row)

    previous_rows = {}
    for kind, rows in by_kind.items():
        ids = [r.previous_id for r in rows if r.previous_id]
        if ids:
            previous_rows.update(
                {(kind, p.history_id): p for p in history_model(kind).objects.filter(history_id__in=ids)}
            )

    states = _StateNames(page)
    labels = _RelatedLabels(page, previous_rows)
    users = _usernames(row.history_user_id for _, row in page)

    result = []
    for kind, row in page:
        previous = previous_rows.get((kind, row.previous_id))
        action = ACTIONS.get(row.history_type, "changed")
        state_id = states.state_id(kind, row)
        result.append(
            Change(
                kind=kind,
                kind_label=KIND_LABELS[kind],
                object_id=row.id,
                object_repr=_object_repr(kind, row, states, labels),
                history_id=row.history_id,
                date=row.history_date,
                action=action,
                reason=row.history_change_reason or "",
                user_id=row.history_user_id,
                username=users.get(row.history_user_id, ""),
                state_iso2=states.iso2(state_id),
                state_name=states.name(state_id),
                fields=_field_changes(kind, row, previous, action, labels),
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


class _StateNames:
    """Maps the rows of a page to their State, in a fixed number of queries."""

    def __init__(self, page):
        participation_ids, obligation_ids, state_ids = set(), set(), set()
        for kind, row in page:
            if kind in ("state",):
                state_ids.add(row.id)
            elif kind in ("participation", "assignment"):
                state_ids.add(row.state_id)
            elif kind in ("step", "obligation"):
                participation_ids.add(row.participation_id)
            elif kind == "extension":
                obligation_ids.add(row.obligation_id)
        self.obligation_participation = {
            i: pid for i, (pid,) in _newest_versions("obligation", obligation_ids, "participation_id").items()
        }
        participation_ids |= set(self.obligation_participation.values())
        self.participation_state = {}
        self.participation_treaty = {}
        for pid, (sid, tid) in _newest_versions(
            "participation", participation_ids, "state_id", "treaty_id"
        ).items():
            self.participation_state[pid] = sid
            self.participation_treaty[pid] = tid
        state_ids |= set(self.participation_state.values())
        self.states = {}
        if state_ids:
            self.states = {
                s["id"]: s for s in m.State.objects.filter(pk__in=state_ids).values("id", "iso2", "name")
            }
            missing = state_ids - set(self.states)
            # Deleted States: take their last known name from history.
            for sid, (iso2, name) in _newest_versions("state", missing, "iso2", "name").items():
                self.states[sid] = {"id": sid, "iso2": iso2, "name": name}

    def state_id(self, kind, row):
        if kind == "state":
            return row.id
        if kind in ("participation", "assignment"):
            return row.state_id
        if kind in ("step", "obligation"):
            return self.participation_state.get(row.participation_id)
        if kind == "extension":
            return self.participation_state.get(self.obligation_participation.get(row.obligation_id))
        return None

    def iso2(self, state_id):
        state = self.states.get(state_id)
        return state["iso2"].lower() if state else None

    def name(self, state_id):
        state = self.states.get(state_id)
        return state["name"] if state else None


def _newest_versions(kind, ids, *fields):
    """Return {id: (field values)} from the newest history row of each record in ``ids``.

    One query per hundred records (so one for a page of changes); one probe of
    the (id, history_date, history_id) index per record, however many
    versions it has.
    """
    ids = sorted(i for i in ids if i is not None)
    model = history_model(kind)
    part = model.objects.filter(**_markers(["id"])).order_by(*NEWEST).values_list("id", *fields)[:1]
    found = {}
    for start in range(0, len(ids), MAX_UNION_PARTS):
        copies = _copies(part, ["id"], [(i,) for i in ids[start : start + MAX_UNION_PARTS]])
        # Each copy in a sub-select, where SQLite accepts its ORDER BY and LIMIT
        # (Django refuses them in the parts of a union on SQLite).
        sql = " UNION ALL ".join(f"SELECT * FROM ({sql}) AS newest{n}" for n, (sql, _) in enumerate(copies))
        with connection.cursor() as cursor:
            cursor.execute(sql, [p for _, params in copies for p in params])
            found.update((row[0], tuple(row[1:])) for row in cursor.fetchall())
    return found


class _RelatedLabels:
    """Names of the records that foreign keys on the page point to, fetched in bulk."""

    def __init__(self, page, previous_rows):
        wanted = {}
        rows = [(kind, row) for kind, row in page] + [(kind, row) for (kind, _), row in previous_rows.items()]
        for kind, row in rows:
            for f in _tracked_fields(KINDS[kind]):
                if f.is_relation:
                    value = getattr(row, f.attname)
                    if value is not None:
                        wanted.setdefault(f.related_model, set()).add(value)
        self.labels = {}
        for model, ids in wanted.items():
            if model is m.Participation:
                objects = model.objects.select_related("state", "treaty").filter(pk__in=ids)
            elif model is m.Obligation:
                objects = model.objects.select_related("participation__state").filter(pk__in=ids)
            else:
                objects = model._default_manager.filter(pk__in=ids)
            for obj in objects:
                self.labels[(model, obj.pk)] = _short_label(obj)

    def label(self, model, pk):
        if pk is None:
            return ""
        return self.labels.get((model, pk), f"{model._meta.verbose_name} #{pk} (deleted)")


def _short_label(obj):
    if isinstance(obj, m.Participation):
        return f"{obj.state.name} – {obj.treaty.short_name}"
    if isinstance(obj, m.Obligation):
        return f"{obj.participation.state.name}: {obj.get_kind_display()}"
    return str(obj)


def _display(f, value, labels):
    if value is None or value == "":
        return ""
    if f.is_relation:
        return labels.label(f.related_model, value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def _field_changes(kind, row, previous, action, labels):
    changes = []
    for f in _tracked_fields(KINDS[kind]):
        new = getattr(row, f.attname)
        old = getattr(previous, f.attname) if previous is not None else None
        if action == "deleted":
            old, new = new, None
        elif action == "changed" and previous is not None and old == new:
            continue
        elif action == "changed" and previous is None:
            # The earlier version is not in the history (e.g. trimmed): show the value.
            old = None
        if old in (None, "") and new in (None, ""):
            continue
        changes.append(
            FieldChange(
                name=f.name,
                label=capfirst(str(f.verbose_name)),
                old=_display(f, old, labels),
                new=_display(f, new, labels),
            )
        )
    return changes


def _object_repr(kind, row, states, labels):
    state = states.name(states.state_id(kind, row)) or ""
    model = KINDS[kind]
    if kind == "state":
        return row.name
    if kind == "participation":
        return f"{state} – {labels.label(m.Treaty, row.treaty_id)}"
    if kind == "step":
        kind_label = dict(model._meta.get_field("kind").flatchoices).get(row.kind, row.kind)
        return f"{state}: {kind_label}"
    if kind == "obligation":
        return f"{state}: {dict(model._meta.get_field('kind').flatchoices).get(row.kind, row.kind)}"
    if kind == "extension":
        return f"{state}: extension request"
    if kind == "assignment":
        return f"{state}: {labels.label(m.WorkingGroup, row.group_id)}"
    if kind == "treaty":
        return row.short_name
    if kind == "meeting":
        return row.short_name or row.name
    if kind == "source":
        return row.title
    return row.name
