"""Reconcile with the depositary: upload its status list, see every difference, apply the ticked ones.

The first step reads the file (XML, HTML or CSV) and compares it with the
treaty's record (``tracker.reconciliation``); the page lists every difference
and carries the comparison, signed, to the second step. There the editor ticks
rows, gives one reason and a source, and the ticked differences are saved
through the models, each with that reason in its history. A record changed by
someone else in between refuses the whole apply, in words.
"""

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from tracker import depositary, reconciliation
from tracker.admin.forms import reason_field
from tracker.models import Source, Treaty

MAX_BYTES = 5 * 1024 * 1024
KIND_CHOICES = (
    ("", "Tell by the content"),
    ("xml", "The depositary's XML file"),
    ("html", "The status page saved as HTML"),
    ("csv", "A CSV scrape (Participant, Signature, …)"),
)


class UploadForm(forms.Form):
    treaty = forms.ModelChoiceField(Treaty.objects.all(), empty_label=None)
    status_file = forms.FileField(
        label="Status list",
        help_text="The UN Treaty Collection's status list of the treaty: its XML file (XXVI-6.en.xml for "
        "the CCM), the status page saved as HTML, or a CSV scrape with the page's columns.",
    )
    kind = forms.ChoiceField(label="Kind of file", choices=KIND_CHOICES, required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("status_file")
        if upload is None or data.get("treaty") is None:
            return data
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB: a status list is a few hundred KB.")
        try:
            data["status_list"] = depositary.read(upload.read(), data.get("kind") or "")
        except depositary.DepositaryFormatError as error:
            self.add_error("status_file", str(error))
        return data


class ApplyForm(forms.Form):
    comparison = forms.CharField(widget=forms.HiddenInput)
    chosen = forms.MultipleChoiceField(
        label="Differences to apply", required=True, widget=forms.CheckboxSelectMultiple
    )
    source = forms.ModelChoiceField(
        Source.objects.all(),
        help_text="The document the applied facts cite: the depositary's status list.",
    )
    reason = reason_field()

    def __init__(self, *args, differences=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chosen"].choices = [(d.key, d.key) for d in differences if d.applicable]
        self.fields["chosen"].error_messages["required"] = "Tick at least one difference to apply."
        self.fields["chosen"].error_messages["invalid_choice"] = (
            "A ticked row is not among the differences that can be applied: upload the file again."
        )


def reconcile_view(request, model_admin):
    if not request.user.has_perm("tracker.view_participation"):
        raise PermissionDenied
    can_apply = all(
        request.user.has_perm(f"tracker.{perm}")
        for perm in ("add_participation", "change_participation", "add_declaration", "change_state")
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Reconcile with the depositary",
        "can_apply": can_apply,
    }
    if request.method == "POST" and "comparison" in request.POST:
        return _apply(request, context, can_apply)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        treaty, status_list = form.cleaned_data["treaty"], form.cleaned_data["status_list"]
        differences = reconciliation.compare(status_list, treaty)
        apply_form = ApplyForm(
            differences=differences,
            initial={"comparison": reconciliation.sign(differences, treaty), "source": treaty.source_id},
        )
        return _preview(request, context, treaty, differences, apply_form, status_list)
    return TemplateResponse(request, "admin/tracker/reconcile.html", {**context, "form": form})


def _preview(request, context, treaty, differences, apply_form, status_list=None):
    context.update(
        treaty=treaty,
        differences=differences,
        applicable=[d for d in differences if d.applicable],
        status_list=status_list,
        apply_form=apply_form,
        chosen=set(apply_form["chosen"].value() or ()),
    )
    return TemplateResponse(request, "admin/tracker/reconcile_preview.html", context)


def _apply(request, context, can_apply):
    here = reverse("admin:tracker_reconcile")
    if not can_apply:
        messages.error(
            request,
            "You may compare but not apply: applying needs the right to add and change "
            "participations and declarations and to change States.",
        )
        return HttpResponseRedirect(here)
    try:
        treaty_id, differences = reconciliation.unsign(request.POST.get("comparison", ""))
        treaty = Treaty.objects.get(pk=treaty_id)
    except (signing.BadSignature, Treaty.DoesNotExist, KeyError, TypeError):
        messages.error(request, "The comparison was altered or is out of date: upload the file again.")
        return HttpResponseRedirect(here)
    form = ApplyForm(request.POST, differences=differences)
    if not form.is_valid():
        return _preview(request, context, treaty, differences, form)
    chosen = set(form.cleaned_data["chosen"])
    request.tracker_reason = form.cleaned_data["reason"]
    try:
        count = reconciliation.apply(
            [d for d in differences if d.key in chosen],
            treaty,
            form.cleaned_data["reason"],
            form.cleaned_data["source"],
        )
    except (reconciliation.StaleError, reconciliation.ApplyError) as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(here)
    messages.success(
        request, f"Applied {count} difference(s) to the {treaty.short_name}, each with your reason."
    )
    return HttpResponseRedirect(here)
