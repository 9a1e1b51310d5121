"""The admin's forms: a reason for every save, and a version check so no edit is silently lost.

Every edit form carries the record's ``version`` in a hidden field. When it is
posted, the row is locked (``select_for_update()``, inside the admin's
transaction) and its version compared with the posted one: if someone saved the
record meanwhile, the form is refused with a list of what changed, the editor's
input stays in the form, and the hidden version moves on so that a deliberate
second save goes through. On SQLite the lock is a no-op; the IMMEDIATE
transaction mode of the settings serialises writers instead.
"""

from django import forms
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.text import capfirst

from tracker import history
from tracker.models import Source
from tracker.plaintext import control_character, normalise_newlines

# Bookkeeping fields: never shown as a change, never compared.
# Form fields that are not facts about the record.
NOT_FACTS = ("version", "reason")

#: The answer when the database gave up on a save three times (tracker.admin.base): a
#: deadlock or a serialization failure, each time rolled back whole.
BUSY = "Another editor was saving related records at the same moment; nothing was saved. Save again."


class ReasonField(forms.CharField):
    """The reason for an edit: plain text, kept in the history and shown in the public feed."""

    def to_python(self, value):
        return normalise_newlines(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if found := control_character(value):
            raise ValidationError(
                f"The reason contains a control character ({found}), which the history cannot show: remove it.",
                code="control_character",
            )


def reason_field():
    return ReasonField(
        label="Reason for this change",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Say why, in a sentence: for example, 'Deposit date corrected from depositary "
        "notification C.N.123.2011.TREATIES-XXVI.6'. It is kept with this version in the history.",
    )


class ReasonForm(forms.Form):
    """The reason asked for on pages that are not model forms: delete, restore."""

    reason = reason_field()


class MoveCitationsForm(ReasonForm):
    """Which source a source's citations move to, and why."""

    target = forms.ModelChoiceField(queryset=Source.objects.none(), label="Cite this source instead")

    def __init__(self, *args, source, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Source.objects.exclude(pk=source.pk)
        self.order_fields(["target", "reason"])


# --- describing what changed -------------------------------------------------------


def field_changes(older, newer):
    """Return [(label, old, new)] between two historical rows of one record, as an editor reads them.

    The values are tracker.history's; free text is quoted, so that an editor sees where it starts and ends.
    """
    if older is None or newer is None:
        return []
    model = newer.instance_type
    lines = []
    for change in history.field_changes(older, newer):
        field = model._meta.get_field(change.name)
        text = isinstance(field, models.CharField | models.TextField) and not field.choices
        lines.append((change.label, _quoted(change.old, text), _quoted(change.new, text)))
    return lines


def _quoted(value, text):
    if not value:
        return "(empty)"
    if not text:
        return value
    return f"“{value[:117]}…”" if len(value) > 120 else f"“{value}”"


def version_row(model, pk, version):
    """Return the newest historical row of record ``pk`` at ``version``, or None."""
    return model.history.filter(id=pk, version=version).order_by("-history_date", "-history_id").first()


def latest_row(model, pk):
    return model.history.filter(id=pk).order_by("-history_date", "-history_id").first()


def _who_and_when(row):
    user = row.history_user.get_username() if row.history_user_id else "someone (outside the admin)"
    when = date_format(timezone.localtime(row.history_date), "DATETIME_FORMAT")
    reason = f" (reason given: “{row.history_change_reason}”)" if row.history_change_reason else ""
    return f"{user} on {when}{reason}"


def conflict_messages(model, pk, base, current_version, both_changed=()):
    """Explain a conflict: who saved the record meanwhile and what changed, field by field.

    ``base`` is the historical row the editor's form was loaded from (None if the
    history no longer has it); ``both_changed`` names the fields the editor
    changed too.
    """
    name = model._meta.verbose_name
    latest = latest_row(model, pk)
    saves = current_version - base.version if base is not None else None
    who = _who_and_when(latest) if latest else "someone"
    if saves and saves > 1:
        head = f"This {name} was saved {saves} times since you opened it, most recently by {who}."
    else:
        head = f"This {name} was saved by {who} since you opened it."
    messages = [head]
    lines = field_changes(base, latest)
    if lines:
        messages.append("What changed meanwhile (the value you started from → the value now):")
        for label, old, new in lines:
            mine = " (you changed this field too: your value is kept below)" if label in both_changed else ""
            messages.append(f"{label}: {old} → {new}{mine}")
    elif base is None:
        messages.append(
            "The version you started from is not in the history, so the changes cannot be listed."
        )
    else:
        messages.append("Only values that are not in this form changed meanwhile.")
    messages.append(
        "Your input has been kept, and fields you had not touched now show the current values. "
        "Check the form, then save again to apply it."
    )
    return messages


def deleted_messages(model, pk):
    name = model._meta.verbose_name
    row = model.history.filter(id=pk, history_type="-").order_by("-history_date").first()
    who = f" by {_who_and_when(row)}" if row else ""
    return [
        f"This {name} was deleted{who} since you opened the page.",
        "Your input is shown so you can copy it: add it again as a new row (or restore the deleted "
        "record from 'Deleted records'), and tick 'Delete' on this row to save the rest.",
    ]


# --- the forms ---------------------------------------------------------------------


class VersionCheckMixin:
    """Hidden ``version`` field and the lost-update check, for model forms and inline forms."""

    #: True on simple-history's revert page, whose instance is an old version.
    reverting = False
    #: True when the admin answers with the form only, after the database gave up on the save
    #: (tracker.admin.base): nothing is locked, checked or saved.
    busy = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.untouched_meanwhile = False
        if self.instance.pk is not None and (self.reverting or not self.instance._state.adding):
            self.initial["version"] = self.base_version()

    def base_version(self):
        if self.reverting:
            # The instance is a historical version: the form starts from the record as it is now.
            model = type(self.instance)
            return (
                model._default_manager.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            )
        return self.instance.version

    @cached_property
    def changed_data(self):
        return [name for name in super().changed_data if name not in NOT_FACTS]

    def has_changed(self):
        # A row someone else changed while this editor left it alone is not saved over.
        return not self.untouched_meanwhile and super().has_changed()

    def check_version(self):
        """Lock the record's row and refuse the form if the record changed since it was loaded."""
        pk = self.instance.pk
        if pk is None or self.busy:
            return
        model = type(self.instance)
        # Parents first, then the row: the lock order of every write path (Record.lock_parents).
        if self.reverting or not self.instance._state.adding:
            try:
                self.instance.lock_parents()
            except ObjectDoesNotExist:
                raise ValidationError(
                    "The record this one belongs to has been deleted: restore that one first "
                    "(from its 'Deleted records')."
                ) from None
        current = model._default_manager.locked().filter(pk=pk).first()
        if current is None:
            if self.reverting or self.instance._state.adding:
                return  # restoring a deleted record, or a row deleted meanwhile (handled by the formset)
            raise ValidationError(deleted_messages(model, pk), code="deleted")
        posted = self.cleaned_data.get("version")
        if posted is None:
            raise ValidationError(
                "This form is missing the version it was loaded at. Reload the page and make your change again.",
                code="no_version",
            )
        if posted == current.version:
            self.keep_values_outside_form(current)
            return
        base = version_row(model, pk, posted)
        if base is not None and not self.fields_changed_between(base, current):
            # Only values outside this form changed meanwhile (say, a progress note
            # saved on the record's own page while this form edits it inline, or
            # dates the rules recomputed): they are kept, and the form's are saved.
            self.keep_values_outside_form(current)
            return
        mine = self.fields_changed_since(base) if base is not None else None
        if self.allow_untouched and mine == [] and not self.marked_for_deletion():
            # An inline row this editor left alone: nothing of theirs to save, nothing to lose.
            self.untouched_meanwhile = True
            return
        both = self.merge_current_values(base, current, mine or [])
        self.move_version_on(current.version)
        raise ValidationError(conflict_messages(model, pk, base, current.version, both), code="conflict")

    #: Inline rows the editor did not touch are skipped instead of refused.
    allow_untouched = False

    def keep_values_outside_form(self, current):
        """Take the values this form does not edit from ``current``, the row as read under lock.

        The record was read for this request before its row was locked: a
        colleague's save in between must not be overwritten by this one.
        """
        edited = self.edited_model_fields()
        for f in type(current)._meta.concrete_fields:
            if not f.primary_key and f.name not in edited:
                setattr(self.instance, f.attname, getattr(current, f.attname))

    def marked_for_deletion(self):
        return bool(self.cleaned_data.get("DELETE"))

    def _fact_fields(self, values):
        return [name for name in self.fields if name not in NOT_FACTS and name in values]

    def edited_model_fields(self):
        """Names of the model fields this form sets: its own, and those behind a combined field
        (one form field for two foreign keys, such as a speaker: tracker.admin.speakers)."""
        names = set(self.fields)
        for field in self.fields.values():
            names.update(getattr(field, "model_fields", ()))
        return names

    def record_values(self, record):
        """``record``'s values keyed by this form's field names, combined fields included."""
        values = model_to_dict(record)
        for name, field in self.fields.items():
            if hasattr(field, "value_from_record"):
                values[name] = field.value_from_record(record)
        return values

    def fields_changed_between(self, base, current):
        """Names of this form's fields whose stored value differs between ``base`` and ``current``."""
        base_values, current_values = self.record_values(base.instance), self.record_values(current)
        return [
            name for name in self._fact_fields(base_values) if base_values[name] != current_values.get(name)
        ]

    def fields_changed_since(self, base):
        """Names of the fields whose posted value differs from the ``base`` historical row."""
        base_values = self.record_values(base.instance)
        return [
            name
            for name in self._fact_fields(base_values)
            if self.fields[name].has_changed(base_values[name], self[name].data)
        ]

    def merge_current_values(self, base, current, mine):
        """Show the current value in fields the editor left alone; return the labels of fields both changed."""
        data = self.data.copy()
        both = []
        if base is not None:
            base_values, current_values = self.record_values(base.instance), self.record_values(current)
            for name in self._fact_fields(base_values):
                if name not in current_values or base_values[name] == current_values[name]:
                    continue
                if name in mine:
                    model_fields = getattr(self.fields[name], "model_fields", (name,))
                    both += [
                        capfirst(str(type(current)._meta.get_field(f).verbose_name)) for f in model_fields
                    ]
                else:
                    data.setlist(self.add_prefix(name), _as_data(self.fields[name], current_values[name]))
        self.data = data
        self._bound_fields_cache.clear()
        return both

    def move_version_on(self, version):
        """Put the current version in the redisplayed form, so a deliberate re-submit is accepted."""
        data = self.data.copy()
        data[self.add_prefix("version")] = str(version)
        self.data = data
        self._bound_fields_cache.clear()


def _as_data(field, value):
    """A model value as the browser would post it from ``field``'s widget (dates in the local format)."""
    shown = field.widget.format_value(field.prepare_value(value))
    if isinstance(shown, list | tuple):
        return [str(v) for v in shown]
    return ["" if shown is None else str(shown)]


class VersionedModelForm(VersionCheckMixin, forms.ModelForm):
    """The main form of every change page: a hidden version and a required reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    reason = reason_field()

    def clean(self):
        cleaned = super().clean()
        if self.busy:
            raise ValidationError(BUSY, code="busy")
        if self.instance.pk is not None:
            self.check_version()
        return cleaned


class VersionedInlineForm(VersionCheckMixin, forms.ModelForm):
    """An inline row: checked only when it would be written (changed or marked for deletion)."""

    allow_untouched = True

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def clean(self):
        cleaned = super().clean()
        pk_name = self._meta.model._meta.pk.name
        posted_pk = self.data.get(self.add_prefix(pk_name))
        if self.instance._state.adding and posted_pk and pk_name in self._errors:
            # The row was in the page but is no longer in the database.
            del self._errors[pk_name]
            try:
                self.deleted_meanwhile = int(posted_pk)
            except ValueError:
                raise ValidationError("This row is not one of the record's rows.") from None
            if cleaned.get("DELETE"):
                return cleaned  # it was going to be deleted anyway
            raise ValidationError(deleted_messages(self._meta.model, self.deleted_meanwhile), code="deleted")
        if self.instance.pk is not None and super().has_changed():
            self.check_version()
        return cleaned


class VersionedInlineFormSet(forms.BaseInlineFormSet):
    def full_clean(self):
        super().full_clean()
        if self.is_bound:
            self._align_originals()

    def _align_originals(self):
        """Pair each posted row with its own record for display, deleted ones included.

        The admin shows initial forms beside ``get_queryset()`` by position. If a
        row was deleted or re-ordered since the page was loaded, that pairing is
        wrong; each form already holds its record (found by its posted id), and a
        row deleted meanwhile is shown as it was last saved.
        """
        originals = []
        for form in self.initial_forms:
            pk = getattr(form, "deleted_meanwhile", None)
            if pk is not None:
                last = latest_row(self.model, pk)
                originals.append(last.instance if last is not None else form.instance)
            else:
                originals.append(form.instance)
        self._queryset = originals
