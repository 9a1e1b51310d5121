"""Record a treaty action in one step: review the notes it makes stale, then save all with one reason."""

import datetime

from django.test import TestCase
from django.urls import reverse

from tests import factory
from tracker import treaty_actions
from tracker.models import Declaration, Extension, Obligation, Participation

D = datetime.date
URL = reverse("admin:tracker_treaty_action")


class TreatyActionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3), stockpile_years=8)
        factory.make_parties(cls.treaty, 2)
        cls.source = factory.make_source(title="Depositary notification")
        cls.state = factory.make_state(
            "TH", "Thailand", research_notes="Neither signed nor acceded as at 2026."
        )
        cls.participation = factory.make_participation(
            cls.treaty, cls.state, notes="Not a signatory; spoke about joining at the 2MSP."
        )
        cls.editor = factory.make_user("erin", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def data(self, **changes):
        data = {
            "state": self.state.pk,
            "treaty": self.treaty.pk,
            "action": "deposit",
            "date": "2026-01-15",
            "instrument": "accession",
            "notification": "C.N.12.2026.TREATIES-XXVI.6",
            "notification_date": "2026-01-20",
            "source": self.source.pk,
            "reason": "Accession notified by the depositary",
        }
        data.update(changes)
        return data

    def review(self, **changes):
        response = self.client.post(URL, self.data(**changes))
        self.assertEqual(response.status_code, 200)
        return response

    def test_the_review_shows_the_stale_notes_and_saves_nothing(self):
        response = self.review()
        self.assertContains(response, "Not a signatory; spoke about joining")
        self.assertContains(response, "Neither signed nor acceded")
        self.assertContains(response, "Save the action")
        self.assertIsNone(Participation.objects.get(pk=self.participation.pk).deposit_date)

    def test_saving_records_the_action_and_the_edited_notes_with_one_reason(self):
        response = self.review()
        keys = [note.key for note in response.context["notes"]]
        post = self.data(confirm="1", seen=response.context["seen"])
        post.update({f"note-{key}": "" for key in keys})
        post[f"note-participation-{self.participation.pk}-notes"] = "Acceded in January 2026."
        response = self.client.post(URL, post, follow=True)
        self.assertContains(response, "Recorded the deposit of Thailand")
        p = Participation.objects.get(pk=self.participation.pk)
        self.assertEqual((p.deposit_date, p.instrument), (D(2026, 1, 15), "accession"))
        self.assertEqual(p.deposit_notification, "C.N.12.2026.TREATIES-XXVI.6")
        self.assertEqual(p.deposit_source, self.source)
        self.assertEqual(p.notes, "Acceded in January 2026.")
        self.assertEqual(p.history.first().history_change_reason, "Accession notified by the depositary")
        self.state.refresh_from_db()
        self.assertEqual(self.state.research_notes, "")
        self.assertEqual(
            self.state.history.first().history_change_reason, "Accession notified by the depositary"
        )
        # The deposit gave the State its obligations, recomputed with the same reason.
        self.assertTrue(Obligation.objects.filter(participation=p, kind="stockpile").exists())

    def test_a_record_changed_since_the_review_is_refused(self):
        response = self.review()
        p = Participation.objects.get(pk=self.participation.pk)
        p.notes = "A colleague's edit."
        p.save()
        post = self.data(confirm="1", seen=response.context["seen"])
        response = self.client.post(URL, post, follow=True)
        self.assertContains(response, "changed since you reviewed")
        self.assertIsNone(Participation.objects.get(pk=self.participation.pk).deposit_date)

    def test_invalid_actions_are_refused_in_words(self):
        response = self.review(instrument="")
        self.assertContains(response, "Say which instrument was deposited")
        response = self.review(date="2008-01-01", action="signature", notification="", notification_date="")
        self.assertContains(response, "opened for signature on")
        response = self.review(action="withdrawal")  # no deposit yet
        self.assertContains(response, "Only a State that deposited an instrument can withdraw")
        response = self.review(notification_date="2025-12-01")
        self.assertContains(response, "notifies a deposit after it is made")
        self.assertIsNone(Participation.objects.get(pk=self.participation.pk).deposit_date)

    def test_a_statement_is_recorded_as_a_declaration_of_that_kind(self):
        response = self.review(action="declaration", kind="statement", text="It suspends the Convention.")
        self.assertNotContains(response, "Notes this fact may make stale")
        post = self.data(
            action="declaration", kind="statement", text="It suspends the Convention.", confirm="1"
        )
        post["seen"] = response.context["seen"]
        self.client.post(URL, post)
        declaration = Declaration.objects.get(participation=self.participation)
        self.assertEqual(
            (declaration.kind, declaration.notification), ("statement", "C.N.12.2026.TREATIES-XXVI.6")
        )
        self.assertIsNone(Participation.objects.get(pk=self.participation.pk).deposit_date)

    def test_it_is_linked_from_the_index_and_closed_to_reviewers(self):
        self.assertContains(self.client.get(reverse("admin:index")), URL)
        self.client.force_login(factory.make_user("rita", groups=["reviewers"]))
        self.assertEqual(self.client.get(URL).status_code, 403)


class ExtensionDecisionTestCase(TestCase):
    """Granting an extension points to the notes that still call it pending (Chad's case)."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.clearance = factory.obligation(cls.w.lb, Obligation.Kind.CLEARANCE)
        cls.clearance.progress = "An extension request is recorded as pending."
        cls.clearance.save()
        cls.extension = Extension.objects.create(
            obligation=cls.clearance, requested_on=D(2020, 3, 1), requested_deadline=D(2023, 5, 1)
        )
        cls.editor = factory.make_user("erin", groups=["editors"])

    def test_the_saved_decision_lists_the_stale_notes(self):
        self.client.force_login(self.editor)
        url = factory.admin_change_url(self.extension)
        data = factory.admin_post_data(
            self.client.get(url),
            reason="Granted at the 9MSP",
            decision="granted",
            meeting=str(self.w.meeting.pk),
            decided_on="2020-11-20",
            new_deadline="2023-05-01",
            new_deadline_precision="day",
        )
        response = self.client.post(url, data, follow=True)
        self.assertContains(response, "still says “pending”")
        self.assertContains(response, factory.admin_change_url(self.clearance))
        self.assertEqual(Extension.objects.get(pk=self.extension.pk).decision, "granted")

    def test_a_pending_request_lists_nothing(self):
        self.assertEqual(treaty_actions.stale_after_decision(self.extension), [])
