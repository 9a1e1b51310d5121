"""{{ state|state_name }}: a State's name in the active language, in Django templates (tracker/i18n.py)."""

from django import template

from tracker.i18n import state_name as name_of

register = template.Library()


@register.filter
def state_name(state):
    return name_of(state)
