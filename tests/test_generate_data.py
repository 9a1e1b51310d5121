"""tools/generate_data.py: a large, consistent, clearly marked fake data set for benchmarks."""

import datetime
import io

from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings

from tests import factory
from tools.generate_data import Command
from tracker import history
from tracker.models import Obligation, Participation, RatificationStep, State, Treaty

D = datetime.date


def generate(*args):
    out = io.StringIO()
    call_command(Command(), *args, stdout=out)
    return out.getvalue()


class GenerateDataRefusesTestCase(TestCase):
    def test_it_refuses_without_yes(self):
        """Without --yes nothing is written."""
        with override_settings(DEBUG=True), self.assertRaisesMessage(CommandError, "--yes"):
            generate("--history-rows", "10")
        self.assertFalse(Treaty.objects.exists())

    def test_it_refuses_with_debug_off(self):
        """DEBUG off looks like production: it refuses even with --yes."""
        with override_settings(DEBUG=False), self.assertRaisesMessage(CommandError, "DEBUG is off"):
            generate("--yes", "--history-rows", "10")
        self.assertFalse(Treaty.objects.exists())


@override_settings(DEBUG=True)
class GenerateDataTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        treaty = factory.make_treaty()
        lebanon = factory.make_state("LB", "Lebanon")
        factory.make_participation(
            treaty, lebanon, signature_date=D(2008, 12, 3), deposit_date=D(2010, 11, 5)
        )
        cls.output = generate("--yes", "--history-rows", "600", "--min-states", "60", "--seed", "7")

    def test_it_adds_two_treaties_and_tops_up_the_states(self):
        """Three treaties, and at least the States asked for, each in every treaty."""
        self.assertEqual(Treaty.objects.count(), 3)
        self.assertEqual(State.objects.count(), 60)
        self.assertEqual(Participation.objects.count(), 3 * 60)
        self.assertIn("600 history rows", self.output)

    def test_exactly_the_requested_history_rows_are_marked_generated(self):
        """Every generated history row says so, and there are as many as asked for."""
        counts = {
            kind: model.history.filter(history_change_reason="generated").count()
            for kind, model in history.KINDS.items()
        }
        self.assertEqual(sum(counts.values()), 600)
        self.assertTrue(all(counts.values()), f"every kind of record gets some history: {counts}")

    def test_the_real_treaty_keeps_its_records(self):
        """Lebanon's CCM deposit is untouched; the other States are CCM non-signatories."""
        lebanon = Participation.objects.get(treaty__slug="ccm", state__iso2="LB")
        self.assertEqual(lebanon.deposit_date, D(2010, 11, 5))
        others = Participation.objects.filter(treaty__slug="ccm").exclude(state__iso2="LB")
        self.assertFalse(others.exclude(deposit_date=None).exists())

    def test_computed_dates_follow_the_treaty_rules(self):
        """Entry into force, withdrawal and deadlines are what the models would compute."""
        for treaty in Treaty.objects.exclude(slug="ccm"):
            self.assertEqual(treaty.compute_dates(), (treaty.threshold_date, treaty.entry_into_force_date))
            for participation in treaty.participations.all():
                self.assertEqual(
                    participation.compute_dates(),
                    (participation.entry_into_force_date, participation.withdrawal_effective_date),
                )
        for obligation in Obligation.objects.exclude(participation__treaty__slug="ccm"):
            self.assertEqual(
                obligation.compute_deadlines(),
                (obligation.original_deadline, obligation.current_deadline, obligation.extension_pending),
            )

    def test_the_newest_version_of_a_record_is_the_record(self):
        """A generated record's latest history row holds its current values."""
        for step in RatificationStep.objects.filter(description__contains="(generated)")[:20]:
            newest = step.history.order_by("-history_date", "-history_id").first()
            if newest is not None:
                self.assertEqual(newest.description, step.description)
                self.assertEqual(newest.version, step.version)

    def test_it_refuses_to_run_twice(self):
        """A second run would mix two data sets: it stops before writing anything."""
        with self.assertRaisesMessage(CommandError, "already has generated data"):
            generate("--yes", "--history-rows", "10")
