"""The treaty rules, tested as plain functions: no database, no HTTP.

Dates marked "real" come from the depositary's record and independent
confirmations listed in the shared reference data (ccm_articles.md,
SOURCES.md): they are the ground truth the rules must reproduce.
"""

import datetime
import unittest

from tracker import partial_dates, rules

D = datetime.date
ATT = rules.TreatyRules(eif_instruments=50, eif_rule=rules.EIF_DAYS_AFTER, eif_period=90)
APMBC = rules.TreatyRules(
    eif_instruments=40, stockpile_years=4, stockpile_extension_years=None, clearance_extension_years=10
)
CCM_THRESHOLD = D(2010, 2, 16)  # Burkina Faso and Moldova, the 29th and 30th instruments


class CalendarArithmeticTestCase(unittest.TestCase):
    def test_add_months_clamps_to_the_end_of_a_short_month(self):
        """31 August plus six months is the last day of February, not a day in March."""
        self.assertEqual(rules.add_months(D(2024, 8, 31), 6), D(2025, 2, 28))
        self.assertEqual(rules.add_months(D(2023, 8, 31), 6), D(2024, 2, 29))

    def test_add_months_crosses_the_year(self):
        """December plus six months is June of the next year."""
        self.assertEqual(rules.add_months(D(2011, 12, 15), 6), D(2012, 6, 15))
        self.assertEqual(rules.add_months(D(2011, 12, 15), -12), D(2010, 12, 15))

    def test_add_years_moves_29_february_to_28_february(self):
        """A period counted from 29 February ends on 28 February in a common year."""
        self.assertEqual(rules.add_years(D(2012, 2, 29), 8), D(2020, 2, 29))
        self.assertEqual(rules.add_years(D(2012, 2, 29), 10), D(2022, 2, 28))

    def test_first_day_of_month_after_ignores_the_day(self):
        """The 1st and the 31st of a month give the same first day six months on."""
        self.assertEqual(rules.first_day_of_month_after(D(2012, 1, 1), 6), D(2012, 7, 1))
        self.assertEqual(rules.first_day_of_month_after(D(2012, 1, 31), 6), D(2012, 7, 1))


class EntryIntoForceTestCase(unittest.TestCase):
    def test_threshold_is_the_thirtieth_deposit(self):
        """The deciding date is that of the 30th instrument, however the deposits are ordered."""
        deposits = [D(2009, 1, 1) + datetime.timedelta(days=i) for i in range(40)]
        self.assertEqual(rules.threshold_date(reversed(deposits)), D(2009, 1, 30))

    def test_threshold_is_none_before_enough_deposits(self):
        """With 29 instruments the treaty is not yet in force for anyone."""
        deposits = [D(2009, 1, 1)] * 29 + [None]
        self.assertIsNone(rules.threshold_date(deposits))
        self.assertIsNone(rules.entry_into_force(D(2009, 1, 1), None))

    def test_general_entry_into_force_of_the_ccm(self):
        """Real: the 30th deposit on 16 Feb 2010 brought the CCM into force on 1 Aug 2010."""
        self.assertEqual(rules.general_entry_into_force(CCM_THRESHOLD), D(2010, 8, 1))

    def test_the_first_thirty_all_get_the_general_date(self):
        """Real: Norway (deposit 3 Dec 2008) and Denmark (12 Feb 2010) entered into force on 1 Aug 2010."""
        for deposit in (D(2008, 12, 3), D(2010, 2, 12), CCM_THRESHOLD):
            self.assertEqual(rules.entry_into_force(deposit, CCM_THRESHOLD), D(2010, 8, 1))

    def test_a_deposit_the_day_after_the_threshold_counts_from_itself(self):
        """A deposit on 17 Feb 2010 is after the 30th: first day of the sixth month after February."""
        self.assertEqual(rules.entry_into_force(D(2010, 2, 17), CCM_THRESHOLD), D(2010, 8, 1))
        self.assertEqual(rules.entry_into_force(D(2010, 3, 1), CCM_THRESHOLD), D(2010, 9, 1))

    def test_real_later_states(self):
        """Real: Lebanon, Bulgaria, Mauritania, Palau, Sri Lanka, Vanuatu."""
        cases = {
            D(2010, 11, 5): D(2011, 5, 1),  # Lebanon
            D(2011, 4, 6): D(2011, 10, 1),  # Bulgaria
            D(2012, 2, 1): D(2012, 8, 1),  # Mauritania: a deposit on the 1st still gives month + 6
            D(2016, 4, 19): D(2016, 10, 1),  # Palau
            D(2018, 3, 1): D(2018, 9, 1),  # Sri Lanka
            D(2025, 9, 5): D(2026, 3, 1),  # Vanuatu
        }
        for deposit, expected in cases.items():
            with self.subTest(deposit=deposit):
                self.assertEqual(rules.entry_into_force(deposit, CCM_THRESHOLD), expected)

    def test_deposits_on_the_31st_and_in_december(self):
        """A 31 December deposit enters into force on 1 June; a 31 August one on 1 February."""
        self.assertEqual(rules.entry_into_force(D(2012, 12, 31), CCM_THRESHOLD), D(2013, 6, 1))
        self.assertEqual(rules.entry_into_force(D(2012, 8, 31), CCM_THRESHOLD), D(2013, 2, 1))
        self.assertEqual(rules.entry_into_force(D(2012, 7, 1), CCM_THRESHOLD), D(2013, 1, 1))

    def test_no_deposit_means_no_entry_into_force(self):
        """A signatory has no entry-into-force date."""
        self.assertIsNone(rules.entry_into_force(None, CCM_THRESHOLD))

    def test_days_rule_of_the_arms_trade_treaty(self):
        """Real: the ATT's 50th deposit on 25 Sep 2014 gave entry into force on 24 Dec 2014."""
        deposits = [D(2014, 1, 1)] * 49 + [D(2014, 9, 25)]
        threshold = rules.threshold_date(deposits, ATT)
        self.assertEqual(rules.general_entry_into_force(threshold, ATT), D(2014, 12, 24))
        self.assertEqual(rules.entry_into_force(D(2015, 1, 1), threshold, ATT), D(2015, 4, 1))

    def test_mine_ban_convention_needs_forty(self):
        """The APMBC counts 40 instruments: 39 are not enough."""
        deposits = [D(1998, 1, 1) + datetime.timedelta(days=i) for i in range(40)]
        self.assertIsNone(rules.threshold_date(deposits[:39], APMBC))
        self.assertEqual(rules.threshold_date(deposits, APMBC), D(1998, 2, 9))

    def test_unknown_rule_is_refused(self):
        """A misspelt rule name is an error, not a silent default."""
        bad = rules.TreatyRules(eif_rule="weeks")
        with self.assertRaises(ValueError):
            rules.entry_into_force(D(2011, 1, 1), D(2010, 1, 1), bad)


