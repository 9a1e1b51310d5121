"""The shipped record of CCM Article 3 (stockpile) and Article 4 (clearance) obligations:
fixtures/data/ccm/obligations.yaml and sources-obligations.yaml, loaded as a deployment loads them.

Gaps and doubts behind these facts: docs/data/obligations.md."""

import datetime
import re

import yaml
from django.conf import settings
from django.test import SimpleTestCase, TestCase

from tests.shipped import load_shipped_data
from tracker import models, partial_dates

D = datetime.date.fromisoformat

# The shipped data is as at the depositary's status list of 3 February 2026 (DATA_AS_AT in
# tools/build_fixtures.py): no source it cites is later. A deadline that falls after this day
# cannot be judged from the record.
DATA_AS_AT = D("2026-02-03")

# Phrases that belong in research notes, never in public text.
RESEARCH_PHRASES = (
    "sources read",
    "not found",
    "apparently",
    "caption",
    "as read",
    "garbled",
    "inferred",
    "not in the sources",
    "docslib",
)

# (State, kind) pairs whose obligation a source says was not met by its deadline and still is
# not: none. (Guinea-Bissau missed its 2019 stockpile deadline, then found it had no stocks.)
SOURCED_BREACHES = set()


def obligation(iso2, kind):
    return models.Obligation.objects.get(
        participation__treaty__slug="ccm", participation__state__iso2=iso2, kind=kind
    )


def extensions(iso2, kind):
    return list(obligation(iso2, kind).extensions.select_related("meeting").order_by("pk"))


class RecordedObligationsTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_shipped_data()


class LaoPdrTests(RecordedObligationsTestCase):
    def test_lao_pdr_clearance_was_extended_at_the_9msp_to_1_august_2025(self):
        """Five years granted at the 9MSP (2019): the current deadline is 1 August 2025."""
        lao = obligation("LA", "clearance")
        self.assertEqual(lao.applicability, "applicable")
        self.assertEqual(lao.original_deadline, D("2020-08-01"))
        self.assertEqual(lao.current_deadline, D("2025-08-01"))
        first = extensions("LA", "clearance")[0]
        self.assertEqual(
            (first.decision, first.meeting.short_name, first.new_deadline),
            ("granted", "9MSP", D("2025-08-01")),
        )

    def test_lao_pdr_later_request_went_to_the_12msp_with_no_decision_recorded(self):
        """The 12MSP request stays pending without an invented deadline; the status is 'not recorded'."""
        later = extensions("LA", "clearance")[1]
        self.assertEqual((later.decision, later.meeting.short_name), ("pending", "12MSP"))
        self.assertIsNone(later.new_deadline)
        self.assertEqual(obligation("LA", "clearance").status(D("2026-02-03")), "unknown")


class ChadTests(RecordedObligationsTestCase):
    def test_chad_clearance_was_extended_to_1_october_2024_after_its_2022_request(self):
        """Requested in May 2022 for the 10MSP; Chad's deadline became 1 October 2024."""
        first = extensions("TD", "clearance")[0]
        self.assertEqual(
            (first.decision, first.meeting.short_name, first.requested_on, first.requested_precision),
            ("granted", "10MSP", D("2022-05-01"), partial_dates.MONTH),
        )
        self.assertEqual(first.new_deadline, D("2024-10-01"))

    def test_chad_clearance_was_extended_again_at_the_12msp_to_1_october_2026(self):
        """A second interim extension, granted at the 12MSP in September 2024."""
        chad = obligation("TD", "clearance")
        self.assertEqual(chad.original_deadline, D("2023-09-01"))
        self.assertEqual(chad.current_deadline, D("2026-10-01"))
        second = extensions("TD", "clearance")[1]
        self.assertEqual(
            (second.decision, second.meeting.short_name, second.decided_on, second.decided_precision),
            ("granted", "12MSP", D("2024-09-01"), partial_dates.MONTH),
        )

    def test_chad_never_stockpiled(self):
        """Chad reports it has never produced and does not stockpile cluster munitions."""
        self.assertEqual(obligation("TD", "stockpile").status(), "not_applicable")


