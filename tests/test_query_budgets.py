"""Query budgets: every public page and admin list costs a fixed number of SQL queries.

Each page is requested with a small data set and again after it grew (more
States, each with a participation, steps, obligations, an extension and a
coordinator term, and forty older versions of the busiest records), and must
make exactly its budgeted number of queries both times. An N+1 query (one
more query per State, per row or per version) fails here. A budget that
changes on purpose is updated here, with the reason in the commit.

With the page cache on (and keeping no page) the public pages include its one
query. The growth is dated in the past, so that the history pages show the same
newest changes at both sizes (their cost depends on which kinds of record a
page shows, not on how many rows there are: see test_history_scale.py). Pages that
show changes read the newest keys of each kind of record with one ORM query per
kind (tracker/history.py), then the rows shown.
"""

import datetime

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from tests import factory
from tracker import history
from tracker.models import Extension, Obligation, Participation, RatificationStep, State

D = datetime.date
LONG_AGO = datetime.datetime(2011, 1, 1, tzinfo=datetime.UTC)

# Public pages: address -> queries for an anonymous reader, including the one query
# of the page cache's version check (tracker/caching.py), with no page kept.
PUBLIC = {
    "/": 40,
    "/states/": 8,  # the world map of every State reuses the list's standings
    "/states.csv": 7,
    "/states.json": 7,
    "/states/lb/": 12,
    "/states/lb/history/": 36,
    "/deadlines/": 9,
    "/deadlines.ics": 3,
    "/deadlines.json": 4,
    "/deadlines.csv": 4,
    "/meetings.json": 7,
    "/working-groups.json": 4,
    "/working-groups/": 4,
    "/meetings/": 7,
    "/changes/": 43,  # 42, and one for the treaty filter's choices
    "/changes/feed/": 42,
}
# The admin's lists and the audit log, for a superuser: URL name -> queries.
ADMIN = {
    "admin:tracker_source_changelist": 6,
    "admin:tracker_treaty_changelist": 5,
    "admin:tracker_state_changelist": 5,
    "admin:tracker_participation_changelist": 8,
    "admin:tracker_ratificationstep_changelist": 6,
    "admin:tracker_obligation_changelist": 7,
    "admin:tracker_extension_changelist": 6,
    "admin:tracker_meeting_changelist": 6,
    "admin:tracker_workinggroup_changelist": 7,
    "admin:tracker_coordinatorassignment_changelist": 7,
    "admin:tracker_audit_log": 45,
    "admin:tracker_ratificationstep_deleted": 3,
}


def populate(treaty, meeting, group, codes):
    """Give each State of ``codes`` the records a State Party has."""
    participations = []
    for n, code in enumerate(codes):
        state = factory.make_state(code, f"State {code}", region=list(State.Region.values)[n % 5])
        deposit = D(2011, 3, 1) + datetime.timedelta(days=n)
        participations.append(
            factory.make_participation(treaty, state, signature_date=D(2008, 12, 3), deposit_date=deposit)
        )
    # The deadlines exist once the treaty is in force, after the third deposit.
    for n, participation in enumerate(participations):
        factory.make_step(participation, kind=RatificationStep.Kind.BEFORE_PARLIAMENT, date=D(2010, 5, 1))
        factory.make_step(participation, kind=RatificationStep.Kind.INSTRUMENT_DEPOSITED, date=D(2011, 3, 1))
        for obligation in participation.obligations.all():
            obligation.applicability = Obligation.Applicability.APPLICABLE
            obligation.save()
        clearance = factory.obligation(participation, Obligation.Kind.CLEARANCE)
        Extension.objects.create(
            obligation=clearance,
            requested_on=D(2020, 3, 1),
            decision=Extension.Decision.GRANTED,
            meeting=meeting,
            decided_on=D(2020, 9, 1),
            new_deadline=clearance.current_deadline + datetime.timedelta(days=700),
        )
        start = D(2011, 9, 16) + datetime.timedelta(days=400 * (n // 2))
        factory.make_assignment(
            group, participation.state, term_start=start, term_end=start + datetime.timedelta(days=400)
        )


class QueryBudgetTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        # In force after three deposits, so that deadlines exist from the start.
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3), eif_instruments=3)
        cls.meeting = factory.make_meeting(cls.treaty, start_date=D(2020, 9, 1), end_date=D(2020, 9, 4))
        cls.group = factory.make_group(cls.treaty)
        factory.make_source()
        populate(cls.treaty, cls.meeting, cls.group, ["LB", "FR", "MX"])
        cls.admin = factory.make_user("root", superuser=True)
        # Every record has older versions from the start, so that the newest
        # changes have a previous version to compare with at both sizes.
        for record, field in cls.busy_records():
            factory.add_history(record, 2, field, start=LONG_AGO)

    @staticmethod
    def busy_records():
        lebanon = Participation.objects.get(state__iso2="LB")
        obligations = [(o, "progress") for o in lebanon.obligations.all()]
        return [(lebanon, "notes"), (lebanon.state, "subregion"), *obligations]

    def grow(self):
        """Ten more States with everything, all dated in the past, and forty older versions for Lebanon."""
        started = timezone.now()
        populate(self.treaty, self.meeting, self.group, [f"X{c}" for c in "ABCDEFGHIJ"])
        for model in history.KINDS.values():
            model.history.filter(history_date__gte=started).update(history_date=LONG_AGO)
        for record, field in self.busy_records():
            factory.add_history(record, 40, field, start=LONG_AGO - datetime.timedelta(days=100))

    def check(self, budgets, size):
        factory.assert_query_budgets(self, budgets, size)

    @override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=0, DERIVED_MEMO=False)
    def test_public_pages_keep_their_budget_as_the_data_grows(self):
        """Every public page makes its budgeted number of queries, with few States and with many."""
        self.check(PUBLIC, "small")
        self.grow()
        self.check(PUBLIC, "large")

    def test_admin_lists_keep_their_budget_as_the_data_grows(self):
        """Every admin list (and the audit log) makes its budgeted number of queries at both sizes."""
        self.client.force_login(self.admin)
        budgets = {reverse(name): budget for name, budget in ADMIN.items()}
        self.check(budgets, "small")
        self.grow()
        self.check(budgets, "large")
