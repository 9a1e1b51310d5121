"""Importing a meeting's statements or pledges from a CSV file: upload, preview, confirm with a reason.

The file is read by the participations import's reader (tracker.admin.importing.read_csv),
which refuses files of another kind in words. Every row is checked as the admin form
checks it (full_clean()); the preview lists each row to be added, or each refused row
with its line and reasons, and nothing can be confirmed while any row is refused. The
confirmation carries the file in a signed field; on confirm the file is read again and
every row checked again, inside one transaction, so a row that has become invalid (or
already recorded: the same file confirmed twice) stops the whole import. Rows are only
ever added, never changed, so no colleague's edit can be overwritten.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from tracker import models
from tracker.admin.forms import reason_field
from tracker.admin.importing import max_bytes, max_rows, read_csv

SALT = "tracker.admin.proceedings_import"
MAX_AGE = datetime.timedelta(days=1)

STATEMENT_COLUMNS = (
    "topic",
    "state",
    "organisation",
    "office",
    "delivered_by",
    "mode",
    "date",
    "summary",
    "cited_figure",
    "cited_count",
    "count_kind",
    "position",
    "source",
)
PLEDGE_COLUMNS = (
    "donor_state",
    "donor_organisation",
    "amount",
    "currency",
    "amount_as_stated",
    "status",
    "covers",
    "recipients",
    "recipients_text",
    "purpose",
    "position",
    "source",
)
KINDS = {"statements": (models.Statement, STATEMENT_COLUMNS), "pledges": (models.Pledge, PLEDGE_COLUMNS)}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="Rows of", choices=[("statements", "Statements"), ("pledges", "Pledges")])
    file = forms.FileField(
        label="CSV file (UTF-8)",
        help_text="One row per statement or pledge, with a header line naming the columns (see the list below).",
    )
    source = forms.ModelChoiceField(
        queryset=models.Source.objects.all(),
        required=False,
        label="Source of every row",
        help_text="Cited by each row whose 'source' cell is empty. A 'source' cell names a source by its key.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise ValidationError(
                f"The file is larger than {max_bytes():,} bytes: split it and import the parts."
            )
        return upload


class ConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)
    reason = reason_field()


# --- reading rows ---------------------------------------------------------------------


def _lookup(model, field, value, what):
    found = model.objects.filter(**{field: value}).first()
    if found is None:
        raise ValidationError(f"no {what} “{value}” is recorded")
    return found


def _day(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"“{value}” is not a date (write YYYY-MM-DD, e.g. 2011-09-16)") from None


def _whole(value, name):
    if not re.fullmatch(r"\d{1,9}", value):
        raise ValidationError(f"{name} “{value}” is not a whole number")
    return int(value)


def _amount(value):
    text = value.replace(",", "").replace(" ", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"the amount “{value}” is not a number (write 700000 or 2160000.50)") from None
    if not amount.is_finite():
        raise ValidationError(f"the amount “{value}” is not a number")
    return amount


def _codes(value):
    return [code for code in re.split(r"[\s;,]+", value) if code]


def build(kind, meeting, cells, default_source):
    """Return (an unsaved record, the recipient States) from one row's cells, or raise ValidationError."""
    model = KINDS[kind][0]
    record = model(meeting=meeting)
    problems, recipients = [], []

    def take(name, convert):
        value = cells.get(name, "").strip()
        if not value:
            return
        try:
            setattr(record, name, convert(value))
        except ValidationError as error:
            problems.extend(error.messages)

    key = cells.get("source", "").strip()
    if key:
        take("source", lambda v: _lookup(models.Source, "key", v, "source with the key"))
    elif default_source is not None:
        record.source = default_source
    if kind == "statements":
        take("topic", lambda v: _lookup(models.AgendaTopic, "slug", v.lower(), "agenda topic"))
        take("state", lambda v: _lookup(models.State, "iso2", v.upper(), "State with the ISO code"))
        take("organisation", lambda v: _lookup(models.Organisation, "slug", v.lower(), "organisation"))
        take("date", _day)
        take("cited_count", lambda v: _whole(v, "the cited count"))
        for name in ("office", "delivered_by", "summary", "cited_figure", "mode", "count_kind"):
            take(name, str)
    else:
        take("donor_state", lambda v: _lookup(models.State, "iso2", v.upper(), "State with the ISO code"))
        take("donor_organisation", lambda v: _lookup(models.Organisation, "slug", v.lower(), "organisation"))
        take("amount", _amount)
        for name in ("currency", "amount_as_stated", "status", "covers", "recipients_text", "purpose"):
            take(name, str)
        for code in _codes(cells.get("recipients", "")):
            try:
                recipients.append(_lookup(models.State, "iso2", code.upper(), "State with the ISO code"))
            except ValidationError as error:
                problems.extend(error.messages)
    take("position", lambda v: _whole(v, "the position"))
    if problems:
        raise ValidationError(problems)
    try:
        record.full_clean(exclude=["meeting"])
    except ValidationError as error:
        messages = []
        for field, errors in error.message_dict.items():
            label = "" if field == "__all__" else f"{model._meta.get_field(field).verbose_name}: "
            messages.extend(f"{label}{message}" for message in errors)
        raise ValidationError(messages) from None
    return record, recipients


def _same(kind, record):
    """A filter finding a stored row with the same facts (so a file confirmed twice adds nothing)."""
    if kind == "statements":
        names = ("topic", "state", "organisation", "office", "summary", "mode")
    else:
        names = ("donor_state", "donor_organisation", "amount", "currency", "amount_as_stated", "covers")
    return {name: getattr(record, name) for name in names}


