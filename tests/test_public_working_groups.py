"""/working-groups/: groups and single-coordinator roles, their terms and coordinator States."""

from django.test import TestCase
from django.urls import reverse

from tests import factory


class WorkingGroupsTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def setUp(self):
        self.response = self.client.get(reverse("working-groups"))

    def test_groups_list_their_terms_and_coordinators_with_links(self):
        """General status and operation, 2011–2012: Albania and Austria, each linked to its page."""
        self.assertEqual(self.response.status_code, 200)
        section = self.response.context["sections"][0]
        general = section["groups"][0]
        self.assertEqual(general.name, "General status and operation")
        self.assertEqual(
            [(term["label"], [a.state.name for a in term["assignments"]]) for term in general.terms],
            [("2011–2012", ["Albania", "Austria"])],
        )
        self.assertContains(self.response, '<a href="/states/al/">Albania</a>', html=True)
        self.assertContains(self.response, "established at the")

    def test_single_coordinator_roles_are_listed_apart(self):
        """Transparency reporting, one seat, is a role: Lebanon since 2012 and serving now."""
        section = self.response.context["sections"][0]
        self.assertEqual([group.name for group in section["roles"]], ["Transparency reporting"])
        term = section["roles"][0].terms[0]
        self.assertTrue(term["current"])
        self.assertContains(self.response, "Single-coordinator roles")
        self.assertContains(self.response, "<title>Working groups and coordinators by term")

    def test_the_page_costs_a_fixed_number_of_queries(self):
        """More groups and terms add no query."""
        with self.assertNumQueries(3):
            self.client.get(reverse("working-groups"))
