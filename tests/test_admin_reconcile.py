"""The admin's reconcile page: upload the depositary's list, see the differences, apply the ticked ones."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from tests import factory
from tests.test_depositary_files import CCM, CSV
from tracker.models import Participation

D = datetime.date
URL = reverse("admin:tracker_reconcile")


class ReconcilePageTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3))
        cls.source = factory.make_source(key="untc")
        cls.treaty.source = cls.source
        cls.treaty.save()
        factory.make_participation(
            cls.treaty, factory.make_state("AF", "Afghanistan"), signature_date=D(2008, 12, 3)
        )
        factory.make_state("CV", "Cabo Verde", region="africa")
        factory.make_participation(
            cls.treaty, factory.make_state("NO", "Norway", region="europe"), signature_date=D(2008, 12, 3)
        )
        cls.editor = factory.make_user("erin", groups=["editors"])
        cls.reviewer = factory.make_user("rita", groups=["reviewers"])

    def setUp(self):
        self.client.force_login(self.editor)

    def upload(self, content, name="status.csv", kind=""):
        return self.client.post(
            URL,
            {"treaty": self.treaty.pk, "kind": kind, "status_file": SimpleUploadedFile(name, content)},
        )

    def test_the_index_links_to_it(self):
        response = self.client.get(reverse("admin:index"))
        self.assertContains(response, URL)
        self.assertEqual(self.client.get(URL).status_code, 200)

    def test_it_lists_every_difference_and_changes_nothing(self):
        response = self.upload(CSV.encode())
        self.assertContains(response, "Cabo Verde")
        self.assertContains(response, "19 October 2010")
        self.assertContains(response, "no State of that name")  # Atlantis, for information
        self.assertContains(response, 'value="CV:deposit"')
        self.assertNotContains(response, 'value="unknown:Atlantis"')
        self.assertFalse(Participation.objects.filter(state__iso2="CV").exists())

    def test_ticked_rows_are_applied_with_the_reason_and_nothing_else(self):
        response = self.upload(CSV.encode())
        comparison = response.context["apply_form"]["comparison"].value()
        response = self.client.post(
            URL,
            {
                "comparison": comparison,
                "chosen": ["CV:deposit", "CV:signature"],
                "source": self.source.pk,
                "reason": "UNTC status list as at 3 February 2026",
            },
            follow=True,
        )
        self.assertContains(response, "Applied 2 difference(s)")
        cabo_verde = Participation.objects.get(state__iso2="CV")
        self.assertEqual(cabo_verde.deposit_date, D(2010, 10, 19))
        self.assertEqual(
            cabo_verde.history.first().history_change_reason, "UNTC status list as at 3 February 2026"
        )
        self.assertEqual(cabo_verde.history.first().history_user, self.editor)
        self.assertIsNone(Participation.objects.get(state__iso2="NO").deposit_date)
        self.assertIsNone(Participation.objects.get(state__iso2="AF").deposit_date)

    def test_a_stale_upload_is_refused_in_words(self):
        comparison = self.upload(CSV.encode()).context["apply_form"]["comparison"].value()
        norway = Participation.objects.get(state__iso2="NO")
        norway.notes = "Edited by a colleague meanwhile."
        norway.save()
        response = self.client.post(
            URL,
            {
                "comparison": comparison,
                "chosen": ["NO:deposit", "CV:deposit"],
                "source": self.source.pk,
                "reason": "x",
            },
            follow=True,
        )
        self.assertContains(response, "changed since the file was compared")
        self.assertIsNone(Participation.objects.get(state__iso2="NO").deposit_date)
        self.assertFalse(Participation.objects.filter(state__iso2="CV").exists())

    def test_no_reason_no_tick_or_an_altered_comparison_changes_nothing(self):
        comparison = self.upload(CSV.encode()).context["apply_form"]["comparison"].value()
        response = self.client.post(
            URL, {"comparison": comparison, "chosen": ["CV:deposit"], "source": self.source.pk}
        )
        self.assertContains(response, "This field is required")
        response = self.client.post(URL, {"comparison": comparison, "source": self.source.pk, "reason": "x"})
        self.assertContains(response, "Tick at least one difference")
        response = self.client.post(
            URL,
            {
                "comparison": comparison + "x",
                "chosen": ["CV:deposit"],
                "source": self.source.pk,
                "reason": "x",
            },
            follow=True,
        )
        self.assertContains(response, "altered or is out of date")
        self.assertFalse(Participation.objects.filter(state__iso2="CV").exists())

    def test_a_wrong_file_gets_a_sentence(self):
        """Empty, HTML given as XML, not a status list: one sentence each, never a traceback."""
        for content, kind, words in (
            (b"", "", "The submitted file is empty"),
            (CCM.read_bytes(), "xml", "This file is an HTML page"),
            (b"%PDF-1.4 \x00\x01", "", "Participant"),
            (CCM.read_bytes()[:50000], "", "cut short"),
        ):
            with self.subTest(words=words):
                response = self.upload(content, kind=kind)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, words)

    def test_a_reviewer_may_compare_but_not_apply(self):
        self.client.force_login(self.reviewer)
        response = self.upload(CSV.encode())
        self.assertContains(response, "You may compare but not apply")
        self.assertNotContains(response, 'value="CV:deposit"')
