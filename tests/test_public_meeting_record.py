"""/meetings/<slug>/ and its JSON, /pledges/ and its downloads, organisation pages and a State's
"At meetings" section, on the shipped data."""

import csv
import io
from decimal import Decimal

from django.test import TestCase

from tests.shipped import load_shipped_data
from tracker import models


class ShippedDataTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_shipped_data()
        cls.meeting = models.Meeting.objects.get(treaty__slug="ccm", short_name="2MSP")


class MeetingPageTests(ShippedDataTestCase):
    def test_it_shows_statements_by_topic_with_speakers_deliverers_and_sources(self):
        response = self.client.get("/meetings/ccm-2msp/")
        self.assertContains(response, "<h1>Second Meeting of States Parties")
        self.assertContains(
            response, '<h3 id="topic-cooperation-and-assistance">Cooperation and assistance</h3>', html=False
        )
        self.assertContains(
            response,
            '<h4 id="topic-steps-towards-accession">Steps towards accession by non-signatories</h4>',
            html=False,
        )
        self.assertContains(
            response, "United Nations Secretary-General</strong>, delivered by Mr. Sergio Duarte"
        )
        self.assertContains(response, "Cluster Munition Coalition (CMC)</a></strong>, delivered by Eva Veble")
        self.assertContains(response, "Offered for the record")
        self.assertContains(response, "Message of the Secretary-General to the Second Meeting")

    def test_it_shows_the_trackers_own_count_beside_a_cited_figure(self):
        response = self.client.get("/meetings/ccm-2msp/")
        self.assertContains(response, "Figure cited: “the 62 States that have so far joined the Convention”.")
        self.assertContains(response, ": 63 at the end of 13 September 2011 (62 the day before).")

    def test_it_shows_pledges_in_their_own_currency_and_totals_per_currency(self):
        response = self.client.get("/meetings/ccm-2msp/")
        self.assertContains(response, "40,000,000 AUD")
        self.assertContains(response, "700,000 EUR")
        self.assertContains(
            response, '“31 million dollars” <span class="muted">(currency not stated by the source'
        )
        totals = response.context["totals"]
        self.assertEqual(totals, [("AUD", Decimal("40000000"), 1), ("EUR", Decimal("11860000"), 3)])
        self.assertContains(response, '<th scope="row">EUR</th><td>11,860,000</td><td>3</td>', html=False)

    def test_it_shows_the_decisions_that_set_later_facts(self):
        response = self.client.get("/meetings/ccm-2msp/")
        self.assertContains(
            response,
            '<a href="/meetings/ccm-3msp/">Third Meeting of States Parties</a>, Oslo: announced for 10–14 September 2012, held 11–14 September 2012',
        )
        self.assertContains(
            response,
            '<a href="/meetings/ccm-im2012/">Second Intersessional Meeting</a>, Geneva: 16–19 April 2012',
        )
        self.assertContains(response, "Ambassador Steffen Kongstad")
        self.assertContains(response, "Working groups established")
        later = self.client.get("/meetings/ccm-3msp/")
        self.assertContains(later, 'designated at <a href="/meetings/ccm-2msp/">2MSP</a>')

    def test_research_notes_never_reach_the_page_or_its_data(self):
        notes = models.Pledge.objects.get(donor_state__iso2="JP").research_notes
        for url in (
            "/meetings/ccm-2msp/",
            "/meetings/ccm-2msp.json",
            "/pledges/",
            "/pledges.json",
            "/states/jp/",
        ):
            with self.subTest(url=url):
                self.assertNotIn(notes[:60], self.client.get(url).content.decode())

    def test_an_address_in_capitals_redirects_and_an_unknown_one_is_not_found(self):
        self.assertRedirects(self.client.get("/meetings/CCM-2MSP/"), "/meetings/ccm-2msp/", status_code=301)
        self.assertEqual(self.client.get("/meetings/ccm-99msp/").status_code, 404)
        self.assertEqual(self.client.get("/meetings/ccm-99msp.json").status_code, 404)

    def test_the_meetings_list_links_each_meeting_and_its_json_gives_the_address(self):
        self.assertContains(self.client.get("/meetings/"), '<a href="/meetings/ccm-2msp/">')
        results = self.client.get("/meetings.json").json()["results"]
        self.assertTrue(all(r["url"].startswith("http://testserver/meetings/ccm-") for r in results))
        self.assertIn("http://testserver/meetings/ccm-2msp/", [r["url"] for r in results])


class MeetingJsonTests(ShippedDataTestCase):
    def test_it_gives_the_page_as_data(self):
        body = self.client.get("/meetings/ccm-2msp.json").json()
        self.assertEqual(body["url"], "http://testserver/meetings/ccm-2msp/")
        self.assertEqual(
            len(body["statements"]), models.Statement.objects.filter(meeting=self.meeting).count()
        )
        message = next(s for s in body["statements"] if s["speaker"]["kind"] == "office")
        self.assertEqual(message["speaker"]["name"], "United Nations Secretary-General")
        self.assertEqual(
            (message["cited_count"], message["tracker_count"], message["tracker_count_day_before"]),
            (62, 63, 62),
        )
        thailand = next(s for s in body["statements"] if s["speaker"]["code"] == "TH")
        self.assertEqual(
            (thailand["topic"], thailand["main_topic"]),
            ("Steps towards accession by non-signatories", "Universalization"),
        )
        self.assertEqual(
            body["pledge_totals"],
            [
                {"currency": "AUD", "total": "40000000.00", "pledges": 1},
                {"currency": "EUR", "total": "11860000.00", "pledges": 3},
            ],
        )
        germany = [p for p in body["pledges"] if p["donor_code"] == "DE"]
        self.assertEqual([p["amount"] for p in germany], ["2160000.00", "700000.00"])
        self.assertEqual(germany[1]["recipients"], ["LB"])
        self.assertEqual(
            {m["short_name"] for m in body["decisions"]["meetings_convened"]}, {"3MSP", "IM2012"}
        )


