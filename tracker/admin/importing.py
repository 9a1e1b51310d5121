"""Importing States' treaty dates from a spreadsheet (CSV), with a preview and a reason.

Built on django-import-export: the upload is checked as a file first (size,
encoding, columns), then every row goes through ``ParticipationResource`` in a
dry run whose result is the preview; nothing is written until the editor
confirms with a reason, and then the whole file is imported in one transaction
or not at all. Rows match a participation by the State's ISO code and the
treaty's slug; each row is validated by the model's ``full_clean()``.

Two layouts are accepted: the columns of the public ``/states.csv`` (``name``,
``iso2``, ``treaty``, ``signature_date``, ``instrument``, ``deposit_date``, …)
and the depositary list kept by the secretariat (``state``, ``iso2``,
``signature_date``, …, ``notes``, ``source``), whose rows name no treaty: the
treaty is then chosen in the form. Computed columns are never imported.

No lost update: the preview records the version of every participation the
file names (or that it has none yet) in a signed field of the confirmation
form. Confirming locks those rows (their treaties first, as every write path
does) and compares: if any was saved, created or deleted since the preview, the
whole import is refused with what changed, and nothing is written. The same
check refuses the second of two imports previewed together, and a confirmation
sent twice finds its uploaded file gone and says so.
"""

import contextlib
import csv
import datetime
import io
import os

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.views.decorators.http import require_POST
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV
from import_export.forms import ConfirmImportForm, ImportForm

from tracker.admin.forms import field_changes, latest_row, version_row
from tracker.models import Participation, Source, State, Treaty
from tracker.plaintext import CONTROL

# Header spellings editors' spreadsheets use, mapped to our column names.
ALIASES = {
    "state": "name",
    "country": "name",
    "state_name": "name",
    "iso": "iso2",
    "iso_code": "iso2",
    "iso_2": "iso2",
    "iso_3166_1_alpha_2": "iso2",
    "code": "iso2",
    "treaty_slug": "treaty",
    "signature": "signature_date",
    "signed": "signature_date",
    "instrument_type": "instrument",
    "deposit": "deposit_date",
    "deposited": "deposit_date",
    "withdrawal_notice": "withdrawal_notice_date",
    "provisional_application": "provisional_application_date",
}
IMPORTED = (
    "signature_date",
    "instrument",
    "deposit_date",
    "withdrawal_notice_date",
    "provisional_application_date",
    "notes",
)
KEYS = ("iso2", "treaty")
# Read (for messages) or computed by the tracker: never imported.
IGNORED = (
    "name",
    "region",
    "status",
    "in_force",
    "entry_into_force_date",
    "withdrawal_effective_date",
    "stockpile_deadline",
    "clearance_deadline",
    "source",
)
DATE_HELP = "write dates as YYYY-MM-DD, e.g. 2011-09-13"


def max_bytes():
    return getattr(settings, "TRACKER_IMPORT_MAX_BYTES", 2 * 1024 * 1024)


def max_rows():
    return getattr(settings, "TRACKER_IMPORT_MAX_ROWS", 1000)


# A line longer than this is not a row of dates and notes: the file is of another kind.
MAX_LINE_CHARS = 10_000
# How long a preview can be confirmed: its uploaded file waits in the temporary folder.
PREVIEW_MAX_AGE = datetime.timedelta(days=1)
PREVIEW_SALT = "tracker.admin.importing.preview"

