"""The filters of the public pages.

A FilterSet where a filter narrows a queryset (the deadlines), a plain form where
the parameters only need cleaning (the States list, whose statuses the treaty's
rules compute in Python for a day; the change log, read through tracker.history).

Bad input never raises: every parameter is a form field, an invalid value becomes
a form error, and the pages ignore that parameter and say so (the HTML pages) or
refuse the request with the errors (the CSV, JSON, iCalendar and Atom downloads).
Dates outside 1900–2999 are refused too, so no later arithmetic on them can
overflow.
"""

import datetime
import functools

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import derived, history, partial_dates, rules
from tracker.formfields import DayField
from tracker.i18n import name_sort_key, state_namer
from tracker.models import CoordinatorAssignment, Obligation, Participation, State, Treaty, WorkingGroup


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
        messages.append(
            gettext("%(label)s “%(value)s” was ignored: %(errors)s")
            % {"label": label, "value": shown, "errors": " ".join(errors)}
        )
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

IN_FORCE_CHOICES = [("yes", _("In force")), ("no", _("Not in force"))]

# Sort keys, in the order of the table's columns.
SORTS = {
    "name": _("Name"),
    "iso2": _("ISO code"),
    "region": _("Region"),
    "status": _("Status"),
    "in_force": _("In force"),
    "signature_date": _("Signature"),
    "deposit_date": _("Deposit"),
    "entry_into_force_date": _("Entry into force"),
    "stockpile_deadline": _("Stockpile deadline"),
    "clearance_deadline": _("Clearance deadline"),
}
SORT_CHOICES = list(SORTS.items()) + [
    (f"-{key}", format_lazy(_("{label}, descending"), label=label)) for key, label in SORTS.items()
]
# The filters shown as removable chips, in order.
CHIPS = ("q", "status", "region", "treaty", "as_of", "in_force", "deadline_before", "working_group")


def _sort_value(standing, key):
    if key in ("iso2", "region"):
        return getattr(standing.state, key)
    if key == "status":
        return rules.STATUSES.index(standing.status)
    if key in ("in_force", "stockpile_deadline", "clearance_deadline"):
        return getattr(standing, key)
    return getattr(standing.participation, key)


def every_treaty():
    """Every treaty, in their order: one query, kept for the data's version (tracker.derived). Read-only."""
    return derived.memo(("treaties",), lambda: list(Treaty.objects.all()))


def every_standing(treaty, as_of, obligations=True, states=None):
    """Every State's Standing under ``treaty`` on ``as_of`` (Treaty.standings), in name order
    (``states``: every State, when the caller has them already).

    Kept for the data's version (tracker.derived): the States list's filters, its
    downloads, the maps and the dashboard of one version share it. Read-only.
    """

    def compute():
        every = list(State.objects.all()) if states is None else states
        return treaty.standings(every, as_of, obligations=obligations)

    return derived.memo(("standings", treaty.pk, as_of, obligations), compute)


def sort_standings(standings, sort):
    """Sort by ``sort`` ("name", "-deposit_date", …), then by name; empty values always last."""
    key = sort.lstrip("-")
    name_of = state_namer()
    named = sorted(((name_sort_key(name_of(s.state)), s) for s in standings), key=lambda pair: pair[0])
    if key == "name":
        return [s for _, s in (reversed(named) if sort.startswith("-") else named)]
    values = [(_sort_value(s, key), s) for _, s in named]
    present = [pair for pair in values if pair[0] is not None]
    missing = [s for value, s in values if value is None]
    present.sort(key=lambda pair: pair[0], reverse=sort.startswith("-"))
    return [s for _, s in present] + missing


