"""The public site in English, French and Spanish (docs/public-site.md, "Languages").

A page's language comes from its address and nothing else: ``/fr/…`` is French,
``/es/…`` Spanish, and an address without a prefix is British English, whatever the
browser's Accept-Language or a cookie say. So a page's address alone decides its text,
and the page cache (tracker/caching.py) stays right without varying on headers.

States' names in French and Spanish come from pycountry's translations of ISO 3166-1
(the tracker's own English names, which follow UN usage, are kept for English).
"""

import functools
import gettext
import unicodedata

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponsePermanentRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import translate_url
from django.utils import translation
from django.utils.safestring import mark_safe


def url_language(code=None):
    """Return the LANGUAGES code of a language (the active one by default): "en" for "en-gb"."""
    return translation.get_supported_language_variant(code or translation.get_language() or "en")


def path_language(path):
    """Return the language an address asks for: its prefix's, or the default (LANGUAGE_CODE).

    Kept per first segment of the address (the page cache asks it on every request).
    """
    return _segment_language(path.split("/", 2)[1] if path.startswith("/") else "")


@functools.lru_cache(maxsize=64)
def _segment_language(segment):
    return translation.get_language_from_path(f"/{segment}/") or settings.LANGUAGE_CODE


class PathLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, reading the language from the address only.

    Django's would fall back to the language cookie and Accept-Language for addresses
    outside i18n_patterns (the API, the downloads) and mark every unprefixed page as
    varying on Accept-Language; here neither happens. ``/en/…`` (English has no
    prefix) is sent permanently to the same address without it.
    """

    def process_request(self, request):
        prefix = translation.get_language_from_path(request.path_info)
        if prefix and url_language(prefix) == url_language(settings.LANGUAGE_CODE):
            segment = request.path_info.split("/")[1]
            path = (
                request.path[: len(request.path) - len(request.path_info)]
                + request.path_info[len(segment) + 1 :]
            )
            if not path.endswith("/") and not request.path_info[len(segment) + 1 :]:
                path += "/"  # "/en" itself
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(path + ("?" + query if query else ""))
        translation.activate(prefix or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", url_language())
        # The page is made: what runs next in this thread (outside any request, such as a
        # test's reverse()) is in the default language again.
        translation.activate(settings.LANGUAGE_CODE)
        return response


@functools.lru_cache(maxsize=4096)
def _translated_address(path, language, active):
    """Django's translate_url() (which reads the address in the ``active`` language), kept:
    every page asks it for each language, and it resolves and reverses the address each time."""
    return translate_url(path, language)


@receiver(setting_changed)
def _forget_what_settings_decide(setting, **kwargs):
    if setting in ("ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE"):
        _translated_address.cache_clear()
        _segment_language.cache_clear()


def absolute_or_relative(request, path):
    """The absolute address of ``path`` on this site, or ``path`` itself for a refused host.

    The 400 page answering a request whose Host is not allowed is rendered for that
    request too: it must not ask for the host again.
    """
    try:
        return request.build_absolute_uri(path)
    except DisallowedHost:
        return path


def alternates(request):
    """Return the page's address in each language, as dicts (code, name, href, absolute, current).

    Addresses outside i18n_patterns (and unknown ones) are the same in every language.
    """
    current = url_language()
    path = request.get_full_path()
    links = []
    for code, name in settings.LANGUAGES:
        target = settings.LANGUAGE_CODE if code == url_language(settings.LANGUAGE_CODE) else code
        href = _translated_address(path, target, translation.get_language())
        links.append(
            {
                "code": code,
                "name": name,
                "href": href,
                "absolute": absolute_or_relative(request, href),
                "current": code == current,
            }
        )
    return links


def languages(request):
    """Context processor: the page's language and its addresses in the others (both template engines)."""
    links = alternates(request)
    language = url_language()
    return {
        "page_language": language,
        # On a French or Spanish page, an attribute for text recorded in English (treaties'
        # and meetings' names, editors' notes): screen readers then read it as English.
        "data_lang": mark_safe(' lang="en"') if language != "en" else "",
        "language_links": links,
        # hreflang links only where the page exists in several languages.
        "translated_page": len({link["href"] for link in links}) > 1,
    }


# Where pycountry's name reads oddly in running text or differs from UN usage
# (docs/public-site.md, "Languages", lists them).
NAME_OVERRIDES = {
    "fr": {
        "KR": "République de Corée",
        "LA": "République démocratique populaire lao",
        "RU": "Fédération de Russie",
        "SY": "République arabe syrienne",
        "MM": "Myanmar",
        "TL": "Timor-Leste",
        "CV": "Cabo Verde",
        "VE": "Venezuela (République bolivarienne du)",
    },
    "es": {
        "KR": "República de Corea",
        "CD": "República Democrática del Congo",
        "CI": "Côte d'Ivoire",
        "MM": "Myanmar",
        "TL": "Timor-Leste",
    },
}


@functools.lru_cache(maxsize=8)
def country_names(language):
    """Return {ISO alpha-2: name} in a language (read once per language), {} for English."""
    language = url_language(language)
    if language == "en":
        return {}
    import pycountry

    try:
        catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return {}
    names = {}
    for country in pycountry.countries:
        name = catalogue.gettext(country.name)
        official = getattr(country, "official_name", None)
        if ", " in name and official and catalogue.gettext(official) != official:
            # "Corée, République de" is an index form; the official name reads as a name.
            name = catalogue.gettext(official)
        names[country.alpha_2] = name
    names.update(NAME_OVERRIDES.get(language, {}))
    return names


def state_name(state):
    """Return a State's name in the active language (its recorded name in English)."""
    if state is None:
        return ""
    iso2 = (getattr(state, "iso2", "") or "").upper()
    return country_names(translation.get_language() or settings.LANGUAGE_CODE).get(iso2, state.name)


def state_namer():
    """state_name() for many States: the active language looked up once."""
    names = country_names(translation.get_language() or settings.LANGUAGE_CODE)
    return lambda state: names.get((state.iso2 or "").upper(), state.name)


@functools.lru_cache(maxsize=4096)
def name_sort_key(name):
    """A sort key for names in any language, the same on every machine (no system locale):
    accents are ignored ("Éthiopie" sorts with "Ethiopie"), then case."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return (plain.casefold(), name)


# The templates' explicit date formats, as each language writes them where Django's
# letters alone would not: Spanish says "1 de diciembre de 2026". (French and English
# read right as they are: "1 décembre 2026", "1 December 2026".)
LOCAL_FORMATS = {
    "es": {"j F Y": r"j \d\e F \d\e Y", "F Y": r"F \d\e Y"},
}


def local_format(format):
    """Return a date format (Django's letters) as the active language writes it."""
    if format is None:
        return None
    return LOCAL_FORMATS.get(url_language(), {}).get(format, format)
