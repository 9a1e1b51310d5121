"""The filters of the public pages, and the States rows they select.

Bad input never raises: every filter is a form field, an invalid value becomes
a form error, and the pages ignore that parameter and say so (the HTML pages)
or refuse the request with the errors (the CSV, JSON, iCalendar and Atom
downloads). Dates outside 1900–2999 are refused too, so no later arithmetic
on them can overflow.

Statuses are computed by the treaty's rules in Python (``Participation.status``
and ``Obligation.status``) on the ~200 rows of a list, never re-implemented in
SQL here. ``StateFilter.rows()`` costs a fixed number of queries whatever the
number of States.
"""

import datetime
from dataclasses import dataclass, field

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Prefetch, Q
from django.http import QueryDict
from django.utils import timezone

from tracker import history, partial_dates, rules
from tracker.models import CoordinatorAssignment, Obligation, Participation, State, Treaty, WorkingGroup

MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2999, 12, 31)


class DayField(forms.DateField):
    """An ISO date (as a browser's date picker sends it) between 1900 and 2999."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not MIN_DATE <= day <= MAX_DATE:
            raise ValidationError("Give a date between 1900 and 2999.", code="out_of_range")
        return day


class DayFilter(django_filters.DateFilter):
    field_class = DayField


def _keep(queryset, name, value):
    """For filters applied to the rows in Python (see StateFilter.rows)."""
    return queryset


def ignored_messages(form):
    """Return one sentence per invalid parameter, naming the value that was ignored."""
    messages = []
    for name, errors in form.errors.items():
        if name not in form.fields:
            continue
        raw = form.data.get(name, "")
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        shown = shown.replace("\x00", "�")
        label = form.fields[name].label or name
        messages.append(f"{label} “{shown}” was ignored: {' '.join(errors)}")
    return messages


def clean_query(form, drop=()):
    """Return a QueryDict of the valid, non-empty parameters only (for links)."""
    query = QueryDict(mutable=True)
    for name in form.fields:
        if name in drop or name in form.errors:
            continue
        value = form.data.get(name)
        if value not in (None, ""):
            query[name] = value
    return query


# --- the States list -------------------------------------------------------------

IN_FORCE_CHOICES = [("yes", "In force"), ("no", "Not in force")]

# Sort keys, in the order of the table's columns. The value is the row attribute.
SORTS = {
    "name": "Name",
    "iso2": "ISO code",
    "region": "Region",
    "status": "Status",
    "in_force": "In force",
    "signature_date": "Signature",
    "deposit_date": "Deposit",
    "entry_into_force_date": "Entry into force",
    "stockpile_deadline": "Stockpile deadline",
    "clearance_deadline": "Clearance deadline",
}
SORT_CHOICES = list(SORTS.items()) + [(f"-{key}", f"{label}, descending") for key, label in SORTS.items()]


@dataclass
class StateRow:
    """One State's position under one treaty on ``as_of``."""

    state: State
    participation: Participation
    status: str
    in_force: bool
    obligations: dict = field(default_factory=dict)  # kind -> Obligation, for parties only

    @property
    def status_label(self):
        return Participation.Status(self.status).label

    @property
    def stockpile(self):
        return self.obligations.get(Obligation.Kind.STOCKPILE)

    @property
    def clearance(self):
        return self.obligations.get(Obligation.Kind.CLEARANCE)

    @property
    def stockpile_deadline(self):
        return self.stockpile.current_deadline if self.stockpile else None

    @property
    def clearance_deadline(self):
        return self.clearance.current_deadline if self.clearance else None

    def sort_value(self, key):
        if key in ("name", "iso2", "region"):
            return getattr(self.state, key)
        if key == "status":
            return rules.STATUSES.index(self.status)
        if key in ("in_force", "stockpile_deadline", "clearance_deadline"):
            return getattr(self, key)
        return getattr(self.participation, key)

    def open_deadline_before(self, day, as_of):
        """True when a stockpile or clearance obligation still open on ``as_of`` is due before ``day``."""
        return any(
            o.current_deadline is not None
            and o.current_deadline < day
            and o.status(as_of) in (rules.IN_PROGRESS, rules.OVERDUE, rules.UNKNOWN)
            for o in self.obligations.values()
        )


