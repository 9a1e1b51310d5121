"""The audit log: every edit of every record, field by field, with its editor and reason.

Read through ``tracker.history.changes()``, newest first, a page at a time by
cursor (no count of the whole history is ever made), filterable by editor,
kind of record, State and date range, and downloadable as CSV with the same
filters, one row per changed field.
"""

import csv

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tracker import history
from tracker.formfields import DayField
from tracker.models import State
from tracker.plaintext import safe_cell

PAGE_SIZE = 50
EXPORT_BATCH = 500
CSV_COLUMNS = ("when", "editor", "kind", "object", "field", "old", "new", "reason", "action")


def can_view_audit_log(user):
    """Reviewers and superusers: the audit log shows every history table, so it needs them all."""
    if not (user.is_active and user.is_staff):
        return False
    return all(
        user.has_perm(f"{model.history.model._meta.app_label}.view_{model.history.model._meta.model_name}")
        for model in history.KINDS.values()
    )


class AuditFilterForm(forms.Form):
    editor = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Any editor"
    )
    kind = forms.ChoiceField(required=False, label="Kind of record")
    state = forms.ModelChoiceField(
        queryset=State.objects.all(), to_field_name="iso2", required=False, empty_label="Any State"
    )
    start = DayField(required=False, label="From")
    end = DayField(required=False, label="To")
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        self.fields["editor"].queryset = User.objects.filter(is_staff=True).order_by(User.USERNAME_FIELD)
        self.fields["kind"].choices = [("", "Any kind")] + list(history.KIND_LABELS.items())

    def clean_before(self):
        cursor = self.cleaned_data["before"]
        if cursor:
            try:
                history.decode_cursor(cursor)
            except ValueError as error:
                raise forms.ValidationError(str(error)) from None
        return cursor

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the range is before its start.")
        return cleaned

    def filters(self):
        """Keyword arguments for history.changes()."""
        data = self.cleaned_data
        return {
            "user": data.get("editor"),
            "kinds": [data["kind"]] if data.get("kind") else None,
            "state": data.get("state"),
            "start": data.get("start"),
            "end": data.get("end"),
        }


def _admin_url(change):
    """The record's history page in the admin (it exists for deleted records too)."""
    model = history.KINDS[change.kind]
    try:
        return reverse(f"admin:tracker_{model._meta.model_name}_history", args=[change.object_id])
    except NoReverseMatch:
        return ""


def audit_log_view(request, model_admin):
    if not can_view_audit_log(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    changes, next_cursor = [], None
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else {}
        before = form.cleaned_data.get("before") if form.is_bound else None
        changes = history.changes(before=before or None, limit=PAGE_SIZE + 1, public=False, **filters)
        if len(changes) > PAGE_SIZE:
            changes = changes[:PAGE_SIZE]
            next_cursor = changes[-1].cursor
    for change in changes:
        change.admin_url = _admin_url(change)
    query = request.GET.copy()
    query.pop("before", None)
    next_query = None
    if next_cursor:
        following = query.copy()
        following["before"] = next_cursor
        next_query = following.urlencode()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Audit log",
        "form": form,
        "changes": changes,
        "next_query": next_query,
        "filter_query": query.urlencode(),
        "is_first_page": not (form.is_bound and form.cleaned_data.get("before")) if form.is_valid() else True,
        "csv_url": reverse("admin:tracker_audit_log_csv"),
    }
    return TemplateResponse(request, "admin/tracker/audit_log.html", context)


class _Echo:
    def write(self, value):
        return value


def _csv_rows(filters):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    before = None
    while True:
        page = history.changes(before=before, limit=EXPORT_BATCH, public=False, **filters)
        for change in page:
            when = timezone.localtime(change.date).isoformat(timespec="seconds")
            common = [when, change.username, change.kind_label, change.object_repr]
            fields = change.fields or [None]
            for field in fields:
                cells = [
                    *common,
                    field.label if field else "",
                    field.old if field else "",
                    field.new if field else "",
                    change.reason,
                    change.action,
                ]
                yield writer.writerow([safe_cell(cell) for cell in cells])
        if len(page) < EXPORT_BATCH:
            return
        before = page[-1].cursor


def audit_log_csv_view(request, model_admin):
    if not can_view_audit_log(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return audit_log_view(request, model_admin)
    filters = form.filters() if form.is_bound else {}
    response = StreamingHttpResponse(_csv_rows(filters), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
