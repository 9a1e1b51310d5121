"""Statements and pledges: bad input refused in words, the database's own checks, the admin's
meeting page with its statement and pledge rows, and the change log."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase

from tests import factory
from tracker.models import AgendaTopic, Organisation, Pledge, Statement

D = datetime.date


def make_topic(slug="compliance", name="Compliance", **kwargs):
    return AgendaTopic.objects.create(slug=slug, name=name, **kwargs)


def make_organisation(slug="cmc", name="Cluster Munition Coalition", short_name="CMC", **kwargs):
    return Organisation.objects.create(
        slug=slug, name=name, short_name=short_name, kind=Organisation.Kind.CAMPAIGN, **kwargs
    )


class ProceedingsTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.topic = make_topic()
        cls.cmc = make_organisation()

    def statement(self, **kwargs):
        fields = {
            "meeting": self.w.meeting,
            "topic": self.topic,
            "summary": "Spoke.",
            "source": self.w.source,
        }
        fields.update(kwargs)
        return Statement(**fields)

    def pledge(self, **kwargs):
        fields = {"meeting": self.w.meeting, "donor_state": self.w.lebanon, "source": self.w.source}
        fields.update(kwargs)
        return Pledge(**fields)

    def refused(self, record):
        with self.assertRaises(ValidationError) as caught:
            record.full_clean()
        return " ".join(
            message for messages in caught.exception.message_dict.values() for message in messages
        )


class StatementRulesTests(ProceedingsTestCase):
    def test_a_statement_needs_exactly_one_speaker(self):
        """Neither a State, an organisation nor an office; or two of them: refused in words."""
        for speakers in (
            {},
            {"state": self.w.lebanon, "organisation": self.cmc},
            {"state": self.w.lebanon, "office": "UN SG"},
        ):
            with self.subTest(speakers=speakers):
                self.assertIn(
                    "exactly one of a State, an organisation or an office",
                    self.refused(self.statement(**speakers)),
                )
        self.statement(office="United Nations Secretary-General").full_clean()
        self.statement(organisation=self.cmc).full_clean()

    def test_an_office_of_spaces_is_no_speaker(self):
        self.assertIn("exactly one", self.refused(self.statement(office="   ")))

    def test_a_cited_count_needs_what_it_counts_and_a_date(self):
        self.assertIn("or neither", self.refused(self.statement(state=self.w.lebanon, cited_count=62)))
        self.assertIn(
            "or neither", self.refused(self.statement(state=self.w.lebanon, count_kind="states_parties"))
        )
        self.assertIn(
            "Give the statement's date",
            self.refused(self.statement(state=self.w.lebanon, cited_count=3, count_kind="states_parties")),
        )

    def test_the_database_refuses_a_statement_without_a_speaker_too(self):
        with self.assertRaises(IntegrityError), transaction.atomic():
            self.statement().save()

    def test_the_trackers_count_is_the_count_on_the_statements_day(self):
        """Austria (2 April 2009) and Albania (16 June 2009) deposited; Lebanon on 5 November 2010."""
        statement = self.statement(
            state=self.w.lebanon, cited_count=3, count_kind="states_parties", date=D(2010, 11, 5)
        )
        signatories = self.statement(
            state=self.w.lebanon, cited_count=1, count_kind="signatories", date=D(2010, 11, 4)
        )
        Statement.with_tracker_counts([statement, signatories])
        self.assertEqual((statement.tracker_count_before, statement.tracker_count), (2, 3))
        self.assertEqual(signatories.tracker_count, 2)  # Lebanon and Angola signed, not yet deposited


class PledgeRulesTests(ProceedingsTestCase):
    def test_an_amount_without_a_currency_is_refused(self):
        self.assertIn("Give the currency of the amount", self.refused(self.pledge(amount=Decimal("100"))))

    def test_a_negative_or_zero_amount_is_refused(self):
        for amount in ("-5", "0"):
            with self.subTest(amount=amount):
                self.assertIn(
                    "more than zero", self.refused(self.pledge(amount=Decimal(amount), currency="EUR"))
                )

    def test_a_pledge_needs_one_donor(self):
        self.assertIn("Give one donor", self.refused(self.pledge(donor_state=None)))
        self.assertIn("Give one donor", self.refused(self.pledge(donor_organisation=self.cmc)))

    def test_a_currency_is_an_iso_code(self):
        self.assertIn(
            "is not an ISO 4217 code", self.refused(self.pledge(amount=Decimal("1"), currency="EURO"))
        )
        pledge = self.pledge(amount=Decimal("1"), currency=" eur ")
        pledge.full_clean()
        self.assertEqual(pledge.currency, "EUR")

    def test_the_database_refuses_what_the_form_refuses(self):
        for fields in (
            {"amount": Decimal("5")},
            {"amount": Decimal("-5"), "currency": "EUR"},
            {"donor_state": None},
        ):
            with self.subTest(fields=fields), self.assertRaises(IntegrityError), transaction.atomic():
                self.pledge(**fields).save()

    def test_totals_are_kept_per_currency_and_never_added_across_currencies(self):
        pledges = [
            self.pledge(amount=Decimal("10"), currency="EUR"),
            self.pledge(amount=Decimal("5.50"), currency="EUR"),
            self.pledge(amount=Decimal("7"), currency="USD"),
            self.pledge(amount_as_stated="31 million dollars"),
        ]
        self.assertEqual(Pledge.totals(pledges), [("EUR", Decimal("15.50"), 2), ("USD", Decimal("7"), 1)])
        self.assertEqual(pledges[0].amount_display, "10 EUR")
        self.assertEqual(pledges[1].amount_display, "5.50 EUR")


class MeetingAdminTests(ProceedingsTestCase):
    def setUp(self):
        self.client.force_login(factory.make_user("erin", groups=["editors"]))
        self.url = factory.admin_change_url(self.w.meeting)

    def post(self, **changes):
        data = factory.admin_post_data(
            self.client.get(self.url), reason="Statements from the day's summary", **changes
        )
        return self.client.post(self.url, data)

    def statement_row(self, **fields):
        row = {
            "statements-TOTAL_FORMS": "1",
            "statements-0-topic": str(self.topic.pk),
            "statements-0-mode": "oral",
            "statements-0-summary": "Said it is considering accession.",
            "statements-0-source": str(self.w.source.pk),
            "statements-0-position": "0",
        }
        row.update({f"statements-0-{name}": value for name, value in fields.items()})
        return row

    def test_the_meeting_page_has_statement_and_pledge_rows_with_one_speaker_search(self):
        response = self.client.get(self.url)
        self.assertContains(response, 'name="statements-TOTAL_FORMS"')
        self.assertContains(response, 'name="pledges-TOTAL_FORMS"')
        self.assertContains(response, "exactly one of: a State or an organisation (one search for both")

    def test_a_statement_row_without_a_speaker_is_refused_and_nothing_is_saved(self):
        response = self.post(**self.statement_row())
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response, "Give the speaker: exactly one of a State, an organisation or an office"
        )
        self.assertFalse(Statement.objects.exists())

    def test_a_statement_row_is_saved_with_the_reason_in_its_history(self):
        response = self.post(**self.statement_row(speaker=f"state:{self.w.lebanon.pk}"))
        self.assertEqual(response.status_code, 302)
        statement = Statement.objects.get()
        self.assertEqual(statement.state, self.w.lebanon)
        self.assertEqual(statement.history.get().history_change_reason, "Statements from the day's summary")

    def test_a_pledge_row_with_an_amount_but_no_currency_is_refused_in_words(self):
        response = self.post(
            **{
                "pledges-TOTAL_FORMS": "1",
                "pledges-0-donor": f"state:{self.w.lebanon.pk}",
                "pledges-0-amount": "700000",
                "pledges-0-source": str(self.w.source.pk),
                "pledges-0-position": "0",
            }
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Give the currency of the amount")
        self.assertFalse(Pledge.objects.exists())

    def test_a_statement_saved_meanwhile_by_someone_else_is_not_overwritten(self):
        statement = self.statement(state=self.w.lebanon)
        statement.save()
        data = factory.admin_post_data(
            self.client.get(self.url), reason="Edit", **{"statements-0-summary": "Mine."}
        )
        factory.edit_as(statement, None, "Theirs", summary="Theirs.")
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 200)
        statement.refresh_from_db()
        self.assertEqual(statement.summary, "Theirs.")


class ChangeLogTests(ProceedingsTestCase):
    def test_edits_to_statements_and_pledges_are_in_the_public_change_log_and_feed(self):
        statement = self.statement(state=self.w.lebanon)
        statement._change_reason = "Added from the summary"
        statement.save()
        factory.edit_as(statement, None, "Wording", summary="Characterized the use as very alarming.")
        pledge = self.pledge(amount=Decimal("700000"), currency="EUR")
        pledge._change_reason = "Added"
        pledge.save()
        response = self.client.get("/changes/")
        self.assertContains(response, "Characterized the use as very alarming.")
        self.assertContains(response, "700000")
        feed = self.client.get("/changes/feed/")
        self.assertContains(feed, "Characterized the use as very alarming.")


class StateHistoryTests(ProceedingsTestCase):
    def test_a_states_history_holds_its_statements_and_pledges_but_not_others(self):
        mine = self.statement(state=self.w.lebanon, summary="Words of Lebanon.")
        mine._change_reason = "Added"
        mine.save()
        theirs = self.statement(organisation=self.cmc, summary="Words of the CMC.")
        theirs._change_reason = "Added"
        theirs.save()
        pledge = self.pledge(amount=Decimal("5"), currency="EUR", covers="Pledge of Lebanon")
        pledge._change_reason = "Added"
        pledge.save()
        response = self.client.get("/states/lb/history/")
        self.assertContains(response, "Words of Lebanon.")
        self.assertContains(response, "Pledge of Lebanon")
        self.assertContains(response, "Lebanon: statement at 2MSP")
        self.assertNotContains(response, "Words of the CMC.")
        changes = self.client.get("/changes/")
        self.assertContains(changes, "CMC: statement at 2MSP")


class ImportTests(ProceedingsTestCase):
    STATEMENTS = (
        "topic,state,organisation,office,delivered_by,mode,date,summary,source\n"
        "compliance,LB,,,,written,2011-09-16,Submitted a written statement.,\n"
        "compliance,,cmc,,Marion Libertucci,,2011-09-16,Stressed the CCW protocol.,\n"
    )

    def setUp(self):
        self.user = factory.make_user("erin", groups=["editors"])
        self.client.force_login(self.user)
        self.url = f"/admin/tracker/meeting/{self.w.meeting.pk}/import/"

    def upload(self, text, kind="statements", name="rows.csv", **extra):
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {
            "kind": kind,
            "file": SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text),
        }
        data["source"] = str(self.w.source.pk)
        data.update(extra)
        return self.client.post(self.url, data)

    def confirm(self, preview, reason="From the day's summary"):
        payload = preview.context["confirm"]["payload"].value()
        return self.client.post(self.url, {"payload": payload, "reason": reason})

    def test_the_meeting_page_links_to_the_import(self):
        self.assertContains(self.client.get(factory.admin_change_url(self.w.meeting)), self.url)

    def test_statements_are_previewed_then_added_with_the_reason(self):
        preview = self.upload(self.STATEMENTS)
        self.assertContains(preview, "Preview: 2 statements to add")
        self.assertFalse(Statement.objects.exists())
        response = self.confirm(preview)
        self.assertEqual(response.status_code, 302)
        written, cmc = Statement.objects.order_by("pk")
        self.assertEqual(
            (written.state, written.mode, written.source), (self.w.lebanon, "written", self.w.source)
        )
        self.assertEqual((cmc.organisation, cmc.delivered_by), (self.cmc, "Marion Libertucci"))
        self.assertEqual(
            cmc.history.get().history_change_reason, "Imported from rows.csv: From the day's summary"
        )
        # The same confirmation again adds nothing: the rows are already recorded.
        again = self.confirm(preview)
        self.assertContains(again, "Nothing was imported")
        self.assertContains(again, "this row is already recorded for the meeting")
        self.assertEqual(Statement.objects.count(), 2)

    def test_bad_rows_are_listed_by_line_in_words_and_nothing_can_be_confirmed(self):
        text = (
            "topic,state,organisation,office,date,summary\n"
            "compliance,,,,2011-09-16,Nobody spoke.\n"
            "nowhere,XX,,,16/09/2011,Spoke.\n"
        )
        response = self.upload(text)
        self.assertContains(response, "Line 2: Give the speaker: exactly one of a State")
        self.assertContains(
            response, "Line 3: no agenda topic “nowhere” is recorded; no State with the ISO code “XX”"
        )
        self.assertContains(response, "“16/09/2011” is not a date")
        self.assertIsNone(response.context["confirm"])
        self.assertFalse(Statement.objects.exists())

    def test_pledges_with_recipients_and_their_checks(self):
        text = (
            "donor_state,amount,currency,covers,recipients,purpose\n"
            'LB,"700,000",EUR,a new contribution,AL AT,clearance\n'
            "AL,5,,no currency,,\n"
            "AT,-3,EUR,negative,,\n"
        )
        response = self.upload(text, kind="pledges")
        self.assertContains(response, "Line 3: currency: Give the currency of the amount")
        self.assertContains(response, "Line 4: amount: An amount must be more than zero.")
        ok = self.upload(text.split("AL,5")[0], kind="pledges")
        self.confirm(ok)
        pledge = Pledge.objects.get()
        self.assertEqual((pledge.amount, pledge.currency), (Decimal("700000"), "EUR"))
        self.assertEqual({s.iso2 for s in pledge.recipients.all()}, {"AL", "AT"})

    def test_files_of_another_kind_or_with_unknown_columns_are_refused_in_words(self):
        self.assertContains(self.upload(b"%PDF-1.4 ..."), "This is a PDF document, not a CSV file.")
        self.assertContains(
            self.upload("topic,speaker\ncompliance,LB\n"),
            "The file has columns that statements do not have: speaker.",
        )
        self.assertFalse(Statement.objects.exists())

    def test_a_changed_confirmation_is_refused(self):
        preview = self.upload(self.STATEMENTS)
        payload = preview.context["confirm"]["payload"].value()
        response = self.client.post(self.url, {"payload": payload[:-3] + "abc", "reason": "x"})
        self.assertContains(response, "This confirmation was changed or is more than a day old")
        self.assertFalse(Statement.objects.exists())

    def test_reviewers_may_not_import(self):
        self.client.force_login(factory.make_user("rita", groups=["reviewers"]))
        self.assertEqual(self.client.get(self.url).status_code, 403)
