"""The public pages Jinja2 renders (templates/jinja2/): escaping, helpers, the test client's view of
them; and the leaner row building behind them."""

import datetime
from unittest import mock

import jinja2
from django.http import QueryDict
from django.template import engines
from django.test import SimpleTestCase, TestCase
from django.urls import reverse
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factory
from tracker.addresses import state_address
from tracker.models import Participation, State, Treaty

D = datetime.date

# The pages on Jinja2, each with a fact of the public world it shows.
JINJA2_PAGES = {
    "dashboard": "/",
    "state-list": "/states/",
    "deadline-list": "/deadlines/",
    "report-list": "/reports/",
    "meeting-list": "/meetings/",
    "working-groups": "/working-groups/",
    "change-list": "/changes/",
    "state-detail": "/states/lb/",
}


class Jinja2PagesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def test_the_pages_render_with_jinja2_and_the_test_client_sees_their_context(self):
        for name, path in JINJA2_PAGES.items():
            with self.subTest(path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                self.assertIsInstance(response.templates[0], jinja2.Template)
                self.assertEqual(response.templates[0].name, f"tracker/{name.replace('-', '_')}.html")
                self.assertEqual(response.context["request"].path, path)
                self.assertIn(b'aria-current="page"', response.content)
                self.assertTrue(response.content.rstrip().endswith(b"</html>"))

    def test_a_state_name_is_escaped_in_every_list(self):
        """Autoescaping is on: markup in a recorded name is shown as text, never run."""
        state = State.objects.get(iso2="LB")
        state.name = '<script>alert("x")</script> Lebanon'
        state.save()
        for path in ("/states/", "/deadlines/?applicability=all", "/changes/"):
            with self.subTest(path):
                content = self.client.get(path).content.decode()
                self.assertNotIn("<script>", content)
                self.assertIn("&lt;script&gt;", content)

    def test_state_addresses_are_those_of_the_state_pages(self):
        address = state_address()
        for state in State.objects.all():
            self.assertEqual(address(state), state.get_absolute_url())
            self.assertEqual(self.client.get(address(state)).status_code, 200)

    def test_bad_filters_answer_with_a_message_not_an_error(self):
        for path in ("/states/?as_of=not-a-day&sort=zzz", "/deadlines/?status=zzz", "/changes/?before=zzz"):
            with self.subTest(path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                self.assertIn("not understood", response.content.decode())


class Jinja2HelpersTestCase(SimpleTestCase):
    def render(self, source, **context):
        return engines["jinja2"].from_string(source).render(context)

    def test_date_is_djangos_date_filter_in_the_active_language(self):
        day = D(2026, 1, 5)
        self.assertEqual(self.render('{{ day|date("j F Y") }}', day=day), "5 January 2026")
        with translation.override("fr"):
            # The kept text of a day is kept per language, not shared across languages.
            self.assertEqual(self.render('{{ day|date("j F Y") }}', day=day), "5 janvier 2026")
        self.assertEqual(self.render('{{ day|date("j F Y") }}', day=day), "5 January 2026")
        self.assertEqual(self.render('{{ day|date("j M Y") }}', day=None), "")

    def test_datetimes_are_shown_in_the_site_time_zone_as_in_django_templates(self):
        moment = datetime.datetime(2026, 1, 5, 23, 30, tzinfo=datetime.UTC)
        django_text = engines["django"].from_string('{{ t|date:"j M Y, H:i" }}').render({"t": moment})
        self.assertEqual(self.render('{{ t|date("j M Y, H:i") }}', t=moment), django_text)
        with self.settings(TIME_ZONE="Asia/Tokyo"):
            self.assertEqual(self.render('{{ t|date("j M Y, H:i") }}', t=moment), "6 Jan 2026, 08:30")

    def test_querystring_is_djangos(self):
        query = QueryDict("status=party&region=africa")
        self.assertEqual(self.render("{{ querystring(q) }}", q=query), "?status=party&amp;region=africa")
        self.assertEqual(self.render("{{ querystring(q, status=None) }}", q=query), "?region=africa")
        self.assertEqual(self.render("{{ querystring(q) }}", q=QueryDict()), "")

    def test_default_treats_every_empty_value_as_django_does(self):
        for value in (None, "", 0, []):
            self.assertEqual(self.render('{{ v|default("—") }}', v=value), "—")
        self.assertEqual(self.render('{{ v|default("—") }}', v="x"), "x")
        # A missing value, or an attribute of one, shows as nothing, as in Django templates.
        self.assertEqual(self.render("[{{ missing.name.more }}]"), "[]")

    def test_url_and_static(self):
        self.assertEqual(self.render("{{ url('state-detail', 'lb') }}"), reverse("state-detail", args=["lb"]))
        self.assertTrue(self.render("{{ static('tracker/site.css') }}").endswith("tracker/site.css"))

    def test_text_is_escaped_and_marked_safe_html_is_not(self):
        self.assertEqual(self.render("{{ v }}", v="<b>&"), "&lt;b&gt;&amp;")
        self.assertEqual(self.render("{{ v|linebreaks }}", v="a <b>\n\nc"), "<p>a &lt;b&gt;</p>\n\n<p>c</p>")

    def test_translations_use_djangos_active_language(self):
        with translation.override("fr"):
            self.assertEqual(
                self.render('{{ _("January") }} {% trans %}January{% endtrans %}'), "janvier janvier"
            )
        self.assertEqual(self.render('{{ _("January") }}'), "January")

    def test_translations_answer_as_jinjas_newstyle_gettext(self):
        """Variables are escaped, the message is not, and %% is one % with or without variables,
        the same message answering with and without them (tracker.jinja2.page_gettext)."""
        source = '{{ _("<b>%(name)s</b> 100%%", name=v) }}|{% trans name=v %}<i>{{ name }}</i>{% endtrans %}'
        for _ in range(2):  # the second time from what was kept
            self.assertEqual(self.render(source, v="A & B"), "<b>A &amp; B</b> 100%|<i>A &amp; B</i>")
            self.assertEqual(self.render('{{ _("100%%") }}'), "100%")
            self.assertEqual(self.render('{{ _("<b>%(name)s</b> 100%%", name="x") }}'), "<b>x</b> 100%")


FIELDS = (
    "signature_date",
    "deposit_date",
    "instrument",
    "provisional_application_date",
    "entry_into_force_date",
    "withdrawal_notice_date",
    "withdrawal_effective_date",
    "in_conflict_at_expiry",
    "conflict_ended_on",
)
days = st.one_of(st.none(), st.dates(min_value=D(2008, 1, 1), max_value=D(2030, 12, 31)))


class KnownOnTestCase(SimpleTestCase):
    """Participation.known_on skips its copy when nothing is after the day: the same facts either way."""

    @settings(max_examples=300, deadline=None)
    @given(
        signature=days,
        deposit=days,
        provisional=days,
        entry=days,
        notice=days,
        effective=days,
        conflict=st.booleans(),
        ended=days,
        threshold=days,
        as_of=st.dates(min_value=D(2008, 1, 1), max_value=D(2030, 12, 31)),
    )
    def test_the_same_facts_as_the_copy(
        self, signature, deposit, provisional, entry, notice, effective, conflict, ended, threshold, as_of
    ):
        treaty = Treaty(slug="t", threshold_date=threshold)
        participation = Participation(
            treaty=treaty,
            signature_date=signature,
            deposit_date=deposit,
            instrument="ratification" if deposit else "",
            provisional_application_date=provisional,
            entry_into_force_date=entry,
            withdrawal_notice_date=notice,
            withdrawal_effective_date=effective,
            in_conflict_at_expiry=conflict,
            conflict_ended_on=ended,
        )
        known = participation.known_on(as_of)
        with mock.patch.object(Participation, "_changes_after", return_value=True):
            copied = participation.known_on(as_of)
        self.assertEqual([getattr(known, f) for f in FIELDS], [getattr(copied, f) for f in FIELDS])
        # The original is never changed.
        self.assertEqual(participation.signature_date, signature)
        self.assertEqual(participation.entry_into_force_date, entry)