class BosniaAndHerzegovinaTests(RecordedObligationsTestCase):
    def test_bosnia_clearance_was_extended_to_1_september_2022_then_1_september_2023(self):
        """First extension considered under the 2RC; the second approved in 2021 (BHMAC)."""
        bosnia = obligation("BA", "clearance")
        self.assertEqual(bosnia.original_deadline, D("2021-03-01"))
        self.assertEqual(bosnia.current_deadline, D("2023-09-01"))
        first, second = extensions("BA", "clearance")
        self.assertEqual((first.meeting.short_name, first.new_deadline), ("2RC", D("2022-09-01")))
        self.assertEqual(
            (second.decision, second.new_deadline, second.decided_on, second.decided_precision),
            ("granted", D("2023-09-01"), D("2021-01-01"), partial_dates.YEAR),
        )

    def test_bosnia_completed_clearance_in_august_2023_within_its_deadline(self):
        """Completed in August 2023, before 1 September 2023."""
        bosnia = obligation("BA", "clearance")
        self.assertEqual((bosnia.completed_on, bosnia.completed_precision), (D("2023-08-01"), "month"))
        self.assertLessEqual(bosnia.completed_by(D("2023-08-31")), bosnia.current_deadline)
        self.assertEqual(bosnia.status(), "completed")

    def test_bosnia_clearance_never_looks_late_in_any_month_since_its_original_deadline(self):
        """As known on the first of each month from March 2021, the obligation is never overdue."""
        bosnia = models.Obligation.objects.with_extensions().get(
            participation__treaty__slug="ccm", participation__state__iso2="BA", kind="clearance"
        )
        day = D("2021-03-02")
        while day <= datetime.date.today():
            with self.subTest(day=day):
                self.assertNotEqual(bosnia.status(day), "overdue")
            day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


class GermanyTests(RecordedObligationsTestCase):
    def test_germany_completed_stockpile_destruction_on_25_november_2015(self):
        """ISU: 'On 25 November 2015 the Government of Germany completed the destruction'."""
        germany = obligation("DE", "stockpile")
        self.assertEqual(germany.applicability, "applicable")
        self.assertEqual((germany.completed_on, germany.completed_precision), (D("2015-11-25"), "day"))
        self.assertEqual(germany.status(), "completed")

    def test_germany_clearance_was_extended_at_the_9msp_and_a_2030_request_went_to_the_12msp(self):
        """1 August 2020 extended to 1 August 2025 (9MSP); a request to 1 August 2030 for the 12MSP."""
        germany = obligation("DE", "clearance")
        self.assertEqual(germany.current_deadline, D("2025-08-01"))
        first, second = extensions("DE", "clearance")
        self.assertEqual(
            (first.decision, first.meeting.short_name, first.new_deadline),
            ("granted", "9MSP", D("2025-08-01")),
        )
        self.assertEqual(
            (second.decision, second.meeting.short_name, second.requested_deadline),
            ("pending", "12MSP", D("2030-08-01")),
        )


class MauritaniaTests(RecordedObligationsTestCase):
    def test_mauritania_clearance_completion_and_its_later_13msp_request_are_both_recorded(self):
        """Completed by November 2015 (Monitor); an Article 4 request analysed for the 13MSP."""
        mauritania = obligation("MR", "clearance")
        self.assertEqual(mauritania.applicability, "applicable")
        self.assertEqual(
            (mauritania.completed_on, mauritania.completed_precision), (D("2015-12-01"), "before")
        )
        [request] = extensions("MR", "clearance")
        self.assertEqual((request.decision, request.meeting.short_name), ("pending", "13MSP"))
        self.assertIn("13MSP", mauritania.progress)

    def test_no_2rc_request_is_recorded_for_mauritania(self):
        """No source read shows a Mauritanian CCM request at the Second Review Conference."""
        self.assertFalse(obligation("MR", "clearance").extensions.filter(meeting__short_name="2RC").exists())

    def test_mauritania_has_no_stockpile(self):
        """Mauritania confirmed it has no stockpile (initial transparency report, 2013)."""
        self.assertEqual(obligation("MR", "stockpile").applicability, "not_applicable")