class PledgeListTests(ShippedDataTestCase):
    def rows(self, query=""):
        return self.client.get(f"/pledges/{query}").context["pledges"]

    def test_it_lists_every_pledge_with_totals_per_currency(self):
        response = self.client.get("/pledges/")
        self.assertEqual(len(response.context["pledges"]), 5)
        self.assertContains(response, '<caption id="all-totals-caption">Totals per currency')
        self.assertNotContains(response, "51,860,000")  # never summed across currencies

    def test_filters_by_donor_recipient_meeting_purpose_and_currency(self):
        self.assertEqual([p.amount for p in self.rows("?donor=de")], [Decimal("2160000"), Decimal("700000")])
        self.assertEqual([p.donor_state.iso2 for p in self.rows("?recipient=LB")], ["DE"])
        self.assertEqual(len(self.rows("?meeting=ccm-2msp")), 5)
        self.assertEqual(self.rows("?meeting=ccm-3msp"), [])
        self.assertEqual([p.donor_state.iso2 for p in self.rows("?purpose=clearance")], ["DE"])
        self.assertEqual({p.donor_state.iso2 for p in self.rows("?purpose=none")}, {"DE", "JP", "SE"})
        self.assertEqual({p.currency for p in self.rows("?currency=eur")}, {"EUR"})
        response = self.client.get("/pledges/?currency=aud")
        self.assertEqual(response.context["totals"], [("AUD", Decimal("40000000"), 1)])

    def test_bad_filters_are_ignored_with_a_message(self):
        response = self.client.get("/pledges/?donor=zz&currency=EURO&purpose=bribes")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["pledges"]), 5)
        self.assertContains(response, "Donor “zz” was ignored: No State or organisation has this code.")
        self.assertContains(response, "Currency “EURO” was ignored")
        self.assertContains(response, "Purpose “bribes” was ignored")

    def test_downloads_refuse_bad_filters_with_the_reason(self):
        response = self.client.get("/pledges.csv?recipient=12")
        self.assertEqual(response.status_code, 400)
        self.assertIn("No State has this ISO code.", response.content.decode())
        response = self.client.get("/pledges.json?meeting=nowhere")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"errors": {"meeting": ["No meeting has this address."]}})

    def test_the_downloads_carry_the_same_filtered_rows(self):
        body = self.client.get("/pledges.json?donor=SE").json()
        self.assertEqual(body["count"], 1)
        self.assertEqual(
            body["results"][0]["recipients_as_stated"], "five affected countries and one affected area"
        )
        self.assertEqual(body["totals"], [{"currency": "EUR", "total": "9000000.00", "pledges": 1}])
        rows = list(
            csv.DictReader(io.StringIO(self.client.get("/pledges.csv?recipient=lb").content.decode()))
        )
        self.assertEqual(len(rows), 1)
        self.assertEqual(
            (rows[0]["donor"], rows[0]["amount"], rows[0]["currency"], rows[0]["recipients"]),
            ("Germany", "700000.00", "EUR", "LB"),
        )
        self.assertEqual(rows[0]["url"], "http://testserver/meetings/ccm-2msp/")

    def test_csv_cells_are_safe_from_spreadsheet_formulas(self):
        pledge = models.Pledge.objects.get(donor_state__iso2="SE")
        pledge.covers = '=HYPERLINK("http://evil")'
        pledge.save()
        rows = list(csv.DictReader(io.StringIO(self.client.get("/pledges.csv?donor=se").content.decode())))
        self.assertEqual(rows[0]["covers"], '\'=HYPERLINK("http://evil")')


class StateAndOrganisationPagesTests(ShippedDataTestCase):
    def test_a_states_page_lists_its_statements_and_pledges_made_and_received(self):
        germany = self.client.get("/states/de/")
        self.assertContains(germany, '<h2 id="meetings-heading">At meetings</h2>', html=False)
        self.assertEqual(len(germany.context["at_meetings"]["pledges_made"]), 2)
        self.assertContains(
            germany, "announced a new contribution of 700,000 euros for clearance activities in Lebanon"
        )
        lebanon = self.client.get("/states/lb/")
        record = lebanon.context["at_meetings"]
        self.assertEqual([p.donor_state.iso2 for p in record["pledges_received"]], ["DE"])
        self.assertEqual(record["pledges_made"], [])
        self.assertEqual(len(record["statements"]), 4)
        self.assertContains(lebanon, "Pledges and contributions naming it as a recipient")
        self.assertContains(
            self.client.get("/states/fj/"), "No statement or pledge by or for Fiji has been recorded."
        )

    def test_an_organisation_has_a_page_of_its_own(self):
        response = self.client.get("/organisations/cmc/")
        self.assertContains(response, '<h1>Cluster Munition Coalition <span class="muted">(CMC)</span></h1>')
        self.assertEqual(len(response.context["statements"]), 4)
        self.assertContains(response, "Marion Libertucci")
        self.assertRedirects(self.client.get("/organisations/CMC/"), "/organisations/cmc/", status_code=301)
        self.assertEqual(self.client.get("/organisations/nobody/").status_code, 404)
