"""Article 7 transparency reports: due dates by the rules, statuses, refused input, pages, admin."""

import datetime
import io

import icalendar
from django.core.exceptions import ValidationError
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from tests import factory
from tracker import rules
from tracker.models import State, TransparencyReport, change_reason, today

D = datetime.date
ATT = rules.TreatyRules(
    initial_report_days=None, initial_report_months=12, annual_report_month=5, annual_report_day=31
)


class ReportRulesTestCase(SimpleTestCase):
    def test_initial_report_within_a_year_for_the_att(self):
        """The ATT's initial report is due within the first year after entry into force (24 December 2014)."""
        self.assertEqual(rules.initial_report_due(D(2014, 12, 24), ATT), D(2015, 12, 24))
        # A year from 29 February is 28 February: the period never spills into the next month.
        self.assertEqual(rules.initial_report_due(D(2016, 2, 29), ATT), D(2017, 2, 28))
        due = rules.reports_due(D(2014, 12, 24), D(2017, 6, 1), ATT)
        self.assertEqual(
            due,
            [
                ("initial", None, D(2015, 12, 24)),
                ("annual", 2015, D(2016, 5, 31)),
                ("annual", 2016, D(2017, 5, 31)),
            ],
        )

    def test_a_state_in_force_late_in_the_year_owes_its_first_annual_report_the_year_after_next(self):
        """Mali (deposit 30 June 2010, in force 1 December 2010): initial report by 30 May 2011, and
        its first annual report is the one due by 30 April 2012, covering 2011."""
        due = rules.reports_due(D(2010, 12, 1), D(2012, 12, 31))
        self.assertEqual(due, [("initial", None, D(2011, 5, 30)), ("annual", 2011, D(2012, 4, 30))])
        self.assertIsNone(rules.report_due("annual", 2010, D(2010, 12, 1)))
        self.assertEqual(rules.report_due("annual", 2011, D(2010, 12, 1)), D(2012, 4, 30))

    def test_a_withdrawn_state_owes_nothing_after_its_withdrawal_takes_effect(self):
        """Lithuania (in force 1 September 2011, withdrawal effective 6 March 2025): the last report
        due is the one covering 2023, due 30 April 2024."""
        due = rules.reports_due(D(2011, 9, 1), D(2026, 12, 31), withdrawal_effective_date=D(2025, 3, 6))
        self.assertEqual(due[0], ("initial", None, D(2012, 2, 28)))
        self.assertEqual(due[-1], ("annual", 2023, D(2024, 4, 30)))
        self.assertIsNone(rules.report_due("annual", 2024, D(2011, 9, 1), rules.CCM, D(2025, 3, 6)))

    def test_statuses(self):
        """On time, late by N days, too rough to tell, not yet due, overdue only with a check, else not recorded."""
        due = D(2011, 5, 30)
        day = D(2016, 1, 1)
        self.assertEqual(rules.report_status(day, due, D(2011, 5, 30)), (rules.ON_TIME, 0))
        self.assertEqual(rules.report_status(day, due, D(2011, 6, 9)), (rules.LATE, 10))
        self.assertEqual(
            rules.report_status(day, due, D(2011, 5, 1), D(2011, 5, 31)), (rules.SUBMITTED, None)
        )
        self.assertEqual(rules.report_status(day, due, D(2011, 6, 1), D(2011, 6, 30)), (rules.LATE, 2))
        self.assertEqual(rules.report_status(D(2011, 5, 30), due), (rules.NOT_YET_DUE, None))
        self.assertEqual(rules.report_status(day, due), (rules.NOT_RECORDED, None))
        self.assertEqual(rules.report_status(day, due, missing_on=D(2015, 6, 18)), (rules.OVERDUE, 1480))
        # A check after the day asked about, or a submission after it, is not known that day.
        self.assertEqual(
            rules.report_status(D(2014, 1, 1), due, missing_on=D(2015, 6, 18)), (rules.NOT_RECORDED, None)
        )
        self.assertEqual(rules.report_status(D(2011, 5, 1), due, D(2011, 6, 9)), (rules.NOT_YET_DUE, None))
        self.assertEqual(rules.report_status(day, None), (None, None))


