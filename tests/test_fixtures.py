"""The shipped data (fixtures/ccm.json): built from fixtures/data/ by tools/build_fixtures.py,
and loaded as a deployment loads it, with load_shipped_data."""

import datetime
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase

from tracker import models

D = datetime.date.fromisoformat
BUILD = settings.BASE_DIR / "tools" / "build_fixtures.py"
DATA = settings.BASE_DIR / "fixtures" / "data"
SHIPPED_MODELS = list(models.TRACKED.values())


def load():
    out = io.StringIO()
    call_command("load_shipped_data", stdout=out)
    return out.getvalue()


class ShippedDataTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.first_output = load()
        cls.treaty = models.Treaty.objects.get(slug="ccm")

    def participation(self, iso2):
        return models.Participation.objects.get(treaty=self.treaty, state__iso2=iso2)


class ValidityTests(ShippedDataTestCase):
    def test_the_fixture_holds_no_historical_rows(self):
        """The fixture ships current rows only; history is created when it is loaded."""
        with open(settings.BASE_DIR / "fixtures" / "ccm.json", encoding="utf-8") as handle:
            labels = {row["model"] for row in json.load(handle)}
        self.assertFalse([label for label in labels if ".historical" in label])

    def test_every_shipped_object_passes_the_admin_validation(self):
        """Every object passes full_clean(), the validation an admin form runs."""
        for model in SHIPPED_MODELS:
            for obj in model.objects.all():
                with self.subTest(model=model.__name__, pk=obj.pk):
                    obj.full_clean()

    def test_recomputing_entry_into_force_and_withdrawal_dates_changes_nothing(self):
        """Participation dates in the fixture are exactly what the treaty's rules give."""
        for participation in models.Participation.objects.select_related("treaty"):
            with self.subTest(state=participation.state_id):
                self.assertEqual(
                    participation.compute_dates(),
                    (participation.entry_into_force_date, participation.withdrawal_effective_date),
                )

    def test_recomputing_deadlines_changes_nothing(self):
        """Obligation deadlines in the fixture are exactly what the rules and extensions give."""
        for obligation in models.Obligation.objects.select_related("participation__treaty"):
            with self.subTest(obligation=obligation.pk):
                self.assertEqual(
                    obligation.compute_deadlines(),
                    (obligation.original_deadline, obligation.current_deadline, obligation.extension_pending),
                )

    def test_the_treaty_dates_are_those_its_deposits_give(self):
        """The treaty's threshold and entry into force are what its deposits and rules give."""
        self.assertEqual(
            self.treaty.compute_dates(), (self.treaty.threshold_date, self.treaty.entry_into_force_date)
        )

    def test_every_shipped_fact_has_a_source(self):
        """Participations, steps, extensions, assignments, meetings and groups all cite a Source."""
        for model in (
            models.Participation,
            models.RatificationStep,
            models.Extension,
            models.CoordinatorAssignment,
            models.Meeting,
            models.WorkingGroup,
        ):
            with self.subTest(model=model.__name__):
                self.assertFalse(model.objects.filter(source=None).exists())
        self.assertFalse(
            models.Obligation.objects.exclude(applicability="unknown").filter(source=None).exists()
        )


