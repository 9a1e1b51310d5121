"""The public site in French and Spanish (tracker/i18n.py, docs/public-site.md, "Languages")."""

import ast
import datetime
import gettext
import html
import re
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.test import SimpleTestCase, TestCase, override_settings
from django.utils import translation

from tests import factory
from tracker import partial_dates
from tracker.i18n import name_sort_key, state_name
from tracker.jinja2 import environment
from tracker.models import Meeting, State, Treaty

D = datetime.date
LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("fr", "es")


def read_po(language):
    """Return the .po file's entries as dicts: msgid, msgid_plural, msgstr (a list), flags."""
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.strip().split("\n\n"):
        entry = {
            "msgctxt": None,
            "msgid": None,
            "msgid_plural": None,
            "msgstr": [],
            "flags": set(),
            "obsolete": False,
        }
        key = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                value = ast.literal_eval(line)
                if key == "msgstr":
                    entry["msgstr"][-1] += value
                else:
                    entry[key] += value
            else:
                name, _, value = line.partition(" ")
                value = ast.literal_eval(value)
                if name.startswith("msgstr"):
                    key = "msgstr"
                    entry["msgstr"].append(value)
                else:
                    key = name
                    entry[name] = value
        entries.append(entry)
    return entries


def jinja2_messages():
    """Every message the Jinja2 templates mark for translation, as Jinja2's extractor finds it."""
    env = environment()
    found = set()
    for path in sorted((Path(settings.BASE_DIR) / "templates" / "jinja2").rglob("*.html")):
        for _line, _function, message in env.extract_translations(path.read_text(encoding="utf-8")):
            parts = message if isinstance(message, tuple) else (message,)
            if isinstance(parts[0], str):
                found.add(parts[0])
    return found


class CatalogueTestCase(SimpleTestCase):
    """The translations are complete, and the compiled files say what the .po files say."""

    def test_every_message_has_a_translation(self):
        """No empty, fuzzy or obsolete entry in fr or es: no English label left in the interface."""
        for language in LANGUAGES:
            for entry in read_po(language)[1:]:
                with self.subTest(language=language, msgid=entry["msgid"]):
                    self.assertFalse(entry["obsolete"])
                    self.assertNotIn("fuzzy", entry["flags"])
                    self.assertTrue(entry["msgstr"] and all(entry["msgstr"]), "not translated")

    def test_every_jinja2_message_is_in_the_catalogues(self):
        """makemessages was run after the Jinja2 templates last changed (tracker/management/commands/makemessages.py)."""
        messages = jinja2_messages()
        self.assertGreater(len(messages), 100)
        for language in LANGUAGES:
            known = {entry["msgid"] for entry in read_po(language)}
            self.assertEqual(sorted(messages - known), [], f"{language}: run manage.py makemessages")

    def test_the_compiled_catalogues_match_the_po_files(self):
        """django.mo is compiled from the current django.po (manage.py compilemessages)."""
        for language in LANGUAGES:
            with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as compiled:
                catalogue = gettext.GNUTranslations(compiled)
            for entry in read_po(language)[1:]:
                with self.subTest(language=language, msgid=entry["msgid"]):
                    if entry["msgctxt"]:
                        self.assertEqual(
                            catalogue.pgettext(entry["msgctxt"], entry["msgid"]), entry["msgstr"][0]
                        )
                    elif entry["msgid_plural"]:
                        self.assertEqual(
                            catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 1), entry["msgstr"][0]
                        )
                        self.assertEqual(
                            catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 5), entry["msgstr"][1]
                        )
                    else:
                        self.assertEqual(catalogue.gettext(entry["msgid"]), entry["msgstr"][0])


