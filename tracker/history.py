"""Reading the edit history of every tracked record, field by field.

django-simple-history keeps one historical table per model. This module reads
them all as one stream of ``Change`` values, newest first, for the public
change pages, the Atom feed and the admin's audit log, so none of them
queries a historical table directly.

Cost: a page is a fixed number of queries whatever the size of the history:
for each kind, one ordered and limited query (served by the history-date
index), one for the previous versions of the rows shown, and one per related
model whose names are displayed. Nothing counts the whole table.
"""

import base64
import datetime
import heapq
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Max, OuterRef, Q, Subquery
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


def history_model(kind):
    return KINDS[kind].history.model


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
    return list(KINDS).index(kind)


def _before_q(kind, cursor):
    """Rows of ``kind`` that come after ``cursor`` in newest-first order."""
    date, cursor_kind, history_id = cursor
    order, cursor_order = _kind_order(kind), _kind_order(cursor_kind)
    if order > cursor_order:
        return Q(history_date__lt=date)
    if order < cursor_order:
        return Q(history_date__lte=date)
    return Q(history_date__lt=date) | Q(history_date=date, history_id__lt=history_id)


def _state_scope(state_id):
    """Return {kind: Q} restricting each kind's history to one State's records, deleted ones included."""
    participation_ids = set(
        history_model("participation").objects.filter(state_id=state_id).values_list("id", flat=True)
    )
    obligation_ids = set(
        history_model("obligation")
        .objects.filter(participation_id__in=participation_ids)
        .values_list("id", flat=True)
    )
    return {
        "state": Q(id=state_id),
        "participation": Q(state_id=state_id),
        "step": Q(participation_id__in=participation_ids),
        "obligation": Q(participation_id__in=participation_ids),
        "extension": Q(obligation_id__in=obligation_ids),
        "assignment": Q(state_id=state_id),
    }


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

    streams = []
    for kind in kinds:
        model = history_model(kind)
        qs = model.objects.all()
        if scope is not None:
            qs = qs.filter(scope[kind])
        if start:
            qs = qs.filter(history_date__gte=_day_start(start))
        if end:
            qs = qs.filter(history_date__lt=_day_start(end + datetime.timedelta(days=1)))
        if user_id is not None:
            qs = qs.filter(history_user_id=user_id)
        if cursor is not None:
            qs = qs.filter(_before_q(kind, cursor))
        previous = model.objects.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        qs = qs.annotate(
            previous_id=Subquery(previous.order_by("-history_date", "-history_id").values("history_id")[:1])
        )
        rows = list(qs.order_by("-history_date", "-history_id")[:limit])
        order = _kind_order(kind)
        streams.append([((-r.history_date.timestamp(), order, -r.history_id), kind, r) for r in rows])

    page = [(kind, row) for _, kind, row in heapq.merge(*streams)][:limit]
    return _build_changes(page)


def _day_start(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def latest_change_at():
    """Return the time of the newest history row of any kind, or None (one query per kind)."""
    dates = [history_model(kind).objects.aggregate(latest=Max("history_date"))["latest"] for kind in KINDS]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


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
        self.obligation_participation = {}
        if obligation_ids:
            self.obligation_participation = dict(
                history_model("obligation")
                .objects.filter(id__in=obligation_ids)
                .values_list("id", "participation_id")
                .distinct()
            )
            participation_ids |= set(self.obligation_participation.values())
        self.participation_state = {}
        self.participation_treaty = {}
        if participation_ids:
            for pid, sid, tid in (
                history_model("participation")
                .objects.filter(id__in=participation_ids)
                .values_list("id", "state_id", "treaty_id")
                .distinct()
            ):
                self.participation_state[pid] = sid
                self.participation_treaty[pid] = tid
            state_ids |= set(self.participation_state.values())
        self.states = {}
        if state_ids:
            self.states = {
                s["id"]: s for s in m.State.objects.filter(pk__in=state_ids).values("id", "iso2", "name")
            }
            missing = state_ids - set(self.states)
            if missing:  # deleted States: take their last known name from history
                for s in (
                    history_model("state")
                    .objects.filter(id__in=missing)
                    .order_by("id", "-history_date")
                    .values("id", "iso2", "name")
                ):
                    self.states.setdefault(s["id"], s)

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
