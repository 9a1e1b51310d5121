"""/states.csv and /states.json: the States list as data, with the list's filters."""

import csv
import io
import json

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tests import factory
from tracker import exports

REQUIRED_KEYS = {
    "name",
    "iso2",
    "region",
    "status",
    "in_force",
    "signature_date",
    "instrument",
    "deposit_date",
    "entry_into_force_date",
    "stockpile_deadline",
    "stockpile_status",
    "clearance_deadline",
    "clearance_status",
    "withdrawal_effective_date",
    "treaty",
    "subregion",
    "withdrawal_notice_date",
    "provisional_application_date",
    "as_of",
    "url",
}


class StatesJsonTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def get(self, **params):
        return self.client.get(reverse("states-json"), params)

    def test_the_body_carries_the_treaty_the_day_the_count_and_the_rows(self):
        """{"treaty", "as_of", "count", "results"}, every row with the required keys."""
        response = self.get()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        body = json.loads(response.content)
        self.assertEqual(body["treaty"], "ccm")
        self.assertEqual(body["as_of"], timezone.localdate().isoformat())
        self.assertEqual(body["count"], 8)
        self.assertEqual(len(body["results"]), 8)
        for row in body["results"]:
            self.assertEqual(set(row), REQUIRED_KEYS)

    def test_a_row_gives_iso_dates_the_deadlines_and_the_state_address(self):
        """Lebanon: dates as ISO strings, in force, its deadlines where they apply with their statuses,
        and its page's absolute URL."""
        rows = {row["iso2"]: row for row in json.loads(self.get().content)["results"]}
        lebanon = rows["LB"]
        self.assertEqual(lebanon["status"], "party")
        self.assertIs(lebanon["in_force"], True)
        self.assertEqual(lebanon["signature_date"], "2008-12-03")
        self.assertEqual(lebanon["deposit_date"], "2010-11-05")
        self.assertEqual(lebanon["entry_into_force_date"], "2011-05-01")
        self.assertEqual(lebanon["instrument"], "ratification")
        # Whether Lebanon had stockpiles is not recorded here: no deadline, and the status says so.
        self.assertIsNone(lebanon["stockpile_deadline"])
        self.assertEqual(lebanon["stockpile_status"], "unknown")
        self.assertEqual(lebanon["clearance_deadline"], "2021-05-01")
        self.assertEqual(lebanon["clearance_status"], "overdue")
        self.assertIsNone(lebanon["withdrawal_effective_date"])
        self.assertEqual(lebanon["region"], "asia")
        self.assertEqual(lebanon["subregion"], "Western Asia")
        self.assertEqual(lebanon["url"], "http://testserver/states/lb/")
        self.assertEqual(rows["LT"]["withdrawal_effective_date"], "2025-03-06")
        self.assertIsNone(rows["LT"]["stockpile_deadline"], "a withdrawn State has no current deadline")
        self.assertIsNone(rows["US"]["signature_date"])
        self.assertEqual(rows["US"]["status"], "non_signatory")

    def test_the_list_filters_apply(self):
        """as_of=2011-09-16&status=signatory gives Angola and Australia, with that day in each row."""
        body = json.loads(self.get(as_of="2011-09-16", status="signatory").content)
        self.assertEqual([row["name"] for row in body["results"]], ["Angola", "Australia"])
        self.assertEqual(body["as_of"], "2011-09-16")
        self.assertEqual({row["as_of"] for row in body["results"]}, {"2011-09-16"})
        self.assertIsNone(body["results"][1]["stockpile_deadline"], "not yet a party on that day")

    def test_bad_input_is_refused_with_the_errors_as_json(self):
        """A download never guesses: 400 and {"errors": {parameter: [messages]}}."""
        response = self.get(status="zzz", as_of="99999-01-01")
        self.assertEqual(response.status_code, 400)
        errors = json.loads(response.content)["errors"]
        self.assertEqual(set(errors), {"status", "as_of"})


class StatesCsvTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def get(self, **params):
        return self.client.get(reverse("states-csv"), params)

    def rows(self, response):
        text = response.content.decode("utf-8")
        self.assertFalse(text.startswith("\ufeff"), "no byte-order mark")
        return list(csv.DictReader(io.StringIO(text)))

    def test_it_is_an_attachment_named_after_the_treaty_and_day(self):
        """text/csv in UTF-8, downloaded as states-ccm-<as_of>.csv."""
        response = self.get(as_of="2011-09-16")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertEqual(response["Content-Disposition"], 'attachment; filename="states-ccm-2011-09-16.csv"')

    def test_it_parses_with_a_header_of_the_json_keys(self):
        """csv.DictReader reads the header and one row per State."""
        response = self.get()
        rows = self.rows(response)
        self.assertEqual(len(rows), 8)
        self.assertEqual(list(rows[0]), exports.COLUMNS)
        lebanon = next(row for row in rows if row["iso2"] == "LB")
        self.assertEqual(lebanon["in_force"], "yes")
        self.assertEqual(lebanon["deposit_date"], "2010-11-05")
        self.assertEqual(lebanon["clearance_deadline"], "2021-05-01")

    def test_the_list_filters_apply(self):
        """status=withdrawn gives Lithuania alone."""
        self.assertEqual([row["name"] for row in self.rows(self.get(status="withdrawn"))], ["Lithuania"])

    def test_bad_input_is_refused_in_plain_text(self):
        """A NUL byte in a filter gets a 400 with the reason, not a file."""
        response = self.get(region="\x00")
        self.assertEqual(response.status_code, 400)
        self.assertTrue(response["Content-Type"].startswith("text/plain"))
        self.assertIn(b"Region", response.content)

    def test_names_with_commas_and_accents_survive_the_round_trip(self):
        """A name with a comma, an apostrophe and an accent is read back intact."""
        factory.make_state("CI", "Côte d'Ivoire, test", region="africa")
        names = {row["name"] for row in self.rows(self.get())}
        self.assertIn("Côte d'Ivoire, test", names)
