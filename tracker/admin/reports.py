"""The admin of transparency reports: an inline on the participation's page, their own list, and a
CSV import with a preview and a reason.

The import reads the file with the participations import's checks (tracker.admin.importing.read_csv:
size, encoding, control characters), validates every row with the model's full_clean() and shows
what it would create or change. Nothing is written until the editor confirms with a reason; the
confirmation carries the file and the versions of the reports it changes, signed, and is refused
whole if any of those reports changed since the preview. Each row is then saved with its history.
"""

import datetime
import re

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from tracker import partial_dates
from tracker.admin.base import TrackerAdmin, TrackerStackedInline
from tracker.admin.forms import reason_field
from tracker.admin.importing import max_bytes, max_rows, normalise_header, read_csv
from tracker.models import Participation, Source, TransparencyReport, Treaty, change_reason, today

RESEARCH_NOTES = (
    "Research notes (editors only, never public)",
    {"classes": ("collapse",), "fields": ("research_notes",)},
)


class TransparencyReportInline(TrackerStackedInline):
    model = TransparencyReport
    fields = (
        ("kind", "period", "due_date"),
        ("submitted_on", "submitted_precision"),
        ("access", "url"),
        "source",
        ("missing_on", "missing_source"),
        "notes",
        "research_notes",
    )
    readonly_fields = ("due_date",)
    autocomplete_fields = ("source", "missing_source")


class ReportStatusFilter(admin.SimpleListFilter):
    title = "status today"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return (
            ("overdue", "Overdue"),
            ("submitted", "Submission recorded"),
            ("undue", "Not due by the rule"),
        )

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue(today())
        if self.value() == "submitted":
            return queryset.exclude(submitted_on=None)
        if self.value() == "undue":
            return queryset.filter(due_date=None)
        return queryset


@admin.register(TransparencyReport)
class TransparencyReportAdmin(TrackerAdmin):
    change_list_template = "admin/tracker/transparencyreport/change_list.html"
    list_display = ("participation", "kind", "period", "due_date", "submitted_display", "status", "access")
    list_filter = ("kind", ReportStatusFilter, "access", "participation__treaty")
    list_select_related = ("participation__state", "participation__treaty")
    search_fields = ("participation__state__name", "participation__state__iso2")
    autocomplete_fields = ("participation", "source", "missing_source")
    readonly_fields = ("due_date", "status")
    fieldsets = (
        (
            None,
            {
                "description": "The due date is computed from the State's entry into force by the treaty's rule.",
                "fields": (("participation", "kind", "period"), ("due_date", "status")),
            },
        ),
        (
            "Submission",
            {"fields": (("submitted_on", "submitted_precision"), ("access", "url"), "source", "notes")},
        ),
        (
            "Recorded as not submitted",
            {
                "description": "Only a report a source lists as not submitted on a day after its due date is "
                "shown as overdue; otherwise a missing submission is shown as not recorded.",
                "fields": (("missing_on", "missing_source"),),
            },
        ),
        RESEARCH_NOTES,
    )

    @admin.display(description="submitted", ordering="submitted_on")
    def submitted_display(self, obj):
        return obj.submitted_display

    @admin.display(description="status today")
    def status(self, obj):
        if not obj.pk:
            return "—"
        status, _ = obj.status()
        return TransparencyReport.Status(status).label if status else "Not due by the treaty's rule"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="tracker_transparencyreport_import"),
        ] + super().get_urls()

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        form = ReportUploadForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import transparency reports",
            "opts": self.opts,
        }
        if request.method == "POST" and form.is_valid():
            plan, errors = plan_import(form.text, form.cleaned_data["treaty"], form.cleaned_data["source"])
            if errors:
                context.update(form=form, errors=errors)
            else:
                confirm = ReportConfirmForm(
                    initial={
                        "payload": sign_payload(form.text, form.cleaned_data, plan, request.user),
                    }
                )
                context.update(plan=plan, confirm_form=confirm)
                return TemplateResponse(request, "admin/tracker/transparencyreport/import.html", context)
        context.setdefault("form", form)
        return TemplateResponse(request, "admin/tracker/transparencyreport/import.html", context)

    def _confirm(self, request):
        url = reverse("admin:tracker_transparencyreport_import")
        form = ReportConfirmForm(request.POST, user=request.user)
        if not form.is_valid():
            if set(form.errors) == {"reason"}:
                messages.error(
                    request, "Nothing was imported: give a reason for the import. Upload the file again."
                )
            else:
                messages.error(request, f"Nothing was imported: {form.refusal()}. Upload the file again.")
            return HttpResponseRedirect(url)
        payload = form.cleaned_data["payload"]
        treaty = Treaty.objects.filter(pk=payload["treaty"]).first() if payload["treaty"] else None
        source = Source.objects.filter(pk=payload["source"]).first() if payload["source"] else None
        reason = form.cleaned_data["reason"]
        request.tracker_reason = reason
        with transaction.atomic(), change_reason(reason):
            plan, errors = plan_import(payload["text"], treaty, source, lock=True)
            changed = [
                f"{row.report} was changed by someone else since the preview."
                for row in plan
                if [row.report.pk, row.report.version if row.report.pk else None] not in payload["rows"]
            ]
            if errors or changed:
                transaction.set_rollback(True)
                for line in [
                    "Nothing was imported: the records changed since the preview.",
                    *changed,
                    *errors,
                ]:
                    messages.error(request, line)
                return HttpResponseRedirect(url)
            for row in plan:
                row.report.save()
        messages.success(
            request,
            f"Imported {len(plan)} transparency report(s); each change is in the record's history with your reason.",
        )
        return HttpResponseRedirect(reverse("admin:tracker_transparencyreport_changelist"))


