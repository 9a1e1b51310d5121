"""Every public page with the shipped data, and hostile input on every public address."""

import json

import pytest
from django.test import TestCase
from django.urls import reverse

from tests import factory
from tests.shipped import load_shipped_data
from tracker.models import State

# (address, is it an HTML page?)
PUBLIC_URLS = [
    ("/", True),
    ("/states/", True),
    ("/states.csv", False),
    ("/states.json", False),
    ("/states/lb/", True),
    ("/states/lb/history/", True),
    ("/deadlines/", True),
    ("/deadlines.ics", False),
    ("/working-groups/", True),
    ("/meetings/", True),
    ("/changes/", True),
    ("/changes/feed/", False),
]

HOSTILE_QUERIES = [
    "status=zzz&as_of=not-a-date&region=%00&sort=evil&treaty=nope",
    "as_of=0000-01-01&deadline_before=99999-12-31",
    "as_of=9999-12-31&start=0001-01-01&end=9999-12-31",
    "q=%00&state=%00&kind=%00&treaty=%00&applicability=%00",
    "q=" + "x" * 5000,
    "q=%FF%FE%FD&state=%C3%28",
    "before=not-a-cursor&start=2011-13-45&end=1-1-1",
    "before=MjAxMS0wOS0xNnxzdGF0ZXwx&start=2012-01-01&end=2011-01-01",
    "status=party&status=zzz&sort=-&sort=name",
    "working_group=../../etc/passwd&in_force=maybe&page=-1",
    "kind=stockpile&status=later&applicability=some",
    "as_of=2011-09-16%00&deadline_before=2011-02-29",
    "state=lbn&kind=step%27%20OR%201=1--",
]


class ShippedDataPagesTestCase(TestCase):
    """The pages with the real record, as a deployment ships it."""

    @classmethod
    def setUpTestData(cls):
        load_shipped_data()

    def test_every_public_address_answers_200(self):
        """Each page, download and feed answers 200 with the shipped data."""
        for url, _ in PUBLIC_URLS:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_every_html_page_has_its_own_title_and_the_feed_links(self):
        """No two pages share a <title>; each announces the Atom feed and the calendar."""
        titles = set()
        for url, html in PUBLIC_URLS:
            if not html:
                continue
            content = self.client.get(url).content.decode()
            title = content.split("<title>")[1].split("</title>")[0]
            self.assertNotIn(title, titles, url)
            titles.add(title)
            self.assertIn('<link rel="alternate" type="application/atom+xml"', content)
            self.assertIn('<link rel="alternate" type="text/calendar"', content)

    def test_every_state_page_answers(self):
        """All 197 State pages answer 200."""
        for iso2 in State.objects.values_list("iso2", flat=True):
            with self.subTest(iso2=iso2):
                self.assertEqual(self.client.get(f"/states/{iso2.lower()}/").status_code, 200)

    def test_all_197_states_are_listed_and_counted_by_status(self):
        """The JSON list has 197 rows; today 112 parties and Lithuania withdrawn."""
        body = json.loads(self.client.get(reverse("states-json")).content)
        self.assertEqual(body["count"], 197)
        statuses = [row["status"] for row in body["results"]]
        self.assertEqual(statuses.count("withdrawn"), 1)
        self.assertGreaterEqual(statuses.count("party"), 112)

    def test_on_16_september_2011_eswatini_was_the_63rd_party_and_australia_a_signatory(self):
        """as_of=2011-09-16: 63 parties, Eswatini among them; Australia, which ratified in 2012, had signed."""
        response = self.client.get(reverse("state-list"), {"as_of": "2011-09-16", "status": "party"})
        names = [row.state.name for row in response.context["rows"]]
        self.assertEqual(len(names), 63)
        self.assertIn("Eswatini", names)
        response = self.client.get(reverse("state-list"), {"as_of": "2011-09-16", "status": "signatory"})
        signatories = [row.state.name for row in response.context["rows"]]
        self.assertIn("Australia", signatories)
        self.assertIn("Canada", signatories)
        self.assertNotIn("Eswatini", signatories)

    def test_the_dashboard_chart_ends_at_todays_count(self):
        """The chart's last value is today's number of States Parties."""
        response = self.client.get(reverse("dashboard"))
        summary = response.context["summaries"][0]
        parties = {status: count for status, _, count in summary["counts"]}["party"]
        self.assertIn(f'font-weight="700" fill="#1b2430">{parties}</text>', summary["chart"])


@pytest.fixture
def world(db):
    return factory.make_public_world()


@pytest.mark.parametrize(("url", "html"), PUBLIC_URLS)
def test_hostile_query_strings_never_cause_a_server_error(client, world, url, html):
    """Each public address answers every hostile query: 200 for a page (the input ignored), 400 or 200 for data."""
    for query in HOSTILE_QUERIES:
        response = client.get(f"{url}?{query}")
        if html:
            assert response.status_code == 200, (url, query)
        else:
            assert response.status_code in (200, 400), (url, query)
            if response.status_code == 400:
                assert response.content, (url, query)


@pytest.mark.parametrize(
    "path",
    ["/states/%00/", "/states/l/", "/states/lbn/", "/states/12/", "/states/zz/history/", "/states/%C3%A9b/"],
)
def test_hostile_state_addresses_are_404(client, world, path):
    """A State address that is not two letters of a known State is a 404 page."""
    response = client.get(path)
    assert response.status_code == 404
    assert b"Page not found" in response.content
