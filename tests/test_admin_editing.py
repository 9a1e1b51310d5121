"""The admin's forms: every model editable, inline rows, computed dates read-only, and a reason on every save."""

import datetime

from django.contrib import admin
from django.test import TestCase
from simple_history.admin import SimpleHistoryAdmin

from tests import factory
from tracker.history import KINDS
from tracker.models import Obligation, Participation, RatificationStep, State

D = datetime.date


class RegistrationTestCase(TestCase):
    def test_every_model_has_a_history_admin(self):
        """Each tracked kind of record is registered with a SimpleHistoryAdmin subclass."""
        for model in KINDS.values():
            self.assertIn(model, admin.site._registry, model)
            self.assertIsInstance(admin.site._registry[model], SimpleHistoryAdmin)

    def test_related_records_are_picked_by_autocomplete(self):
        """States, sources, meetings and participations are searched, not listed in a select."""
        participation_admin = admin.site._registry[Participation]
        self.assertIn("state", participation_admin.autocomplete_fields)
        self.assertIn("source", participation_admin.autocomplete_fields)
        step_admin = admin.site._registry[RatificationStep]
        self.assertIn("participation", step_admin.autocomplete_fields)


class EditingTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def test_the_change_form_asks_for_a_reason(self):
        """The participation form has the reason box, the hidden version and both inlines."""
        r = self.client.get(factory.admin_change_url(self.w.lb))
        self.assertContains(r, "Reason for this change")
        self.assertContains(r, 'name="version"')
        self.assertContains(r, 'name="steps-0-version"')
        self.assertContains(r, "Stockpile destruction")  # the obligations inline

    def test_a_save_without_a_reason_is_refused(self):
        """Nothing is saved until the editor says why."""
        url = factory.admin_change_url(self.w.lb)
        data = factory.admin_post_data(self.client.get(url), notes="Declaration", reason="")
        r = self.client.post(url, data)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "This field is required.")
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.notes, "")

    def test_the_reason_is_stored_on_the_record_and_its_inline_rows(self):
        """One reason goes to the history of the participation, the step changed and the step added."""
        url = factory.admin_change_url(self.w.lb)
        data = factory.admin_post_data(
            self.client.get(url),
            notes="Declaration under Article 21",
            reason="Declaration from the depositary notification",
            **{"steps-0-description": "Parliament approved accession."},
        )
        data.update(
            {
                "steps-TOTAL_FORMS": "2",
                "steps-1-kind": RatificationStep.Kind.INSTRUMENT_DEPOSITED,
                "steps-1-date": "2010-11-05",
                "steps-1-date_precision": "day",
                "steps-1-description": "Instrument deposited in New York.",
                "steps-1-expected_precision": "day",
                "steps-1-participation": str(self.w.lb.pk),
            }
        )
        r = self.client.post(url, data)
        self.assertEqual(r.status_code, 302, r.context and r.context["errors"])
        reason = "Declaration from the depositary notification"
        latest = self.w.lb.history.latest()
        self.assertEqual((latest.history_change_reason, latest.history_user), (reason, self.editor))
        self.assertEqual(self.w.step.history.latest().history_change_reason, reason)
        added = RatificationStep.objects.get(kind=RatificationStep.Kind.INSTRUMENT_DEPOSITED)
        self.assertEqual(added.history.get().history_change_reason, reason)
        self.assertEqual(added.history.get().history_user, self.editor)

    def test_computed_dates_cannot_be_typed(self):
        """A posted entry-into-force date is ignored; the deposit date decides it."""
        url = factory.admin_change_url(self.w.lb)
        data = factory.admin_post_data(
            self.client.get(url),
            deposit_date="2011-03-02",
            entry_into_force_date="2020-01-01",
            reason="Deposit date corrected",
        )
        self.assertEqual(self.client.post(url, data).status_code, 302)
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.entry_into_force_date, D(2011, 9, 1))

    def test_computed_dates_are_shown_read_only(self):
        """Entry into force and the deadlines are displayed, not editable."""
        r = self.client.get(factory.admin_change_url(self.w.lb))
        self.assertContains(r, "1 May 2011")
        self.assertNotContains(r, 'name="entry_into_force_date"')
        self.assertNotContains(r, 'name="obligations-0-current_deadline"')

    def test_validation_messages_are_in_words(self):
        """A deposit before the signature is refused with the model's sentence."""
        url = factory.admin_change_url(self.w.lb)
        data = factory.admin_post_data(self.client.get(url), deposit_date="2008-01-01", reason="Typo fix")
        r = self.client.post(url, data)
        self.assertContains(r, "The instrument cannot be deposited before the State signed.")

    def test_the_list_shows_the_status_computed_by_the_model(self):
        """The participations list has a status column and filter using the model's own rule."""
        r = self.client.get("/admin/tracker/participation/?status=signatory")
        self.assertContains(r, "Angola")
        self.assertNotContains(r, "Lebanon</a>")
        self.assertContains(r, "Signatory")

    def test_adding_a_record_asks_for_a_reason_too(self):
        """A new State is created with its reason in the history."""
        r = self.client.post(
            "/admin/tracker/state/add/",
            {
                "name": "Niue",
                "iso2": "nu",
                "iso3": "niu",
                "region": State.Region.OCEANIA,
                "membership": State.Membership.OTHER,
                "participations-TOTAL_FORMS": "0",
                "participations-INITIAL_FORMS": "0",
                "reason": "Tracked as a state in free association",
            },
        )
        self.assertEqual(r.status_code, 302)
        niue = State.objects.get(iso2="NU")
        self.assertEqual(niue.history.get().history_change_reason, "Tracked as a state in free association")


class InlineEditingTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def test_a_state_page_lists_its_participations_compactly(self):
        """Angola's page has its participation as one table row, with the status computed."""
        r = self.client.get(factory.admin_change_url(self.w.angola))
        self.assertContains(r, 'name="participations-0-deposit_date"')
        self.assertContains(r, "Signatory")

    def test_a_deposit_entered_on_the_state_page_is_saved_with_the_reason(self):
        """Entering Angola's deposit inline computes its entry into force and records the reason."""
        url = factory.admin_change_url(self.w.angola)
        data = factory.admin_post_data(
            self.client.get(url),
            reason="Ratification deposited",
            **{"participations-0-deposit_date": "2011-01-10", "participations-0-instrument": "ratification"},
        )
        self.assertEqual(self.client.post(url, data).status_code, 302)
        self.w.ao.refresh_from_db()
        self.assertEqual(self.w.ao.entry_into_force_date, D(2011, 7, 1))
        self.assertEqual(self.w.ao.history.latest().history_change_reason, "Ratification deposited")

    def test_an_extension_granted_on_the_obligation_page_moves_the_deadline(self):
        """Adding a granted extension inline recomputes the current deadline, with the reason on both."""
        clearance = factory.obligation(self.w.lb, Obligation.Kind.CLEARANCE)
        url = factory.admin_change_url(clearance)
        data = factory.admin_post_data(self.client.get(url), reason="Granted at the 9MSP")
        data.update(
            {
                "extensions-TOTAL_FORMS": "1",
                "extensions-0-obligation": str(clearance.pk),
                "extensions-0-requested_on": "2020-03-01",
                "extensions-0-requested_deadline": "2023-05-01",
                "extensions-0-decision": "granted",
                "extensions-0-meeting": str(self.w.meeting.pk),
                "extensions-0-decided_on": "2020-11-20",
                "extensions-0-new_deadline": "2023-05-01",
                "extensions-0-new_deadline_precision": "day",
            }
        )
        r = self.client.post(url, data)
        self.assertEqual(r.status_code, 302, r.context and r.context["errors"])
        clearance.refresh_from_db()
        self.assertEqual(
            (clearance.original_deadline, clearance.current_deadline), (D(2021, 5, 1), D(2023, 5, 1))
        )
        extension = clearance.extensions.get()
        self.assertEqual(extension.history.get().history_change_reason, "Granted at the 9MSP")

    def test_an_extension_too_long_is_refused_in_words(self):
        """A clearance extension of more than five years is refused with the treaty's limit."""
        clearance = factory.obligation(self.w.lb, Obligation.Kind.CLEARANCE)
        url = factory.admin_change_url(clearance)
        data = factory.admin_post_data(self.client.get(url), reason="Request")
        data.update(
            {
                "extensions-TOTAL_FORMS": "1",
                "extensions-0-obligation": str(clearance.pk),
                "extensions-0-requested_deadline": "2030-05-01",
                "extensions-0-decision": "pending",
                "extensions-0-new_deadline_precision": "day",
            }
        )
        r = self.client.post(url, data)
        self.assertContains(r, "One extension may last at most 5 years")

    def test_a_working_group_page_has_its_coordinators(self):
        """The working group's assignments are edited inline, with autocomplete for the State."""
        r = self.client.get(factory.admin_change_url(self.w.group))
        self.assertContains(r, 'name="assignments-0-term_start"')
        self.assertContains(r, 'data-model-name="coordinatorassignment"')


class DeletingTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def test_the_delete_page_asks_for_a_reason(self):
        """Confirming without a reason shows the page again and deletes nothing."""
        url = factory.admin_change_url(self.w.step, "delete")
        self.assertContains(self.client.get(url), "Reason for this change")
        r = self.client.post(url, {"post": "yes", "reason": ""})
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "This field is required.")
        self.assertTrue(RatificationStep.objects.filter(pk=self.w.step.pk).exists())

    def test_a_deletion_keeps_its_reason_in_the_history(self):
        """The deleted step's last history row says who deleted it and why."""
        url = factory.admin_change_url(self.w.step, "delete")
        r = self.client.post(url, {"post": "yes", "reason": "Duplicate of another step"})
        self.assertEqual(r.status_code, 302)
        last = RatificationStep.history.filter(id=self.w.step.pk).latest()
        self.assertEqual(last.history_type, "-")
        self.assertEqual(
            (last.history_change_reason, last.history_user), ("Duplicate of another step", self.editor)
        )

    def test_rows_deleted_along_with_a_record_get_the_reason(self):
        """Deleting a participation gives its cascaded steps and obligations a reason too."""
        self.client.post(
            factory.admin_change_url(self.w.lb, "delete"), {"post": "yes", "reason": "Entered twice"}
        )
        self.assertFalse(Participation.objects.filter(pk=self.w.lb.pk).exists())
        step_row = RatificationStep.history.filter(id=self.w.step.pk).latest()
        self.assertEqual(step_row.history_type, "-")
        self.assertIn("Entered twice", step_row.history_change_reason)
        for row in Obligation.history.filter(participation_id=self.w.lb.pk, history_type="-"):
            self.assertIn("Entered twice", row.history_change_reason)

    def test_there_is_no_bulk_delete(self):
        """The list offers no 'delete selected' action, which would skip the reason."""
        r = self.client.get("/admin/tracker/ratificationstep/")
        self.assertNotContains(r, "delete_selected")
