"""Withdrawals shown and counted: Lithuania's from the CCM (six months), a notice held by Art. 20(3)'s
armed-conflict proviso, and a declared "suspension" recorded as a statement."""

import datetime

from django.test import TestCase

from tests import factory
from tests.shipped import load_shipped_data
from tracker import rules
from tracker.models import Declaration, Participation, Treaty

D = datetime.date


class LithuaniaTestCase(TestCase):
    """Lithuania notified its withdrawal from the CCM on 6 September 2024 (UNTC end note 3)."""

    @classmethod
    def setUpTestData(cls):
        load_shipped_data()
        cls.treaty = Treaty.objects.get(slug="ccm")
        cls.lithuania = Participation.objects.get(treaty=cls.treaty, state__iso2="LT")

    def test_it_takes_effect_six_months_after_the_notice(self):
        self.assertEqual(self.lithuania.withdrawal_notice_date, D(2024, 9, 6))
        self.assertEqual(self.lithuania.withdrawal_effective_date, D(2025, 3, 6))
        self.assertEqual(self.lithuania.status(D(2024, 9, 6)), rules.PARTY)
        self.assertEqual(self.lithuania.status(D(2025, 3, 5)), rules.PARTY)
        self.assertEqual(self.lithuania.status(D(2025, 3, 6)), rules.WITHDRAWN)
        self.assertTrue(self.lithuania.withdrawal_pending(D(2025, 3, 5)))

    def test_it_is_counted_as_a_party_until_then(self):
        parties = Participation.objects.filter(treaty=self.treaty)
        self.assertTrue(parties.parties(D(2025, 3, 5)).filter(pk=self.lithuania.pk).exists())
        self.assertFalse(parties.parties(D(2025, 3, 6)).filter(pk=self.lithuania.pk).exists())

    def test_the_state_page_says_when_it_took_effect(self):
        response = self.client.get("/states/lt/")
        self.assertContains(response, "Notified on 6 September 2024")
        self.assertContains(response, "took effect on 6 March 2025")

    def test_the_list_shows_the_notice_on_a_day_before_the_effect(self):
        response = self.client.get("/states/", {"as_of": "2025-03-05", "q": "Lithuania"})
        self.assertContains(response, "withdrawal notified 6 Sep 2024, takes effect 6 Mar 2025")
        self.assertContains(response, "badge-party")
        self.assertNotContains(response, "badge-withdrawn")
        response = self.client.get("/states/", {"as_of": "2025-03-06", "q": "Lithuania"})
        self.assertContains(response, "withdrew: effective 6 Mar 2025")
        self.assertContains(response, "badge-withdrawn")
        # Before the notice, nothing of it is shown.
        response = self.client.get("/states/", {"as_of": "2024-09-05", "q": "Lithuania"})
        self.assertNotContains(response, "withdrawal notified")


class ArmedConflictTestCase(TestCase):
    """A notice whose six months end while the State is engaged in an armed conflict (Art. 20(3))."""

    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3))
        factory.make_parties(cls.treaty, 2)
        cls.source = factory.make_source(title="Report on the armed conflict")
        cls.state = factory.make_state("UA", "Ukraine", region="europe")
        cls.participation = factory.make_participation(
            cls.treaty,
            cls.state,
            signature_date=D(2009, 2, 24),
            deposit_date=D(2010, 12, 27),
            withdrawal_notice_date=D(2025, 6, 29),
            in_conflict_at_expiry=True,
            conflict_source=cls.source,
        )

    def test_it_stays_pending_beyond_six_months(self):
        p = Participation.objects.get(pk=self.participation.pk)
        self.assertIsNone(p.withdrawal_effective_date)
        self.assertEqual(p.withdrawal_expiry(), D(2025, 12, 29))
        for day in (D(2025, 12, 28), D(2025, 12, 29), D(2026, 6, 1), D(2030, 1, 1)):
            self.assertEqual(p.status(day), rules.PARTY, day)
            self.assertTrue(p.withdrawal_pending(day))

    def test_the_state_page_says_pending_with_its_source(self):
        response = self.client.get("/states/ua/")
        self.assertContains(response, "pending: the State was engaged in an armed conflict")
        self.assertContains(response, "29 December 2025")
        self.assertContains(response, "Report on the armed conflict")
        self.assertContains(response, "badge-party")
        self.assertNotContains(response, "took effect")

    def test_it_takes_effect_at_the_conflicts_recorded_end(self):
        p = Participation.objects.get(pk=self.participation.pk)
        p.conflict_ended_on = D(2026, 3, 1)
        p.full_clean()
        p.save()
        self.assertEqual(p.withdrawal_effective_date, D(2026, 3, 1))
        self.assertEqual(p.status(D(2026, 2, 28)), rules.PARTY)
        self.assertEqual(p.status(D(2026, 3, 1)), rules.WITHDRAWN)
        # Seen from a day before the recorded end, it was still pending.
        response = self.client.get("/states/", {"as_of": "2026-02-28", "q": "Ukraine"})
        self.assertContains(response, "pending: in armed conflict at expiry")
        self.assertContains(response, "badge-party")
        self.assertNotContains(response, "badge-withdrawn")
        response = self.client.get("/states/", {"as_of": "2026-03-01", "q": "Ukraine"})
        self.assertContains(response, "badge-withdrawn")

    def test_a_suspension_is_a_statement_not_a_status(self):
        Declaration.objects.create(
            participation=self.participation,
            kind=Declaration.Kind.STATEMENT,
            text="The State declared that it suspends the operation of the Convention.",
            source=self.source,
        )
        response = self.client.get("/states/ua/")
        self.assertContains(response, "<strong>Statement</strong>")
        self.assertContains(response, "it changes nothing in its status")
        self.assertContains(response, "badge-party")
        self.assertEqual(
            Participation.objects.get(pk=self.participation.pk).status(D(2026, 1, 1)), rules.PARTY
        )