# --- the import ---------------------------------------------------------------------------

COLUMNS = ("iso2", "treaty", "kind", "year", "submitted_on", "url", "source", "access", "notes")
ALIASES = {
    "state": "iso2",
    "period": "year",
    "submitted": "submitted_on",
    "submission_date": "submitted_on",
    "submitted_date": "submitted_on",
    "date_submitted": "submitted_on",
    "link": "url",
    "report_url": "url",
    "report": "kind",
}
KIND_WORDS = {
    "initial": "initial",
    "initial report": "initial",
    "annual": "annual",
    "annual report": "annual",
}
SALT = "tracker.admin.reports.import"


class ReportUploadForm(forms.Form):
    import_file = forms.FileField(
        label="CSV file",
        help_text="Columns: iso2 (the State), kind (initial or annual), year (for an annual report, the "
        "calendar year it covers), submitted_on (2011-09-16, 2011-09 or 2011), url, and optionally "
        "treaty, source (a source key), access (public or restricted), notes.",
    )
    treaty = forms.ModelChoiceField(
        queryset=Treaty.objects.all(), required=False, help_text="For rows without a treaty column."
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.all(),
        required=False,
        help_text="The source of every submission in the file, unless a row names its own source key.",
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > max_bytes():
            raise ValidationError(f"The file is larger than {max_bytes() // 1024:,} KB.")
        raw = upload.read()
        read_csv(raw)  # refuses, in words, a file that is not CSV text
        self.text = raw.decode("utf-8-sig")
        return upload


class ReportConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)
    reason = reason_field()

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["reason"].label = "Reason for this import"

    def clean_payload(self):
        try:
            payload = signing.loads(
                self.cleaned_data["payload"], salt=SALT, max_age=datetime.timedelta(days=1)
            )
        except signing.SignatureExpired:
            raise ValidationError("the preview is more than a day old", code="refused") from None
        except signing.BadSignature:
            raise ValidationError(
                "the confirmation form was changed after the preview", code="refused"
            ) from None
        if self.user is not None and payload.get("user") != self.user.pk:
            raise ValidationError("the preview was made by another user", code="refused")
        return payload

    def refusal(self):
        return " ".join(str(e) for e in self.errors.get("payload", ["the confirmation form is incomplete"]))


def sign_payload(text, data, plan, user):
    treaty, source = data.get("treaty"), data.get("source")
    rows = [[row.report.pk, row.report.version if row.report.pk else None] for row in plan]
    return signing.dumps(
        {
            "text": text,
            "treaty": treaty.pk if treaty else None,
            "source": source.pk if source else None,
            "rows": rows,
            "user": user.pk,
        },
        salt=SALT,
        compress=True,
    )


class PlannedRow:
    def __init__(self, line, report, created, changes):
        self.line, self.report, self.created, self.changes = line, report, created, changes


def _date(text):
    """(date, precision) from 2011-09-16, 2011-09 or 2011; ValueError in words otherwise."""
    for pattern, precision in (
        (r"\d{4}-\d\d-\d\d", partial_dates.DAY),
        (r"\d{4}-\d\d", partial_dates.MONTH),
        (r"\d{4}", partial_dates.YEAR),
    ):
        if re.fullmatch(pattern, text):
            try:
                return datetime.date.fromisoformat((text + "-01-01")[:10]), precision
            except ValueError:
                break
    raise ValueError(f"“{text}” is not a date: write 2011-09-16, 2011-09 or 2011.")


