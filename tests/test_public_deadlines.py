"""/deadlines/ and /deadlines.ics: upcoming and overdue deadlines, and their calendar."""

import datetime

import icalendar
from django.test import TestCase
from django.urls import reverse

from tests import factory
from tracker.models import Extension, Obligation

D = datetime.date


def states(obligations):
    return [(o.participation.state.iso2, o.kind) for o in obligations]


class DeadlineListTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def get(self, **params):
        return self.client.get(reverse("deadline-list"), params)

    def test_it_lists_overdue_upcoming_and_recently_completed_obligations(self):
        """Lebanon's clearance is overdue, Albania's due in 100 days, Austria's stockpiles done last year."""
        response = self.get()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(states(response.context["overdue"]), [("LB", "clearance")])
        self.assertEqual(states(response.context["upcoming"]), [("AL", "clearance")])
        self.assertEqual(states(response.context["completed"]), [("AT", "stockpile")])
        self.assertContains(response, "<title>Stockpile destruction and clearance deadlines")

    def test_unknown_applicability_is_listed_apart_and_collapsed(self):
        """Deadlines of unrecorded applicability are in a closed <details>, opened by applicability=all."""
        response = self.get()
        unrecorded = states(response.context["unrecorded"])
        self.assertIn(("SZ", "stockpile"), unrecorded)
        self.assertNotIn(("LB", "clearance"), unrecorded)
        self.assertNotIn("LT", [iso2 for iso2, _ in unrecorded], "a withdrawn State has no deadline")
        self.assertContains(response, '<details class="unrecorded">')
        self.assertContains(self.get(applicability="all"), '<details class="unrecorded" open>')

    def test_filters_by_kind_treaty_and_status(self):
        """kind=stockpile drops the clearance deadlines; status=overdue shows only the overdue."""
        response = self.get(kind="stockpile")
        self.assertEqual(response.context["overdue"], [])
        self.assertEqual(response.context["upcoming"], [])
        response = self.get(status="overdue")
        self.assertIsNone(response.context["upcoming"])
        self.assertEqual(states(response.context["overdue"]), [("LB", "clearance")])
        self.assertEqual(self.get(treaty="ccm").context["overdue"], response.context["overdue"])

    def test_a_pending_extension_request_is_not_overdue(self):
        """A deadline passed with a request whose meeting is still to end is listed apart, not as overdue."""
        coming = factory.make_meeting(
            self.w.treaty,
            number=20,
            name="Twentieth Meeting of States Parties",
            short_name="20MSP",
            start_date=self.w.today + datetime.timedelta(days=30),
            end_date=self.w.today + datetime.timedelta(days=33),
        )
        Extension.objects.create(obligation=self.w.lb_clearance, requested_on=D(2020, 12, 1), meeting=coming)
        response = self.get()
        self.assertEqual(response.context["overdue"], [])
        self.assertEqual(states(response.context["awaiting"]), [("LB", "clearance")])
        self.assertContains(response, "extension requested, decision awaited")

    def test_a_request_whose_meeting_ended_without_a_recorded_decision_is_a_gap_not_a_wait(self):
        """After its meeting, a request with no recorded outcome is neither awaited nor overdue."""
        Extension.objects.create(
            obligation=self.w.lb_clearance, requested_on=D(2011, 12, 1), meeting=self.w.msp3
        )
        response = self.get()
        self.assertEqual(response.context["overdue"], [])
        self.assertEqual(response.context["awaiting"], [])
        self.assertEqual(states(response.context["outcome_unrecorded"]), [("LB", "clearance")])
        self.assertContains(response, "outcome of the extension request not recorded")
        self.assertNotContains(response, "decision awaited")

    def test_bad_filters_are_ignored_with_a_message(self):
        """kind=zzz and a NUL byte are named; the page still lists everything."""
        response = self.get(kind="zzz", treaty="\x00", status="later")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["ignored"]), 3)
        self.assertEqual(states(response.context["overdue"]), [("LB", "clearance")])


class DeadlineCalendarTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def calendar(self, **params):
        response = self.client.get(reverse("deadlines-ics"), params)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/calendar; charset=utf-8")
        return icalendar.Calendar.from_ical(response.content)

    def events(self, **params):
        return {str(event["UID"]): event for event in self.calendar(**params).walk("VEVENT")}

    def test_one_all_day_event_per_open_applicable_deadline(self):
        """Lebanon's (overdue) and Albania's (upcoming) clearance deadlines; not Austria's completed one."""
        events = self.events()
        self.assertEqual(
            set(events),
            {
                f"obligation-{self.w.lb_clearance.pk}@treaty-tracker",
                f"obligation-{self.w.al_clearance.pk}@treaty-tracker",
            },
        )
        lebanon = events[f"obligation-{self.w.lb_clearance.pk}@treaty-tracker"]
        self.assertEqual(str(lebanon["SUMMARY"]), "Lebanon: clearance deadline (CCM Art. 4)")
        self.assertEqual(lebanon.decoded("DTSTART"), D(2021, 5, 1))
        self.assertEqual(lebanon.decoded("DTEND"), D(2021, 5, 2))
        self.assertEqual(str(lebanon["URL"]), "http://testserver/states/lb/")
        self.assertEqual(lebanon.decoded("DTSTAMP"), self.w.lb_clearance.updated_at.replace(microsecond=0))

    def test_uids_are_stable_across_requests_and_edits(self):
        """Two requests give the same UIDs; an extension moves the date and raises SEQUENCE, same UID."""
        first = self.events()
        self.assertEqual(set(first), set(self.events()))
        uid = f"obligation-{self.w.lb_clearance.pk}@treaty-tracker"
        Extension.objects.create(
            obligation=self.w.lb_clearance,
            requested_on=D(2020, 12, 1),
            decision=Extension.Decision.GRANTED,
            decided_on=D(2021, 4, 1),
            new_deadline=D(2026, 5, 1),
        )
        moved = self.events()[uid]
        self.assertEqual(moved.decoded("DTSTART"), D(2026, 5, 1))
        self.assertGreater(int(moved["SEQUENCE"]), int(first[uid]["SEQUENCE"]))

    def test_unknown_applicability_joins_only_with_applicability_all(self):
        """applicability=all adds the deadlines no source says apply, marked as such."""
        events = self.events(applicability="all")
        summaries = [str(event["SUMMARY"]) for event in events.values()]
        self.assertIn(
            "Eswatini: stockpile destruction deadline (CCM Art. 3) – applicability not recorded", summaries
        )
        self.assertGreater(len(events), 2)
        self.assertFalse(any(summary.startswith("Lithuania") for summary in summaries))

    def test_a_pending_extension_request_is_not_an_overdue_event(self):
        """status=overdue leaves out a passed deadline whose extension request awaits its decision."""
        uid = f"obligation-{self.w.lb_clearance.pk}@treaty-tracker"
        self.assertIn(uid, self.events(status="overdue"))
        Extension.objects.create(
            obligation=self.w.lb_clearance, requested_on=D(2020, 12, 1), meeting=self.w.msp3
        )
        self.assertNotIn(uid, self.events(status="overdue"))
        self.assertIn(uid, self.events(), "the deadline itself stays in the full calendar")

    def test_filters_apply_and_bad_ones_are_refused(self):
        """kind=stockpile gives no event here; kind=zzz is a 400."""
        self.assertEqual(self.events(kind="stockpile"), {})
        self.assertEqual(self.client.get(reverse("deadlines-ics"), {"kind": "zzz"}).status_code, 400)

    def test_a_not_applicable_obligation_has_no_event(self):
        """Marking Lebanon's clearance as not applying removes its event."""
        self.w.lb_clearance.applicability = Obligation.Applicability.NOT_APPLICABLE
        self.w.lb_clearance.save()
        self.assertEqual(len(self.events()), 1)
