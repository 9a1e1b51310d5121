"""The filters of /reports/, /reports.csv and /reports.json, and the reports parameter of /deadlines.ics.

A plain form, like the States list's: the treaty's rules make each report due
(TransparencyReport.due_from), so the filters narrow a list in Python, not a
queryset. Bad input never raises: the page ignores the parameter and says so,
the downloads refuse the request with the reason (tracker.filters).
"""

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from tracker import rules
from tracker.filters import clean_query, every_treaty, ignored_messages
from tracker.models import EARLIEST, LATEST, State, TransparencyReport


class ReportFilterForm(forms.Form):
    treaty = forms.ChoiceField(label=_("Treaty"), required=False)
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("Any region")), *State.Region.choices]
    )
    year = forms.IntegerField(
        label=_("Year due"),
        required=False,
        min_value=EARLIEST.year,
        max_value=LATEST.year,
        error_messages={"invalid": _("Give a year, e.g. 2015.")},
    )
    kind = forms.ChoiceField(
        label=_("Report"),
        required=False,
        choices=[("", _("Initial and annual")), *TransparencyReport.Kind.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *TransparencyReport.Status.choices]
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else QueryDict(), **kwargs)
        self.treaties = every_treaty()
        self.fields["treaty"].choices = [
            ("", _("All treaties")),
            *((t.slug, t.short_name) for t in self.treaties),
        ]
        self.is_valid()

    @property
    def ignored(self):
        return ignored_messages(self)

    def query(self, drop=()):
        return clean_query(self, drop)

    @property
    def filtered(self):
        """True when a filter narrows the list of reports (not only the treaty or region)."""
        return any(self.cleaned_data.get(name) for name in ("year", "kind", "status"))

    def keep(self, due):
        """True when a DueReport passes the year, kind and status filters."""
        data = self.cleaned_data
        if data.get("year") and due.due.year != data["year"]:
            return False
        if data.get("kind") and due.kind != data["kind"]:
            return False
        return not data.get("status") or due.status == data["status"]


class CalendarReportsForm(forms.Form):
    """/deadlines.ics?reports=1 adds the transparency reports' due dates to the calendar."""

    reports = forms.TypedChoiceField(
        label=_("Transparency reports"),
        required=False,
        choices=[("", _("Leave out")), ("0", _("Leave out")), ("1", _("Include"))],
        coerce=lambda value: value == "1",
        empty_value=False,
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data if data is not None else QueryDict(), **kwargs)
        self.is_valid()

    @property
    def ignored(self):
        return ignored_messages(self)


# The statuses in the order of the page's columns.
COLUMNS = (rules.NOT_YET_DUE, rules.ON_TIME, rules.LATE, rules.SUBMITTED, rules.OVERDUE, rules.NOT_RECORDED)
# Their short labels, for the columns of the yearly table.
COLUMN_LABELS = {
    rules.NOT_YET_DUE: _("Not yet due"),
    rules.ON_TIME: _("On time"),
    rules.LATE: _("Late"),
    rules.SUBMITTED: _("Submitted, timing unknown"),
    rules.OVERDUE: _("Overdue"),
    rules.NOT_RECORDED: _("Not recorded"),
}
