"""A State's page as a printed profile: its sources numbered once each and listed at the end."""

import re

from django.test import SimpleTestCase, TestCase

from tests import factory
from tracker.footnotes import SourceNotes
from tracker.models import Source


class SourceNotesTestCase(SimpleTestCase):
    def test_each_source_is_numbered_once_in_the_order_first_cited(self):
        first, second = Source(pk=7, title="A"), Source(pk=3, title="B")
        notes = SourceNotes()
        self.assertEqual([notes.number(s) for s in (first, second, first, Source(pk=7))], [1, 2, 1, 1])
        self.assertEqual(notes.sources, [first, second])

    def test_an_empty_list_is_still_true_for_templates(self):
        self.assertTrue(SourceNotes())


class PrintedProfileTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def test_sources_are_numbered_and_listed_at_the_end(self):
        """Every 'Source: …' on Lebanon's page has a note number; the list gives each source once."""
        html = self.client.get("/states/lb/").content.decode()
        cited = html.count('<span class="source">')
        numbers = re.findall(r'<sup class="source-ref print-only">\[(\d+)\]</sup>', html)
        self.assertGreater(cited, 1)
        self.assertEqual(len(numbers), cited)
        start = html.index('<section class="print-only source-notes"')
        notes = html[start : html.index("</section>", start)]
        listed = re.findall(r"<li>(.*?)</li>", notes, re.S)
        self.assertEqual(len(listed), len(set(numbers)))
        self.assertEqual(sorted({int(n) for n in numbers}), list(range(1, len(listed) + 1)))
        # The depositary's status list is cited first (the participation), with its address.
        self.assertEqual(numbers[0], "1")
        self.assertIn("Convention on Cluster Munitions: status (XXVI-6)", listed[0])
        self.assertIn("https://treaties.un.org/ccm", listed[0])
        self.assertIn("Printed from http://testserver/states/lb/", notes)

    def test_reports_with_no_submission_recorded_are_summed_up_for_print(self):
        """The printed profile says in one line how many reports have no submission recorded, and when due."""
        response = self.client.get("/states/lb/")
        section = response.context["sections"][0]
        count, first, last = section["unrecorded_reports"]
        self.assertEqual(count, sum(1 for due in section["reports"] if due.status == "not_recorded"))
        self.assertGreater(count, 1)
        self.assertContains(
            response,
            f"Submission not recorded for {count} reports due between {first:%-d %b %Y} and {last:%-d %b %Y}",
        )

    def test_a_state_with_no_reports_due_has_no_summary(self):
        response = self.client.get("/states/us/")
        self.assertIsNone(response.context["sections"][0]["unrecorded_reports"])
        self.assertNotContains(response, "Submission not recorded for")

    def test_other_pages_keep_their_sources_as_they_were(self):
        """Only the State page numbers its sources: the meetings page shows them in full, with no notes."""
        response = self.client.get("/meetings/")
        self.assertContains(response, '<span class="source">Source:')
        self.assertNotContains(response, "source-ref")
        self.assertNotContains(response, "source-notes")