def make_world():
    """Two first instruments bring the treaty into force on 1 June 2009; then real later deposits."""
    from types import SimpleNamespace

    w = SimpleNamespace()
    w.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3), eif_instruments=2)
    w.source = factory.make_source("Cluster Munition Coalition: overdue initial reports", key="rep_test")
    make = factory.make_participation
    w.no = make(
        w.treaty,
        factory.make_state("NO", "Norway", region=State.Region.EUROPE),
        deposit_date=D(2008, 12, 3),
        signature_date=D(2008, 12, 3),
    )
    w.ie = make(
        w.treaty,
        factory.make_state("IE", "Ireland", region=State.Region.EUROPE),
        deposit_date=D(2008, 12, 3),
        signature_date=D(2008, 12, 3),
    )
    w.ml = make(
        w.treaty,
        factory.make_state("ML", "Mali", region=State.Region.AFRICA),
        deposit_date=D(2010, 6, 30),
        signature_date=D(2008, 12, 3),
    )
    w.lt = make(
        w.treaty,
        factory.make_state("LT", "Lithuania", region=State.Region.EUROPE),
        signature_date=D(2008, 12, 3),
        deposit_date=D(2011, 3, 24),
        withdrawal_notice_date=D(2024, 9, 6),
    )
    w.bo = make(
        w.treaty,
        factory.make_state("BO", "Bolivia", region=State.Region.AMERICAS),
        signature_date=D(2008, 12, 3),
        deposit_date=D(2013, 4, 30),
    )
    w.ao = make(
        w.treaty,
        factory.make_state("AO", "Angola", region=State.Region.AFRICA),
        signature_date=D(2008, 12, 3),
    )
    return w


def report(participation, **fields):
    obj = TransparencyReport(participation=participation, **fields)
    obj.full_clean()
    obj.save()
    return obj


class ReportRecordTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = make_world()

    def refused(self, participation, field, words, **fields):
        with self.assertRaises(ValidationError) as raised:
            TransparencyReport(participation=participation, **fields).full_clean()
        self.assertIn(field, raised.exception.message_dict)
        self.assertIn(words, " ".join(raised.exception.message_dict[field]))

    def test_the_due_date_comes_from_the_rule_and_follows_the_deposit(self):
        """Bolivia's initial report: due 30 March 2014; moving its deposit recomputes it, with a reason."""
        w = self.w
        initial = report(w.bo, kind="initial", missing_on=D(2015, 6, 18), missing_source=w.source)
        self.assertEqual(initial.due_date, D(2014, 3, 30))
        w.bo.deposit_date = D(2013, 6, 30)
        with change_reason("Deposit date corrected"):
            w.bo.save()
        initial.refresh_from_db()
        self.assertEqual(initial.due_date, D(2014, 5, 30))  # in force 1 December 2013, + 180 days
        latest = initial.history.first()
        self.assertIn("Recomputed by the treaty's rules", latest.history_change_reason)
        self.assertIn("Deposit date corrected", latest.history_change_reason)

    def test_the_due_date_follows_the_treatys_rule(self):
        """Changing the initial report's period on the treaty recomputes every due date."""
        w = self.w
        initial = report(w.ml, kind="initial")
        w.treaty.initial_report_days = 90
        w.treaty.save()
        initial.refresh_from_db()
        self.assertEqual(initial.due_date, D(2011, 3, 1))

    def test_a_period_in_months_replaces_the_one_in_days(self):
        """The ATT's "within the first year": 12 months from entry into force, the days cleared."""
        w = self.w
        initial = report(w.ml, kind="initial")
        w.treaty.initial_report_months = 12
        w.treaty.full_clean()
        self.assertIsNone(w.treaty.initial_report_days)
        w.treaty.save()
        initial.refresh_from_db()
        self.assertEqual(initial.due_date, D(2011, 12, 1))  # in force 1 December 2010

    def test_bad_input_is_refused_in_words(self):
        """Before entry into force, a non-party, a duplicate, a check before the due date, no source…"""
        w = self.w
        self.refused(
            w.ml,
            "submitted_on",
            "before the CCM entered into force for Mali",
            kind="initial",
            submitted_on=D(2010, 11, 30),
            source=w.source,
        )
        self.refused(w.ao, "participation", "Angola is not a party", kind="initial")
        self.refused(
            w.ml,
            "submitted_on",
            "",
            kind="initial",
            submitted_on=today() + datetime.timedelta(days=2),
            source=w.source,
        )
        self.refused(w.ml, "source", "Cite the source", kind="initial", submitted_on=D(2011, 5, 1))
        self.refused(w.ml, "period", "Give the calendar year", kind="annual")
        self.refused(w.ml, "period", "its first annual report covers 2011", kind="annual", period=2010)
        self.refused(w.lt, "period", "withdrawal took effect on 6 March 2025", kind="annual", period=2024)
        self.refused(
            w.ml,
            "missing_on",
            "only after that day",
            kind="initial",
            missing_on=D(2011, 5, 30),
            missing_source=w.source,
        )
        self.refused(
            w.ml,
            "url",
            "restricted report has no public address",
            kind="initial",
            access="restricted",
            url="https://example.org/r.pdf",
        )
        report(w.ml, kind="annual", period=2011, submitted_on=D(2012, 4, 2), source=w.source)
        self.refused(
            w.ml,
            "kind",
            "annual report covering 2011 to the CCM is already recorded",
            kind="annual",
            period=2011,
        )
        self.assertEqual(TransparencyReport.objects.count(), 1)

    def test_a_withdrawn_state_stops_owing_reports(self):
        """Lithuania's reports stop with the one covering 2023; it is never counted as owing later ones."""
        w = self.w
        due = TransparencyReport.due_from([w.lt], D(2026, 12, 1), D(2026, 12, 31))
        self.assertEqual((due[-1].kind, due[-1].period, due[-1].due), ("annual", 2023, D(2024, 4, 30)))
        self.assertEqual(len(due), 14)  # the initial report and thirteen annual ones (covering 2011–2023)


class ReportPagesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        w = cls.w = make_world()
        cls.bolivia = report(w.bo, kind="initial", missing_on=D(2015, 6, 18), missing_source=w.source)
        cls.mali = report(w.ml, kind="initial", missing_on=D(2012, 9, 13), missing_source=w.source)
        report(
            w.ml,
            kind="annual",
            period=2011,
            submitted_on=D(2012, 5, 10),
            source=w.source,
            url="https://example.org/ml-2011.pdf",
            access="public",
        )
        report(w.no, kind="initial", submitted_on=D(2009, 11, 1), source=w.source, notes='=HYPERLINK("x")')

    def test_the_page_counts_every_due_report_with_or_without_a_record(self):
        response = self.client.get(reverse("report-list"))
        self.assertEqual(response.status_code, 200)
        ((treaty, years),) = response.context["summary"]
        by_year = {year: (total, counts) for year, total, counts in years}
        # 2011: Mali's initial report (overdue, 30 May), Norway's and Ireland's annual reports covering
        # 2010 (30 April); Lithuania's initial report falls in 2012. Two have no record at all.
        total_2011, counts_2011 = by_year[2011]
        self.assertEqual(total_2011, 3)
        self.assertEqual(counts_2011[5], 2)  # not recorded
        self.assertEqual(counts_2011[4], 1)  # overdue: Mali's initial report
        self.assertEqual(by_year[2012][1][2], 1)  # late: Mali's report covering 2011
        self.assertContains(response, "Submission not recorded")

    def test_overdue_initial_reports_longest_first(self):
        response = self.client.get(reverse("report-list"))
        names = [d.participation.state.name for d in response.context["overdue_initial"]]
        self.assertEqual(names, ["Mali", "Bolivia"])
        self.assertContains(response, "Overdue: not submitted 445 days after it was due, as at 18 June 2015")

    def test_filters_and_bad_filters(self):
        response = self.client.get(reverse("report-list"), {"status": "late", "region": "africa"})
        self.assertEqual(
            [(d.participation.state.iso2, d.period) for d in response.context["listed"]], [("ML", 2011)]
        )
        response = self.client.get(reverse("report-list"), {"year": "twenty", "status": "lost"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["ignored"]), 2)
        self.assertContains(response, "Give a year, e.g. 2015.")
        for name in ("reports-csv", "reports-json"):
            bad = self.client.get(reverse(name), {"year": "99999"})
            self.assertEqual(bad.status_code, 400)
            self.assertIn("2999", bad.content.decode())

    def test_downloads(self):
        body = self.client.get(reverse("reports-json"), {"treaty": "ccm", "kind": "initial"}).json()
        rows = {r["iso2"]: r for r in body["results"]}
        self.assertEqual(set(rows), {"NO", "IE", "ML", "LT", "BO"})
        self.assertEqual(rows["BO"]["status"], "overdue")
        self.assertEqual(rows["BO"]["not_submitted_as_at"], "2015-06-18")
        self.assertEqual(rows["IE"]["status"], "not_recorded")
        self.assertIsNone(rows["IE"]["submitted"])
        self.assertEqual(rows["NO"]["status"], "on_time")
        csv_text = self.client.get(
            reverse("reports-csv"), {"kind": "annual", "year": "2012"}
        ).content.decode()
        self.assertIn("https://example.org/ml-2011.pdf", csv_text)
        self.assertIn(",late,", csv_text)
        # A title read as a formula is written as text.
        self.w.source.title = "=cmd()"
        self.w.source.save()
        csv_text = self.client.get(reverse("reports-csv"), {"kind": "initial"}).content.decode()
        self.assertIn("'=cmd()", csv_text)

    def test_state_page_shows_its_reports(self):
        response = self.client.get(reverse("state-detail", args=["ml"]))
        self.assertContains(response, "Transparency reports")
        self.assertContains(response, "Annual report covering 2011")
        self.assertContains(response, "Submitted late (by 10 days)")
        lithuania = self.client.get(reverse("state-detail", args=["lt"]))
        self.assertContains(lithuania, "Annual report covering 2023")
        self.assertNotContains(lithuania, "Annual report covering 2024")

    def test_calendar_includes_report_due_dates_on_request(self):
        plain = icalendar.Calendar.from_ical(self.client.get(reverse("deadlines-ics")).content)
        self.assertFalse([e for e in plain.walk("VEVENT") if "report" in str(e["uid"])])
        with_reports = icalendar.Calendar.from_ical(
            self.client.get(reverse("deadlines-ics"), {"reports": "1"}).content
        )
        summaries = [
            str(e["summary"]) for e in with_reports.walk("VEVENT") if str(e["uid"]).startswith("report-")
        ]
        # The next 30 April from today; the report due then covers the year before.
        day = today()
        next_due = rules.annual_report_due(day.year if day <= D(day.year, 4, 30) else day.year + 1)
        covering = next_due.year - 1
        self.assertIn(f"Mali: annual report covering {covering} due (CCM transparency report)", summaries)
        self.assertFalse([s for s in summaries if s.startswith("Lithuania")])
        bad = self.client.get(reverse("deadlines-ics"), {"reports": "yes please"})
        self.assertEqual(bad.status_code, 400)

    def test_dashboard_counts_overdue_reports(self):
        response = self.client.get(reverse("dashboard"))
        self.assertContains(response, "Transparency reports recorded as overdue: 2")

    def test_a_withdrawn_states_overdue_report_is_not_counted_on_the_dashboard(self):
        """Lithuania no longer owes reports: the dashboard leaves its old overdue one out, /reports/ keeps it."""
        report(self.w.lt, kind="initial", missing_on=D(2013, 1, 1), missing_source=self.w.source)
        self.assertContains(
            self.client.get(reverse("dashboard")), "Transparency reports recorded as overdue: 2"
        )
        listed = self.client.get(reverse("report-list")).context["overdue_initial"]
        self.assertIn("Lithuania", [d.participation.state.name for d in listed])

    def test_report_edits_are_in_the_change_log(self):
        response = self.client.get(reverse("state-history", args=["bo"]))
        self.assertContains(response, "Bolivia: initial report")
        response = self.client.get(reverse("change-list"), {"kind": "report"})
        self.assertContains(response, "Mali: annual report covering 2011")


class ReportAdminTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = make_world()
        cls.editor = factory.make_user("editor", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def upload(self, text, **data):
        upload = io.BytesIO(text.encode())
        upload.name = "reports.csv"
        return self.client.post(
            reverse("admin:tracker_transparencyreport_import"),
            {"import_file": upload, "treaty": self.w.treaty.pk, "source": self.w.source.pk, **data},
        )

    def test_participation_page_has_the_reports_inline(self):
        response = self.client.get(factory.admin_change_url(self.w.ml))
        self.assertContains(response, "Transparency reports")

    def test_import_previews_then_saves_with_the_reason(self):
        text = "iso2,year,kind,submitted_on,link\nML,,initial,2011-05,\nML,2011,annual,2012-04-20,https://example.org/a.pdf\n"
        preview = self.upload(text)
        self.assertEqual(preview.status_code, 200)
        self.assertEqual(len(preview.context["plan"]), 2)
        self.assertEqual(TransparencyReport.objects.count(), 0)
        payload = preview.context["confirm_form"].initial["payload"]
        url = reverse("admin:tracker_transparencyreport_import")
        refused = self.client.post(url, {"confirm": "1", "payload": payload, "reason": ""})
        self.assertEqual(refused.status_code, 302)
        self.assertEqual(TransparencyReport.objects.count(), 0)
        done = self.client.post(
            url, {"confirm": "1", "payload": payload, "reason": "Monitor profile of Mali"}
        )
        self.assertEqual(done.status_code, 302)
        annual = TransparencyReport.objects.get(kind="annual")
        self.assertEqual(
            (annual.due_date, annual.url, annual.source),
            (D(2012, 4, 30), "https://example.org/a.pdf", self.w.source),
        )
        initial = TransparencyReport.objects.get(kind="initial")
        self.assertEqual(initial.submitted_display, "May 2011")
        self.assertEqual(initial.history.first().history_change_reason, "Monitor profile of Mali")

    def test_import_refuses_bad_rows_in_words_and_changes_nothing(self):
        text = "iso2,year,kind,submitted_on\nAO,,initial,2011-05-01\nML,2011,yearly,\nML,,initial,2010-01-01\nXX,,initial,\n"
        response = self.upload(text)
        errors = response.context["errors"]
        self.assertEqual(len(errors), 4)
        self.assertIn("Line 2 (Angola, initial report): Angola is not a party", errors[0])
        self.assertIn("“yearly” is not a kind of report", errors[1])
        self.assertIn("before the CCM entered into force for Mali", errors[2])
        self.assertIn("“XX” names no State with a record under the CCM", errors[3])
        self.assertEqual(TransparencyReport.objects.count(), 0)
        not_csv = self.upload("%PDF-1.4 ...")
        self.assertContains(not_csv, "PDF document")

    def test_import_reads_states_by_name_and_spreadsheet_headers(self):
        """A 'State' column of names, 'Submitted date' and 'Link' headers, as a spreadsheet has them."""
        text = "State,Year,Kind,Submitted date,Link\nmali,2011,Annual,2012-04-20,https://example.org/a.pdf\n"
        preview = self.upload(text)
        (row,) = preview.context["plan"]
        self.assertEqual((row.report.participation, row.report.period), (self.w.ml, 2011))

    def test_import_is_refused_if_a_report_changed_since_the_preview(self):
        existing = report(self.w.ml, kind="initial")
        preview = self.upload("iso2,kind,submitted_on\nML,initial,2011-05-02\n")
        payload = preview.context["confirm_form"].initial["payload"]
        existing.notes = "Edited meanwhile."
        existing.save()
        response = self.client.post(
            reverse("admin:tracker_transparencyreport_import"),
            {"confirm": "1", "payload": payload, "reason": "x"},
            follow=True,
        )
        self.assertContains(response, "Nothing was imported")
        existing.refresh_from_db()
        self.assertIsNone(existing.submitted_on)


class ReportInlineTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = make_world()
        cls.editor = factory.make_user("editor", groups=["editors"])
        cls.reviewer = factory.make_user("reviewer", groups=["reviewers"])

    def post_new_report(self, **fields):
        url = factory.admin_change_url(self.w.ml)
        data = factory.admin_post_data(self.client.get(url), reason="Monitor profile of Mali")
        data["reports-TOTAL_FORMS"] = "1"
        row = {
            "kind": "initial",
            "submitted_precision": "day",
            "access": "not_recorded",
            "participation": str(self.w.ml.pk),
            **fields,
        }
        data.update({f"reports-0-{name}": value for name, value in row.items()})
        return self.client.post(url, data)

    def test_a_report_is_recorded_from_the_participation_page_with_the_reason(self):
        self.client.force_login(self.editor)
        response = self.post_new_report(submitted_on="2011-07-04", source=str(self.w.source.pk))
        self.assertEqual(response.status_code, 302)
        added = TransparencyReport.objects.get(participation=self.w.ml)
        self.assertEqual((added.due_date, added.submitted_on), (D(2011, 5, 30), D(2011, 7, 4)))
        self.assertEqual(added.history.get().history_change_reason, "Monitor profile of Mali")
        self.assertEqual(added.status(D(2026, 1, 1)), (rules.LATE, 35))

    def test_the_inline_refuses_bad_input_in_words(self):
        self.client.force_login(self.editor)
        response = self.post_new_report(submitted_on="2010-07-04", source=str(self.w.source.pk))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "before the CCM entered into force for Mali")
        self.assertFalse(TransparencyReport.objects.exists())

    def test_a_reviewer_cannot_import(self):
        self.client.force_login(self.reviewer)
        response = self.client.get(reverse("admin:tracker_transparencyreport_import"))
        self.assertEqual(response.status_code, 403)