class WithdrawalTestCase(unittest.TestCase):
    def test_real_lithuania(self):
        """Real: Lithuania's notice of 6 Sep 2024 took effect on 6 Mar 2025 (Art. 20(3))."""
        self.assertEqual(rules.withdrawal_effective(D(2024, 9, 6)), D(2025, 3, 6))

    def test_notice_at_a_month_end(self):
        """A notice on 31 August takes effect on the last day of February."""
        self.assertEqual(rules.withdrawal_effective(D(2025, 8, 31)), D(2026, 2, 28))

    def test_no_notice(self):
        """No notice, no effective date."""
        self.assertIsNone(rules.withdrawal_effective(None))

    def test_armed_conflict_at_expiry_keeps_the_withdrawal_pending(self):
        """Art. 20(3): a State in an armed conflict when the six months run out has not withdrawn yet."""
        notice = D(2025, 6, 27)
        self.assertIsNone(rules.withdrawal_effective(notice, in_conflict_at_expiry=True))
        self.assertTrue(rules.withdrawal_pending(D(2027, 1, 1), notice, None))
        self.assertEqual(rules.status(D(2027, 1, 1), deposit=D(2004, 5, 12)), rules.PARTY)

    def test_the_withdrawal_takes_effect_when_the_conflict_ends(self):
        """The recorded end of the conflict is the day the withdrawal takes effect."""
        effective = rules.withdrawal_effective(
            D(2025, 6, 27), in_conflict_at_expiry=True, conflict_ended=D(2027, 3, 15)
        )
        self.assertEqual(effective, D(2027, 3, 15))
        self.assertFalse(rules.withdrawal_pending(D(2027, 3, 15), D(2025, 6, 27), effective))
        self.assertTrue(rules.withdrawal_pending(D(2027, 3, 14), D(2025, 6, 27), effective))

    def test_a_conflict_that_ends_within_the_period_does_not_shorten_it(self):
        """Not before the end of the six months, whatever the conflict's end."""
        effective = rules.withdrawal_effective(
            D(2025, 6, 27), in_conflict_at_expiry=True, conflict_ended=D(2025, 9, 1)
        )
        self.assertEqual(effective, D(2025, 12, 27))

    def test_a_treaty_without_the_proviso_ignores_the_conflict(self):
        """Arms Trade Treaty Art. 24(2): 90 days after the notice, with no armed-conflict proviso."""
        att = rules.TreatyRules(
            withdrawal_period=90, withdrawal_rule=rules.WITHDRAWAL_DAYS, withdrawal_conflict_proviso=False
        )
        self.assertEqual(
            rules.withdrawal_effective(D(2025, 1, 1), att, in_conflict_at_expiry=True), D(2025, 4, 1)
        )

    def test_nothing_is_pending_before_the_notice(self):
        """A notice after the day asked about is not yet pending."""
        self.assertFalse(rules.withdrawal_pending(D(2025, 6, 26), D(2025, 6, 27), D(2025, 12, 27)))


