"""The record as readers meet it: as known on a day, unknowns in words, research notes kept for editors."""

import csv
import datetime
import io
import json

import feedparser
from django.test import TestCase
from django.urls import reverse

from tests import factory
from tests.shipped import load_shipped_data
from tracker import models

D = datetime.date


class ShippedRecordTestCase(TestCase):
    """The shipped CCM record, read through the public downloads."""

    @classmethod
    def setUpTestData(cls):
        load_shipped_data()

    def rows(self, **params):
        response = self.client.get(reverse("states-json"), params)
        self.assertEqual(response.status_code, 200)
        return {row["iso2"]: row for row in json.loads(response.content)["results"]}

    def test_as_of_a_day_shows_nothing_that_happened_later(self):
        """On 16 September 2011 Andorra (2013) had not joined and Australia (2012) had only signed."""
        rows = self.rows(as_of="2011-09-16")
        andorra, australia = rows["AD"], rows["AU"]
        self.assertEqual(andorra["status"], "non_signatory")
        self.assertEqual((andorra["deposit_date"], andorra["entry_into_force_date"]), (None, None))
        self.assertEqual(australia["status"], "signatory")
        self.assertEqual((australia["deposit_date"], australia["instrument"]), (None, None))
        self.assertEqual(australia["signature_date"], "2008-12-03")
        lithuania = rows["LT"]
        self.assertEqual(
            (lithuania["withdrawal_notice_date"], lithuania["withdrawal_effective_date"]), (None, None)
        )
        for row in rows.values():
            for field in ("signature_date", "deposit_date", "withdrawal_notice_date"):
                if row[field]:
                    self.assertLessEqual(row[field], "2011-09-16", (row["iso2"], field))

    def test_entry_into_force_was_not_known_before_the_thirtieth_deposit(self):
        """On 1 January 2010 Norway had deposited, but the 30th instrument (16 Feb 2010) had not come."""
        norway = self.rows(as_of="2010-01-01")["NO"]
        self.assertEqual(norway["status"], "party")
        self.assertIsNone(norway["entry_into_force_date"])
        self.assertEqual(self.rows(as_of="2010-02-16")["NO"]["entry_into_force_date"], "2010-08-01")

    def test_deadlines_as_they_stood_on_the_day(self):
        """Bulgaria's stockpile deadline: 1 Oct 2019 before the 9MSP's extension, 1 Apr 2021 after it."""
        self.assertEqual(self.rows(as_of="2019-01-01")["BG"]["stockpile_deadline"], "2019-10-01")
        self.assertEqual(self.rows(as_of="2019-09-05")["BG"]["stockpile_deadline"], "2021-04-01")
        self.assertEqual(self.rows(as_of="2019-01-01")["BG"]["stockpile_status"], "in_progress")
        self.assertEqual(self.rows()["BG"]["stockpile_status"], "completed")

    def test_an_obligation_whose_applicability_is_not_recorded_is_never_a_breach(self):
        """No deadline is given, and the status says it is not recorded, for a party with no source."""
        rows = self.rows()
        unknown = [
            row for row in rows.values() if row["status"] == "party" and row["stockpile_status"] == "unknown"
        ]
        self.assertTrue(unknown)
        for row in unknown:
            self.assertIsNone(row["stockpile_deadline"], row["iso2"])
        self.assertNotIn("overdue", {row["stockpile_status"] for row in rows.values()})

    def test_every_deadline_status_is_one_of_six_words(self):
        """/states.json and /deadlines.json speak the same six statuses."""
        allowed = {
            "not_applicable",
            "unknown",
            "in_progress",
            "completed",
            "overdue",
            "awaiting_decision",
            None,
        }
        for row in self.rows().values():
            self.assertIn(row["stockpile_status"], allowed)
            self.assertIn(row["clearance_status"], allowed)
        for row in json.loads(self.client.get(reverse("deadlines-json"), {"applicability": "all"}).content)[
            "results"
        ]:
            self.assertIn(row["status"], allowed - {None})

    def test_the_depositary_counts_are_set_beside_the_trackers(self):
        """The dashboard says 107 signatories and 112 parties as the depositary counts them on 3 Feb 2026."""
        participations = list(models.Participation.objects.filter(treaty__slug="ccm"))
        treaty = models.Treaty.objects.get(slug="ccm")
        self.assertEqual(treaty.depositary_counts(participations, D(2026, 2, 3)), (107, 112))
        response = self.client.get("/")
        self.assertContains(response, "signatories (every State that signed, whether it has ratified since)")
        self.assertContains(response, "Signed, not yet ratified")

    def test_the_status_pages_say_when_the_depositary_record_is_as_at(self):
        """The States list and the dashboard name the depositary's record and its date, with links."""
        for url in (reverse("state-list"), "/"):
            response = self.client.get(url)
            self.assertContains(response, "as at 3 February 2026")
            self.assertContains(response, "UN Treaty Collection")
            self.assertContains(response, "implementation support unit")

    def test_a_states_page_shows_its_declarations(self):
        """Belgium's declaration on its ratification, with the depositary as source."""
        response = self.client.get(reverse("state-detail", args=["be"]))
        self.assertContains(response, "Declarations and reservations")
        self.assertContains(response, "Declaration")

    def test_the_deadline_downloads_carry_the_same_lists_as_the_page(self):
        """/deadlines.json and /deadlines.csv list the applicable deadlines, each with its status."""
        data = json.loads(self.client.get(reverse("deadlines-json")).content)
        self.assertEqual(data["count"], len(data["results"]))
        self.assertTrue(all(row["applicability"] == "applicable" for row in data["results"]))
        response = self.client.get(reverse("deadlines-csv"), {"status": "completed"})
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        self.assertTrue(rows)
        self.assertEqual({row["status"] for row in rows}, {"completed"})

    def test_the_meeting_and_working_group_downloads(self):
        """/meetings.json has the next meeting first and the 2RC's two parts; /working-groups.json the terms."""
        meetings = json.loads(self.client.get(reverse("meetings-json")).content)["results"]
        self.assertEqual(meetings[0]["short_name"], "3RC")
        second = next(m for m in meetings if m["short_name"] == "2RC")
        self.assertEqual([p["format"] for p in second["parts"]], ["virtual", "hybrid"])
        groups = json.loads(self.client.get(reverse("working-groups-json")).content)["results"]
        universalization = next(g for g in groups if g["slug"] == "universalization")
        self.assertTrue(universalization["terms"])

    def test_bad_filters_on_the_downloads_answer_400_with_the_reason(self):
        """kind=zzz on the deadline downloads is refused in words, as on /states.json."""
        response = self.client.get(reverse("deadlines-json"), {"kind": "zzz"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("kind", json.loads(response.content)["errors"])
        response = self.client.get(reverse("deadlines-csv"), {"status": "later"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("later", response.content.decode())

    def test_search_finds_common_and_former_names_without_accents(self):
        """Laos, Vietnam, Turkey, Czechia, Ivory Coast, UK and cote find their States on /states/."""
        for query, iso2 in [
            ("Laos", "LA"),
            ("Vietnam", "VN"),
            ("Turkey", "TR"),
            ("Czechia", "CZ"),
            ("Ivory Coast", "CI"),
            ("UK", "GB"),
            ("cote", "CI"),
            ("Swaziland", "SZ"),
        ]:
            with self.subTest(query=query):
                names = [
                    row.state.iso2
                    for row in self.client.get(reverse("state-list"), {"q": query}).context["rows"]
                ]
                self.assertIn(iso2, names)


class ResearchNotesTestCase(TestCase):
    """The editors' research notes never reach a public page, download or feed."""

    MARK = "RESEARCH-ONLY-XYZZY"

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()
        for record in (cls.w.lb, cls.w.lb_clearance, cls.w.extension, cls.w.msp2, cls.w.seed, cls.w.lebanon):
            record.research_notes = f"{cls.MARK}: not found in the sources read."
            record._change_reason = "Research"
            record.save()

    def test_no_public_page_download_or_feed_shows_them(self):
        """Every public address of Lebanon's records, and the change log, leaves the notes out."""
        urls = [
            "/",
            reverse("state-list"),
            reverse("state-detail", args=["lb"]),
            reverse("state-history", args=["lb"]),
            reverse("states-json"),
            reverse("states-csv"),
            reverse("deadline-list"),
            reverse("deadlines-json"),
            reverse("deadlines-csv"),
            reverse("deadlines-ics"),
            reverse("meeting-list"),
            reverse("meetings-json"),
            reverse("working-groups"),
            reverse("working-groups-json"),
            reverse("change-list"),
            reverse("change-feed"),
        ]
        for url in urls:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertNotIn(self.MARK, response.content.decode())
        feed = feedparser.parse(self.client.get(reverse("change-feed")).content)
        self.assertTrue(feed.entries)

    def test_the_audit_log_shows_them_to_reviewers(self):
        """The admin's audit log is where editors see their notes' history."""
        self.client.force_login(factory.make_user("rita", groups=["reviewers"]))
        response = self.client.get(reverse("admin:tracker_audit_log"))
        self.assertContains(response, self.MARK)


class LinksTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def test_empty_parameters_are_left_out_of_shared_links(self):
        """A submitted form's empty fields redirect to the address without them."""
        response = self.client.get(reverse("state-list"), {"q": "", "status": "party", "region": ""})
        self.assertRedirects(response, reverse("state-list") + "?status=party")
        response = self.client.get(reverse("deadline-list"), {"kind": "", "treaty": ""})
        self.assertRedirects(response, reverse("deadline-list"))

    def test_the_site_has_an_icon(self):
        """/favicon.ico leads to the site's icon, which every page links to."""
        response = self.client.get("/favicon.ico")
        self.assertEqual(response.status_code, 301)
        self.assertTrue(response["Location"].endswith("favicon.svg"))
        self.assertContains(self.client.get("/"), 'rel="icon"')

    def test_csv_cells_never_become_formulas(self):
        """A State named like a formula is written with a leading apostrophe, as OWASP recommends."""
        self.w.angola.name = '=HYPERLINK("http://example.org","x")'
        self.w.angola.save()
        for name in ("states-csv", "deadlines-csv"):
            text = self.client.get(reverse(name), {"applicability": "all"} if name == "deadlines-csv" else {})
            self.assertNotIn("\n=HYPERLINK", text.content.decode())
        body = self.client.get(reverse("states-csv")).content.decode()
        self.assertIn("'=HYPERLINK", body)

    def test_editors_see_the_gaps_in_the_record(self):
        """A request whose meeting ended without a recorded decision is on the editors' gaps page."""
        models.Extension.objects.create(
            obligation=self.w.lb_clearance, requested_on=D(2011, 12, 1), meeting=self.w.msp3
        )
        self.client.force_login(factory.make_user("erin", groups=["editors"]))
        response = self.client.get(reverse("admin:tracker_gaps"))
        self.assertContains(response, "Extension requests whose decision is not recorded (1)")
        self.assertContains(response, "Clearance – Lebanon")
