"""Form fields shared by the public filters and the admin's pages."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from tracker.models import EARLIEST, LATEST


class DayField(forms.DateField):
    """An ISO date (as a browser's date picker sends it) between 1900 and 2999.

    Out-of-range dates are refused in words before any date arithmetic can
    overflow (the day after 31 December 9999 does not exist).
    """

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValidationError(
                gettext("Give a date between %(start)s and %(end)s.")
                % {"start": EARLIEST.year, "end": LATEST.year},
                code="out_of_range",
            )
        return day