def build_rows(treaty, states, as_of, obligations=True):
    """Return a StateRow for every State in ``states`` under ``treaty`` on ``as_of``.

    Two queries: the treaty's participations and their obligations (one with
    ``obligations=False``, for counts that need no deadlines). States without
    a participation row are non-signatories. Deadlines are given only for
    States that are parties on ``as_of``.
    """
    participations = {}
    if treaty is not None:
        queryset = treaty.participations.all()
        if obligations:
            # A plain list per participation: reading it is much cheaper than
            # participation.obligations.all(), which builds a queryset per row.
            queryset = queryset.prefetch_related(Prefetch("obligations", to_attr="prefetched_obligations"))
        for participation in queryset:
            participation.treaty = treaty
            participations[participation.state_id] = participation
    rows = []
    for state in states:
        participation = participations.get(state.pk)
        if participation is None:
            participation = Participation(state=state, treaty=treaty)
        participation.state = state
        status = participation.status(as_of)
        kinds = {}
        if obligations and participation.pk and status == rules.PARTY:
            kinds = {o.kind: o for o in participation.prefetched_obligations}
        rows.append(StateRow(state, participation, status, participation.in_force(as_of), kinds))
    return rows


def sort_rows(rows, sort):
    """Sort by ``sort`` ("name", "-deposit_date", …), then by name; empty values always last."""
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    rows = sorted(rows, key=lambda row: row.state.name)
    present = [row for row in rows if row.sort_value(key) is not None]
    missing = [row for row in rows if row.sort_value(key) is None]
    present.sort(key=lambda row: row.sort_value(key), reverse=descending)
    return present + missing


def _treaty_choices():
    return [(t.slug, t.short_name) for t in Treaty.objects.all()]


def _group_choices():
    seen = {}
    for slug, name in WorkingGroup.objects.values_list("slug", "name"):
        seen.setdefault(slug, name)
    return list(seen.items())


class StateFilter(django_filters.FilterSet):
    """The filters of /states/, /states.csv and /states.json.

    ``q`` and ``region`` filter the States in SQL; the others are applied by
    ``rows()`` to the rows computed by the treaty's rules.
    """

    q = django_filters.CharFilter(label="Name or ISO code", method="filter_q", max_length=100)
    status = django_filters.ChoiceFilter(
        label="Status", choices=Participation.Status.choices, method=_keep, empty_label="Any status"
    )
    region = django_filters.ChoiceFilter(
        label="Region", choices=State.Region.choices, empty_label="Any region"
    )
    treaty = django_filters.ChoiceFilter(label="Treaty", choices=[], method=_keep, empty_label=None)
    as_of = DayFilter(label="As of", method=_keep)
    in_force = django_filters.ChoiceFilter(
        label="In force", choices=IN_FORCE_CHOICES, method=_keep, empty_label="Either"
    )
    deadline_before = DayFilter(label="Open deadline before", method=_keep)
    working_group = django_filters.ChoiceFilter(
        label="Coordinated", choices=[], method=_keep, empty_label="Any or none"
    )
    sort = django_filters.ChoiceFilter(label="Sort by", choices=SORT_CHOICES, method=_keep, empty_label=None)

    class Meta:
        model = State
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else QueryDict(), *args, **kwargs)
        # Treaties and groups are few: one query each serves the choices (and the default treaty).
        self.treaties = list(Treaty.objects.all())
        self.filters["treaty"].extra["choices"] = [(t.slug, t.short_name) for t in self.treaties]
        self.filters["working_group"].extra["choices"] = _group_choices()

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(iso2__iexact=value) | Q(iso3__iexact=value))

    @property
    def cleaned(self):
        self.is_valid()
        return self.form.cleaned_data

    @property
    def chosen_treaty(self):
        slug = self.cleaned.get("treaty")
        for treaty in self.treaties:
            if treaty.slug == slug:
                return treaty
        # The default is the first treaty entered (the CCM in the shipped data), so
        # that adding an older treaty does not change what /states/ shows.
        return min(self.treaties, key=lambda treaty: treaty.pk, default=None)

    @property
    def as_of_date(self):
        return self.cleaned.get("as_of") or timezone.localdate()

    @property
    def sort_key(self):
        return self.cleaned.get("sort") or "name"

    @property
    def ignored(self):
        return ignored_messages(self.form)

    def query(self, drop=()):
        return clean_query(self.form, drop)

    def rows(self):
        """Return the matching rows, sorted. Queries: States, participations, obligations,
        and the coordinator assignments when ``working_group`` is given."""
        data = self.cleaned
        as_of = self.as_of_date
        rows = build_rows(self.chosen_treaty, self.qs, as_of)
        if data.get("status"):
            rows = [row for row in rows if row.status == data["status"]]
        if data.get("in_force"):
            wanted = data["in_force"] == "yes"
            rows = [row for row in rows if row.in_force == wanted]
        if data.get("deadline_before"):
            rows = [row for row in rows if row.open_deadline_before(data["deadline_before"], as_of)]
        if data.get("working_group"):
            assignments = CoordinatorAssignment.objects.filter(group__slug=data["working_group"])
            if self.chosen_treaty is not None:
                assignments = assignments.filter(group__treaty=self.chosen_treaty)
            if data.get("as_of"):
                assignments = assignments.serving_on(as_of)
            state_ids = set(assignments.values_list("state_id", flat=True))
            rows = [row for row in rows if row.state.pk in state_ids]
        return sort_rows(rows, self.sort_key)

    def chips(self):
        """The active filters as (label, value, link that drops it)."""
        chips = []
        for name in (
            "q",
            "status",
            "region",
            "treaty",
            "as_of",
            "in_force",
            "deadline_before",
            "working_group",
        ):
            if name in self.form.errors:
                continue
            raw = self.form.data.get(name)
            if raw in (None, ""):
                continue
            form_field = self.form.fields[name]
            value = self.form.cleaned_data.get(name)
            if isinstance(value, datetime.date):
                value = partial_dates.display(value)
            elif hasattr(form_field, "choices"):
                value = dict(form_field.choices).get(raw, raw)
            else:
                value = raw
            chips.append((form_field.label, value, self.query(drop=(name,))))
        return chips

    def columns(self):
        """The sortable column headers as (key, label, link, aria-sort value)."""
        current = self.sort_key
        columns = []
        for key, label in SORTS.items():
            if current == key:
                target, aria = f"-{key}", "ascending"
            elif current == f"-{key}":
                target, aria = key, "descending"
            else:
                target, aria = key, None
            query = self.query(drop=("sort",))
            if target != "name":
                query["sort"] = target
            columns.append((key, label, query, aria))
        return columns