def plan_import(text, treaty, source, lock=False):
    """Return ([PlannedRow], [error sentences]) for the CSV ``text``; nothing is saved.

    Each row becomes a TransparencyReport (the stored one for the same State, treaty, kind and year,
    or a new one) with the row's values, validated by full_clean(). With ``lock``, the stored reports'
    participations and rows are read under lock, for the confirmation.
    """
    rows = read_csv(text.encode("utf-8"))
    if not rows:
        return [], ["The file is empty."]
    # (normalise_header reads a "state" or "country" column as the State's name.)
    header = [ALIASES.get(h, h) for h in (normalise_header(h) for h in rows[0][1])]
    unknown = [h for h in header if h not in COLUMNS and h not in ("name", "research_notes")]
    if unknown:
        return [], [
            f"The file has columns the import does not know: {', '.join(unknown)} (it reads {', '.join(COLUMNS)})."
        ]
    if not ({"iso2", "name"} & set(header)) or "kind" not in header:
        return [], [
            "The file needs an 'iso2' column (the State's ISO code) or a 'state' column (its name), "
            "and a 'kind' column (initial or annual)."
        ]
    body = rows[1:]
    if not body:
        return [], ["The file has a header line but no rows."]
    if len(body) > max_rows():
        return [], [f"The file has {len(body):,} rows; at most {max_rows():,} can be imported at once."]
    treaties = {t.slug: t for t in Treaty.objects.all()}
    sources = {s.key: s for s in Source.objects.exclude(key=None)}
    plan, errors, seen = [], [], {}
    for line, cells in body:
        if len(cells) != len(header):
            errors.append(f"Line {line}: {len(cells)} cells, where the header has {len(header)}.")
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        problems = []
        slug = row.get("treaty", "").lower()
        row_treaty = treaties.get(slug) if slug else treaty
        if row_treaty is None:
            problems.append(
                f"no treaty has the short name “{slug}”" if slug else "choose the treaty in the form"
            )
        kind = KIND_WORDS.get(row.get("kind", "").lower())
        if kind is None:
            problems.append(f"“{row.get('kind', '')}” is not a kind of report: write initial or annual")
        period = None
        if row.get("year"):
            if row["year"].isdigit() and len(row["year"]) == 4:
                period = int(row["year"])
            else:
                problems.append(f"“{row['year']}” is not a year: write it as 2011")
        participation = None
        if row_treaty is not None:
            queryset = Participation.objects.select_related("state", "treaty")
            if lock:
                queryset = queryset.locked()
            if row.get("iso2"):
                named, which = {"state__iso2": row["iso2"].upper()}, row["iso2"]
            else:
                named, which = {"state__name__iexact": row.get("name", "")}, row.get("name", "")
            participation = queryset.filter(treaty=row_treaty, **named).first()
            if participation is None:
                problems.append(
                    f"“{which}” names no State with a record under the {row_treaty.short_name}: "
                    "check the ISO code or name (only a State Party owes reports)"
                )
        if problems:
            errors.append(f"Line {line}: {'; '.join(problems)}.")
            continue
        if kind == "initial":
            period = None
        key = (participation.pk, kind, period)
        if key in seen:
            errors.append(f"Line {line}: the same report as line {seen[key]}.")
            continue
        seen[key] = line
        stored = TransparencyReport.objects.filter(participation=participation, kind=kind, period=period)
        report = (stored.locked() if lock else stored).first()
        created = report is None
        if created:
            report = TransparencyReport(participation=participation, kind=kind, period=period)
        before = {
            name: getattr(report, name)
            for name in ("submitted_on", "submitted_precision", "url", "access", "notes", "source_id")
        }
        try:
            if row.get("submitted_on"):
                report.submitted_on, report.submitted_precision = _date(row["submitted_on"])
            if row.get("url"):
                report.url = row["url"]
            if row.get("access"):
                report.access = row["access"].lower()
            if row.get("notes"):
                report.notes = row["notes"]
            if row.get("source"):
                if row["source"] not in sources:
                    raise ValueError(f"no source has the key “{row['source']}”")
                report.source = sources[row["source"]]
            elif report.submitted_on and report.source_id is None and source is not None:
                report.source = source
            report.full_clean()
        except ValueError as error:
            errors.append(f"Line {line}: {error}.")
            continue
        except ValidationError as error:
            messages_ = [m for field_messages in error.message_dict.values() for m in field_messages]
            errors.append(
                f"Line {line} ({participation.state}, {report.label.lower()}): {' '.join(messages_)}"
            )
            continue
        after = {name: getattr(report, name) for name in before}
        changes = [
            (name.removesuffix("_id"), before[name], after[name])
            for name in before
            if before[name] != after[name]
        ]
        if created or changes:
            plan.append(PlannedRow(line, report, created, changes))
    return plan, errors
