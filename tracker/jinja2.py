"""The Jinja2 environment of the public pages rendered by Jinja2 (templates/jinja2/).

Django's template language spends most of a long list's time resolving variables
and running filters per cell; Jinja2 compiles a template to Python once, so a row
costs a few attribute reads (docs/performance.md, "Render fast"). The admin and the
other pages stay on Django templates. Autoescaping is on, as in Django templates.

What the templates may call, named as in Django templates where there is one:
``url(name, *args)``, ``static(path)``, ``querystring(query, **changes)`` (Django's
``{% querystring %}``), ``state_name(state)`` (a State's name in the page's language,
tracker/i18n.py), the filters ``date`` (its format as the page's language writes it),
``timesince``, ``timeuntil``, ``default`` (Django's: empty values too, not only undefined
ones), ``capfirst``, ``linebreaks`` and ``linebreaksbr``, ``fragment`` (``{% call fragment(key…) %}…{% endcall %}``:
the body rendered once per data version, tracker.derived) with ``keys(items, "a.b")`` for a
list's key, and translation with Jinja2's i18n
extension (``{% trans %}…{% endtrans %}``, trimmed, and ``_("…")``) through Django's gettext
in the active language (docs/public-site.md, "Languages").
"""

import datetime
import functools
import operator

from django.http import QueryDict
from django.template.defaultfilters import date as django_date
from django.template.defaultfilters import linebreaksbr as django_linebreaksbr
from django.template.defaultfilters import timesince_filter, timeuntil_filter
from django.template.defaulttags import querystring as django_querystring
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext, ngettext
from jinja2 import ChainableUndefined, Environment, pass_context
from markupsafe import Markup

from tracker import derived
from tracker.i18n import local_format, state_name


def url(name, *args, **kwargs):
    """Django's reverse(), kept per address name, arguments, language and script prefix: every page
    reverses the same navigation links, at tens of microseconds each."""
    if kwargs:
        return reverse(name, kwargs=kwargs)
    return _reversed(name, args, get_language(), get_script_prefix())


@functools.lru_cache(maxsize=4096)
def _reversed(name, args, language, prefix):
    return reverse(name, args=args or None)


def querystring(query, **changes):
    """Django's {% querystring query name=value %}: the query with changes, "?…", or "" when empty.

    Kept per query and changes: a list page asks for a dozen of them (its sort links, its
    filter chips, its downloads), each copying the query. Values of other types than text,
    numbers and lists of them go to Django's directly.
    """
    try:
        key = (
            tuple((name, tuple(values)) for name, values in query.lists()),
            tuple(
                (name, tuple(value) if isinstance(value, list | tuple) else value)
                for name, value in changes.items()
            ),
        )
        hash(key)
    except (AttributeError, TypeError):
        return django_querystring(None, query, **changes)
    return _querystring(key)


@functools.lru_cache(maxsize=4096)
def _querystring(key):
    items, changes = key
    query = QueryDict(mutable=True)
    for name, values in items:
        query.setlist(name, list(values))
    return django_querystring(
        None, query, **{name: list(value) if isinstance(value, tuple) else value for name, value in changes}
    )


def _page_language(context):
    """The page's language from its context (tracker.i18n.languages()), else the active one."""
    return context.get("page_language") or get_language()


@functools.lru_cache(maxsize=8192)
def _date(value, format, language):
    return django_date(value, local_format(format))


@pass_context
def date(context, value, format=None):
    """Django's |date. A day's text is kept (per format and language, the page's from its
    context when it is there): long lists show the same days again and again, and Django's
    date formatting is slow; times are shown in the site's time zone, as Django templates show
    them."""
    if type(value) is datetime.date:
        return _date(value, format, _page_language(context))
    format = local_format(format)
    if isinstance(value, datetime.datetime):
        value = template_localtime(value)
    return django_date(value, format)


@pass_context
def fragment(context, *key, caller, cites=True):
    """tracker.derived.fragment(), told of the page's numbered sources when it has them and the
    body may cite one (``cites``)."""
    return derived.fragment(*key, caller=caller, notes=context.get("source_notes") if cites else None)


def keys(items, *attributes):
    """The tuple of each item's ``attributes`` (dotted paths): a fragment's key for a list of rows,
    e.g. ``keys(rows, "state.pk")``."""
    getters = [operator.attrgetter(attribute) for attribute in attributes]
    if len(getters) == 1:
        return tuple(map(getters[0], items))
    return tuple(tuple(get(item) for get in getters) for item in items)


def linebreaksbr(value):
    """Django's |linebreaksbr: the text escaped, its line breaks as <br>."""
    return django_linebreaksbr(value, autoescape=True)


def default(value, fallback=""):
    """Django's |default: the fallback for any false value (None, "", 0, an empty list)."""
    return value or fallback


# Translated messages, per language, autoescaping and message (page_gettext()).
_translated = {}
TRANSLATED_BOUND = 20_000


@pass_context
def page_gettext(__context, __message, **variables):
    """Jinja2's ``_("…")`` and ``{% trans %}``: Django's gettext, each answer kept per language and message.

    A page asks for a few hundred messages, and Django looks each one up through
    a chain of catalogs (one per application) on every call; the catalogs do not
    change while the process runs. The page's language is read from its context
    (tracker.i18n.languages()) when it is there. The store is bounded, in case a
    template translates a value rather than a fixed message.

    It answers as the i18n extension's own "newstyle" gettext does (the translation
    marked safe when autoescaping, then ``%`` with the variables, which escapes
    them) in one call instead of three: a message without variables is kept as it
    is shown.
    """
    autoescape = __context.eval_ctx.autoescape
    key = (_page_language(__context), autoescape, type(__message), __message, not variables)
    text = _translated.get(key)
    if text is None:
        if len(_translated) >= TRANSLATED_BOUND:
            _translated.clear()
        text = gettext(__message)
        if autoescape:
            text = Markup(text)
        if not variables:
            text = text % {}
        _translated[key] = text
    return text % variables if variables else text


def environment(**options):
    # As in Django templates, a missing value (or an attribute of one) shows as nothing,
    # with DEBUG on as well (Django's default there would print the lookup).
    options["undefined"] = ChainableUndefined
    # Translations: Jinja2's {% trans %} and _() with Django's gettext (the active language).
    options["extensions"] = [*options.get("extensions", []), "jinja2.ext.i18n"]
    env = Environment(**options)
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    # gettext and _() answered in one call, each message kept (page_gettext()).
    env.globals.update({"gettext": page_gettext, "_": page_gettext})
    # {% trans %} blocks' white space is collapsed, so a message wraps as the HTML does.
    env.policies["ext.i18n.trimmed"] = True
    env.globals.update(
        {
            "url": url,
            "static": static,
            "querystring": querystring,
            "state_name": state_name,
            "fragment": fragment,
            "keys": keys,
        }
    )
    env.filters.update(
        {
            "date": date,
            "timesince": timesince_filter,
            "timeuntil": timeuntil_filter,
            "default": default,
            "capfirst": capfirst,
            "linebreaks": lambda value: mark_safe(linebreaks(value, autoescape=True)),
            "linebreaksbr": linebreaksbr,
        }
    )
    return env