class StateAndParticipationTests(ShippedDataTestCase):
    def test_there_are_197_states_with_their_un_membership(self):
        """193 UN members, 2 observer states, and the Cook Islands and Niue."""
        states = models.State.objects
        self.assertEqual(states.count(), 197)
        self.assertEqual(states.filter(membership="member").count(), 193)
        self.assertEqual(
            set(states.filter(membership="observer").values_list("iso2", flat=True)), {"VA", "PS"}
        )
        self.assertEqual(set(states.filter(membership="other").values_list("iso2", flat=True)), {"CK", "NU"})

    def test_states_carry_un_names_and_m49_regions(self):
        """Names follow the depositary and UN usage; regions are M49's."""
        state = models.State.objects.get
        self.assertEqual(state(iso2="RU").name, "Russian Federation")
        self.assertEqual(state(iso2="VN").name, "Viet Nam")
        self.assertEqual(state(iso2="NL").name, "Netherlands (Kingdom of the)")
        self.assertEqual(state(iso2="LA").name, "Lao People's Democratic Republic")
        self.assertEqual((state(iso2="LB").region, state(iso2="LB").subregion), ("asia", "Western Asia"))
        self.assertEqual((state(iso2="NR").region, state(iso2="NR").subregion), ("oceania", "Micronesia"))
        self.assertEqual(state(iso2="GB").iso3, "GBR")

    def test_the_depositary_list_gives_125_participations_and_113_deposits(self):
        """125 signed or joined; Kiribati and Thailand have an empty row for their 2MSP statements."""
        participations = models.Participation.objects.filter(treaty=self.treaty)
        listed = participations.exclude(signature_date=None, deposit_date=None)
        self.assertEqual(listed.count(), 125)
        self.assertEqual(participations.exclude(deposit_date=None).count(), 113)
        empty = participations.filter(signature_date=None, deposit_date=None)
        self.assertEqual(set(empty.values_list("state__iso2", flat=True)), {"KI", "TH"})

    def test_112_states_are_parties_on_3_february_2026_and_lithuania_has_withdrawn(self):
        """The depositary's header count, after Lithuania's withdrawal took effect on 6 March 2025."""
        participations = models.Participation.objects.filter(treaty=self.treaty)
        self.assertEqual(participations.parties(D("2026-02-03")).count(), 112)
        lithuania = self.participation("LT")
        self.assertEqual(lithuania.withdrawal_effective_date, D("2025-03-06"))
        self.assertEqual(lithuania.status(D("2026-02-03")), "withdrawn")
        self.assertEqual(lithuania.status(D("2025-03-05")), "party")

    def test_the_treaty_entered_into_force_on_1_august_2010(self):
        """Article 17(1): the first day of the sixth month after the 30th deposit."""
        self.assertEqual(self.treaty.entry_into_force_date, D("2010-08-01"))
        self.assertEqual(self.treaty.short_name, "CCM")
        self.assertEqual(self.treaty.adopted_on, D("2008-05-30"))
        self.assertEqual(self.treaty.opened_for_signature_on, D("2008-12-03"))
        # The CCM is the first of the three treaties shipped (fixtures/data/ccm/, apmbc/, att/).
        self.assertEqual(
            list(models.Treaty.objects.order_by("pk").values_list("slug", flat=True)), ["ccm", "apmbc", "att"]
        )

    def test_entry_into_force_dates_match_the_public_record(self):
        """Dates checked against independent sources, and Vanuatu's after the snapshot."""
        expected = {
            "LB": "2011-05-01",
            "BG": "2011-10-01",
            "MR": "2012-08-01",
            "PW": "2016-10-01",
            "LK": "2018-09-01",
            "NO": "2010-08-01",
            "DK": "2010-08-01",
            "VU": "2026-03-01",
        }
        for iso2, day in expected.items():
            with self.subTest(state=iso2):
                self.assertEqual(self.participation(iso2).entry_into_force_date, D(day))

    def test_counts_at_the_2msp_and_at_entry_into_force(self):
        """63 deposits by 16 September 2011, 55 of them in force; 38 deposits by 1 August 2010."""
        participations = models.Participation.objects.filter(treaty=self.treaty)
        self.assertEqual(participations.filter(deposit_date__lte=D("2011-09-16")).count(), 63)
        self.assertEqual(participations.in_force(D("2011-09-16")).count(), 55)
        self.assertEqual(participations.filter(deposit_date__lte=D("2010-08-01")).count(), 38)
        self.assertEqual(participations.filter(deposit_date__lte=D("2011-09-12")).count(), 62)

    def test_the_signatories_who_spoke_at_the_2msp_were_not_yet_parties(self):
        """Australia, Côte d'Ivoire, Cyprus and Sweden were signatories on 16 September 2011."""
        for iso2 in ("AU", "CI", "CY", "SE"):
            with self.subTest(state=iso2):
                self.assertEqual(self.participation(iso2).status(D("2011-09-16")), "signatory")


