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
"""

import csv
import datetime
import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.html import escape, format_html
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV
from import_export.forms import ConfirmImportForm, ImportForm

from tracker.models import Participation, Source, State, Treaty

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


def normalise_header(header):
    name = (header or "").strip().lstrip("\ufeff").lower()
    for char in " -/.":
        name = name.replace(char, "_")
    return ALIASES.get(name, name)


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
        return (value or "").strip()


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
        self.headers = []

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > max_bytes():
            raise ValidationError(
                f"The file is {upload.size / 1024:,.0f} KB; at most {max_bytes() // 1024:,} KB can be "
                "imported at once. Split it into smaller files."
            )
        raw = upload.read()
        upload.seek(0)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                "The file is not UTF-8 text. In Excel, save it as 'CSV UTF-8 (Comma delimited)'; "
                "in LibreOffice, choose the character set 'Unicode (UTF-8)'."
            ) from None
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as error:
            raise ValidationError(f"The file cannot be read as CSV: {error}.") from None
        rows = [r for r in rows if any(cell.strip() for cell in r)]
        if not rows:
            raise ValidationError("The file is empty.")
        header, body = rows[0], rows[1:]
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
        ragged = [i + 2 for i, r in enumerate(body) if len(r) != len(header)]
        if ragged:
            shown = ", ".join(str(n) for n in ragged[:5])
            raise ValidationError(
                f"Some lines do not have {len(header)} cells like the header: line(s) {shown}"
                f"{' and more' if len(ragged) > 5 else ''}."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.headers and "treaty" not in self.headers and not cleaned.get("treaty"):
            self.add_error("treaty", "The file has no 'treaty' column: choose the treaty its rows are about.")
        return cleaned


class ParticipationConfirmForm(ConfirmImportForm):
    treaty = forms.ModelChoiceField(queryset=Treaty.objects.all(), required=False, widget=forms.HiddenInput)
    source = forms.ModelChoiceField(queryset=Source.objects.all(), required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Reason for this import",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Kept in the history of every record the import creates or changes. "
        "Example: 'Depositary status list as at 3 February 2026'.",
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

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            treaty, source = import_form.cleaned_data.get("treaty"), import_form.cleaned_data.get("source")
            initial["treaty"] = treaty.pk if treaty else ""
            initial["source"] = source.pk if source else ""
        return initial

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                "Nothing was imported: the data changed since the preview and some rows are no longer "
                "valid. Upload the file again to see why.",
            )
            return HttpResponseRedirect(reverse("admin:tracker_participation_import"))
        response = super().process_result(result, request)
        messages.info(request, "Every change is in the records' history, with your name and reason.")
        return response
