"""The filters of /pledges/, /pledges.csv and /pledges.json.

A plain form: each parameter names a record by its public key (an ISO code, an
organisation's or a meeting's address) or a choice; a value that names nothing
is a form error, which the page ignores with a message and the downloads refuse
with a 400.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tracker.models import Meeting, Organisation, Pledge, State


class PledgeFilterForm(forms.Form):
    donor = forms.CharField(
        label=_("Donor"),
        required=False,
        max_length=60,
        help_text=_("A State's ISO code (e.g. DE) or an organisation's short name (e.g. cmc)."),
    )
    recipient = forms.CharField(
        label=_("Recipient"), required=False, max_length=2, help_text=_("A State's ISO code, e.g. LB.")
    )
    meeting = forms.CharField(
        label=_("Meeting"), required=False, max_length=60, help_text=_("e.g. ccm-2msp.")
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        required=False,
        choices=[("", _("Any purpose")), *Pledge.Purpose.choices, ("none", _("Not stated"))],
    )
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3, help_text=_("e.g. EUR."))

    def clean_donor(self):
        key = self.cleaned_data["donor"].strip()
        if not key:
            return None
        if len(key) == 2 and key.isalpha():
            state = State.objects.filter(iso2=key.upper()).first()
            if state is not None:
                return state
        organisation = Organisation.objects.filter(Q(slug=key.lower())).first()
        if organisation is None:
            raise ValidationError(_("No State or organisation has this code."), code="unknown")
        return organisation

    def clean_recipient(self):
        key = self.cleaned_data["recipient"].strip()
        if not key:
            return None
        state = State.objects.filter(iso2=key.upper()).first() if key.isalpha() else None
        if state is None:
            raise ValidationError(_("No State has this ISO code."), code="unknown")
        return state

    def clean_meeting(self):
        key = self.cleaned_data["meeting"].strip().lower()
        if not key:
            return None
        meeting = Meeting.objects.filter(slug=key).first()
        if meeting is None:
            raise ValidationError(_("No meeting has this address."), code="unknown")
        return meeting

    def clean_currency(self):
        code = self.cleaned_data["currency"].strip().upper()
        if code and not (len(code) == 3 and code.isalpha() and code.isascii()):
            raise ValidationError(_("A currency is three letters (ISO 4217), e.g. EUR."), code="invalid")
        return code

    def filter(self, pledges):
        """``pledges`` narrowed by the valid parameters (invalid ones are left out)."""
        data = {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if name not in self.errors
        }
        donor = data.get("donor")
        if isinstance(donor, State):
            pledges = pledges.filter(donor_state=donor)
        elif isinstance(donor, Organisation):
            pledges = pledges.filter(donor_organisation=donor)
        if data.get("recipient"):
            pledges = pledges.filter(recipients=data["recipient"])
        if data.get("meeting"):
            pledges = pledges.filter(meeting=data["meeting"])
        if data.get("purpose"):
            pledges = pledges.filter(purpose="" if data["purpose"] == "none" else data["purpose"])
        if data.get("currency"):
            pledges = pledges.filter(currency=data["currency"])
        return pledges