class StateListForm(forms.Form):
    """The parameters of /states/, /states.csv and /states.json.

    A plain form: the treaty's rules decide each State's status on the day
    (Treaty.standings), and ``rows()`` keeps the States the cleaned
    parameters ask for. Two to four queries whatever the number of States.
    """

    q = forms.CharField(label=_("Name or ISO code"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Participation.Status.choices]
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("Any region")), *State.Region.choices]
    )
    treaty = forms.ChoiceField(label=_("Treaty"), required=False)
    as_of = DayField(label=_("As of"), required=False)
    in_force = forms.ChoiceField(
        label=_("In force"), required=False, choices=[("", _("Either")), *IN_FORCE_CHOICES]
    )
    deadline_before = DayField(label=_("Open deadline before"), required=False)
    working_group = forms.ChoiceField(label=_("Coordinated"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else QueryDict(), **kwargs)
        # Treaties and groups are few: one query each serves the choices (and the default treaty).
        self.treaties = every_treaty()
        # The default treaty first: a browser submits the first option when none is marked.
        ordered = sorted(self.treaties, key=lambda treaty: treaty.pk)
        self.fields["treaty"].choices = [(t.slug, t.short_name) for t in ordered]
        self.fields["working_group"].choices = [("", _("Any or none")), *_group_choices()]
        self.is_valid()

    @property
    def chosen_treaty(self):
        slug = self.cleaned_data.get("treaty")
        for treaty in self.treaties:
            if treaty.slug == slug:
                return treaty
        # The default is the first treaty entered (the CCM in the shipped data), so
        # that adding an older treaty does not change what /states/ shows.
        return min(self.treaties, key=lambda treaty: treaty.pk, default=None)

    @property
    def as_of_date(self):
        return self.cleaned_data.get("as_of") or timezone.localdate()

    @property
    def sort_key(self):
        return self.cleaned_data.get("sort") or "name"

    @property
    def ignored(self):
        return ignored_messages(self)

    def query(self, drop=()):
        return clean_query(self, drop)

    def rows(self, standings=None):
        """The Standings the parameters select, sorted (``standings``: every_standing() of the
        form's treaty and day, when the caller has them already)."""
        data, as_of, treaty = self.cleaned_data, self.as_of_date, self.chosen_treaty
        if treaty is None:
            return []
        rows = every_standing(treaty, as_of) if standings is None else standings
        if data.get("q"):
            found = set(State.objects.search(data["q"]).values_list("pk", flat=True))
            rows = [row for row in rows if row.state.pk in found]
        if data.get("region"):
            rows = [row for row in rows if row.state.region == data["region"]]
        if data.get("status"):
            rows = [row for row in rows if row.status == data["status"]]
        if data.get("in_force"):
            rows = [row for row in rows if row.in_force == (data["in_force"] == "yes")]
        if data.get("deadline_before"):
            rows = [row for row in rows if row.open_deadline_before(data["deadline_before"])]
        if data.get("working_group"):
            assignments = CoordinatorAssignment.objects.filter(
                group__slug=data["working_group"], group__treaty=treaty
            )
            if data.get("as_of"):
                assignments = assignments.serving_on(as_of)
            state_ids = set(assignments.values_list("state_id", flat=True))
            rows = [row for row in rows if row.state.pk in state_ids]
        return sort_standings(rows, self.sort_key)

    def has_obligation(self, kind):
        """True when the chosen treaty sets a deadline of ``kind`` ("stockpile" or "clearance")."""
        treaty = self.chosen_treaty
        return treaty is not None and getattr(treaty, f"{kind}_years") is not None

    def chips(self):
        """The active filters as (label, value, link that drops it)."""
        chips = []
        for name in CHIPS:
            raw = self.data.get(name)
            if name in self.errors or raw in (None, ""):
                continue
            value = self.cleaned_data.get(name)
            if isinstance(value, datetime.date):
                value = partial_dates.display(value)
            elif hasattr(self.fields[name], "choices"):
                value = dict(self.fields[name].choices).get(raw, raw)
            else:
                value = raw
            chips.append((self.fields[name].label, value, self.query(drop=(name,))))
        return chips

    def columns(self):
        """The sortable column headers as (key, label, link, aria-sort value)."""
        current = self.sort_key
        columns = []
        # A treaty without a stockpile or clearance period (the Arms Trade Treaty) has no such column.
        absent = {key for key in ("stockpile", "clearance") if not self.has_obligation(key)}
        for key, label in SORTS.items():
            if key.removesuffix("_deadline") in absent:
                continue
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


class DashboardForm(forms.Form):
    """The one parameter of the dashboard: show one treaty (its counts, chart, deadlines and changes)."""

    treaty = forms.ChoiceField(label=_("Treaty"), required=False)

    def __init__(self, data, treaties):
        super().__init__(data)
        self.fields["treaty"].choices = [("", _("All treaties")), *((t.slug, t.short_name) for t in treaties)]
        self.treaties = treaties
        self.is_valid()

    @property
    def chosen_treaty(self):
        """The treaty asked for, or None for all of them."""
        slug = self.cleaned_data.get("treaty")
        return next((t for t in self.treaties if t.slug == slug), None)


def _group_choices():
    def choices():
        seen = {}
        for slug, name in WorkingGroup.objects.values_list("slug", "name"):
            seen.setdefault(slug, name)
        return list(seen.items())

    return derived.memo(("working group choices",), choices)


# --- the change log ---------------------------------------------------------------


def _treaty_choices():
    return [("", _("All treaties")), *((t.slug, t.short_name) for t in every_treaty())]


class ChangeFilterForm(forms.Form):
    """The filters of /changes/, /states/<iso2>/history/ and /changes/feed/."""

    state = forms.CharField(
        label=_("State (ISO code)"),
        required=False,
        max_length=2,
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("Give a two-letter ISO code, e.g. LB."))],
    )
    treaty = forms.ChoiceField(label=_("Treaty"), required=False)
    kind = forms.ChoiceField(
        label=_("Record kind"),
        required=False,
        choices=[("", _("All records"))] + list(history.KIND_LABELS.items()),
    )
    start = DayField(label=_("From"), required=False)
    end = DayField(label=_("Until"), required=False)
    before = forms.CharField(label=_("Older than"), required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read once, when a treaty is given or the form is shown; not for the feed without one.
        self.fields["treaty"].choices = functools.cache(_treaty_choices)

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
            self.add_error("end", _("The end comes before the start."))
        return data

    def history_arguments(self):
        """Return the keyword arguments of history.changes() for the valid filters."""
        data = self.cleaned_data
        return {
            "state": data.get("state") or None,
            "treaty": data.get("treaty") or None,
            "kinds": [data["kind"]] if data.get("kind") else None,
            "start": data.get("start"),
            "end": data.get("end"),
            "before": data.get("before") or None,
        }


# --- deadlines ---------------------------------------------------------------------

DEADLINE_STATUS_CHOICES = [
    ("upcoming", _("Upcoming")),
    ("overdue", _("Overdue")),
    ("completed", _("Completed")),
]


class DeadlineOptionsForm(forms.Form):
    """What /deadlines/ and /deadlines.ics show, besides the obligations DeadlineFilter selects."""

    status = forms.ChoiceField(
        label=_("Show"), required=False, choices=[("", _("All")), *DEADLINE_STATUS_CHOICES]
    )
    applicability = forms.ChoiceField(
        label=_("Applicability"),
        required=False,
        choices=[("", _("Recorded as applying")), ("all", _("Also where applicability is not recorded"))],
    )


class DeadlineFilter(django_filters.FilterSet):
    """The obligations of /deadlines/ and /deadlines.ics: those of States Parties, by kind and treaty."""

    kind = django_filters.ChoiceFilter(
        label=_("Obligation"), choices=Obligation.Kind.choices, empty_label=_("Both")
    )
    treaty = django_filters.ChoiceFilter(
        label=_("Treaty"), field_name="participation__treaty__slug", choices=[], empty_label=_("All treaties")
    )

    class Meta:
        model = Obligation
        fields = ["kind", "treaty"]
        form = DeadlineOptionsForm

    def __init__(self, data=None, as_of=None):
        # An obligation ends with the State's withdrawal: a withdrawn State's unmet
        # deadline is not listed.
        queryset = Obligation.objects.of_parties(as_of).with_state()
        super().__init__(data if data is not None else QueryDict(), queryset=queryset)
        self.filters["treaty"].extra["choices"] = [(t.slug, t.short_name) for t in every_treaty()]
        self.form.is_valid()

    def filter_queryset(self, queryset):
        # The form also carries the options of DeadlineOptionsForm, which select
        # what the page shows, not which obligations: only the filters narrow.
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def options(self):
        return self.form.cleaned_data