def _column(header):
    # The participations import's aliases are not used here: there 'office' would be read as a State's name.
    name = (header or "").strip().lstrip("\ufeff").lower()
    for char in " -/.":
        name = name.replace(char, "_")
    return name


def read_rows(kind, meeting, raw, default_source):
    """Return (rows, problems): rows as (line, record, recipients), problems as (line, [reasons])."""
    lines = read_csv(raw)
    if not lines:
        raise ValidationError("The file is empty.")
    (_, header), body = lines[0], lines[1:]
    columns = [_column(name) for name in header]
    allowed = KINDS[kind][1]
    unknown = [name for name in columns if name and name not in allowed]
    if unknown:
        raise ValidationError(
            f"The file has columns that {kind} do not have: {', '.join(unknown)}. The columns are: {', '.join(allowed)}."
        )
    if len(body) > max_rows():
        raise ValidationError(f"The file has {len(body):,} rows; an import takes at most {max_rows():,}.")
    rows, problems, seen = [], [], set()
    model = KINDS[kind][0]
    for line, values in body:
        if len(values) != len(columns):
            problems.append((line, [f"the row has {len(values)} cells, the header {len(columns)}"]))
            continue
        try:
            record, recipients = build(kind, meeting, dict(zip(columns, values, strict=True)), default_source)
        except ValidationError as error:
            problems.append((line, error.messages))
            continue
        same = _same(kind, record)
        key = tuple(sorted((name, str(value)) for name, value in same.items()))
        if key in seen:
            problems.append((line, ["the same row is in the file twice"]))
        elif model.objects.filter(meeting=meeting, **same).exists():
            problems.append((line, ["this row is already recorded for the meeting"]))
        else:
            seen.add(key)
            rows.append((line, record, recipients))
    return rows, problems


# --- the view ---------------------------------------------------------------------------


def import_view(request, model_admin, object_id):
    """/admin/tracker/meeting/<id>/import/: upload, preview, confirm."""
    meeting = get_object_or_404(models.Meeting, pk=object_id)
    site = model_admin.admin_site
    if not model_admin.has_change_permission(request, meeting):
        raise PermissionDenied
    upload = UploadForm(request.POST or None, request.FILES or None)
    confirm, preview, kind = None, None, None
    if request.method == "POST" and "payload" in request.POST:
        confirm = ConfirmForm(request.POST)
        upload = UploadForm()
        done = _confirm(request, site, meeting, confirm)
        if done is not None:
            return done
        kind = confirm.kind
        preview = confirm.preview
    elif request.method == "POST" and upload.is_valid():
        kind = upload.cleaned_data["kind"]
        _check_add_permission(request, site, kind)
        raw = upload.cleaned_data["file"].read()
        try:
            rows, problems = read_rows(kind, meeting, raw, upload.cleaned_data["source"])
        except ValidationError as error:
            upload.add_error("file", error)
        else:
            preview = {"rows": rows, "problems": problems}
            if rows and not problems:
                payload = {
                    "meeting": meeting.pk,
                    "kind": kind,
                    "name": upload.cleaned_data["file"].name,
                    "source": upload.cleaned_data["source"].pk if upload.cleaned_data["source"] else None,
                    "user": request.user.pk,
                    "csv": raw.decode("utf-8-sig"),
                }
                confirm = ConfirmForm(initial={"payload": signing.dumps(payload, salt=SALT, compress=True)})
    context = {
        **site.each_context(request),
        "title": f"Import statements or pledges of the {meeting}",
        "opts": model_admin.opts,
        "meeting": meeting,
        "upload": upload,
        "confirm": confirm,
        "preview": preview,
        "kind": kind,
        "statement_columns": STATEMENT_COLUMNS,
        "pledge_columns": PLEDGE_COLUMNS,
    }
    return TemplateResponse(request, "admin/tracker/proceedings_import.html", context)


def _check_add_permission(request, site, kind):
    model = KINDS[kind][0]
    if not site._registry[model].has_add_permission(request):
        raise PermissionDenied


def _confirm(request, site, meeting, form):
    """Import a confirmed preview; return a redirect, or None to show the form again with its errors."""
    form.kind, form.preview = None, None
    if not form.is_valid():
        return None
    try:
        payload = signing.loads(form.cleaned_data["payload"], salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        form.add_error(
            None, "This confirmation was changed or is more than a day old: upload the file again."
        )
        return None
    if payload.get("meeting") != meeting.pk or payload.get("user") != request.user.pk:
        form.add_error(
            None, "This confirmation belongs to another meeting or another editor: upload the file again."
        )
        return None
    kind = form.kind = payload["kind"]
    _check_add_permission(request, site, kind)
    source = models.Source.objects.filter(pk=payload["source"]).first() if payload["source"] else None
    reason = f"Imported from {payload['name']}: {form.cleaned_data['reason']}"
    with transaction.atomic():
        # Read and check every row again: the record may have changed since the preview.
        rows, problems = read_rows(kind, meeting, payload["csv"].encode(), source)
        if problems or not rows:
            transaction.set_rollback(True)
            form.preview = {"rows": rows, "problems": problems}
            form.add_error(None, "Nothing was imported: some rows are no longer valid, or already recorded.")
            return None
        request.tracker_reason = reason
        for _line, record, recipients in rows:
            record._change_reason = reason
            record._history_user = request.user
            record.save()
            if recipients:
                record.recipients.set(recipients)
    site._registry[models.Meeting].message_user(
        request, f"Imported {len(rows)} {kind} with the reason given."
    )
    return HttpResponseRedirect(reverse("admin:tracker_meeting_change", args=[meeting.pk]))
