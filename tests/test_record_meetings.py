"""The CCM's meetings and coordination record in the shipped data (fixtures/data/ccm/meetings.yaml,
working_groups.yaml, coordinators.csv, sources-meetings.yaml), loaded as a deployment loads it."""

import datetime
import re

from django.db.models import Q
from django.test import TestCase

from tests.shipped import load_shipped_data
from tracker import models

D = datetime.date.fromisoformat

GSO = "general-status-and-operation"
UNI = "universalization"
VA = "victim-assistance"
CRR = "clearance-and-risk-reduction"
SDR = "stockpile-destruction-and-retention"
CA = "cooperation-and-assistance"
TR = "transparency-reporting"
NIM = "national-implementation-measures"

# Words that belong in research_notes, never in what a reader sees.
RESEARCH_PHRASES = re.compile(
    r"sources read|not found|apparently|garbled|photo caption",
    re.IGNORECASE,
)


class MeetingRecordTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_shipped_data()
        cls.treaty = models.Treaty.objects.get(slug="ccm")
        cls.seed001 = models.Source.objects.get(key="seed001")

    def meeting(self, short_name):
        return models.Meeting.objects.get(treaty=self.treaty, short_name=short_name)

    def serving(self, day):
        return set(
            models.CoordinatorAssignment.objects.filter(group__treaty=self.treaty)
            .serving_on(day)
            .values_list("group__slug", "state__iso2")
        )


class MeetingsTests(MeetingRecordTestCase):
    def test_every_meeting_the_sources_reach_is_recorded_once(self):
        """1MSP–13MSP, the three Review Conferences and six intersessional meetings, each once."""
        names = list(models.Meeting.objects.filter(treaty=self.treaty).values_list("short_name", flat=True))
        expected = {f"{n}MSP" for n in range(1, 14)} | {"1RC", "2RC", "3RC"}
        expected |= {"IM2011", "IM2012", "IM2013", "IM2014", "IM2015", "IM2022"}
        self.assertEqual(set(names), expected)
        self.assertEqual(len(names), len(set(names)))

    def test_every_meeting_has_a_source_and_a_city_or_a_virtual_part(self):
        """A reader can follow each meeting to a document and to a place (or to its virtual part)."""
        for meeting in models.Meeting.objects.filter(treaty=self.treaty).prefetch_related("parts"):
            with self.subTest(meeting=meeting.short_name):
                self.assertIsNotNone(meeting.source)
                virtual = any(part.format == "virtual" for part in meeting.parts.all())
                self.assertTrue(meeting.city or virtual)
                self.assertIsNotNone(meeting.start_date)

    def test_every_formal_meeting_has_a_presidency_and_a_named_president_where_sources_give_one(self):
        """Each MSP and Review Conference has its presiding State; all but the 1RC and 3RC a named person."""
        formal = models.Meeting.objects.filter(treaty=self.treaty, kind__in=["msp", "review"])
        for meeting in formal:
            with self.subTest(meeting=meeting.short_name):
                self.assertIsNotNone(meeting.president_state)
                if meeting.short_name not in {"1RC", "3RC"}:
                    self.assertTrue(meeting.president_name)

    def test_the_presidents_and_their_states_are_those_of_the_record(self):
        """The presiding State of each formal meeting, from Lao PDR (1MSP) to Lao PDR (3RC)."""
        presidencies = dict(
            models.Meeting.objects.filter(treaty=self.treaty, kind__in=["msp", "review"]).values_list(
                "short_name", "president_state__iso2"
            )
        )
        self.assertEqual(
            presidencies,
            {
                "1MSP": "LA",
                "2MSP": "LB",
                "3MSP": "NO",
                "4MSP": "ZM",
                "5MSP": "CR",
                "1RC": "HR",
                "6MSP": "NL",
                "7MSP": "DE",
                "8MSP": "NI",
                "9MSP": "LK",
                "2RC": "CH",
                "10MSP": "GB",
                "11MSP": "IQ",
                "12MSP": "MX",
                "13MSP": "PH",
                "3RC": "LA",
            },
        )
        self.assertIn("Adnan Mansour", self.meeting("2MSP").president_name)
        self.assertIn("Wylbur Simuusa", self.meeting("4MSP").president_name)
        self.assertIn("Félix Baumann", self.meeting("2RC").president_name)

    def test_presidents_designated_by_an_earlier_meeting_link_to_it(self):
        """The 2MSP designated the 3MSP President; the 10MSP designated the 12MSP President."""
        designated = {
            meeting.short_name: meeting.president_designated_at.short_name
            for meeting in models.Meeting.objects.filter(treaty=self.treaty)
            .exclude(president_designated_at=None)
            .select_related("president_designated_at")
        }
        self.assertEqual(designated, {"3MSP": "2MSP", "12MSP": "10MSP"})

    def test_the_2msp_is_dated_by_the_official_record_with_the_other_dates_kept_for_editors(self):
        """13–16 September 2011 (UN, ISU); the CMC's 12–16 September stays in the research notes."""
        meeting = self.meeting("2MSP")
        self.assertEqual((meeting.start_date, meeting.end_date), (D("2011-09-13"), D("2011-09-16")))
        self.assertEqual(meeting.source.url, "https://www.clusterconvention.org/2msp/")
        self.assertIn("12–16 September", meeting.research_notes)
        self.assertIn("Beirut Declaration", meeting.outcomes)

    def test_the_3msp_keeps_its_announced_and_its_held_dates(self):
        """Announced by the 2MSP for 10–14 September 2012; held 11–14 September (CCM/MSP/2012/5)."""
        meeting = self.meeting("3MSP")
        self.assertEqual((meeting.start_date, meeting.end_date), (D("2012-09-11"), D("2012-09-14")))
        self.assertEqual(
            (meeting.announced_start_date, meeting.announced_end_date), (D("2012-09-10"), D("2012-09-14"))
        )
        self.assertEqual(meeting.announced_in, self.seed001)
        self.assertEqual(meeting.source.symbol, "CCM/MSP/2012/5")

    def test_the_11msp_and_12msp_dates_are_pinned_to_the_day(self):
        """11MSP: 11–14 September 2023; 12MSP: 10–13 September 2024, both at the Palais des Nations."""
        for short_name, start, end in (
            ("11MSP", "2023-09-11", "2023-09-14"),
            ("12MSP", "2024-09-10", "2024-09-13"),
        ):
            with self.subTest(meeting=short_name):
                meeting = self.meeting(short_name)
                self.assertEqual((meeting.start_date, meeting.end_date), (D(start), D(end)))
                self.assertEqual(meeting.dates_precision, "day")
                self.assertIn("Palais des Nations", meeting.venue)

    def test_the_third_review_conference_is_recorded_for_vientiane_in_september_2026(self):
        """Hosted and presided by Lao PDR, Vientiane, 14–18 September 2026 (Xinhua, ISU, KPL)."""
        meeting = self.meeting("3RC")
        self.assertEqual((meeting.kind, meeting.number), ("review", 3))
        self.assertEqual((meeting.city, meeting.country.iso2), ("Vientiane", "LA"))
        self.assertEqual((meeting.start_date, meeting.end_date), (D("2026-09-14"), D("2026-09-18")))
        self.assertEqual(meeting.president_state.iso2, "LA")
        self.assertFalse(meeting.outcomes)


