"""Query budgets of the transparency reports' pages: fixed however many States and reports there are.

The same pattern as test_query_budgets.py: each page is requested with a small data set and again
after ten more States Parties, each with reports on record, and must make exactly its budgeted
number of queries both times (including the page cache's one query, with no page kept).
"""

import datetime

from django.test import TestCase, override_settings
from django.urls import reverse

from tests import factory
from tracker.models import State, TransparencyReport

D = datetime.date

# address -> queries for an anonymous reader: the page cache's check, the treaties (filter
# choices), the participations with their States and treaties, their reports with sources.
PUBLIC = {
    "/reports/": 4,
    "/reports/?status=overdue&region=asia": 4,
    "/reports.csv": 4,
    "/reports.json?year=2012": 4,
    "/deadlines.ics?reports=1": 5,
}
ADMIN = {
    "admin:tracker_transparencyreport_changelist": 6,
}


def populate(treaty, source, codes):
    """Give each State of ``codes`` a deposit, an overdue initial report and a late annual one."""
    participations = []
    for n, code in enumerate(codes):
        state = factory.make_state(code, f"State {code}", region=list(State.Region.values)[n % 5])
        deposit = D(2011, 3, 1) + datetime.timedelta(days=n)
        participations.append(
            factory.make_participation(treaty, state, signature_date=D(2008, 12, 3), deposit_date=deposit)
        )
    # The reports are due once the treaty is in force, after the third deposit.
    for participation in participations:
        for fields in (
            {"kind": "initial", "missing_on": D(2015, 6, 18), "missing_source": source},
            {
                "kind": "annual",
                "period": 2012,
                "submitted_on": D(2013, 5, 2),
                "source": source,
                "url": "https://example.org/r.pdf",
            },
        ):
            report = TransparencyReport(participation=participation, **fields)
            report.full_clean()
            report.save()


class ReportQueryBudgetTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3), eif_instruments=3)
        cls.source = factory.make_source("CMC list")
        populate(cls.treaty, cls.source, ["LB", "FR", "MX"])
        cls.admin = factory.make_user("root", superuser=True)

    def check(self, budgets, size):
        factory.assert_query_budgets(self, budgets, size)

    @override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=0, DERIVED_MEMO=False)
    def test_public_pages_keep_their_budget_as_the_data_grows(self):
        self.check(PUBLIC, "small")
        populate(self.treaty, self.source, [f"X{c}" for c in "ABCDEFGHIJ"])
        self.check(PUBLIC, "large")

    def test_admin_list_keeps_its_budget_as_the_data_grows(self):
        self.client.force_login(self.admin)
        budgets = {reverse(name): budget for name, budget in ADMIN.items()}
        self.check(budgets, "small")
        populate(self.treaty, self.source, [f"X{c}" for c in "ABCDEFGHIJ"])
        self.check(budgets, "large")
