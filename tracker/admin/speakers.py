"""One "Speaker" (or "Donor") field for a State or an organisation, searched together.

A statement's speaker and a pledge's donor are two foreign keys in the model (a State or an
organisation). The admin shows them as one autocomplete (Django's select2 widget), fed by
``speakers_view``, which searches States (name, other names, ISO codes) and organisations
(name, short name) together and labels each result ("Lebanon — State", "International
Committee of the Red Cross (ICRC) — organisation"). The posted value names the kind and the
key, "state:12" or "organisation:3"; the form puts it on the two model fields. The version
check compares the combined value (see ``record_values`` in tracker.admin.forms), so a
colleague's change of either foreign key is a change of the speaker.
"""

from django import forms
from django.contrib.admin.widgets import (
    AutocompleteMixin,
    AutocompleteSelect,
    AutocompleteSelectMultiple,
    get_select2_language,
)
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.urls import reverse
from django.utils.functional import cached_property

from tracker.admin.base import SafeAutocompleteSelect
from tracker.admin.forms import VersionedInlineForm, VersionedInlineFormSet, VersionedModelForm
from tracker.models import Organisation, Pledge, State, Statement

#: The kinds a value may name, with the model and the word its label ends with.
KINDS = {"state": (State, "State"), "organisation": (Organisation, "organisation")}
#: Results per page of the search, as Django's own autocomplete.
PER_PAGE = 20
#: The forms whose field the search serves: (model name, field name) -> model.
SERVED = {("statement", "speaker"): Statement, ("pledge", "donor"): Pledge}

NOT_UNDERSTOOD = (
    "“%(value)s” is not a State or an organisation the tracker knows: pick one from the list "
    "(type a few letters of its name)."
)
NOT_FOUND = (
    "There is no %(kind)s numbered %(number)s (it may have been deleted meanwhile): pick one again "
    "from the list."
)


def label(record):
    """How a State or an organisation is shown in the field and in the search's results."""
    if isinstance(record, State):
        return f"{record.name} — State"
    return f"{record.full_name} — organisation"


def key(record):
    return f"{'state' if isinstance(record, State) else 'organisation'}:{record.pk}"


def parse(value):
    """("state" or "organisation", number) for a posted value, or None if it names neither."""
    kind, _, number = str(value).partition(":")
    if kind not in KINDS or not number.isascii() or not number.isdigit() or not 0 < int(number) < 2**63:
        return None
    return kind, int(number)


def labels_for(values):
    """{value: label} of the States and organisations ``values`` name: one query per kind at most."""
    wanted = {}
    for value in values:
        parsed = parse(value) if value else None
        if parsed:
            wanted.setdefault(parsed[0], set()).add(parsed[1])
    found = {}
    for kind, numbers in wanted.items():
        for record in KINDS[kind][0].objects.filter(pk__in=numbers):
            found[key(record)] = label(record)
    return found


class SpeakerSelect(forms.Select):
    """Django admin's autocomplete widget, asking ``speakers_view`` instead of a model's search.

    ``labels`` maps values to labels resolved beforehand (by ``SpeakerFormSet``, for all rows
    at once); a value not in it is looked up when the field is drawn.
    """

    media = AutocompleteMixin.media

    def __init__(self, attrs=None, model_name="", field_name=""):
        super().__init__(attrs)
        self.i18n_name = get_select2_language()
        self.model_name = model_name
        self.field_name = field_name
        self.labels = {}

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.labels = dict(self.labels)
        return copy

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs.update(
            {
                "class": "admin-autocomplete",
                "data-ajax--cache": "true",
                "data-ajax--delay": 250,
                "data-ajax--type": "GET",
                "data-ajax--url": reverse("admin:tracker_speaker_autocomplete"),
                "data-app-label": "tracker",
                "data-model-name": self.model_name,
                "data-field-name": self.field_name,
                "data-theme": "admin-autocomplete",
                "data-allow-clear": "true",
                "data-placeholder": "",
                # Wide enough for "International Committee of the Red Cross (ICRC) — organisation".
                "data-width": "34em",
                "lang": self.i18n_name,
            }
        )
        return attrs

    def optgroups(self, name, value, attr=None):
        options = [self.create_option(name, "", "", False, 0)]
        chosen = next((str(v) for v in value if v), "")
        if chosen:
            if chosen not in self.labels:
                self.labels.update(labels_for([chosen]))
            if chosen in self.labels:
                options.append(self.create_option(name, chosen, self.labels[chosen], True, 1))
        return [(None, options, 0)]


