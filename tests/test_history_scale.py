"""The change history stays as cheap with a long history as with a short one.

A cheap check of what makes tracker.history fast at 1,000,000 rows (the
benchmark in tools/benchmark.py measures that): the same number of queries,
and every query on a historical table walking an index, whatever the number of
versions. docs/performance.md shows the plans at full size.
"""

import datetime
import re

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from tests import factory
from tracker import history
from tracker.models import Extension, Obligation, State

D = datetime.date
# Every record has three versions to begin with (so every read fills its page with
# the same mix of records at both sizes); growing adds forty older ones to each:
# about 600 more history rows.
RECENT = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
GROWTH = 40


def capture(call):
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return result, [q["sql"] for q in queries.captured_queries]


def plan(sql):
    """The query plan as lines of text, without costs or timings."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return [row[-1] for row in cursor.fetchall()]
        # Small tables are cheaper to read whole: ask PostgreSQL for the plan it
        # would use on large ones, where a sequential scan is what must not happen.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (COSTS OFF) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
        cursor.execute("RESET enable_seqscan")
        return lines


def full_scans(lines):
    """Plan lines that read a whole historical table."""
    if connection.vendor == "sqlite":
        return [line for line in lines if re.fullmatch(r"SCAN tracker_historical\w+", line.strip())]
    return [line for line in lines if "Seq Scan on tracker_historical" in line]


class HistoryScaleTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        treaty = factory.make_treaty()
        cls.lebanon = factory.make_state("LB", "Lebanon")
        cls.france = factory.make_state("FR", "France", region=State.Region.EUROPE)
        cls.editor = factory.make_user("editor")
        lebanon = factory.make_participation(
            treaty, cls.lebanon, signature_date=D(2008, 12, 3), deposit_date=D(2010, 11, 5)
        )
        france = factory.make_participation(
            treaty, cls.france, signature_date=D(2008, 12, 3), deposit_date=D(2009, 9, 25)
        )
        step = factory.make_step(lebanon)
        factory.make_step(lebanon, description="Deleted later.").delete()
        meeting = factory.make_meeting(treaty)
        group = factory.make_group(treaty)
        assignment = factory.make_assignment(group, cls.lebanon)
        clearance = factory.obligation(lebanon, Obligation.Kind.CLEARANCE)
        extension = Extension.objects.create(obligation=clearance, requested_on=D(2011, 1, 1))
        source = factory.make_source()
        cls.records = [
            (cls.lebanon, "subregion"),
            (cls.france, "subregion"),
            (lebanon, "notes"),
            (france, "notes"),
            (step, "description"),
            (factory.obligation(lebanon), "progress"),
            (clearance, "progress"),
            (factory.obligation(france), "progress"),
            (extension, "notes"),
            (meeting, "outcomes"),
            (group, "description"),
            (assignment, "notes"),
            (source, "notes"),
            (treaty, "depositary"),
        ]
        for record, field in cls.records:
            factory.add_history(record, 3, field, start=RECENT)

    def grow(self):
        older = RECENT - datetime.timedelta(days=GROWTH + 1)
        for record, field in self.records:
            factory.add_history(record, GROWTH, field, start=older)

    def reads(self):
        """The history reads of the public pages, the feed and the audit log: name -> call."""
        first = history.changes(limit=5)
        in_lebanon = history.changes(state="LB", limit=5)
        return {
            "site-wide": lambda: history.changes(limit=20),
            "site-wide, next page": lambda: history.changes(limit=20, before=first[-1].cursor),
            "one State": lambda: history.changes(state="LB", limit=20),
            "one State, next page": lambda: history.changes(
                state="LB", limit=20, before=in_lebanon[-1].cursor
            ),
            "kinds and dates": lambda: history.changes(
                kinds=["step", "obligation"], start=D(2010, 1, 1), end=D(2030, 1, 1), limit=20
            ),
            "one editor": lambda: history.changes(user=self.editor, limit=20),
            "feed": lambda: history.changes(limit=50),
        }

    def test_a_read_costs_the_same_queries_at_any_size(self):
        """Each read of the history makes as many queries with 40 more versions of everything.

        (The count depends on which kinds of record a page shows, one query
        each; both sizes show the same newest pages, so it must be equal.)
        """
        small = {name: len(capture(call)[1]) for name, call in self.reads().items()}
        self.grow()
        large = {name: len(capture(call)[1]) for name, call in self.reads().items()}
        self.assertEqual(large, small)

    def test_every_history_query_walks_an_index(self):
        """No query reads a whole historical table, before or after the history grows."""
        for size in ("small", "large"):
            if size == "large":
                self.grow()
            for name, call in self.reads().items():
                for sql in capture(call)[1]:
                    if "tracker_historical" in sql:
                        self.assertEqual(full_scans(plan(sql)), [], f"{name} ({size}): {sql[:200]}")

    def test_the_plans_do_not_change_with_size(self):
        """On SQLite (whose plans do not follow table sizes) every plan is the same at both sizes."""
        if connection.vendor != "sqlite":
            self.skipTest("PostgreSQL rightly chooses plans by table size; the test above covers it")
        small = {name: [plan(sql) for sql in capture(call)[1]] for name, call in self.reads().items()}
        self.grow()
        large = {name: [plan(sql) for sql in capture(call)[1]] for name, call in self.reads().items()}
        self.assertEqual(large, small)

    def test_a_long_history_still_shows_the_newest_first(self):
        """With 40 older versions of everything, a State's page still starts with its latest edits."""
        self.grow()
        lebanon = State.objects.get(pk=self.lebanon.pk)
        lebanon.subregion = "Western Asia"
        lebanon.save()
        changes = history.changes(state="LB", limit=20)
        self.assertEqual(changes[0].kind, "state")
        self.assertEqual(changes[0].fields[0].new, "Western Asia")
        dates = [change.date for change in changes]
        self.assertEqual(dates, sorted(dates, reverse=True))
        self.assertEqual(len(changes), 20)
        oldest = history.changes(state="LB", limit=1000)[-1]
        self.assertLess(oldest.date, RECENT - datetime.timedelta(days=GROWTH))

    def test_the_edit_stamp_is_one_query_that_moves_with_every_edit(self):
        """edit_stamp() reads the end of each index in one query, and an edit changes it."""
        with self.assertNumQueries(1):
            version, latest = history.edit_stamp()
        self.assertEqual(latest, history.latest_change_at())
        self.grow()  # older rows: new history ids, the same newest date
        self.assertNotEqual(history.edit_stamp()[0], version)
        source = self.records[-2][0]
        source.notes = "Edited."
        source.save()
        changed, newest = history.edit_stamp()
        self.assertGreater(newest, latest)
        self.assertNotEqual(changed, version)
