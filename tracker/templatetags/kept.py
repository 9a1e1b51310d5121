"""``{% kept key… %}…{% endkept %}``: a part of a Django template rendered once per data version.

The Django templates' twin of the Jinja2 pages' ``fragment`` (tracker/derived.py): the key
names everything the part shows besides the data (the record, the day), the version adds
the language; outside an anonymous public request the part is simply rendered.
"""

from django import template
from django.utils.safestring import mark_safe

from tracker import derived

register = template.Library()


class KeptNode(template.Node):
    def __init__(self, nodelist, key):
        self.nodelist = nodelist
        self.key = key

    def render(self, context):
        key = tuple(part.resolve(context) for part in self.key)
        return derived.memo(("kept", *key), lambda: mark_safe(self.nodelist.render(context)))


@register.tag("kept")
def kept(parser, token):
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError('{% kept %} needs a key: {% kept "name" record.pk %}')
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(nodelist, [parser.compile_filter(bit) for bit in bits])