class OtherStatesTests(RecordedObligationsTestCase):
    def test_lebanon_clearance_extension_was_granted_by_silent_procedure_in_april_2021(self):
        """To 1 May 2026; a further request analysed for the 13MSP."""
        granted, later = extensions("LB", "clearance")
        self.assertEqual(
            (granted.new_deadline, granted.decided_on, granted.decided_precision),
            (D("2026-05-01"), D("2021-04-01"), partial_dates.MONTH),
        )
        self.assertEqual((later.decision, later.meeting.short_name), ("pending", "13MSP"))

    def test_afghanistan_clearance_deadline_is_1_march_2026_and_a_request_went_to_the_13msp(self):
        """August 2021 request for four years; deadline 1 March 2026; 13MSP request pending."""
        afghanistan = obligation("AF", "clearance")
        self.assertEqual(afghanistan.current_deadline, D("2026-03-01"))
        first, later = extensions("AF", "clearance")
        self.assertEqual((first.requested_on, first.requested_precision), (D("2021-08-01"), "month"))
        self.assertEqual((later.decision, later.meeting.short_name), ("pending", "13MSP"))

    def test_iraq_somalia_and_chile_requests_name_their_meetings(self):
        """Iraq to the 11MSP (to 1 November 2028), Somalia and Chile to the 13MSP."""
        [iraq] = extensions("IQ", "clearance")
        self.assertEqual((iraq.meeting.short_name, iraq.requested_deadline), ("11MSP", D("2028-11-01")))
        [somalia] = extensions("SO", "clearance")
        self.assertEqual((somalia.meeting.short_name, somalia.requested_deadline), ("13MSP", D("2030-03-01")))
        self.assertEqual(obligation("CL", "clearance").current_deadline, D("2026-06-01"))
        self.assertEqual(extensions("CL", "clearance")[-1].meeting.short_name, "13MSP")

    def test_the_last_stockpiles_were_destroyed_in_2023(self):
        """Bulgaria June 2023, Slovakia 1 September 2023, South Africa by September 2023, Peru December 2023."""
        expected = {
            "BG": (D("2023-06-01"), "month"),
            "SK": (D("2023-09-01"), "day"),
            "ZA": (D("2023-10-01"), "before"),
            "PE": (D("2023-12-01"), "month"),
        }
        for iso2, completion in expected.items():
            with self.subTest(state=iso2):
                found = obligation(iso2, "stockpile")
                self.assertEqual((found.completed_on, found.completed_precision), completion)
        self.assertEqual(obligation("PE", "stockpile").current_deadline, D("2024-04-01"))
        self.assertEqual(obligation("BG", "stockpile").current_deadline, D("2023-12-31"))

    def test_croatia_and_montenegro_completed_clearance_before_their_2020_deadlines(self):
        """Croatia on 10 July 2020; Montenegro before 1 August 2020."""
        self.assertEqual(obligation("HR", "clearance").completed_on, D("2020-07-10"))
        montenegro = obligation("ME", "clearance")
        self.assertEqual(
            (montenegro.completed_on, montenegro.completed_precision), (D("2020-08-01"), "before")
        )

    def test_every_state_party_recorded_as_having_stockpiled_has_completed(self):
        """The ISU (2023): stockpile destruction is complete for all States Parties with stockpiles."""
        open_stockpiles = models.Obligation.objects.filter(
            participation__treaty__slug="ccm", kind="stockpile", applicability="applicable"
        )
        self.assertFalse(open_stockpiles.filter(completed_on=None).exists())
        self.assertEqual(open_stockpiles.count(), 37)