# --- the change log ---------------------------------------------------------------


class ChangeFilterForm(forms.Form):
    """The filters of /changes/, /states/<iso2>/history/ and /changes/feed/."""

    state = forms.CharField(
        label="State (ISO code)",
        required=False,
        max_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", "Give a two-letter ISO code, e.g. LB.")],
    )
    kind = forms.ChoiceField(
        label="Record kind",
        required=False,
        choices=[("", "All records")] + list(history.KIND_LABELS.items()),
    )
    start = DayField(label="From", required=False)
    end = DayField(label="Until", required=False)
    before = forms.CharField(label="Older than", required=False, max_length=200, widget=forms.HiddenInput)

    def clean_state(self):
        return self.cleaned_data["state"].lower()

    def clean_before(self):
        cursor = self.cleaned_data["before"]
        if cursor:
            try:
                history.decode_cursor(cursor)
            except ValueError as error:
                raise ValidationError(str(error), code="invalid_cursor") from None
        return cursor

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end comes before the start.")
        return data

    def history_arguments(self):
        """Return the keyword arguments of history.changes() for the valid filters."""
        data = self.cleaned_data
        return {
            "state": data.get("state") or None,
            "kinds": [data["kind"]] if data.get("kind") else None,
            "start": data.get("start"),
            "end": data.get("end"),
            "before": data.get("before") or None,
        }


# --- deadlines ---------------------------------------------------------------------


def party_obligations(as_of):
    """Obligations of States that have not withdrawn by ``as_of`` (an ObligationQuerySet).

    An obligation ends with the State's withdrawal, so a withdrawn State's
    unmet deadline is not listed as overdue.
    """
    return Obligation.objects.select_related("participation__state", "participation__treaty").of_parties(
        as_of
    )


DEADLINE_STATUS_CHOICES = [("upcoming", "Upcoming"), ("overdue", "Overdue"), ("completed", "Completed")]


class DeadlineFilterForm(forms.Form):
    """The filters of /deadlines/ and /deadlines.ics."""

    kind = forms.ChoiceField(
        label="Obligation", required=False, choices=[("", "Both")] + Obligation.Kind.choices
    )
    treaty = forms.ChoiceField(label="Treaty", required=False)
    status = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("", "All")] + DEADLINE_STATUS_CHOICES,
    )
    applicability = forms.ChoiceField(
        label="Applicability",
        required=False,
        choices=[("", "Recorded as applying"), ("all", "Also where applicability is not recorded")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["treaty"].choices = [("", "All treaties")] + _treaty_choices()

    def obligations(self):
        """Return the obligations of States Parties narrowed by the valid filters (a queryset)."""
        data = self.cleaned_data
        qs = party_obligations(timezone.localdate())
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("treaty"):
            qs = qs.filter(participation__treaty__slug=data["treaty"])
        return qs
