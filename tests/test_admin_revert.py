"""Revert to an earlier version, and restore deleted records, each with a reason in the history."""

import datetime

from django.test import TestCase

from tests import factory
from tracker.models import Obligation, Participation, RatificationStep

D = datetime.date


def revert_url(obj, history_row):
    return f"/admin/tracker/{obj._meta.model_name}/{obj.pk}/history/{history_row.history_id}/"


class RevertTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])
        cls.original = cls.w.lb.history.latest()
        factory.edit_as(cls.w.lb, cls.editor, "Wrong date typed", deposit_date=D(2011, 2, 10))

    def setUp(self):
        self.client.force_login(self.editor)

    def test_the_history_offers_each_version_for_revert(self):
        """The history page lists the versions, with editor and reason, and links to the revert form."""
        r = self.client.get(factory.admin_change_url(self.w.lb, "history"))
        self.assertContains(r, "Wrong date typed")
        self.assertContains(r, revert_url(self.w.lb, self.original))

    def test_a_version_that_does_not_exist_is_a_404(self):
        """Malformed or foreign version numbers in the address give a 404, not an error."""
        base = f"/admin/tracker/participation/{self.w.lb.pk}/history/"
        other = self.w.al.history.earliest().history_id
        for suffix in ("abc/", "999999/", f"{other}/"):
            with self.subTest(suffix=suffix):
                self.assertEqual(self.client.get(base + suffix).status_code, 404)

    def test_the_revert_form_asks_for_a_reason(self):
        """Reverting without a reason is refused and changes nothing."""
        url = revert_url(self.w.lb, self.original)
        page = self.client.get(url)
        self.assertContains(page, "Reason for this change")
        r = self.client.post(url, factory.admin_post_data(page, reason=""))
        self.assertEqual(r.status_code, 200)
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.deposit_date, D(2011, 2, 10))

    def test_a_revert_is_a_new_version_with_its_reason_and_recomputed_dates(self):
        """The old deposit date comes back, entry into force is recomputed, and the history says why."""
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.entry_into_force_date, D(2011, 8, 1))
        version_before = self.w.lb.version
        url = revert_url(self.w.lb, self.original)
        r = self.client.post(
            url, factory.admin_post_data(self.client.get(url), reason="Back to the depositary's date")
        )
        self.assertEqual(r.status_code, 302)
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.deposit_date, D(2010, 11, 5))
        self.assertEqual(self.w.lb.entry_into_force_date, D(2011, 5, 1))
        self.assertEqual(self.w.lb.version, version_before + 1)
        latest = self.w.lb.history.latest()
        self.assertEqual(latest.history_user, self.editor)
        self.assertTrue(latest.history_change_reason.startswith("Reverted to the version of "))
        self.assertTrue(latest.history_change_reason.endswith(": Back to the depositary's date"))
        clearance = factory.obligation(self.w.lb, Obligation.Kind.CLEARANCE)
        self.assertEqual(clearance.original_deadline, D(2021, 5, 1))

    def test_a_revert_from_a_page_loaded_before_another_save_is_refused(self):
        """Someone saving between loading the revert page and confirming it makes the revert a conflict."""
        url = revert_url(self.w.lb, self.original)
        page = self.client.get(url)
        factory.edit_as(self.w.lb, self.editor, "Notes added", notes="Meanwhile")
        r = self.client.post(url, factory.admin_post_data(page, reason="Back"))
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "since you opened it")
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.deposit_date, D(2011, 2, 10))


class DeletedRecordsTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def _delete(self, obj, reason="Entered by mistake"):
        r = self.client.post(factory.admin_change_url(obj, "delete"), {"post": "yes", "reason": reason})
        self.assertEqual(r.status_code, 302)

    def _restore_url(self, model, pk):
        row = model.history.filter(id=pk, history_type="-").latest()
        return f"/admin/tracker/{model._meta.model_name}/deleted/{row.history_id}/restore/"

    def test_deleted_records_are_listed_with_who_and_why(self):
        """The 'Deleted records' page of a model lists the deleted step, its deleter and reason."""
        self._delete(self.w.step)
        r = self.client.get("/admin/tracker/ratificationstep/deleted/")
        self.assertContains(r, "Parliamentary approval")
        self.assertContains(r, "Entered by mistake")
        self.assertContains(r, "erin")
        self.assertContains(self.client.get("/admin/tracker/ratificationstep/"), "Deleted records")

    def test_a_restore_asks_for_a_reason(self):
        """Restoring without a reason is refused."""
        self._delete(self.w.step)
        r = self.client.post(self._restore_url(RatificationStep, self.w.step.pk), {"reason": ""})
        self.assertEqual(r.status_code, 200)
        self.assertFalse(RatificationStep.objects.filter(pk=self.w.step.pk).exists())

    def test_a_participation_comes_back_with_its_steps_and_obligations(self):
        """Restoring a participation re-creates it under its id with the rows deleted along with it."""
        obligation_ids = set(self.w.lb.obligations.values_list("pk", flat=True))
        self._delete(self.w.lb)
        url = self._restore_url(Participation, self.w.lb.pk)
        page = self.client.get(url)
        self.assertContains(page, "Parliamentary approval")  # listed as restored with it
        r = self.client.post(url, {"reason": "Deleted the wrong State"})
        self.assertEqual(r.status_code, 302)
        restored = Participation.objects.get(pk=self.w.lb.pk)
        self.assertEqual(restored.entry_into_force_date, D(2011, 5, 1))
        self.assertTrue(RatificationStep.objects.filter(pk=self.w.step.pk).exists())
        self.assertEqual(set(restored.obligations.values_list("pk", flat=True)), obligation_ids)
        latest = restored.history.latest()
        self.assertEqual(
            (latest.history_change_reason, latest.history_user),
            ("Restored: Deleted the wrong State", self.editor),
        )
        step_row = RatificationStep.history.filter(id=self.w.step.pk).latest()
        self.assertIn("Deleted the wrong State", step_row.history_change_reason)
        self.assertContains(
            self.client.get("/admin/tracker/participation/deleted/"), "No deleted participations."
        )

    def test_a_record_whose_parent_is_gone_cannot_be_restored_alone(self):
        """A step of a deleted participation is refused in words until the participation is back."""
        self._delete(self.w.lb)
        r = self.client.post(self._restore_url(RatificationStep, self.w.step.pk), {"reason": "Needed"})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "restore that one first")
        self.assertFalse(RatificationStep.objects.filter(pk=self.w.step.pk).exists())

    def test_reviewers_see_deleted_records_but_cannot_restore_them(self):
        """The list is readable by reviewers, without restore buttons; the restore page is forbidden."""
        self._delete(self.w.step)
        reviewer = factory.make_user("rita", groups=["reviewers"])
        self.client.force_login(reviewer)
        r = self.client.get("/admin/tracker/ratificationstep/deleted/")
        self.assertContains(r, "Parliamentary approval")
        self.assertNotContains(r, "Restore…")
        self.assertEqual(
            self.client.get(self._restore_url(RatificationStep, self.w.step.pk)).status_code, 403
        )