class SecondReviewConferenceTests(MeetingRecordTestCase):
    def test_the_2rc_is_one_meeting_held_in_a_virtual_and_a_hybrid_part(self):
        """Virtual on 25–27 November 2020, hybrid at the Palais des Nations, Geneva, on 20–21 September 2021."""
        meeting = self.meeting("2RC")
        parts = [
            (part.label, part.start_date, part.end_date, part.format, part.city)
            for part in meeting.parts.order_by("start_date")
        ]
        self.assertEqual(
            parts,
            [
                ("First part", D("2020-11-25"), D("2020-11-27"), "virtual", ""),
                ("Second part", D("2021-09-20"), D("2021-09-21"), "hybrid", "Geneva"),
            ],
        )
        self.assertEqual((meeting.start_date, meeting.end_date), (D("2020-11-25"), D("2021-09-21")))
        self.assertTrue(all(part.source_id for part in meeting.parts.all()))

    def test_the_2rc_was_first_announced_for_lausanne_but_is_not_placed_there(self):
        """Announced for 23–27 November 2020 in Lausanne; held virtually, then in Geneva."""
        meeting = self.meeting("2RC")
        self.assertEqual(
            (meeting.announced_start_date, meeting.announced_end_date), (D("2020-11-23"), D("2020-11-27"))
        )
        self.assertEqual(meeting.city, "Geneva")
        self.assertNotIn("Lausanne", meeting.venue)

    def test_the_2rc_adopted_the_lausanne_declaration_action_plan_and_review_document(self):
        """The second part adopted the DAP Review Document, the Lausanne Declaration and the Lausanne Action Plan."""
        documents = self.meeting("2RC").documents.filter(action="adopted")
        kinds = {document.kind: document for document in documents}
        self.assertIn("Lausanne Declaration", kinds["declaration"].title)
        self.assertIn("Lausanne Action Plan", kinds["action_plan"].title)
        self.assertIn("Dubrovnik Action Plan", kinds["review_document"].title)
        self.assertEqual(kinds["action_plan"].url, "http://www.clusterconvention.org/lausanne-action-plan/")


