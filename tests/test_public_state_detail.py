"""/states/<iso2>/: one State's timeline, obligations, reports and coordinator roles."""

from django.test import TestCase
from django.urls import reverse

from tests import factory


class StateDetailTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def get(self, iso2):
        return self.client.get(reverse("state-detail", args=[iso2]))

    def test_it_shows_the_state_and_its_status(self):
        """Lebanon's page names it, its status and that the treaty is in force for it."""
        response = self.get("lb")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "<h1>Lebanon</h1>", html=True)
        self.assertContains(response, "<title>Lebanon: treaty status, deadlines and roles")
        self.assertContains(response, "State Party")
        self.assertContains(response, "Treaty in force for the State")

    def test_an_upper_case_code_redirects_to_the_canonical_address(self):
        """/states/LB/ answers with a permanent redirect to /states/lb/."""
        response = self.client.get("/states/LB/")
        self.assertRedirects(response, "/states/lb/", status_code=301)

    def test_an_unknown_code_is_a_friendly_404(self):
        """/states/zz/ and /states/lbn/ are 404 pages with a way back, never a 500."""
        for path in ("/states/zz/", "/states/lbn/", "/states/l%00/", "/states/1b/"):
            response = self.client.get(path)
            self.assertEqual(response.status_code, 404, path)
        self.assertContains(self.client.get("/states/zz/"), "Page not found", status_code=404)

    def test_the_timeline_runs_from_signature_to_entry_into_force_in_date_order(self):
        """Signature, deposit with its instrument, then the computed entry into force, each dated."""
        timeline = self.get("lb").context["sections"][0]["timeline"]
        self.assertEqual(
            [(event.when, event.title) for event in timeline],
            [
                ("3 December 2008", "Signed"),
                ("5 November 2010", "Instrument of ratification deposited"),
                ("1 May 2011", "Entry into force"),
            ],
        )
        self.assertEqual(timeline[0].source, self.w.untc)
        self.assertTrue(timeline[-1].computed)

    def test_steps_show_their_precision_and_expected_dates_with_their_source(self):
        """Australia's bill is dated 'September 2011'; its intention expects '2012'; both cite the seed."""
        response = self.get("au")
        self.assertContains(response, "September 2011")
        self.assertContains(response, "Bill before parliament")
        self.assertContains(response, "Expected next step: 2012")
        self.assertContains(response, "Message to the Second Meeting of States Parties")
        self.assertNotContains(response, "1 September 2011")

    def test_every_source_is_linked(self):
        """The participation's source links to its address with its document symbol."""
        response = self.get("lb")
        self.assertContains(
            response, '<a href="https://treaties.un.org/ccm">Convention on Cluster Munitions: status</a>'
        )
        self.assertContains(response, "(XXVI-6)")

    def test_obligations_show_deadlines_countdown_and_progress(self):
        """Lebanon's clearance: original and current deadline, overdue by some years, its progress notes."""
        response = self.get("lb")
        self.assertContains(response, 'Clearance <span class="muted">(CCM Art. 4)</span>', html=False)
        self.assertContains(response, "1 May 2021")
        self.assertContains(response, "Overdue by ")
        self.assertContains(response, "Clearing the south.")
        kinds = [o.kind for o in response.context["sections"][0]["obligations"]]
        self.assertEqual(kinds, ["stockpile", "clearance"])

    def test_extensions_show_the_meeting_and_a_late_request(self):
        """Albania's extension: granted at 2MSP, its new deadline, and the late-request note."""
        response = self.get("al")
        self.assertContains(response, "Extension requests")
        self.assertContains(response, "2MSP")
        self.assertContains(response, "Granted, 16 September 2011")
        self.assertContains(response, "Filed less than 9 months before the meeting")
        self.assertContains(response, "In ")

    def test_a_completed_obligation_is_marked_completed(self):
        """Austria's stockpile destruction shows its completion."""
        response = self.get("at")
        self.assertContains(response, "badge-completed")
        self.assertContains(response, "countdown-done")

    def test_the_next_transparency_report_is_given_for_a_party(self):
        """A party in force has its next Article 7 report date; a signatory has none."""
        self.assertContains(self.get("lb"), "Next transparency report due")
        self.assertNotContains(self.get("ao"), "Next transparency report due")

    def test_coordinator_roles_are_listed_with_their_term(self):
        """Lebanon's reporting role (2012–) and Austria's general-status term (2011–2012)."""
        self.assertContains(self.get("lb"), "Transparency reporting")
        response = self.get("at")
        self.assertContains(response, "General status and operation")
        self.assertContains(response, "2011–2012")

    def test_a_state_without_a_participation_says_so(self):
        """The United States page says it has not signed or joined."""
        response = self.get("us")
        self.assertContains(response, "has not signed or joined the CCM")
        self.assertContains(response, "Non-signatory")

    def test_it_links_to_the_state_history(self):
        """The page links to /states/lb/history/."""
        self.assertContains(self.get("lb"), 'href="/states/lb/history/"')

    def test_the_page_costs_a_fixed_number_of_queries(self):
        """However many steps and extensions, the page needs no query per row."""
        self.get("al")
        with self.assertNumQueries(11):
            self.get("al")
