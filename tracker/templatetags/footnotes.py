from django import template

register = template.Library()


@register.filter
def note_number(notes, source):
    """``{{ source_notes|note_number:source }}``: the source's number in the page's list of sources."""
    return notes.number(source)