SAVE_AS_CSV = (
    "In Excel, choose File → Save As → 'CSV UTF-8 (Comma delimited)'; in LibreOffice, File → Save As → "
    "'Text CSV' with the character set 'Unicode (UTF-8)'. Then upload the .csv file."
)
# Files uploaded by mistake, known by their first bytes.
NOT_CSV = (
    (b"PK\x03\x04", "a spreadsheet workbook (.xlsx, .ods) or another zipped file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls) or another Office document"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
CONTROL_NAMES = {
    "\r": "a carriage return",
    "\x0b": "a vertical tab",
    "\x0c": "a form feed",
    "\x1b": "an escape",
}


def normalise_header(header):
    name = (header or "").strip().lstrip("\ufeff").lower()
    for char in " -/.":
        name = name.replace(char, "_")
    return ALIASES.get(name, name)


# --- reading the uploaded file -----------------------------------------------------


def _control_character(char):
    return f"{CONTROL_NAMES.get(char, 'a control character')} (U+{ord(char):04X})"


def read_csv(raw):
    """Return [(line, cells)] of the CSV file ``raw`` (bytes), its empty lines left out.

    A file of another kind, or with characters no spreadsheet of dates and notes
    holds, raises a ValidationError that says what it is, in words. Lines are
    counted as a text editor counts them, the header being line 1.
    """
    for signature, kind in NOT_CSV:
        if raw.startswith(signature):
            raise ValidationError(f"This is {kind}, not a CSV file. {SAVE_AS_CSV}")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValidationError(f"The file is saved as UTF-16 ('Unicode text'), not as UTF-8. {SAVE_AS_CSV}")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ValidationError(
            f"The file holds NUL bytes (the first on line {line}), so it is not a text file. {SAVE_AS_CSV}"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValidationError(
            f"The file is not UTF-8 text (line {line} is the first that is not). In Excel, save it as "
            "'CSV UTF-8 (Comma delimited)'; in LibreOffice, choose the character set 'Unicode (UTF-8)'."
        ) from None
    text = text.replace("\r\n", "\n")
    start = text.lstrip()[:500].lower()
    if start.startswith("<"):
        if "<html" in start or "<!doctype html" in start:
            raise ValidationError(
                "This is a web page (HTML), not a CSV file. To compare the UN Treaty Collection's status "
                "page with the tracker, run 'manage.py reconcile_depositary' on the saved page; to import "
                "dates here, save the list as a CSV file with an iso2 column."
            )
        raise ValidationError(f"This is an XML file, not a CSV file. {SAVE_AS_CSV}")
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_CHARS:
            raise ValidationError(
                f"Line {number} is {len(line):,} characters long; a line of an import has at most "
                f"{MAX_LINE_CHARS:,}. Check that this is the CSV file you meant to upload."
            )
        # A carriage return alone would end a row in the middle of a cell.
        if "\r" in line:
            raise ValidationError(
                f"Line {number}, column {line.index(chr(13)) + 1} holds {_control_character(chr(13))}: "
                "only tabs and line breaks may be in a cell. Remove it and upload the file again."
            )
    reader = csv.reader(io.StringIO(text))
    rows, end = [], 0
    try:
        for cells in reader:
            rows.append((end + 1, cells))
            end = reader.line_num
    except csv.Error:
        raise ValidationError(
            f"The file cannot be read as CSV from line {end + 1} on: check that every quotation mark "
            "that opens a cell closes it."
        ) from None
    if CONTROL.search(text):
        _refuse_control_characters(rows)
    return [(line, cells) for line, cells in rows if any(cell.strip() for cell in cells)]


def _refuse_control_characters(rows):
    header = rows[0][1] if rows else []
    found = []
    for first, cells in rows:
        before = 0  # line breaks in the cells before this one (a quoted cell may span lines)
        for index, cell in enumerate(cells):
            for match in CONTROL.finditer(cell):
                line = first + before + cell.count("\n", 0, match.start())
                name = header[index].strip() if index < len(header) and first != 1 else ""
                column = f"column {index + 1} ({name})" if name else f"column {index + 1}"
                found.append(f"line {line}, {column}: {_control_character(match.group())}")
            before += cell.count("\n")
    if found:
        more = f"; and {len(found) - 5} more" if len(found) > 5 else ""
        raise ValidationError(
            f"The file holds characters that no cell may hold (only tabs and line breaks may be in a cell): "
            f"{'; '.join(found[:5])}{more}. Remove them and upload the file again."
        )


# --- cell widgets that explain their errors ---------------------------------------


class IsoDateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip() if isinstance(value, str) else value
        if text in (None, ""):
            return None
        if isinstance(text, datetime.date):
            return text
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"“{text}” is not a date: {DATE_HELP}.") from None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class InstrumentWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip().lower()
        if not text:
            return ""
        for choice, label in Participation.Instrument.choices:
            if text in (choice, label.lower()):
                return choice
        allowed = ", ".join(Participation.Instrument.values)
        raise ValueError(f"“{value}” is not a kind of instrument: use one of {allowed}, or leave it empty.")


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return (value or "").replace("\r\n", "\n").strip()


class LookupWidget(widgets.ForeignKeyWidget):
    """A foreign key by a code column; the row check has already said which codes are unknown."""

    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip()
        if not text:
            return None
        lookup = {f"{self.field}__iexact": text}
        return self.model.objects.filter(**lookup).first()


# --- the resource ------------------------------------------------------------------


class WholeValueDiff(resources.Diff):
    """Preview cells as 'old → new': dates and codes are not diffed letter by letter, nor styled inline."""

    def as_html(self):
        cells = []
        for old, new in zip(self.left, self.right, strict=False):
            old, new = force_str(old), force_str(new)
            if self.new or old == new:
                cells.append(escape(new))
            else:
                cells.append(format_html("<del>{}</del> → <ins>{}</ins>", old or "(empty)", new or "(empty)"))
        return cells


class ParticipationResource(resources.ModelResource):
    # Shown in the preview so that rows read as States, never imported.
    state_name = fields.Field(attribute="state__name", column_name="name", readonly=True)
    state = fields.Field(attribute="state", column_name="iso2", widget=LookupWidget(State, "iso2"))
    treaty = fields.Field(attribute="treaty", column_name="treaty", widget=LookupWidget(Treaty, "slug"))
    signature_date = fields.Field(
        attribute="signature_date", column_name="signature_date", widget=IsoDateWidget()
    )
    instrument = fields.Field(attribute="instrument", column_name="instrument", widget=InstrumentWidget())
    deposit_date = fields.Field(attribute="deposit_date", column_name="deposit_date", widget=IsoDateWidget())
    withdrawal_notice_date = fields.Field(
        attribute="withdrawal_notice_date", column_name="withdrawal_notice_date", widget=IsoDateWidget()
    )
    provisional_application_date = fields.Field(
        attribute="provisional_application_date",
        column_name="provisional_application_date",
        widget=IsoDateWidget(),
    )
    notes = fields.Field(attribute="notes", column_name="notes", widget=TextWidget())

    class Meta:
        model = Participation
        fields = ("state_name", "treaty", "state", *IMPORTED)
        import_id_fields = ("treaty", "state")
        skip_unchanged = True
        report_skipped = False
        clean_model_instances = True
        use_transactions = True

    def __init__(self, treaty=None, source=None, reason="", **kwargs):
        super().__init__(**kwargs)
        self.default_treaty = treaty
        self.source = source
        self.reason = reason
        self.seen = {}
        self.row_errors = {}

    @classmethod
    def get_display_name(cls):
        return "States' treaty dates"

    def get_diff_class(self):
        return WholeValueDiff

    def get_user_visible_fields(self):
        # The columns the import page says it imports: not the State's name, shown only.
        return [field for field in super().get_user_visible_fields() if not field.readonly]

    def before_import(self, dataset, **kwargs):
        dataset.headers = [normalise_header(h) for h in dataset.headers]
        if "treaty" not in dataset.headers and self.default_treaty is not None:
            dataset.append_col([self.default_treaty.slug] * len(dataset), header="treaty")

    def before_import_row(self, row, row_number=None, **kwargs):
        """Check the row's keys in words before anything is looked up."""
        iso2 = (row.get("iso2") or "").strip().upper()
        slug = (row.get("treaty") or "").strip().lower()
        name = (row.get("name") or "").strip()
        named = f" (the row names “{name}”)" if name else ""
        errors = {}
        if not iso2:
            errors["iso2"] = "The ISO code is empty."
        elif not State.objects.filter(iso2=iso2).exists():
            errors["iso2"] = f"No State has the ISO code “{iso2}”{named}."
        if not slug:
            errors["treaty"] = "The treaty is empty: fill the 'treaty' column or choose a treaty in the form."
        elif not Treaty.objects.filter(slug=slug).exists():
            errors["treaty"] = f"No treaty has the short name “{slug}”."
        if errors:
            raise ValidationError(errors)
        # A repeated row is reported with its other errors, when the row is validated.
        self.row_errors = {}
        key = (slug, iso2)
        if key in self.seen:
            self.row_errors["iso2"] = ValidationError(
                f"{iso2} appears twice in the file (lines {self.seen[key] + 1} and {row_number + 1})."
            )
        else:
            self.seen[key] = row_number

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if self.row_errors:
            return False  # an unchanged duplicate is still an error
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = {**(import_validation_errors or {}), **self.row_errors}
        super().validate_instance(instance, errors, validate_unique)

    def before_save_instance(self, instance, row, **kwargs):
        file_name = kwargs.get("file_name") or "a spreadsheet"
        instance._change_reason = (
            f"Imported from {file_name}: {self.reason}" if self.reason else "Import preview"
        )
        user = kwargs.get("user")
        if user is not None:
            instance._history_user = user
        if self.source is not None:
            instance.source = self.source


# --- the forms of the two steps ---------------------------------------------------------


class ParticipationImportForm(ImportForm):
    treaty = forms.ModelChoiceField(
        queryset=Treaty.objects.all(),
        required=False,
        help_text="For files without a 'treaty' column (such as the depositary list): the treaty every row is about.",
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.all(),
        required=False,
        help_text="Optional: the document the file comes from, cited on every participation the import creates or changes.",
    )
    field_order = ["resource", "import_file", "format", "treaty", "source"]

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        treaties = list(Treaty.objects.all()[:2])
        if len(treaties) == 1:
            self.fields["treaty"].initial = treaties[0].pk
        self.fields["import_file"].help_text = (
            f"A CSV file in UTF-8, at most {max_bytes() // 1024} KB and {max_rows()} rows, with a header "
            f"line. Required column: iso2. Imported columns: {', '.join(IMPORTED)}. Optional: treaty "
            f"(its short name, e.g. ccm). Ignored: {', '.join(IGNORED)}. Empty cells clear the value."
        )
        self.headers, self.body, self.versions = [], [], []

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > max_bytes():
            raise ValidationError(
                f"The file is {upload.size / 1024:,.0f} KB; at most {max_bytes() // 1024:,} KB can be "
                "imported at once. Split it into smaller files."
            )
        raw = upload.read()
        upload.seek(0)
        rows = read_csv(raw)
        if not rows:
            raise ValidationError("The file is empty.")
        (_, header), body = rows[0], rows[1:]
        self.headers = [normalise_header(h) for h in header]
        duplicates = sorted({h for h in self.headers if h and self.headers.count(h) > 1})
        if duplicates:
            raise ValidationError(f"These columns appear more than once: {', '.join(duplicates)}.")
        if "iso2" not in self.headers:
            raise ValidationError(
                "The file has no 'iso2' column (the State's two-letter ISO code). "
                f"Its first line names these columns: {', '.join(header)}."
            )
        if not any(h in IMPORTED for h in self.headers):
            raise ValidationError(
                f"The file has none of the columns that can be imported ({', '.join(IMPORTED)})."
            )
        if not body:
            raise ValidationError("The file has a header line but no rows.")
        if len(body) > max_rows():
            raise ValidationError(
                f"The file has {len(body):,} rows; at most {max_rows():,} can be imported at once."
            )
        ragged = [line for line, cells in body if len(cells) != len(header)]
        if ragged:
            shown = ", ".join(str(n) for n in ragged[:5])
            raise ValidationError(
                f"Some lines do not have {len(header)} cells like the header: line(s) {shown}"
                f"{' and more' if len(ragged) > 5 else ''}."
            )
        self.body = [cells for _, cells in body]
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.headers and "treaty" not in self.headers and not cleaned.get("treaty"):
            self.add_error("treaty", "The file has no 'treaty' column: choose the treaty its rows are about.")
        elif "import_file" in cleaned:
            # Read before the dry run, so that the preview is never older than the versions.
            self.versions = versions_now(self.keys(cleaned.get("treaty")))
        return cleaned

    def keys(self, treaty):
        """The (ISO code, treaty short name) of each row, as the resource will look them up."""
        iso2 = self.headers.index("iso2")
        column = self.headers.index("treaty") if "treaty" in self.headers else None
        default = treaty.slug if treaty is not None else ""
        return {
            (cells[iso2].strip().upper(), (cells[column] if column is not None else default).strip().lower())
            for cells in self.body
        }


CHANGED = "the confirmation form was changed after the preview"


class ParticipationConfirmForm(ConfirmImportForm):
    treaty = forms.ModelChoiceField(queryset=Treaty.objects.all(), required=False, widget=forms.HiddenInput)
    source = forms.ModelChoiceField(queryset=Source.objects.all(), required=False, widget=forms.HiddenInput)
    # What the preview was made from, signed so that it cannot be forged: the fields
    # above, the editor, and the version of every participation the file names.
    preview = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Reason for this import",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Kept in the history of every record the import creates or changes. "
        "Example: 'Depositary status list as at 3 February 2026'.",
    )

    SIGNED = ("import_file_name", "original_file_name", "format", "resource", "treaty", "source")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    @classmethod
    def sign(cls, user, initial, versions):
        values = {name: str(initial.get(name) or "") for name in cls.SIGNED}
        return signing.dumps({**values, "user": user.pk, "rows": versions}, salt=PREVIEW_SALT, compress=True)

    def clean_preview(self):
        try:
            return signing.loads(self.cleaned_data["preview"], salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE)
        except signing.SignatureExpired:
            raise ValidationError("the preview is more than a day old", code="refused") from None
        except signing.BadSignature:
            raise ValidationError(CHANGED, code="refused") from None

    def clean(self):
        cleaned = super().clean()
        preview = cleaned.get("preview")
        if preview is None:
            return cleaned
        if any(str(self.data.get(name, "")) != preview[name] for name in self.SIGNED):
            raise ValidationError(CHANGED, code="refused")
        if self.user is not None and preview["user"] != self.user.pk:
            raise ValidationError("the preview was made by another user", code="refused")
        return cleaned

    def refusal(self):
        """Why this confirmation cannot be used, in a sentence; None if only the reason is missing."""
        if set(self.errors) <= {"reason"}:
            return None
        ours = [e.message for errors in self.errors.as_data().values() for e in errors if e.code == "refused"]
        why = ours[0] if ours else "the confirmation form is incomplete or was changed after the preview"
        return f"Nothing was imported: {why}. Upload the file again to see a new preview."


# --- the versions the preview was made from ------------------------------------------------


def versions_now(keys):
    """Return [[State id, treaty id, participation id, version]] for each (ISO code, treaty slug) in ``keys``.

    The participation's id and version are None where the State has none for that
    treaty yet. Keys naming no State or treaty are left out (the preview refuses them).
    """
    states = dict(State.objects.filter(iso2__in={iso2 for iso2, _ in keys}).values_list("iso2", "pk"))
    treaties = {slug.lower(): pk for slug, pk in Treaty.objects.values_list("slug", "pk")}
    pairs = {(states[iso2], treaties[slug]) for iso2, slug in keys if iso2 in states and slug in treaties}
    stored = Participation.objects.filter(
        state_id__in={s for s, _ in pairs}, treaty_id__in={t for _, t in pairs}
    ).values_list("state_id", "treaty_id", "pk", "version")
    found = {(state, treaty): [pk, version] for state, treaty, pk, version in stored}
    return sorted([state, treaty, *found.get((state, treaty), [None, None])] for state, treaty in pairs)


def _by_whom(row):
    if row is None:
        return "someone"
    user = row.history_user.get_username() if row.history_user_id else "someone (outside the admin)"
    when = date_format(timezone.localtime(row.history_date), "DATETIME_FORMAT")
    reason = f" (reason given: “{row.history_change_reason}”)" if row.history_change_reason else ""
    return f"{user} on {when}{reason}"


def changes_since(versions):
    """Lock the participations the preview read, and say in words which changed since; [] if none did.

    The treaties are locked first, then the participations, each in primary-key
    order: the lock order of every write path (Participation.lock_parents).
    Note: a conflict's description reads its history (a few queries each).
    """
    treaty_ids = sorted({treaty for _, treaty, _, _ in versions})
    list(Treaty.objects.filter(pk__in=treaty_ids).locked())
    known = [pk for _, _, pk, _ in versions if pk is not None]
    locked = list(
        Participation.objects.filter(
            Q(pk__in=known) | Q(state_id__in={state for state, _, _, _ in versions}, treaty_id__in=treaty_ids)
        )
        .select_related("state", "treaty")
        .locked()
    )
    by_pk = {p.pk: p for p in locked}
    by_key = {(p.state_id, p.treaty_id): p for p in locked}
    changed = []
    for state, treaty, pk, version in versions:
        now = by_key.get((state, treaty))
        if pk is None:
            if now is not None:
                first = Participation.history.filter(id=now.pk).order_by("history_date", "history_id").first()
                changed.append(f"{now} was added by {_by_whom(first)} since the preview.")
            continue
        current = by_pk.get(pk)
        if current is None:
            deleted = Participation.history.filter(id=pk, history_type="-").order_by("-history_date").first()
            name = f"{deleted.instance}" if deleted else f"The participation {pk}"
            changed.append(f"{name} was deleted by {_by_whom(deleted)} since the preview.")
        elif current.version != version or now is not current:
            latest = latest_row(Participation, pk)
            lines = [
                f"{label} {old} → {new}"
                for label, old, new in field_changes(version_row(Participation, pk, version), latest)
            ]
            what = f": {'; '.join(lines)}" if lines else ""
            saves = current.version - version
            if saves > 1:
                changed.append(
                    f"{current} was saved {saves} times since the preview, most recently by {_by_whom(latest)}{what}."
                )
            else:
                changed.append(f"{current} was saved by {_by_whom(latest)} since the preview{what}.")
    return changed


# --- the admin's import steps ----------------------------------------------------------------

NO_PERMISSION = (
    "Only editors can import: importing needs the permissions to add and to change participations. "
    "Ask a superuser to add you to the editors' group."
)
ALREADY_USED = (
    "Nothing was imported by this confirmation: its uploaded file is gone, because this preview was "
    "already confirmed or refused (was the form sent twice?). The participations' list shows what was "
    "imported; to import the file again, upload it again."
)


class ImportAdminMixin:
    """The import steps of ParticipationAdmin (mixed with import-export's ImportMixin)."""

    resource_classes = [ParticipationResource]
    import_form_class = ParticipationImportForm
    confirm_form_class = ParticipationConfirmForm
    import_template_name = "admin/tracker/participation/import.html"
    import_export_change_list_template = None  # our change list already links to the import

    @property
    def import_formats(self):
        return [CSV]

    def has_import_permission(self, request):
        return request.user.has_perm("tracker.add_participation") and request.user.has_perm(
            "tracker.change_participation"
        )

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        data = getattr(form, "cleaned_data", None) or {}
        return {"treaty": data.get("treaty"), "source": data.get("source"), "reason": data.get("reason", "")}

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs.pop("request", None)
        # A row that became invalid since the preview cancels the whole import.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {**super().get_confirm_form_kwargs(request, import_form), "user": request.user}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            treaty, source = import_form.cleaned_data.get("treaty"), import_form.cleaned_data.get("source")
            initial["treaty"] = treaty.pk if treaty else ""
            initial["source"] = source.pk if source else ""
            initial["preview"] = ParticipationConfirmForm.sign(request.user, initial, import_form.versions)
        return initial

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error("import_file", "The file cannot be read as CSV. " + SAVE_AS_CSV)

    def refuse(self, request, *lines, url=None):
        for line in lines:
            messages.error(request, line)
        return HttpResponseRedirect(url or reverse("admin:tracker_participation_import"))

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """Import the previewed file, if none of its participations changed since the preview."""
        # The import page itself answers 403, as every admin page one may not use; a
        # confirmation posted anyway (say, after losing the permission) gets a sentence.
        if not self.has_import_permission(request):
            return self.refuse(request, NO_PERMISSION, url=reverse("admin:index"))
        form = self.create_confirm_form(request)
        if not form.is_valid():
            refusal = form.refusal()
            if refusal:
                return self.refuse(request, refusal)
            context = {
                **self.admin_site.each_context(request),
                "title": "Import",
                "confirm_form": form,
                "opts": self.model._meta,
                "errors": form.errors,
            }
            return TemplateResponse(request, [self.import_template_name], context)
        preview = form.cleaned_data["preview"]
        input_format = self.get_import_formats()[int(preview["format"])](encoding=self.from_encoding)
        storage = self.get_tmp_storage_class()(
            name=os.path.basename(preview["import_file_name"]),
            encoding=self.from_encoding,
            read_mode=input_format.get_read_mode(),
            **self.get_tmp_storage_class_kwargs(),
        )
        try:
            dataset = input_format.create_dataset(storage.read())
        except OSError:
            return self.refuse(request, ALREADY_USED)
        except Exception:
            return self.refuse(
                request, "Nothing was imported: the uploaded file can no longer be read. Upload it again."
            )
        result, changed = None, []
        with transaction.atomic():
            changed = changes_since(preview["rows"])
            if not changed:
                result = self.process_dataset(
                    dataset, form, request, file_name=preview["original_file_name"], **kwargs
                )
                if result.has_errors() or result.has_validation_errors():
                    transaction.set_rollback(True)
        with contextlib.suppress(OSError):  # the same confirmation, sent twice at once, removed it first
            storage.remove()
        if changed:
            return self.refuse(
                request,
                f"Nothing was imported: {len(changed)} of the file's participations changed since the "
                "preview, and the file would overwrite those changes. Upload the file again to see what "
                "it would change now.",
                *changed,
            )
        if result.has_errors() or result.has_validation_errors():
            return self.refuse(
                request,
                "Nothing was imported: the data changed since the preview and some rows are no longer "
                "valid. Upload the file again to see why.",
            )
        return self.process_result(result, request)

    def process_result(self, result, request):
        response = super().process_result(result, request)
        messages.info(request, "Every change is in the records' history, with your name and reason.")
        return response