class ObligationTests(ShippedDataTestCase):
    def obligation(self, iso2, kind):
        return models.Obligation.objects.get(
            participation__treaty__slug="ccm", participation__state__iso2=iso2, kind=kind
        )

    def test_every_party_has_a_stockpile_and_a_clearance_obligation(self):
        """Participation.save() created both obligations for each of the 113 depositing States."""
        self.assertEqual(
            models.Obligation.objects.filter(participation__treaty=self.treaty, kind="stockpile").count(), 113
        )
        self.assertEqual(
            models.Obligation.objects.filter(participation__treaty=self.treaty, kind="clearance").count(), 113
        )

    def test_lao_pdr_clearance_deadline_was_1_august_2020(self):
        """Ten years after the treaty's entry into force."""
        self.assertEqual(self.obligation("LA", "clearance").original_deadline, D("2020-08-01"))

    def test_bulgaria_stockpile_deadline_is_31_december_2023_after_its_extensions(self):
        """The first extension was granted at the 9MSP; the last set 31 December 2023."""
        obligation = self.obligation("BG", "stockpile")
        self.assertEqual(obligation.original_deadline, D("2019-10-01"))
        self.assertEqual(obligation.current_deadline, D("2023-12-31"))
        first = obligation.extensions.order_by("new_deadline").first()
        self.assertEqual((first.meeting.short_name, first.new_deadline), ("9MSP", D("2021-04-01")))
        self.assertEqual(
            (obligation.completed_on, obligation.completed_precision), (D("2023-06-01"), "month")
        )

    def test_completions_known_only_roughly_keep_their_precision(self):
        """'Before August 2019', 'August 2023', 'December 2023' are not stored as false exact days."""
        norway = self.obligation("NO", "clearance")
        self.assertEqual((norway.completed_on, norway.completed_precision), (D("2019-08-01"), "before"))
        bosnia = self.obligation("BA", "clearance")
        self.assertEqual((bosnia.completed_on, bosnia.completed_precision), (D("2023-08-01"), "month"))
        peru = self.obligation("PE", "stockpile")
        self.assertEqual((peru.completed_on, peru.completed_precision), (D("2023-12-01"), "month"))

    def test_extension_requests_without_a_known_outcome_have_a_meeting_and_no_deadline(self):
        """No new deadline is invented for a request whose outcome the sources do not give,
        and each names the meeting that considered it (its outcome is then a recorded gap)."""
        pending = models.Extension.objects.filter(decision="pending")
        self.assertTrue(pending.exists())
        self.assertFalse(pending.exclude(new_deadline=None).exists())
        self.assertFalse(pending.filter(meeting=None).exists())

    def test_no_obligation_is_overdue_without_a_source_saying_so(self):
        """On 22 November 2026 nothing is overdue: requests have no recorded outcome, or the deadline
        passed after the record was last checked; both are shown as not recorded."""
        day = D("2026-11-22")
        self.assertFalse(models.Obligation.objects.overdue(day).exists())
        lebanon = self.obligation("LB", "clearance")
        self.assertEqual(lebanon.current_deadline, D("2026-05-01"))
        self.assertEqual(lebanon.status(day), "unknown")
        chad = self.obligation("TD", "clearance")
        self.assertEqual((chad.current_deadline, chad.status(day)), (D("2026-10-01"), "unknown"))
        self.assertEqual(chad.status(D("2026-09-30")), "in_progress")

    def test_sweden_reported_its_stockpile_destruction_at_the_2msp(self):
        """Seed 001: destruction started, to be completed in 2014."""
        obligation = self.obligation("SE", "stockpile")
        self.assertEqual(obligation.applicability, "applicable")
        self.assertEqual(
            (obligation.expected_completion, obligation.expected_precision), (D("2014-01-01"), "year")
        )
        self.assertIn("Stockpile destruction has started", obligation.progress)
        self.assertEqual(obligation.source.date, D("2011-09-16"))


