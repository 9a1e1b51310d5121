"""Django templates' helpers for the languages (tracker/i18n.py).

{{ state|state_name }}: a State's name in the active language; {{ day|local_date:"j F Y" }}:
Django's |date, with the format as the active language writes it.
"""

from django import template
from django.template.defaultfilters import date

from tracker.i18n import local_format
from tracker.i18n import state_name as name_of

register = template.Library()


@register.filter
def state_name(state):
    return name_of(state)


@register.filter
def local_date(value, format):
    return date(value, local_format(format))