class StatusTestCase(unittest.TestCase):
    def test_a_state_is_a_party_from_its_deposit(self):
        """Real: Eswatini acceded on 13 Sep 2011 and was hailed as the 63rd State Party that day."""
        self.assertEqual(rules.status(D(2011, 9, 13), deposit=D(2011, 9, 13)), rules.PARTY)
        self.assertEqual(rules.status(D(2011, 9, 12), deposit=D(2011, 9, 13)), rules.NON_SIGNATORY)
        self.assertFalse(rules.in_force(D(2011, 9, 13), eif=D(2012, 3, 1)))
        self.assertTrue(rules.in_force(D(2012, 3, 1), eif=D(2012, 3, 1)))

    def test_signatory_before_ratification(self):
        """Real: Sweden signed on 3 Dec 2008 and was a signatory at the 2nd Meeting in Sept 2011."""
        args = {"signature": D(2008, 12, 3), "deposit": D(2012, 4, 23)}
        self.assertEqual(rules.status(D(2008, 12, 2), **args), rules.NON_SIGNATORY)
        self.assertEqual(rules.status(D(2011, 9, 16), **args), rules.SIGNATORY)
        self.assertEqual(rules.status(D(2012, 4, 23), **args), rules.PARTY)

    def test_withdrawal_takes_effect_on_its_day(self):
        """Real: Lithuania is a party the day before 6 Mar 2025 and withdrawn from that day."""
        args = {
            "signature": D(2008, 12, 3),
            "deposit": D(2011, 3, 24),
            "withdrawal_effective_date": D(2025, 3, 6),
        }
        self.assertEqual(rules.status(D(2024, 9, 6), **args), rules.PARTY)
        self.assertEqual(rules.status(D(2025, 3, 5), **args), rules.PARTY)
        self.assertEqual(rules.status(D(2025, 3, 6), **args), rules.WITHDRAWN)
        self.assertTrue(rules.in_force(D(2025, 3, 5), D(2011, 9, 1), D(2025, 3, 6)))
        self.assertFalse(rules.in_force(D(2025, 3, 6), D(2011, 9, 1), D(2025, 3, 6)))


class DeadlineTestCase(unittest.TestCase):
    def test_stockpile_and_clearance_deadlines_of_the_first_states(self):
        """EIF 1 Aug 2010: stockpiles by 1 Aug 2018, clearance by 1 Aug 2020 (real: Lao PDR, Art. 4)."""
        self.assertEqual(rules.stockpile_deadline(D(2010, 8, 1)), D(2018, 8, 1))
        self.assertEqual(rules.clearance_deadline(D(2010, 8, 1)), D(2020, 8, 1))

    def test_real_bulgaria_original_stockpile_deadline(self):
        """Real: Bulgaria, EIF 1 Oct 2011, had an "October 2019" stockpile deadline."""
        self.assertEqual(rules.stockpile_deadline(D(2011, 10, 1)), D(2019, 10, 1))

    def test_clearance_counts_from_the_end_of_hostilities(self):
        """Art. 4(1)(b): contamination after EIF counts ten years from the end of hostilities."""
        self.assertEqual(
            rules.clearance_deadline(D(2011, 5, 1), hostilities_ended=D(2014, 6, 30)), D(2024, 6, 30)
        )

    def test_a_treaty_without_a_stockpile_period_has_no_deadline(self):
        """A treaty row with no stockpile period gives no stockpile deadline."""
        none = rules.TreatyRules(stockpile_years=None)
        self.assertIsNone(rules.stockpile_deadline(D(2010, 8, 1), none))
        self.assertIsNone(rules.original_deadline("stockpile", None))

    def test_extension_limits(self):
        """A stockpile extension is at most 4 years, a clearance one 5 (APMBC: 10, none for stockpiles)."""
        self.assertEqual(rules.latest_extension_end(D(2019, 10, 1), "stockpile"), D(2023, 10, 1))
        self.assertEqual(rules.latest_extension_end(D(2020, 8, 1), "clearance"), D(2025, 8, 1))
        self.assertEqual(rules.latest_extension_end(D(2009, 3, 1), "clearance", APMBC), D(2019, 3, 1))
        self.assertIsNone(rules.latest_extension_end(D(2003, 3, 1), "stockpile", APMBC))

    def test_current_deadline_is_the_latest_granted(self):
        """Real: Bulgaria's deadline moved from Oct 2019 to Apr 2021 and then to 31 Dec 2023."""
        original = D(2019, 10, 1)
        self.assertEqual(rules.current_deadline(original, []), original)
        self.assertEqual(
            rules.current_deadline(original, [D(2021, 4, 1), D(2023, 12, 31), None]), D(2023, 12, 31)
        )

    def test_unknown_kind_is_refused(self):
        """Only stockpile and clearance obligations have deadlines."""
        with self.assertRaises(ValueError):
            rules.original_deadline("reporting", D(2010, 8, 1))
        with self.assertRaises(ValueError):
            rules.max_extension_years("reporting")

    def test_late_request(self):
        """Real: Germany's request of 15 Jan 2019 reached the 9MSP (2 Sep 2019) under nine months ahead."""
        self.assertTrue(rules.request_is_late(D(2019, 1, 15), D(2019, 9, 2)))
        self.assertFalse(rules.request_is_late(D(2018, 12, 2), D(2019, 9, 2)))
        self.assertFalse(rules.request_is_late(None, D(2019, 9, 2)))