class RecordRulesTests(RecordedObligationsTestCase):
    def test_no_obligation_is_overdue_today_unless_a_source_says_it_missed_its_deadline(self):
        """Overdue today only where a source says so, or where the deadline fell after the record's as-at day."""
        today = datetime.date.today()
        overdue = {
            (o.participation.state.iso2, o.kind): o.current_deadline
            for o in models.Obligation.objects.overdue(today).select_related("participation__state")
        }
        unjudged = {key for key, deadline in overdue.items() if deadline > DATA_AS_AT}
        self.assertEqual(set(overdue) - unjudged, SOURCED_BREACHES)
        # Chad's deadline (1 October 2026) fell after the record's last source: the tracker shows
        # it overdue though no source says it was missed (a rules change is needed, see
        # docs/data/obligations.md). Any other such case must be looked at.
        self.assertLessEqual(unjudged, {("TD", "clearance")})

    def test_nothing_is_overdue_on_the_day_the_record_is_as_at(self):
        """On 3 February 2026 no State Party's obligation is shown overdue."""
        self.assertFalse(models.Obligation.objects.overdue(DATA_AS_AT).exists())
        for found in models.Obligation.objects.with_extensions().exclude(applicability="unknown"):
            with self.subTest(obligation=str(found)):
                self.assertNotEqual(found.status(DATA_AS_AT), "overdue")

    def test_every_granted_extension_has_a_meeting_or_a_decision_date(self):
        """As-of views count an extension from its decision: each granted one says when."""
        granted = models.Extension.objects.filter(decision="granted")
        self.assertTrue(granted.exists())
        self.assertFalse(granted.filter(meeting=None, decided_on=None).exists())

    def test_every_request_recorded_without_a_decision_names_its_meeting(self):
        """A pending request names the meeting that considers it, so 'awaiting' ends with the meeting."""
        self.assertFalse(models.Extension.objects.filter(decision="pending", meeting=None).exists())

    def test_every_extension_and_every_recorded_obligation_cites_a_source(self):
        """Extensions, and obligations with any fact recorded, name their source."""
        self.assertFalse(models.Extension.objects.filter(source=None).exists())
        recorded = models.Obligation.objects.exclude(applicability="unknown", progress="", research_notes="")
        self.assertFalse(recorded.filter(source=None).exists())

    def test_no_public_text_of_an_obligation_or_extension_holds_research_phrases(self):
        """Progress and extension notes are plain public sentences; doubts go to research notes."""
        texts = [(str(o), o.progress) for o in models.Obligation.objects.all()]
        texts += [(str(e.obligation), e.notes) for e in models.Extension.objects.select_related("obligation")]
        for where, text in texts:
            for phrase in RESEARCH_PHRASES:
                with self.subTest(record=where, phrase=phrase):
                    self.assertNotIn(phrase, text.lower())


class SourcesFileTests(SimpleTestCase):
    PATH = settings.BASE_DIR / "fixtures" / "data" / "ccm" / "sources-obligations.yaml"

    def sources(self):
        with open(self.PATH, encoding="utf-8") as handle:
            return yaml.safe_load(handle)

    def test_the_obligation_sources_have_ob_keys_titles_and_addresses(self):
        """Every key starts with ob_ and every source has a title, a publisher and a URL."""
        for key, source in self.sources().items():
            with self.subTest(source=key):
                self.assertTrue(key.startswith("ob_"))
                self.assertTrue(source.get("title") and source.get("publisher") and source.get("url"))

    def test_no_public_note_or_title_of_an_obligation_source_holds_research_phrases(self):
        """A source's notes and title say what the document says, not how it was found."""
        for key, source in self.sources().items():
            text = " ".join(str(source.get(field, "")) for field in ("title", "notes")).lower()
            for phrase in RESEARCH_PHRASES + ("copy on", "archive copy"):
                with self.subTest(source=key, phrase=phrase):
                    self.assertIsNone(re.search(re.escape(phrase), text))