class SecondMeetingDocumentsTests(MeetingRecordTestCase):
    def documents(self):
        return self.meeting("2MSP").documents.order_by("position")

    def test_the_2msp_documents_named_by_the_seed_cite_it(self):
        """Declaration, Progress Report, work programme, final document, three papers, Survivors' Declaration."""
        from_seed = self.documents().filter(source=self.seed001)
        self.assertEqual(
            [(document.kind, document.action) for document in from_seed],
            [
                ("declaration", "adopted"),
                ("progress_report", "adopted"),
                ("work_programme", "adopted"),
                ("final_report", "adopted"),
                ("paper", "welcomed"),
                ("paper", "welcomed"),
                ("paper", "welcomed"),
                ("survivors_declaration", "delivered"),
            ],
        )
        titles = " | ".join(from_seed.values_list("title", flat=True))
        for name in (
            "Beirut Declaration",
            "Beirut Progress Report",
            "Work programme for 2012",
            "Final document",
        ):
            self.assertIn(name, titles)

    def test_the_welcomed_papers_carry_their_symbols_and_authors(self):
        """Australia's paper on land release (WP.4) and New Zealand's two papers (WP.6, WP.7)."""
        papers = self.documents().filter(kind="paper")
        self.assertEqual(
            sorted(papers.values_list("symbol", "submitted_by_state__iso2")),
            [("CCM/MSP/2011/WP.4", "AU"), ("CCM/MSP/2011/WP.6", "NZ"), ("CCM/MSP/2011/WP.7", "NZ")],
        )
        self.assertIn("land release", papers.get(symbol="CCM/MSP/2011/WP.4").summary)

    def test_the_survivors_declaration_was_delivered_by_three_survivors(self):
        """Delivered by Raed Mokaied, Margaret Arach Orech and Thoumy Silamphan."""
        declaration = self.documents().get(kind="survivors_declaration")
        for name in ("Raed Mokaied", "Margaret Arach Orech", "Thoumy Silamphan"):
            self.assertIn(name, declaration.submitted_by)

    def test_no_document_claims_an_unconfirmed_symbol(self):
        """The adopted Beirut documents have no symbol: only the drafts' symbols were seen."""
        for kind in ("declaration", "progress_report", "final_report"):
            with self.subTest(kind=kind):
                self.assertEqual(self.documents().get(kind=kind).symbol, "")
        self.assertFalse(models.Document.objects.filter(symbol="CCM/MSP/2011/5").exists())

    def test_every_document_cites_a_source(self):
        """Every outcome or working document of every meeting names its source."""
        self.assertFalse(models.Document.objects.filter(meeting__treaty=self.treaty, source=None).exists())


