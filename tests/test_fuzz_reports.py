"""Random query strings at the transparency reports' addresses never cause a server error."""

from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests import factory
from tests.test_fuzz_public import RAW_QUERY, VALUES
from tracker.models import TransparencyReport

KEYS = st.sampled_from(["treaty", "region", "year", "kind", "status", "reports", "applicability"]) | st.text(
    max_size=12
)
REPORT_VALUES = VALUES | st.sampled_from(
    ["initial", "annual", "overdue", "not_recorded", "on_time", "1", "0", "2015", "-1", "1899", "3000"]
)
QUERY = st.lists(st.tuples(KEYS, REPORT_VALUES), max_size=6).map(urlencode)


def fuzz(path):
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(query=st.one_of(QUERY, RAW_QUERY))
    def test(self, query):
        response = self.client.get(path, QUERY_STRING=query)
        self.assertLess(response.status_code, 500, f"{path}?{query}")

    test.__doc__ = f"Random query strings on {path} get an answer, never a 500."
    return test


class ReportUrlFuzzTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        world = factory.make_public_world()
        report = TransparencyReport(participation=world.lb, kind="initial")
        report.full_clean()
        report.save()

    test_the_report_list_never_answers_with_a_server_error = fuzz("/reports/")
    test_the_reports_csv_never_answers_with_a_server_error = fuzz("/reports.csv")
    test_the_reports_json_never_answers_with_a_server_error = fuzz("/reports.json")
    test_the_calendar_with_reports_never_answers_with_a_server_error = fuzz("/deadlines.ics")