class SpeakerField(forms.Field):
    """A State or an organisation, posted as "state:12" or "organisation:3"; cleaned to the record."""

    widget = SpeakerSelect

    def __init__(self, *, state_field, organisation_field, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.model_fields = (state_field, organisation_field)

    def prepare_value(self, value):
        return key(value) if isinstance(value, State | Organisation) else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if "\x00" in str(value):
            raise ValidationError(NOT_UNDERSTOOD, code="invalid", params={"value": "(control character)"})
        parsed = parse(value)
        if parsed is None:
            raise ValidationError(NOT_UNDERSTOOD, code="invalid", params={"value": str(value)[:60]})
        kind, number = parsed
        model, word = KINDS[kind]
        record = model.objects.filter(pk=number).first()
        if record is None:
            raise ValidationError(NOT_FOUND, code="missing", params={"kind": word, "number": number})
        return record

    def has_changed(self, initial, data):
        return str(self.prepare_value(initial) or "") != str(data or "")

    def value_from_record(self, record):
        """The record's speaker as this field posts it ("" for none); reads keys only, no query."""
        state, organisation = (getattr(record, f"{name}_id") for name in self.model_fields)
        if state is not None:
            return f"state:{state}"
        return f"organisation:{organisation}" if organisation is not None else ""


class SpeakerFormMixin:
    """A form with one ``SpeakerField`` named ``speaker_name`` in place of its two foreign keys."""

    speaker_name = "speaker"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields[self.speaker_name]
        value = field.value_from_record(self.instance)
        self.initial.setdefault(self.speaker_name, value)
        # A row read with its State and organisation (select_related) draws its label without a query.
        for name in field.model_fields:
            if type(self.instance)._meta.get_field(name).is_cached(self.instance):
                record = getattr(self.instance, name)
                if record is not None:
                    field.widget.labels[key(record)] = label(record)

    def clean(self):
        if self.speaker_name not in self._errors:
            speaker = self.cleaned_data.get(self.speaker_name)
            state_field, organisation_field = self.fields[self.speaker_name].model_fields
            setattr(self.instance, state_field, speaker if isinstance(speaker, State) else None)
            setattr(self.instance, organisation_field, speaker if isinstance(speaker, Organisation) else None)
        return super().clean()

    def _update_errors(self, errors):
        # The model's own checks name its foreign keys ("donor_organisation"): shown on the one field.
        if hasattr(errors, "error_dict"):
            for name in self.fields[self.speaker_name].model_fields:
                if name in errors.error_dict:
                    moved = errors.error_dict.pop(name)
                    errors.error_dict.setdefault(self.speaker_name, []).extend(moved)
        super()._update_errors(errors)


def speaker_field(model_name, field_name, state_field, organisation_field, label_text, help_text):
    return SpeakerField(
        state_field=state_field,
        organisation_field=organisation_field,
        label=label_text,
        help_text=help_text,
        widget=SpeakerSelect(model_name=model_name, field_name=field_name),
    )


SPEAKER_HELP = (
    "Type a few letters of a State's name or ISO code, or of an organisation's name or short name. "
    "For an office such as the United Nations Secretary-General, leave this empty and fill in the office."
)
DONOR_HELP = "Type a few letters of a State's name or ISO code, or of an organisation's name or short name."


class StatementInlineForm(SpeakerFormMixin, VersionedInlineForm):
    speaker = speaker_field("statement", "speaker", "state", "organisation", "Speaker", SPEAKER_HELP)


class StatementForm(SpeakerFormMixin, VersionedModelForm):
    speaker = speaker_field("statement", "speaker", "state", "organisation", "Speaker", SPEAKER_HELP)


class PledgeInlineForm(SpeakerFormMixin, VersionedInlineForm):
    speaker_name = "donor"
    donor = speaker_field("pledge", "donor", "donor_state", "donor_organisation", "Donor", DONOR_HELP)


class PledgeForm(SpeakerFormMixin, VersionedModelForm):
    speaker_name = "donor"
    donor = speaker_field("pledge", "donor", "donor_state", "donor_organisation", "Donor", DONOR_HELP)


class ResolvedAutocompleteMixin:
    """An autocomplete widget whose chosen options were read beforehand, for all rows at once.

    Django's widget reads its chosen record when it is drawn: one query per row and field.
    ``resolved`` ({key as text: label}) is set by ``SpeakerFormSet``; None draws as Django does.
    """

    resolved = None

    def optgroups(self, name, value, attr=None):
        if self.resolved is None or any(str(v) not in self.resolved for v in value if v not in (None, "")):
            # Not read beforehand (a value put in after a conflict, or rubbish): read as Django does.
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        chosen = [str(v) for v in value if str(v) in self.resolved]
        if not self.allow_multiple_selected:
            chosen = chosen[:1]
        for item in dict.fromkeys(chosen):
            options.append(self.create_option(name, item, self.resolved[item], True, len(options)))
        return [(None, options, 0)]


#: Django's autocomplete widgets (and the tracker's) -> the same, drawn from ``resolved``.
RESOLVED = {
    widget: type(f"Resolved{widget.__name__}", (ResolvedAutocompleteMixin, widget), {})
    for widget in (SafeAutocompleteSelect, AutocompleteSelect, AutocompleteSelectMultiple)
}


def _keys(field, values):
    """The values that can be keys of ``field``'s model, as text (posted rubbish is left out)."""
    pk = field.queryset.model._meta.pk
    keys = set()
    for value in values:
        try:
            number = pk.to_python(value)
        except ValidationError:
            continue
        if isinstance(number, int) and 0 < number < 2**63:
            keys.add(str(number))
    return keys


def resolve_labels(forms):
    """Read the chosen options of every row's autocomplete fields: one query per field, not per row."""
    if not forms:
        return
    speaker_name = getattr(forms[0], "speaker_name", None)
    for name, field in forms[0].fields.items():
        widget = getattr(field.widget, "widget", field.widget)  # inside the admin's add/change links
        if name == speaker_name or type(widget) not in RESOLVED:
            continue
        chosen = []
        for form in forms:
            value = form[name].value()
            chosen += [
                v for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")
            ]
        keys = _keys(field, chosen)
        records = field.queryset.filter(pk__in=keys) if keys else []
        labels = {str(record.pk): field.label_from_instance(record) for record in records}
        for form in forms:
            inner = form.fields[name].widget
            inner = getattr(inner, "widget", inner)
            inner.__class__ = RESOLVED[type(inner)]
            inner.resolved = labels
    # The speaker (or donor): both kinds at once.
    if speaker_name:
        pending = []
        for form in forms:
            value = form[speaker_name].value()
            if value and value not in form.fields[speaker_name].widget.labels:
                pending.append((form, value))
        found = labels_for(value for _, value in pending)
        for form, value in pending:
            if value in found:
                form.fields[speaker_name].widget.labels[value] = found[value]


class SpeakerFormSet(VersionedInlineFormSet):
    """Inline rows whose chosen speakers, topics, sources and recipients are read for all rows at
    once (so that the meeting's page costs the same number of queries with 2 rows or 200)."""

    @cached_property
    def forms(self):
        # Django's own ``forms`` is a cached_property too: read through super() it builds the forms anew.
        forms = super().forms
        resolve_labels(forms)
        return forms


# --- the search -------------------------------------------------------------------------


def speakers_view(request, admin_site):
    """/admin/tracker/organisation/speakers/: States and organisations matching ``term``, as select2 asks.

    Answered only to whoever may add or change the records the field belongs to (a statement or
    a pledge, named by ``model_name`` and ``field_name`` as Django's own autocomplete sends them)
    and view States and organisations: a reviewer gets 403 and no data.
    """
    model = SERVED.get((request.GET.get("model_name"), request.GET.get("field_name")))
    if model is None or request.GET.get("app_label") != "tracker":
        raise PermissionDenied
    admin = admin_site.get_model_admin(model)
    writer = admin.has_add_permission(request) or admin.has_change_permission(request)
    reader = all(admin_site.get_model_admin(m).has_view_permission(request) for m in (State, Organisation))
    if not (writer and reader):
        raise PermissionDenied
    term = request.GET.get("term", "").replace("\x00", "").strip()[:200]
    records = [*State.objects.search(term).order_by("name")]
    organisations = Organisation.objects.order_by("name")
    if term:
        organisations = organisations.filter(Q(name__icontains=term) | Q(short_name__icontains=term))
    records += organisations
    page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    return JsonResponse(
        {
            "results": [{"id": key(record), "text": label(record)} for record in page.object_list],
            "pagination": {"more": page.has_next()},
        }
    )
