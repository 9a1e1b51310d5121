"""The models: computed dates, validation in words, database constraints and history."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

from tests import factory
from tracker import rules
from tracker.models import Extension, Obligation, Participation, Treaty

D = datetime.date


class EntryIntoForceTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty()
        cls.first = factory.make_parties(cls.treaty, 29)

    def test_no_state_is_in_force_before_the_thirtieth_deposit(self):
        """With 29 deposits nobody has an entry-into-force date, nor any deadline."""
        self.treaty.refresh_from_db()
        self.assertIsNone(self.treaty.entry_into_force_date)
        self.first[0].refresh_from_db()
        self.assertIsNone(self.first[0].entry_into_force_date)
        self.assertIsNone(factory.obligation(self.first[0]).original_deadline)

    def test_the_thirtieth_deposit_brings_everyone_into_force(self):
        """The 30th deposit sets the general date for all 30 and their deadlines follow."""
        state = factory.make_state("ZZ", "Thirtieth")
        factory.make_participation(self.treaty, state, deposit_date=D(2010, 2, 16))
        self.treaty.refresh_from_db()
        self.assertEqual(self.treaty.threshold_date, D(2010, 2, 16))
        self.assertEqual(self.treaty.entry_into_force_date, D(2010, 8, 1))
        first = Participation.objects.get(pk=self.first[0].pk)
        self.assertEqual(first.entry_into_force_date, D(2010, 8, 1))
        self.assertEqual(factory.obligation(first).original_deadline, D(2018, 8, 1))
        self.assertEqual(factory.obligation(first, Obligation.Kind.CLEARANCE).current_deadline, D(2020, 8, 1))
        reasons = set(first.history.values_list("history_change_reason", flat=True))
        self.assertIn(
            "Recomputed by the treaty's rules after a change to the participation “Thirtieth – CCM”", reasons
        )

    def test_a_later_state_counts_from_its_own_deposit(self):
        """After the threshold, a deposit on 5 Nov 2010 enters into force on 1 May 2011 (Lebanon)."""
        factory.make_participation(
            self.treaty, factory.make_state("ZZ", "Thirtieth"), deposit_date=D(2010, 2, 16)
        )
        lebanon = factory.make_participation(
            self.treaty,
            factory.make_state("LB", "Lebanon"),
            signature_date=D(2008, 12, 3),
            deposit_date=D(2010, 11, 5),
        )
        self.assertEqual(lebanon.entry_into_force_date, D(2011, 5, 1))
        self.assertEqual(lebanon.status(D(2010, 11, 5)), rules.PARTY)
        self.assertFalse(lebanon.in_force(D(2011, 4, 30)))
        self.assertTrue(lebanon.in_force(D(2011, 5, 1)))

    def test_changing_the_rule_recomputes_every_date(self):
        """The rules are data: switching the treaty to 90 days after deposit moves every date."""
        late = factory.make_participation(
            self.treaty, factory.make_state("ZZ", "Late"), deposit_date=D(2011, 1, 10)
        )
        self.treaty.refresh_from_db()
        self.treaty.eif_rule = Treaty.EifRule.DAYS_AFTER
        self.treaty.eif_period = 90
        self.treaty.save()
        late.refresh_from_db()
        # The late deposit is the 30th: everyone enters into force 90 days after it.
        self.assertEqual(self.treaty.entry_into_force_date, D(2011, 4, 10))
        self.assertEqual(late.entry_into_force_date, D(2011, 4, 10))
        self.assertEqual(Participation.objects.get(pk=self.first[0].pk).entry_into_force_date, D(2011, 4, 10))

    def test_withdrawal_effective_date_is_computed(self):
        """A notice on 6 Sep 2024 takes effect on 6 Mar 2025 and the State is then withdrawn."""
        party = self.first[3]
        party.withdrawal_notice_date = D(2024, 9, 6)
        party.save()
        party.refresh_from_db()
        self.assertEqual(party.withdrawal_effective_date, D(2025, 3, 6))
        self.assertEqual(party.status(D(2025, 3, 6)), rules.WITHDRAWN)


class ArmedConflictProvisoTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty()
        cls.parties = factory.make_parties(cls.treaty, 30)

    def test_a_withdrawal_stays_pending_until_the_conflict_ends(self):
        """Notice 27 Jun 2025, in conflict on 27 Dec 2025: a party on every day until the recorded end."""
        party = self.parties[5]
        party.withdrawal_notice_date = D(2025, 6, 27)
        party.in_conflict_at_expiry = True
        party.full_clean()
        party.save()
        party.refresh_from_db()
        self.assertIsNone(party.withdrawal_effective_date)
        self.assertEqual(party.withdrawal_expiry(), D(2025, 12, 27))
        for day in (D(2025, 12, 27), D(2026, 12, 1), D(2040, 1, 1)):
            self.assertEqual(party.status(day), rules.PARTY)
            self.assertTrue(party.withdrawal_pending(day))
            self.assertIn(party, Participation.objects.parties(day))

        party.conflict_ended_on = D(2027, 3, 15)
        party.save()
        party.refresh_from_db()
        self.assertEqual(party.withdrawal_effective_date, D(2027, 3, 15))
        self.assertEqual(party.status(D(2027, 3, 14)), rules.PARTY)
        self.assertEqual(party.status(D(2027, 3, 15)), rules.WITHDRAWN)
        self.assertNotIn(party, Participation.objects.parties(D(2027, 3, 15)))
        # As known before the conflict ended, the withdrawal was still pending.
        self.assertIsNone(party.known_on(D(2027, 1, 1)).withdrawal_effective_date)

    def test_the_proviso_fields_are_refused_in_words_where_they_do_not_apply(self):
        """No conflict without a notice, no end without a conflict, none under a treaty without the proviso."""
        party = self.parties[6]
        party.in_conflict_at_expiry = True
        with self.assertRaises(ValidationError) as caught:
            party.full_clean()
        self.assertIn("notified withdrawal", caught.exception.message_dict["in_conflict_at_expiry"][0])
        party.withdrawal_notice_date, party.in_conflict_at_expiry = D(2025, 1, 1), False
        party.conflict_ended_on = D(2026, 1, 1)
        with self.assertRaises(ValidationError) as caught:
            party.full_clean()
        self.assertIn("conflict_ended_on", caught.exception.message_dict)
        party.treaty.withdrawal_conflict_proviso = False
        party.in_conflict_at_expiry, party.conflict_ended_on = True, None
        with self.assertRaises(ValidationError) as caught:
            party.full_clean()
        self.assertIn("no armed-conflict proviso", caught.exception.message_dict["in_conflict_at_expiry"][0])

    def test_a_notification_comes_after_the_act_it_reports(self):
        """A C.N. dated before the deposit it reports is refused in words."""
        party = self.parties[7]
        party.deposit_notification = "C.N.1.2009.TREATIES-XXVI.6"
        party.deposit_notification_date = party.deposit_date - datetime.timedelta(days=1)
        with self.assertRaises(ValidationError) as caught:
            party.full_clean()
        self.assertIn("after it is made", caught.exception.message_dict["deposit_notification_date"][0])


class StatusQuerySetTestCase(TestCase):
    def test_querysets_agree_with_the_rule_on_every_day(self):
        """The SQL filters name the same states as Participation.status() on sample days."""
        treaty = factory.make_treaty()
        parties = factory.make_parties(treaty, 31)
        parties[0].withdrawal_notice_date = D(2012, 1, 10)
        parties[0].save()
        factory.make_participation(treaty, factory.make_state("SG", "Signer"), signature_date=D(2009, 1, 20))
        factory.make_participation(treaty, factory.make_state("CO", "Considering"))
        everyone = list(Participation.objects.all())
        for day in (D(2008, 12, 2), D(2009, 1, 20), D(2009, 1, 21), D(2012, 7, 10), D(2030, 1, 1)):
            for status in rules.STATUSES:
                expected = {p.pk for p in everyone if p.status(day) == status}
                found = set(Participation.objects.with_status(status, day).values_list("pk", flat=True))
                self.assertEqual(found, expected, f"{status} on {day}")


class ParticipationValidationTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3))
        cls.state = factory.make_state()

    def errors(self, **kwargs):
        participation = Participation(treaty=self.treaty, state=self.state, **kwargs)
        with self.assertRaises(ValidationError) as caught:
            participation.full_clean()
        return caught.exception.message_dict

    def test_deposit_before_signature_is_refused_in_words(self):
        """An instrument deposited before the signature gets a sentence, not a crash."""
        errors = self.errors(
            signature_date=D(2009, 1, 1), deposit_date=D(2008, 12, 31), instrument="ratification"
        )
        self.assertIn("before the State signed", errors["deposit_date"][0])

    def test_instrument_and_deposit_go_together(self):
        """A deposit needs its instrument and an instrument its deposit."""
        self.assertIn("instrument", self.errors(deposit_date=D(2010, 1, 1)))
        self.assertIn("deposit_date", self.errors(instrument="accession"))

    def test_signature_before_the_treaty_opened(self):
        """Nobody signed the CCM before it opened for signature on 3 Dec 2008."""
        self.assertIn("opened for signature", self.errors(signature_date=D(2008, 5, 30))["signature_date"][0])

    def test_withdrawal_needs_a_deposit(self):
        """Only a State that deposited can withdraw, and not before its deposit."""
        self.assertIn("withdrawal_notice_date", self.errors(withdrawal_notice_date=D(2012, 1, 1)))
        errors = self.errors(
            deposit_date=D(2012, 1, 1), instrument="accession", withdrawal_notice_date=D(2011, 1, 1)
        )
        self.assertIn("before the deposit", errors["withdrawal_notice_date"][0])

    def test_one_participation_per_state_and_treaty(self):
        """The database refuses a second row for the same State and treaty."""
        factory.make_participation(self.treaty, self.state)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Participation.objects.create(treaty=self.treaty, state=self.state)

    def test_the_database_refuses_unordered_dates(self):
        """A check constraint stops a deposit before the signature even without the form."""
        with self.assertRaises(IntegrityError), transaction.atomic():
            Participation.objects.create(
                treaty=self.treaty,
                state=self.state,
                signature_date=D(2009, 1, 1),
                deposit_date=D(2008, 12, 31),
                instrument="ratification",
            )


class ExtensionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty()
        factory.make_parties(cls.treaty, 30, first_deposit=D(2009, 1, 1))
        bulgaria = factory.make_participation(
            cls.treaty,
            factory.make_state("BG", "Bulgaria"),
            signature_date=D(2008, 12, 3),
            deposit_date=D(2011, 4, 6),
        )
        cls.obligation = factory.obligation(bulgaria)
        cls.meeting = factory.make_meeting(
            cls.treaty,
            number=9,
            short_name="9MSP",
            city="Geneva",
            start_date=D(2019, 9, 2),
            end_date=D(2019, 9, 4),
        )

    def extension(self, **kwargs):
        return Extension(obligation=self.obligation, **kwargs)

    def test_granted_extensions_move_the_current_deadline(self):
        """Real: Bulgaria's Oct 2019 deadline, extended to Apr 2021 and then to 31 Dec 2023."""
        self.assertEqual(self.obligation.original_deadline, D(2019, 10, 1))
        first = self.extension(decision="granted", meeting=self.meeting, new_deadline=D(2021, 4, 1))
        first.full_clean()
        first.save()
        second = self.extension(decision="granted", new_deadline=D(2023, 12, 31))
        second.full_clean()
        second.save()
        self.obligation.refresh_from_db()
        self.assertEqual(self.obligation.current_deadline, D(2023, 12, 31))
        second.delete()
        self.obligation.refresh_from_db()
        self.assertEqual(self.obligation.current_deadline, D(2021, 4, 1))

    def test_an_extension_must_end_after_the_deadline_it_extends(self):
        """A new deadline on or before the current one is refused in words."""
        with self.assertRaisesMessage(ValidationError, "must end after the deadline it extends"):
            self.extension(decision="granted", new_deadline=D(2019, 10, 1)).full_clean()

    def test_a_stockpile_extension_lasts_at_most_four_years(self):
        """Art. 3(3): up to four years per extension."""
        with self.assertRaisesMessage(ValidationError, "at most 4 years"):
            self.extension(decision="granted", new_deadline=D(2023, 10, 2)).full_clean()
        self.extension(decision="granted", new_deadline=D(2023, 10, 1)).full_clean()

    def test_a_granted_extension_needs_its_deadline(self):
        """Granting without a new deadline is refused by the form and by the database."""
        with self.assertRaisesMessage(ValidationError, "needs its new deadline"):
            self.extension(decision="granted").full_clean()
        with self.assertRaises(IntegrityError), transaction.atomic():
            Extension.objects.create(obligation=self.obligation, decision="granted")

    def test_pending_requests_do_not_move_the_deadline(self):
        """Only a granted extension changes the current deadline."""
        self.extension(
            decision="pending", requested_deadline=D(2021, 4, 1), requested_on=D(2019, 1, 15)
        ).save()
        self.obligation.refresh_from_db()
        self.assertEqual(self.obligation.current_deadline, D(2019, 10, 1))

    def test_late_request_is_flagged(self):
        """A request filed under nine months before its meeting is marked late."""
        late = self.extension(requested_on=D(2019, 1, 15), meeting=self.meeting)
        self.assertTrue(late.request_is_late)


class ObligationTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty()
        cls.party = factory.make_parties(cls.treaty, 30, first_deposit=D(2009, 1, 1))[0]

    def test_every_party_gets_both_obligations(self):
        """Participation.save creates stockpile and clearance obligations, applicability not recorded."""
        kinds = set(self.party.obligations.values_list("kind", "applicability"))
        self.assertEqual(kinds, {("stockpile", "unknown"), ("clearance", "unknown")})

    def test_overdue_and_upcoming_querysets(self):
        """Only applicable, unfinished obligations are overdue or upcoming."""
        stockpile = factory.obligation(self.party)
        stockpile.applicability = Obligation.Applicability.APPLICABLE
        stockpile.save()
        deadline = stockpile.current_deadline
        self.assertEqual(deadline, D(2017, 7, 1))  # EIF 1 Jul 2009 + 8 years
        after = deadline + datetime.timedelta(days=1)
        self.assertEqual(list(Obligation.objects.overdue(after)), [stockpile])
        self.assertEqual(list(Obligation.objects.overdue(deadline)), [])
        self.assertEqual(list(Obligation.objects.upcoming(D(2017, 1, 1), days=365)), [stockpile])
        self.assertEqual(list(Obligation.objects.upcoming(D(2016, 1, 1), days=365)), [])
        stockpile.completed_on = D(2017, 6, 1)
        stockpile.save()
        self.assertEqual(list(Obligation.objects.overdue(after)), [])
        self.assertEqual(stockpile.status(after), rules.COMPLETED)

    def test_hostilities_date_only_for_clearance(self):
        """Art. 4(1)(b) dates belong to clearance, after entry into force."""
        stockpile = factory.obligation(self.party)
        stockpile.hostilities_ended_on = D(2015, 1, 1)
        with self.assertRaisesMessage(ValidationError, "Only a clearance deadline"):
            stockpile.full_clean()
        clearance = factory.obligation(self.party, Obligation.Kind.CLEARANCE)
        clearance.hostilities_ended_on = D(2015, 1, 1)
        clearance.save()
        self.assertEqual(clearance.current_deadline, D(2025, 1, 1))


class CoordinatorTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty()
        cls.group = factory.make_group(cls.treaty)
        cls.zambia = factory.make_state("ZM", "Zambia", region="africa")
        cls.holy_see = factory.make_state("VA", "Holy See", region="europe")
        factory.make_assignment(cls.group, cls.zambia)

    def test_a_state_cannot_be_assigned_twice_to_the_same_term(self):
        """The same coordinator on an overlapping term of the same group is refused in words."""
        from tracker.models import CoordinatorAssignment

        twice = CoordinatorAssignment(group=self.group, state=self.zambia, term_start=D(2012, 1, 1))
        with self.assertRaisesMessage(ValidationError, "already a coordinator"):
            twice.full_clean()

    def test_seats_are_not_overfilled(self):
        """Two seats: a third State during the same term is refused; a later term is fine."""
        from tracker.models import CoordinatorAssignment

        factory.make_assignment(self.group, self.holy_see)
        third = CoordinatorAssignment(
            group=self.group, state=factory.make_state("AT", "Austria"), term_start=D(2011, 9, 16)
        )
        with self.assertRaisesMessage(ValidationError, "seat"):
            third.full_clean()
        third.term_start, third.term_end = D(2012, 9, 14), D(2014, 9, 5)
        third.full_clean()


class HistoryTestCase(TestCase):
    def test_every_save_is_recorded_with_its_reason_and_deletions_are_kept(self):
        """History keeps each version, the reason given, and the record after deletion."""
        treaty = factory.make_treaty()
        state = factory.make_state()
        participation = factory.make_participation(treaty, state, signature_date=D(2008, 12, 3))
        participation.notes = "Law before parliament."
        participation._change_reason = "Reported at the 2nd Meeting"
        participation.save()
        self.assertEqual(participation.version, 2)
        latest = participation.history.first()
        self.assertEqual(latest.history_change_reason, "Reported at the 2nd Meeting")
        self.assertEqual(latest.notes, "Law before parliament.")
        pk = participation.pk
        participation.delete()
        self.assertEqual(Participation.history.filter(id=pk).first().history_type, "-")


class SecondTreatyTestCase(TestCase):
    def test_the_mine_ban_convention_is_added_as_data_alone(self):
        """APMBC rules as a Treaty row: 40 instruments, 4-year stockpile deadline without extension."""
        apmbc = factory.make_treaty(
            "apmbc",
            name="Anti-Personnel Mine Ban Convention",
            eif_instruments=40,
            stockpile_years=4,
            stockpile_extension_years=None,
            clearance_extension_years=10,
        )
        parties = factory.make_parties(apmbc, 40, first_deposit=D(1997, 12, 3), prefix="M")
        apmbc.refresh_from_db()
        self.assertEqual(apmbc.threshold_date, D(1998, 1, 11))
        self.assertEqual(apmbc.entry_into_force_date, D(1998, 7, 1))
        stockpile = factory.obligation(Participation.objects.get(pk=parties[0].pk))
        self.assertEqual(stockpile.original_deadline, D(2002, 7, 1))
        with self.assertRaisesMessage(ValidationError, "allows no extension"):
            Extension(obligation=stockpile, decision="granted", new_deadline=D(2003, 1, 1)).full_clean()