class ObligationStatusTestCase(unittest.TestCase):
    def test_each_status(self):
        """Not applicable, unknown, in progress, overdue and completed, each on its day."""
        deadline = D(2018, 8, 1)
        self.assertEqual(rules.obligation_status(D(2030, 1, 1), deadline, False), rules.NOT_APPLICABLE)
        self.assertEqual(rules.obligation_status(D(2030, 1, 1), deadline, None), rules.UNKNOWN)
        self.assertEqual(rules.obligation_status(D(2018, 8, 1), deadline, True), rules.IN_PROGRESS)
        self.assertEqual(rules.obligation_status(D(2018, 8, 2), deadline, True), rules.OVERDUE)
        done = D(2017, 6, 1)
        self.assertEqual(rules.obligation_status(D(2017, 5, 31), deadline, True, done), rules.IN_PROGRESS)
        self.assertEqual(rules.obligation_status(D(2030, 1, 1), deadline, True, done), rules.COMPLETED)

    def test_a_pending_extension_request_is_not_overdue(self):
        """A request awaiting its decision keeps a passed deadline from being overdue."""
        late = D(2021, 6, 1)
        self.assertEqual(
            rules.obligation_status(late, D(2021, 5, 1), True, None, awaiting_decision=True),
            rules.AWAITING_DECISION,
        )
        self.assertEqual(
            rules.obligation_status(late, D(2021, 5, 1), True, None, awaiting_decision=False), rules.OVERDUE
        )

    def test_a_decision_not_recorded_is_unknown_never_overdue(self):
        """After the meeting, a request with no recorded outcome is a gap: not overdue, not awaiting."""
        self.assertEqual(
            rules.obligation_status(D(2026, 1, 1), D(2025, 8, 1), True, None, decision_not_recorded=True),
            rules.UNKNOWN,
        )

    def test_a_request_awaits_its_decision_until_its_meeting_has_ended(self):
        """Lao PDR's request to the 12MSP (10–13 September 2024): awaited until 13 September, then a gap."""
        request = {"requested_on": D(2024, 3, 1), "decided": False, "decision_day": None}
        end = D(2024, 9, 13)
        self.assertEqual(
            rules.request_state(D(2024, 2, 1), meeting_end=end, **request), rules.NOT_YET_REQUESTED
        )
        self.assertEqual(rules.request_state(D(2024, 9, 13), meeting_end=end, **request), rules.AWAITING)
        self.assertEqual(
            rules.request_state(D(2024, 9, 14), meeting_end=end, **request), rules.DECISION_NOT_RECORDED
        )
        self.assertEqual(
            rules.request_state(D(2024, 9, 14), meeting_end=None, **request), rules.DECISION_NOT_RECORDED
        )

    def test_a_decided_request_counts_from_its_decision_day(self):
        """Bosnia and Herzegovina's request decided by silence procedure after the 2RC's first part."""
        decided = {"requested_on": D(2020, 3, 1), "decided": True, "meeting_end": D(2020, 11, 27)}
        self.assertEqual(
            rules.request_state(D(2021, 1, 1), decision_day=D(2021, 3, 1), **decided), rules.AWAITING
        )
        self.assertEqual(
            rules.request_state(D(2021, 3, 1), decision_day=D(2021, 3, 1), **decided), rules.DECIDED
        )
        self.assertEqual(rules.request_state(D(2020, 11, 27), decision_day=None, **decided), rules.DECIDED)

    def test_a_deadline_as_it_stood_on_a_day(self):
        """Bulgaria's stockpile deadline: 1 Oct 2019, extended at the 9MSP (decided 4 Sep 2019) to 1 Apr 2021."""
        granted = [(D(2019, 9, 4), D(2021, 4, 1)), (D(2021, 2, 28), D(2022, 10, 1))]
        self.assertEqual(rules.deadline_on(D(2019, 9, 3), D(2019, 10, 1), granted), D(2019, 10, 1))
        self.assertEqual(rules.deadline_on(D(2019, 9, 4), D(2019, 10, 1), granted), D(2021, 4, 1))
        self.assertEqual(rules.deadline_on(D(2022, 1, 1), D(2019, 10, 1), granted), D(2022, 10, 1))

    def test_completion_is_known_even_when_applicability_was_not_recorded(self):
        """A completion date proves the obligation existed and was met."""
        self.assertEqual(
            rules.obligation_status(D(2024, 1, 1), D(2021, 1, 1), None, D(2023, 1, 1)), rules.COMPLETED
        )