class StepTests(ShippedDataTestCase):
    def steps(self, iso2):
        return models.RatificationStep.objects.filter(participation__state__iso2=iso2)

    def test_the_2msp_steps_towards_joining_are_recorded_with_their_expected_dates(self):
        """Seed 001's statements, dated 16 September 2011, with intentions' expected dates."""
        self.assertEqual(models.RatificationStep.objects.count(), 9)
        self.assertFalse(models.RatificationStep.objects.exclude(date=D("2011-09-16")).exists())
        cyprus = self.steps("CY").get(kind="intention")
        self.assertEqual((cyprus.expected_date, cyprus.expected_precision), (D("2012-01-01"), "year"))
        cote_divoire = self.steps("CI").get()
        self.assertEqual(
            (cote_divoire.expected_date, cote_divoire.expected_precision), (D("2011-09-01"), "late")
        )
        self.assertEqual(
            set(self.steps("SE").values_list("kind", flat=True)),
            {"before_parliament", "intention", "legislation_drafted"},
        )
        self.assertEqual(self.steps("KI").get().kind, "considering")
        self.assertEqual(self.steps("TH").get().kind, "assessing")


class MeetingTests(ShippedDataTestCase):
    def test_the_3msp_keeps_both_its_announced_and_its_held_dates(self):
        """Announced at the 2MSP for 10–14 September 2012; held 11–14 September (CCM/MSP/2012/5)."""
        meeting = models.Meeting.objects.get(short_name="3MSP")
        self.assertEqual(
            (meeting.announced_start_date, meeting.announced_end_date), (D("2012-09-10"), D("2012-09-14"))
        )
        self.assertEqual((meeting.start_date, meeting.end_date), (D("2012-09-11"), D("2012-09-14")))
        self.assertEqual(meeting.president_designated_at.short_name, "2MSP")
        self.assertEqual(meeting.source.symbol, "CCM/MSP/2012/5")
        self.assertEqual(meeting.announced_in.date, D("2011-09-16"))

    def test_the_2msp_is_dated_13_to_16_september_2011_with_the_other_dates_for_editors(self):
        """The official record's 13–16 September; the CMC's 12–16 in the editors' notes only."""
        meeting = models.Meeting.objects.get(short_name="2MSP")
        self.assertEqual((meeting.start_date, meeting.end_date), (D("2011-09-13"), D("2011-09-16")))
        self.assertIn("12–16", meeting.research_notes)
        self.assertNotIn("12–16", meeting.outcomes)

    def test_the_working_groups_of_the_2msp_and_the_later_role_exist(self):
        """Created at the 2MSP: six groups with two seats, reporting and national measures with one;
        risk education, a single role, at the 12MSP."""
        groups = models.WorkingGroup.objects.filter(treaty=self.treaty).order_by("position")
        self.assertEqual(
            [(group.slug, group.seats, group.established_at.short_name) for group in groups],
            [
                ("general-status-and-operation", 2, "2MSP"),
                ("universalization", 2, "2MSP"),
                ("victim-assistance", 2, "2MSP"),
                ("clearance-and-risk-reduction", 2, "2MSP"),
                ("stockpile-destruction-and-retention", 2, "2MSP"),
                ("cooperation-and-assistance", 2, "2MSP"),
                ("transparency-reporting", 1, "2MSP"),
                ("national-implementation-measures", 1, "2MSP"),
                ("risk-education", 1, "12MSP"),
            ],
        )


class LoadingTests(ShippedDataTestCase):
    def test_loading_twice_changes_nothing_and_keeps_an_editors_edit(self):
        """A second run loads nothing, duplicates nothing and leaves edits alone."""
        self.assertIn("Loaded the shipped data", self.first_output)
        counts = {model: model.objects.count() for model in SHIPPED_MODELS}
        history = models.State.history.count()
        state = models.State.objects.get(iso2="LB")
        state.name = "Lebanon (edited)"
        state.save()
        output = load()
        self.assertIn("not loaded", output)
        self.assertEqual({model: model.objects.count() for model in SHIPPED_MODELS}, counts)
        self.assertEqual(models.State.objects.get(iso2="LB").name, "Lebanon (edited)")
        self.assertEqual(models.State.history.count(), history + 1)

    def test_every_loaded_object_has_one_initial_history_row(self):
        """loaddata records no history, so the command adds one row per object, with a reason."""
        for model in SHIPPED_MODELS:
            with self.subTest(model=model.__name__):
                self.assertEqual(model.history.count(), model.objects.count())
                self.assertEqual(
                    set(model.history.values_list("history_change_reason", "history_type")),
                    {("Loaded from the shipped data", "+")},
                )


