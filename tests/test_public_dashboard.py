"""/: counts by status, deadlines, latest changes and the membership chart."""

from django.test import TestCase
from django.urls import reverse

from tests import factory
from tracker.models import (
    CoordinatorAssignment,
    Extension,
    Meeting,
    Participation,
    State,
    Treaty,
    WorkingGroup,
)


class DashboardTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def setUp(self):
        self.response = self.client.get(reverse("dashboard"))

    def test_it_counts_each_status_today(self):
        """5 States Parties, 1 signatory (Angola), 1 non-signatory, 1 withdrawn; 5 in force."""
        self.assertEqual(self.response.status_code, 200)
        summary = self.response.context["summaries"][0]
        counts = {status: count for status, _, count in summary["counts"]}
        self.assertEqual(counts, {"party": 5, "signatory": 1, "non_signatory": 1, "withdrawn": 1})
        self.assertEqual(summary["in_force"], 5)
        self.assertContains(self.response, '<span class="stat-label">States Parties</span>', html=True)
        self.assertContains(self.response, "/states/?treaty=ccm&amp;status=signatory")

    def test_it_lists_the_next_twelve_months_and_the_overdue_deadlines(self):
        """Albania's clearance (in 100 days) is upcoming; Lebanon's is overdue."""
        self.assertEqual([o.participation.state.iso2 for o in self.response.context["upcoming"]], ["AL"])
        self.assertEqual([o.participation.state.iso2 for o in self.response.context["overdue"]], ["LB"])
        self.assertContains(self.response, "Overdue by ")

    def test_it_shows_the_latest_changes(self):
        """The newest recorded edits are listed, linked to the State's history."""
        self.assertTrue(self.response.context["changes"])
        self.assertContains(self.response, "/states/au/history/#change-step-")

    def test_the_chart_is_an_svg_with_a_caption_and_a_data_table(self):
        """A figure holds the SVG (with title and desc), a caption and the numbers year by year."""
        self.assertContains(self.response, "<figure")
        self.assertContains(self.response, "<figcaption>")
        self.assertContains(self.response, '<svg xmlns="http://www.w3.org/2000/svg"')
        self.assertContains(self.response, '<title id="chart-ccm-title">States Parties to the CCM')
        self.assertContains(self.response, "<summary>The numbers, year by year</summary>", html=True)
        table = self.response.context["summaries"][0]["table"]
        by_year = {day.year: (parties, in_force) for day, parties, in_force in table}
        self.assertEqual(by_year[2008], (0, 0))
        self.assertEqual(by_year[2011], (5, 4), "Eswatini deposited in September, in force only in 2012")
        self.assertEqual(by_year[2025], (5, 5), "Lithuania's withdrawal took effect in March 2025")

    def test_it_says_so_when_nothing_is_recorded(self):
        """An empty database gives a page that says there is no treaty yet, not an error."""
        for model in (CoordinatorAssignment, WorkingGroup, Extension, Participation, Meeting, State, Treaty):
            model.objects.all().delete()
        response = self.client.get(reverse("dashboard"))
        self.assertContains(response, "No treaty has been entered yet.")
        self.assertEqual(self.client.get(reverse("state-list")).status_code, 200)
        self.assertEqual(self.client.get(reverse("states-json")).status_code, 200)