class ReportTestCase(unittest.TestCase):
    def test_initial_report_counts_days_not_months(self):
        """Real: EIF 1 Sep 2018 (Sri Lanka) → initial report due 28 Feb 2019; EIF 1 Aug 2010 → 28 Jan 2011."""
        self.assertEqual(rules.initial_report_due(D(2018, 9, 1)), D(2019, 2, 28))
        self.assertEqual(rules.initial_report_due(D(2010, 8, 1)), D(2011, 1, 28))

    def test_annual_reports_follow_the_initial_one(self):
        """After the initial report, an update is due every 30 April, covering the previous year."""
        due = rules.report_due_dates(D(2018, 9, 1), D(2021, 5, 1))
        self.assertEqual(
            due,
            [
                (D(2019, 2, 28), "Initial report"),
                (D(2019, 4, 30), "Annual report covering 2018"),
                (D(2020, 4, 30), "Annual report covering 2019"),
                (D(2021, 4, 30), "Annual report covering 2020"),
            ],
        )

    def test_no_report_after_withdrawal(self):
        """Real: Lithuania owes no report due on or after 6 Mar 2025."""
        due = rules.report_due_dates(D(2011, 9, 1), D(2026, 12, 31), withdrawal_effective_date=D(2025, 3, 6))
        self.assertEqual(due[-1], (D(2024, 4, 30), "Annual report covering 2023"))

    def test_next_report_due(self):
        """On 1 May 2019 the next report of a 2018 party is the update due 30 April 2020."""
        self.assertEqual(rules.next_report_due(D(2018, 9, 1), D(2019, 5, 1))[0], D(2020, 4, 30))
        self.assertIsNone(rules.next_report_due(None, D(2019, 5, 1)))


class PartialDateTestCase(unittest.TestCase):
    def test_display_at_each_precision(self):
        """A date known to the month or year is never shown as a false exact day."""
        day = D(2011, 9, 13)
        self.assertEqual(partial_dates.display(day), "13 September 2011")
        self.assertEqual(partial_dates.display(D(2011, 9, 1), partial_dates.MONTH), "September 2011")
        self.assertEqual(partial_dates.display(D(2011, 9, 1), partial_dates.LATE), "late 2011")
        self.assertEqual(partial_dates.display(D(2012, 1, 1), partial_dates.YEAR), "2012")
        self.assertEqual(partial_dates.display(D(2019, 8, 1), partial_dates.BEFORE), "before August 2019")
        self.assertEqual(partial_dates.iso(D(2023, 8, 1), partial_dates.MONTH), "2023-08")

    def test_normalise_and_period_end(self):
        """ "late 2011" is stored as 1 Sep 2011 and may mean any day up to 31 Dec 2011."""
        self.assertEqual(partial_dates.normalise(D(2011, 11, 20), partial_dates.LATE), D(2011, 9, 1))
        self.assertEqual(partial_dates.period_end(D(2011, 9, 1), partial_dates.LATE), D(2011, 12, 31))
        self.assertEqual(partial_dates.period_end(D(2024, 2, 1), partial_dates.MONTH), D(2024, 2, 29))
        self.assertEqual(partial_dates.period_end(D(2012, 1, 1), partial_dates.YEAR), D(2012, 12, 31))