def run_build(*args):
    """Run tools/build_fixtures.py as CI does, in its own process (it sets up its own database)."""
    return subprocess.run(
        [sys.executable, str(BUILD), *args],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=600,
    )


def build_module():
    spec = importlib.util.spec_from_file_location("build_fixtures", BUILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildTestCase(SimpleTestCase):
    def setUp(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)

    def copy_of_the_data(self):
        """A copy of fixtures/data/ to spoil, holding only the States and the CCM's sources (a quick build)."""
        data = self.folder / "data"
        (data / "ccm").mkdir(parents=True)
        shutil.copy(DATA / "states.csv", data)
        for name in ("treaty.yaml", "sources.yaml"):
            shutil.copy(DATA / "ccm" / name, data / "ccm")
        return data

    def test_check_fails_in_one_line_when_the_fixture_is_out_of_date(self):
        """When the data files give other bytes, --check says so, names the command and exits 1."""
        result = run_build("--check", "--data", str(self.copy_of_the_data()))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertTrue(result.stderr.startswith("fixtures/ccm.json is out of date with "))
        self.assertTrue(result.stderr.rstrip().endswith(": run python3 tools/build_fixtures.py"))

    def test_a_mistake_in_a_data_file_is_one_sentence_naming_file_record_and_field(self):
        """A bad date stops the build with one line, and no traceback."""
        data = self.copy_of_the_data()
        sources = data / "ccm" / "sources.yaml"
        text = sources.read_text(encoding="utf-8")
        sources.write_text(text.replace("  date: 2017-08-03\n", "  date: 2017-08-33\n", 1), encoding="utf-8")
        output = self.folder / "ccm.json"
        result = run_build("--data", str(data), "--output", str(output))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(
            result.stderr.splitlines(),
            [
                f"{sources}, source mon_bg_2017, field date: '2017-08-33' is not a date "
                "(write 2011-09-16, 2019-09, 2019, late 2011 or before 2019-08)."
            ],
        )
        self.assertFalse(output.exists())

    def test_an_unknown_source_key_is_named_with_its_record(self):
        """A record citing a source no sources.yaml defines is refused, naming the record and the field."""
        data = self.copy_of_the_data()
        (data / "ccm" / "working_groups.yaml").write_text(
            "- slug: universalization\n  name: Universalization\n  source: seed01\n", encoding="utf-8"
        )
        result = run_build("--check", "--data", str(data))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(
            result.stderr.strip(),
            f"{data / 'ccm' / 'working_groups.yaml'}, record 1 (universalization), field source: "
            "no source 'seed01' is in the data files.",
        )


class PartialDateTests(SimpleTestCase):
    def test_rough_dates_are_read_as_the_first_day_with_their_precision(self):
        """The data files' date syntax gives the stored date and precision of tracker.partial_dates."""
        parse_date = build_module().parse_date
        expected = {
            "2011-09-16": (D("2011-09-16"), "day"),
            "2019-09": (D("2019-09-01"), "month"),
            "2019": (D("2019-01-01"), "year"),
            2019: (D("2019-01-01"), "year"),
            "early 2012": (D("2012-01-01"), "early"),
            "mid 2012": (D("2012-05-01"), "mid"),
            "late 2011": (D("2011-09-01"), "late"),
            "before 2019-08": (D("2019-08-01"), "before"),
        }
        for text, parsed in expected.items():
            with self.subTest(text=text):
                self.assertEqual(parse_date(text, "here"), parsed)

    def test_anything_else_is_refused(self):
        """Impossible days, other words and day-precise 'before' dates are errors, not guesses."""
        module = build_module()
        for text in ("2019-02-30", "2019-13", "autumn 2011", "before 2019-08-01", "19", "2019/09"):
            with self.subTest(text=text), self.assertRaises(module.DataError):
                module.parse_date(text, "here")
