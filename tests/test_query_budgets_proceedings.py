"""Query budgets of the meeting record's pages (see tests/test_query_budgets.py for the method):
each page costs the same number of queries with a few statements and pledges and with many."""

import datetime
from decimal import Decimal

from django.test import TestCase, override_settings
from django.urls import reverse

from tests import factory
from tracker.models import AgendaTopic, Organisation, Pledge, State, Statement

D = datetime.date

# Public pages: address -> queries for an anonymous reader, including the page cache's version check.
PUBLIC = {
    "/meetings/ccm-2msp/": 13,
    "/meetings/ccm-2msp.json": 13,
    "/pledges/": 3,
    "/pledges/?donor=lb&recipient=fr&currency=EUR&meeting=ccm-2msp&purpose=clearance": 5,
    "/pledges.csv": 3,
    "/pledges.json": 3,
    "/organisations/cmc/": 5,
    "/states/lb/": 13,
}
ADMIN = {
    "admin:tracker_statement_changelist": 9,
    "admin:tracker_pledge_changelist": 8,
    "admin:tracker_organisation_changelist": 5,
    "admin:tracker_agendatopic_changelist": 5,
}


def populate(meeting, topics, organisation, codes):
    """Each State of ``codes`` speaks under two topics and pledges to Lebanon; the organisation speaks and pledges."""
    source = factory.make_source(f"Summary {codes[0]}")
    lebanon = State.objects.get(iso2="LB")
    for n, code in enumerate(codes):
        state = State.objects.filter(iso2=code).first() or factory.make_state(code, f"State {code}")
        for topic in topics:
            Statement.objects.create(
                meeting=meeting,
                topic=topic,
                state=state,
                summary="Spoke.",
                source=source,
                date=D(2011, 9, 16),
                cited_count=n,
                count_kind=Statement.CountKind.STATES_PARTIES,
            )
        pledge = Pledge.objects.create(
            meeting=meeting,
            donor_state=state,
            amount=Decimal(1000 + n),
            currency=["EUR", "USD"][n % 2],
            purpose=Pledge.Purpose.CLEARANCE,
            source=source,
        )
        pledge.recipients.set([lebanon, state])
    Statement.objects.create(
        meeting=meeting, topic=topics[0], organisation=organisation, summary="Spoke.", source=source
    )
    Pledge.objects.create(
        meeting=meeting, donor_organisation=organisation, amount_as_stated="some", source=source
    )


class ProceedingsQueryBudgetTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3), eif_instruments=3)
        cls.meeting = factory.make_meeting(treaty, start_date=D(2011, 9, 13), end_date=D(2011, 9, 16))
        factory.make_meeting(
            treaty,
            short_name="3MSP",
            name="Third",
            convened_by=cls.meeting,
            president_designated_at=cls.meeting,
        )
        main = AgendaTopic.objects.create(slug="universalization", name="Universalization", position=1)
        cls.topics = [
            main,
            AgendaTopic.objects.create(slug="accession", name="Accession", parent=main, position=2),
        ]
        cls.organisation = Organisation.objects.create(
            slug="cmc", name="Cluster Munition Coalition", kind="campaign"
        )
        for code in ("LB", "FR", "MX"):
            state = factory.make_state(code, f"State {code}")
            factory.make_participation(
                treaty, state, signature_date=D(2008, 12, 3), deposit_date=D(2010, 1, 5)
            )
        populate(cls.meeting, cls.topics, cls.organisation, ["LB", "FR", "MX"])
        cls.admin = factory.make_user("root", superuser=True)

    def grow(self):
        populate(self.meeting, self.topics, self.organisation, [f"X{c}" for c in "ABCDEFGHIJ"])

    def check(self, budgets, size):
        factory.assert_query_budgets(self, budgets, size)

    @override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=0, DERIVED_MEMO=False)
    def test_public_pages_keep_their_budget_as_the_data_grows(self):
        self.check(PUBLIC, "small")
        self.grow()
        self.check(PUBLIC, "large")

    def test_admin_lists_keep_their_budget_as_the_data_grows(self):
        self.client.force_login(self.admin)
        budgets = {reverse(name): budget for name, budget in ADMIN.items()}
        self.check(budgets, "small")
        self.grow()
        self.check(budgets, "large")
