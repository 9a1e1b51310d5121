"""Query budgets of the read API (see tests/test_query_budgets.py for the method): each endpoint costs the
same number of queries with a few States, statements, pledges and reports and with many.

The data sets are those of the pages' own budget tests (their set-up and growth are reused), so that an
endpoint and the page it mirrors are measured on the same records. Each count includes the page cache's
version check (one query), with no page kept.
"""

from django.test import TestCase, override_settings

from tests import factory
from tests import test_query_budgets as record_budgets
from tests import test_query_budgets_proceedings as proceedings_budgets
from tests import test_query_budgets_reports as report_budgets

# address -> queries for an anonymous reader.
RECORD = {
    "/api/v1/treaties": 2,
    "/api/v1/states": 7,
    "/api/v1/states?treaty=ccm&status=party&region=asia&q=x&as_of=2015-01-01": 8,  # one for the States the search finds
    # The State, the treaties, then per treaty its participations, obligations and extensions (three
    # per treaty: a fixed number, as treaties are added as data, not as the record grows), then the
    # State's obligations with their extensions.
    "/api/v1/states/lb": 8,
    "/api/v1/obligations": 4,
    "/api/v1/obligations?state=lb&kind=clearance": 5,
    "/api/v1/meetings": 7,
    "/api/v1/working-groups": 4,
    "/api/v1/sources": 2,
    "/api/v1/changes": 42,
    "/api/v1/changes?state=lb": 36,
}
PROCEEDINGS = {
    "/api/v1/meetings/ccm-2msp": 13,
    "/api/v1/pledges": 3,
    "/api/v1/pledges?donor=lb&recipient=fr&currency=EUR&meeting=ccm-2msp&purpose=clearance": 5,
}
REPORTS = {
    "/api/v1/reports": 4,
    "/api/v1/reports?treaty=ccm&status=overdue&region=asia&year=2015&kind=initial": 4,
}


class BudgetChecks:
    budgets = {}

    def check(self, size):
        factory.assert_query_budgets(self, self.budgets, size)

    @override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=0, DERIVED_MEMO=False)
    def test_endpoints_keep_their_budget_as_the_data_grows(self):
        self.check("small")
        self.grow()
        self.check("large")


class RecordApiBudgetTestCase(BudgetChecks, TestCase):
    budgets = RECORD
    busy_records = staticmethod(record_budgets.QueryBudgetTestCase.busy_records)
    grow = record_budgets.QueryBudgetTestCase.grow

    @classmethod
    def setUpTestData(cls):
        record_budgets.QueryBudgetTestCase.setUpTestData.__func__(cls)


class ProceedingsApiBudgetTestCase(BudgetChecks, TestCase):
    budgets = PROCEEDINGS
    grow = proceedings_budgets.ProceedingsQueryBudgetTestCase.grow

    @classmethod
    def setUpTestData(cls):
        proceedings_budgets.ProceedingsQueryBudgetTestCase.setUpTestData.__func__(cls)


class ReportApiBudgetTestCase(BudgetChecks, TestCase):
    budgets = REPORTS

    @classmethod
    def setUpTestData(cls):
        report_budgets.ReportQueryBudgetTestCase.setUpTestData.__func__(cls)

    def grow(self):
        report_budgets.populate(self.treaty, self.source, [f"X{c}" for c in "ABCDEFGHIJ"])