class CoordinatorTests(MeetingRecordTestCase):
    def test_the_2msp_appointed_the_coordinators_of_all_eight_groups_and_roles(self):
        """Fourteen States for six two-seat groups, reporting and national implementation measures (ISU 2MSP page)."""
        appointed = models.CoordinatorAssignment.objects.filter(appointed_at__short_name="2MSP")
        self.assertEqual(
            set(appointed.values_list("group__slug", "state__iso2")),
            {
                (GSO, "VA"),
                (GSO, "ZM"),
                (UNI, "JP"),
                (UNI, "PT"),
                (VA, "AT"),
                (VA, "BA"),
                (CRR, "LA"),
                (CRR, "IE"),
                (SDR, "DE"),
                (SDR, "HR"),
                (CA, "ES"),
                (CA, "MX"),
                (TR, "BE"),
                (NIM, "NZ"),
            },
        )
        self.assertEqual(appointed.values("group").distinct().count(), 8)
        self.assertEqual(set(appointed.values_list("term_start", flat=True)), {D("2011-09-16")})
        self.assertEqual(
            set(appointed.values_list("source__url", flat=True)), {"https://www.clusterconvention.org/2msp/"}
        )
        self.assertEqual(
            self.serving(D("2012-01-01")), set(appointed.values_list("group__slug", "state__iso2"))
        )

    def test_the_2012_2013_2014_2015_and_2017_2018_compositions_are_complete(self):
        """Fourteen coordinators serve in each year for which the ISU published the full composition."""
        for day in ("2013-01-01", "2015-01-01", "2018-01-01"):
            with self.subTest(day=day):
                self.assertEqual(len(self.serving(D(day))), 14)
        self.assertIn((UNI, "NO"), self.serving(D("2014-01-01")))
        self.assertIn((UNI, "GH"), self.serving(D("2014-01-01")))

    def test_terms_carry_the_labels_the_compositions_give(self):
        """Two-year terms overlap: 2012–2013 beside 2012–2014, 2014–2015 beside 2014–2016."""
        labels = set(
            models.CoordinatorAssignment.objects.filter(group__slug=UNI).values_list(
                "state__iso2", "term_label"
            )
        )
        self.assertTrue(
            {("PT", "2012–2013"), ("GH", "2012–2014"), ("NO", "2014–2015"), ("EC", "2014–2016")} <= labels
        )

    def test_the_latest_known_composition_is_the_one_up_to_the_12msp(self):
        """Malawi and Peru, Austria and Panama, Italy and Norway, up to the 12MSP; no term is left open."""
        self.assertEqual(
            self.serving(D("2024-01-31")),
            {(UNI, "MW"), (UNI, "PE"), (VA, "AT"), (VA, "PA"), (CRR, "IT"), (CRR, "NO")},
        )
        assignments = models.CoordinatorAssignment.objects.filter(group__treaty=self.treaty)
        self.assertFalse(assignments.filter(term_end=None).exists())
        self.assertEqual(max(assignments.values_list("term_end", flat=True)), D("2024-09-13"))
        self.assertEqual(self.serving(D("2024-09-14")), set())

    def test_no_group_ever_has_more_coordinators_than_seats(self):
        """Two seats for a thematic group, one for a single role, on every day a term starts."""
        for group in models.WorkingGroup.objects.filter(treaty=self.treaty):
            for start in group.assignments.values_list("term_start", flat=True):
                serving = group.assignments.filter(term_start__lte=start).filter(
                    Q(term_end=None) | Q(term_end__gt=start)
                )
                with self.subTest(group=group.slug, day=start):
                    self.assertLessEqual(serving.count(), group.seats)

    def test_the_risk_education_coordinator_is_a_role_created_at_the_12msp(self):
        """A single-seat role the 12MSP decided to create; the eight 2MSP groups keep their coordinators."""
        role = models.WorkingGroup.objects.get(treaty=self.treaty, slug="risk-education")
        self.assertEqual((role.seats, role.established_at.short_name), (1, "12MSP"))
        self.assertEqual(
            models.WorkingGroup.objects.filter(treaty=self.treaty, established_at__short_name="2MSP").count(),
            8,
        )

    def test_every_assignment_cites_a_source(self):
        """Each coordinator term names the document that shows it."""
        self.assertFalse(models.CoordinatorAssignment.objects.filter(source=None).exists())


class PublicTextTests(MeetingRecordTestCase):
    def public_texts(self):
        for meeting in models.Meeting.objects.filter(treaty=self.treaty):
            yield (
                f"meeting {meeting.short_name}",
                " ".join([meeting.name, meeting.venue, meeting.president_name, meeting.outcomes]),
            )
            for part in meeting.parts.all():
                yield f"{meeting.short_name} part {part.label}", " ".join([part.label, part.venue])
            for document in meeting.documents.all():
                yield (
                    f"{meeting.short_name} document {document.pk}",
                    " ".join([document.title, document.summary, document.submitted_by]),
                )
        for group in models.WorkingGroup.objects.filter(treaty=self.treaty):
            yield f"group {group.slug}", " ".join([group.name, group.description])
        for assignment in models.CoordinatorAssignment.objects.filter(group__treaty=self.treaty):
            yield f"assignment {assignment.pk}", " ".join([assignment.term_label, assignment.notes])

    def test_no_public_text_of_the_record_contains_research_phrases(self):
        """Outcomes, summaries, descriptions and notes are for readers; doubts and gaps stay in research notes."""
        for where, text in self.public_texts():
            with self.subTest(where=where):
                self.assertIsNone(RESEARCH_PHRASES.search(text), text)

    def test_the_sources_of_the_record_describe_documents_not_the_search(self):
        """The notes of the sources the record cites say what the document says, not how it was read."""
        cited = set(models.Meeting.objects.values_list("source", flat=True))
        cited |= set(models.Document.objects.values_list("source", flat=True))
        cited |= set(models.MeetingPart.objects.values_list("source", flat=True))
        cited |= set(models.CoordinatorAssignment.objects.values_list("source", flat=True))
        for source in models.Source.objects.filter(pk__in=cited):
            with self.subTest(source=source.title):
                self.assertIsNone(RESEARCH_PHRASES.search(source.notes), source.notes)
