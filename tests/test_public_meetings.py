"""/meetings/: place, dates, president, outcomes and what each meeting decided."""

from django.test import TestCase
from django.urls import reverse

from tests import factory


class MeetingListTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def setUp(self):
        self.response = self.client.get(reverse("meeting-list"))

    def test_it_shows_place_dates_president_and_outcomes(self):
        """2MSP: Beirut, Lebanon, 12–16 September 2011, presided by Lebanon, the Beirut Declaration."""
        self.assertEqual(self.response.status_code, 200)
        self.assertContains(self.response, "Second Meeting of States Parties")
        self.assertContains(self.response, "Beirut, Lebanon")
        self.assertContains(self.response, "12–16 September 2011")
        self.assertContains(self.response, "Beirut Declaration adopted.")
        self.assertContains(self.response, '<a href="/states/lb/">Lebanon</a>', html=True)

    def test_announced_dates_are_shown_beside_the_dates_held_with_their_source(self):
        """3MSP was announced for 10–14 September 2012 and held 11–14 September."""
        self.assertContains(self.response, "11–14 September 2012")
        self.assertContains(self.response, "As first announced")
        self.assertContains(self.response, "10–14 September 2012")
        self.assertContains(self.response, "Message to the Second Meeting of States Parties")

    def test_it_lists_what_each_meeting_decided(self):
        """2MSP granted Albania's extension (late request), set up a group and appointed coordinators."""
        self.assertContains(self.response, "Extension requests")
        self.assertContains(self.response, "clearance — granted, new deadline")
        self.assertContains(self.response, "request filed less than 9 months before the meeting")
        self.assertContains(self.response, "Working groups established")
        self.assertContains(self.response, "Coordinators appointed")
        self.assertContains(self.response, f'id="meeting-{self.w.msp2.pk}"')

    def test_the_page_costs_a_fixed_number_of_queries(self):
        """Meetings with all their decisions, parts and documents are read in a fixed number of queries."""
        with self.assertNumQueries(6):
            self.client.get(reverse("meeting-list"))