class StateNameTestCase(SimpleTestCase):
    def test_names_come_from_pycountry_in_french_and_spanish(self):
        """A State's name follows the language; English keeps the tracker's own (UN) name."""
        laos = State(iso2="LA", name="Lao People's Democratic Republic")
        korea = State(iso2="KR", name="Republic of Korea")
        lebanon = State(iso2="LB", name="Lebanon")
        self.assertEqual(state_name(laos), "Lao People's Democratic Republic")
        with translation.override("fr"):
            self.assertEqual(state_name(lebanon), "Liban")
            self.assertEqual(state_name(korea), "République de Corée")
            self.assertEqual(state_name(laos), "République démocratique populaire lao")
            self.assertEqual(state_name(State(iso2="BO", name="Bolivia")), "État plurinational de Bolivie")
        with translation.override("es"):
            self.assertEqual(state_name(lebanon), "Líbano")
            self.assertEqual(state_name(korea), "República de Corea")
        with translation.override("fr"):
            # A code pycountry does not know keeps the recorded name.
            self.assertEqual(state_name(State(iso2="XK", name="Kosovo")), "Kosovo")

    def test_names_sort_without_regard_to_accents(self):
        names = ["Liban", "États-Unis", "Autriche", "Estonie", "Éthiopie"]
        self.assertEqual(
            sorted(names, key=name_sort_key), ["Autriche", "Estonie", "États-Unis", "Éthiopie", "Liban"]
        )

    def test_dates_in_words_follow_the_language(self):
        self.assertEqual(partial_dates.display(D(2026, 12, 1)), "1 December 2026")
        with translation.override("fr"):
            self.assertEqual(partial_dates.display(D(2026, 12, 1)), "1 décembre 2026")
            self.assertEqual(partial_dates.display(D(2011, 9, 1), partial_dates.LATE), "fin 2011")
        with translation.override("es"):
            self.assertEqual(partial_dates.display(D(2026, 12, 1)), "1 de diciembre de 2026")
            self.assertEqual(partial_dates.display(D(2011, 9, 1), partial_dates.MONTH), "septiembre de 2011")


def visible_text(content):
    """The page's text as a reader sees it (no tags, scripts or attribute values)."""
    body = content.decode()
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


class LanguagesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def test_unprefixed_pages_are_english_whatever_the_browser_says(self):
        """No redirect and no French from Accept-Language or a language cookie: the address decides."""
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        response = self.client.get("/states/", headers={"accept-language": "fr,es;q=0.8"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<html lang="en">')
        self.assertContains(response, "<h1>States and the Convention on Cluster Munitions</h1>")
        self.assertEqual(response["Content-Language"], "en")
        self.assertNotIn("Accept-Language", response.get("Vary", ""))

    def test_french_and_spanish_pages(self):
        """/fr/ and /es/ pages: the lang attribute, the interface, States' names and dates."""
        url = "/states/lb/"
        response = self.client.get("/fr" + url)
        self.assertContains(response, '<html lang="fr">')
        self.assertEqual(response["Content-Language"], "fr")
        self.assertContains(response, "<h1>Liban</h1>", html=False)
        self.assertContains(response, "Entrée en vigueur")
        self.assertContains(response, "3 décembre 2008")
        # Text recorded in English is marked as such on a French page (a treaty's name here).
        self.assertContains(response, '<h2 id="treaty-ccm" lang="en">')
        self.assertContains(self.client.get(url), '<h2 id="treaty-ccm">')
        response = self.client.get("/es" + url)
        self.assertContains(response, '<html lang="es">')
        self.assertContains(response, "<h1>Líbano</h1>", html=False)
        self.assertContains(response, "3 de diciembre de 2008")

    def test_links_stay_in_the_language(self):
        response = self.client.get("/fr/states/")
        self.assertContains(response, 'href="/fr/states/lb/"')
        self.assertContains(response, 'href="/fr/deadlines/"')
        # Downloads are data, in English, at one address.
        self.assertContains(response, 'href="/states.csv"')

    def test_switcher_and_hreflang(self):
        """The header links to the same page (and query) in each language; <head> names the alternates."""
        response = self.client.get("/fr/states/?region=asia")
        content = response.content.decode()
        self.assertIn('<a href="/states/?region=asia" lang="en" hreflang="en">English</a>', content)
        self.assertIn(
            '<a href="/fr/states/?region=asia" lang="fr" hreflang="fr" aria-current="true">Français</a>',
            content,
        )
        self.assertIn('<a href="/es/states/?region=asia" lang="es" hreflang="es">Español</a>', content)
        for code, prefix in (("en", ""), ("fr", "/fr"), ("es", "/es"), ("x-default", "")):
            self.assertIn(
                f'<link rel="alternate" hreflang="{code}" href="http://testserver{prefix}/states/?region=asia">',
                content,
            )

    def test_django_template_pages_are_translated_too(self):
        response = self.client.get("/es" + self.w.msp3.get_absolute_url())
        self.assertContains(response, '<html lang="es">')
        self.assertContains(response, "Cuándo y dónde")
        self.assertContains(response, 'hreflang="fr"')
        response = self.client.get("/fr/pledges/")
        self.assertContains(response, "<h1>Contributions annoncées</h1>")

    def test_french_list_sorts_by_french_name(self):
        """The States list sorts by the name shown: États-Unis among the E's, not after Z."""
        response = self.client.get("/fr/states/")
        names = list(re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', response.content.decode()))
        self.assertEqual(names, sorted(names, key=name_sort_key))
        self.assertLess(names.index("États-Unis"), names.index("Liban"))

    def test_the_map_is_translated(self):
        response = self.client.get("/fr/map.svg")
        self.assertContains(response, "<title>Liban: État partie, traité en vigueur à son égard</title>")
        self.assertContains(response, "Carte du monde")

    def test_addresses_that_have_no_language(self):
        """English has no prefix; the data, the API and the admin exist only unprefixed."""
        response = self.client.get("/en/states/?region=asia")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response["Location"], "/states/?region=asia")
        for url in ("/en", "/en/"):
            self.assertEqual(self.client.get(url)["Location"], "/")
        for url in ("/fr/states.csv", "/fr/api/v1/states", "/fr/admin/", "/es/deadlines.ics"):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
        response = self.client.get("/states.csv", headers={"accept-language": "fr"})
        self.assertContains(response, "Lebanon")
        self.assertNotContains(response, "Liban")
        response = self.client.get("/fr/nowhere/")
        self.assertContains(response, "Page introuvable", status_code=404)
        self.assertContains(response, '<html lang="fr">', status_code=404)

    def test_french_pages_show_no_english_interface_text(self):
        """A sample check: none of the interface's English messages is left on the French pages."""
        english = {
            entry["msgid"]
            for entry in read_po("fr")[1:]
            if entry["msgstr"][0] != entry["msgid"]
            and len(entry["msgid"].split()) >= 2
            and "%" not in entry["msgid"]
        }
        pages = [
            "/fr/",
            "/fr/states/",
            "/fr/states/lb/",
            "/fr/deadlines/",
            "/fr/reports/",
            "/fr/working-groups/",
            "/fr/pledges/",
        ]
        # (Not /fr/changes/: its field names are the models' verbose names, still English;
        # docs/public-site.md, "Languages".)
        pages.append("/fr" + self.w.msp3.get_absolute_url())
        data = [
            *Meeting.objects.values_list("name", flat=True),
            *Treaty.objects.values_list("name", flat=True),
        ]
        for page in pages:
            with self.subTest(page=page):
                response = self.client.get(page)
                self.assertEqual(response.status_code, 200)
                text = visible_text(response.content)
                # Data stays in the language it was recorded in (a meeting's name, a treaty's).
                for recorded in data:
                    text = text.replace(recorded, " ")
                left = sorted(m for m in english if re.search(r"(?<!\w)" + re.escape(m) + r"(?!\w)", text))
                self.assertEqual(left, [])


@override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=600)
class LanguageCacheTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def setUp(self):
        cache.clear()

    def test_each_language_has_its_own_etag_and_cached_page(self):
        english = self.client.get("/states/")
        french = self.client.get("/fr/states/")
        self.assertNotEqual(english["ETag"], french["ETag"])
        self.assertEqual((english["X-Cache"], french["X-Cache"]), ("miss", "miss"))
        english_again = self.client.get("/states/", headers={"accept-language": "fr"})
        french_again = self.client.get("/fr/states/")
        self.assertEqual((english_again["X-Cache"], french_again["X-Cache"]), ("hit", "hit"))
        self.assertIn(b'<html lang="en">', english_again.content)
        self.assertIn(b"<h1>States and the Convention on Cluster Munitions</h1>", english_again.content)
        self.assertIn(b'<html lang="fr">', french_again.content)
        self.assertIn(
            "<h1>Les États et le traité Convention on Cluster Munitions</h1>".encode(), french_again.content
        )
        # The French ETag does not validate the English page.
        response = self.client.get("/states/", headers={"if-none-match": french["ETag"]})
        self.assertEqual(response.status_code, 200)
