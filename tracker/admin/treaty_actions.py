"""Record a treaty action in one form: the action, its day, the depositary notification, the source.

Before saving, the page shows the notes the new fact makes stale (see
``tracker.treaty_actions``) in editable boxes; the second submit saves the
action and the edited notes together, each with the reason given.
"""

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from tracker import treaty_actions
from tracker.admin.forms import reason_field
from tracker.models import Declaration, Participation, Source, State, Treaty

SALT = "tracker.treaty_action"


class TreatyActionForm(forms.Form):
    state = forms.ModelChoiceField(State.objects.all())
    treaty = forms.ModelChoiceField(Treaty.objects.all(), empty_label=None)
    action = forms.ChoiceField(choices=treaty_actions.ACTIONS)
    date = forms.DateField(
        label="Day of the action",
        help_text="The day the State signed, or the day the depositary received the instrument or the notice "
        "(YYYY-MM-DD).",
    )
    instrument = forms.ChoiceField(
        choices=[("", "—")] + Participation.Instrument.choices,
        required=False,
        help_text="For a deposit: the kind of instrument.",
    )
    notification = forms.CharField(
        label="Depositary notification",
        max_length=60,
        required=False,
        help_text="Its symbol, e.g. 'C.N.360.2025.TREATIES-XXVI-5' (for a deposit, a withdrawal or a declaration).",
    )
    notification_date = forms.DateField(label="Notification's date", required=False)
    kind = forms.ChoiceField(
        label="Kind of declaration",
        choices=Declaration.Kind.choices,
        required=False,
        help_text="A declared 'suspension' is a statement: it changes no status.",
    )
    text = forms.CharField(
        label="Declaration's text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="As the depositary publishes it.",
    )
    source = forms.ModelChoiceField(Source.objects.all(), help_text="The document that reports the action.")
    reason = reason_field()

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == treaty_actions.DEPOSIT and not data.get("instrument"):
            self.add_error("instrument", "Say which instrument was deposited.")
        if action == treaty_actions.DECLARATION and not (data.get("text") or "").strip():
            self.add_error("text", "Give the declaration's text.")
        if action == treaty_actions.SIGNATURE and data.get("notification"):
            self.add_error(
                "notification", "The tracker keeps no notification for a signature: leave it empty."
            )
        if data.get("notification_date") and not data.get("notification"):
            self.add_error("notification", "Give the notification's symbol with its date.")
        return data


def _model_errors(form, error):
    fields = {
        "signature_date": "date",
        "deposit_date": "date",
        "withdrawal_notice_date": "date",
        "instrument": "instrument",
        "deposit_notification_date": "notification_date",
        "withdrawal_notification_date": "notification_date",
        "text": "text",
        "kind": "kind",
    }
    for name, messages_ in getattr(error, "message_dict", {"__all__": error.messages}).items():
        for message in messages_:
            form.add_error(fields.get(name), message)


def treaty_action_view(request, model_admin):
    perms = (
        "add_participation",
        "change_participation",
        "add_declaration",
        "change_obligation",
        "change_state",
    )
    if not all(request.user.has_perm(f"tracker.{perm}") for perm in perms):
        raise PermissionDenied
    context = {**model_admin.admin_site.each_context(request), "title": "Record a treaty action"}
    form = TreatyActionForm(request.POST or None, initial={"treaty": Treaty.objects.order_by("pk").first()})
    if request.method != "POST" or not form.is_valid():
        return TemplateResponse(request, "admin/tracker/treaty_action.html", {**context, "form": form})
    data = form.cleaned_data
    treaty, state, action = data["treaty"], data["state"], data["action"]
    if "confirm" in request.POST:
        try:
            seen = signing.loads(request.POST.get("seen", ""), salt=SALT)
            edited = {key: request.POST.get(f"note-{key}", "") for key in seen if key != "participation"}
            request.tracker_reason = data["reason"]
            participation = treaty_actions.record(treaty, state, action, data, edited, seen, data["reason"])
        except signing.BadSignature:
            messages.error(request, "The review was altered or is out of date: review the action again.")
        except treaty_actions.StaleError as error:
            messages.error(request, str(error))
        except ValidationError as error:
            _model_errors(form, error)
            return TemplateResponse(request, "admin/tracker/treaty_action.html", {**context, "form": form})
        else:
            messages.success(request, f"Recorded the {action} of {state} under the {treaty.short_name}.")
            return HttpResponseRedirect(
                reverse("admin:tracker_participation_change", args=[participation.pk])
            )
    try:
        participation, declaration = treaty_actions.prepare(treaty, state, action, data)
    except ValidationError as error:
        _model_errors(form, error)
        return TemplateResponse(request, "admin/tracker/treaty_action.html", {**context, "form": form})
    notes = treaty_actions.stale_notes(participation, action)
    context.update(
        form=form,
        review=True,
        participation=participation,
        declaration=declaration,
        notes=notes,
        seen=signing.dumps(treaty_actions.versions(participation, notes), salt=SALT),
        title=f"Review: the {action} of {state} ({treaty.short_name})",
    )
    return TemplateResponse(request, "admin/tracker/treaty_action.html", context)
