"""The 2MSP's proceedings in the shipped data (statements.yaml, pledges.yaml, organisations.yaml,
agenda_topics.yaml), loaded as a deployment loads it: one test per paragraph of the seed documents."""

import datetime
from decimal import Decimal

from django.test import TestCase

from tests.shipped import load_shipped_data
from tracker import models

D = datetime.date.fromisoformat
TOOK_THE_FLOOR = "Also took the floor; the day's summary does not report what was said."


class ProceedingsRecordTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_shipped_data()
        cls.meeting = models.Meeting.objects.get(treaty__slug="ccm", short_name="2MSP")
        cls.seed000 = models.Source.objects.get(key="seed000")
        cls.seed001 = models.Source.objects.get(key="seed001")

    def statements(self, topic, source=None):
        found = models.Statement.objects.filter(meeting=self.meeting, topic__slug=topic)
        return found.filter(source=source or self.seed001).select_related("state", "organisation")

    def speakers(self, topic, source=None):
        return {s.state.iso2 if s.state else s.organisation.slug for s in self.statements(topic, source)}

    def statement(self, topic, speaker):
        found = self.statements(topic)
        if len(speaker) == 2 and speaker.isupper():
            return found.get(state__iso2=speaker)
        return found.get(organisation__slug=speaker)


class SecretaryGeneralMessageTests(ProceedingsRecordTestCase):
    """Seed 000: the Secretary-General's message, 13 September 2011."""

    def message(self):
        return models.Statement.objects.get(meeting=self.meeting, source=self.seed000)

    def test_heading_the_office_speaks_through_the_high_representative_on_the_first_day(self):
        """Heading: the message of the Secretary-General, Beirut, 13 September 2011, delivered by Sergio Duarte."""
        message = self.message()
        self.assertEqual(message.office, "United Nations Secretary-General")
        self.assertIsNone(message.state)
        self.assertIsNone(message.organisation)
        self.assertEqual(
            message.delivered_by, "Mr. Sergio Duarte, High Representative for Disarmament Affairs"
        )
        self.assertEqual(message.date, D("2011-09-13"))
        self.assertEqual(message.mode, models.Statement.Mode.ORAL)
        self.assertEqual(message.topic.slug, "opening")

    def test_paragraph_1_greetings(self):
        self.assertIn("greetings to all participants", self.message().summary)

    def test_paragraph_2_the_dangers_of_cluster_munitions(self):
        summary = self.message().summary
        for words in (
            "unreliable, inaccurate and indiscriminate",
            "kill, maim and terrorize civilians",
            "particularly difficult to remove safely",
            "casualties among those who clear them",
        ):
            self.assertIn(words, summary)

    def test_paragraph_3_the_62_states_cited_beside_the_trackers_own_count(self):
        """'I congratulate the 62 States that have so far joined': a count the tracker computes for that day."""
        message = self.message()
        self.assertEqual(message.cited_count, 62)
        self.assertEqual(message.count_kind, models.Statement.CountKind.STATES_PARTIES)
        self.assertIn("62 States that have so far joined", message.cited_figure)
        self.assertIn("sign or accede to it as a matter of urgency", message.summary)
        models.Statement.with_tracker_counts([message])
        # 62 deposits up to 12 September 2011; Eswatini acceded on the 13th, the day of the message.
        self.assertEqual((message.tracker_count_before, message.tracker_count), (62, 63))

    def test_paragraph_4_the_vientiane_action_plan(self):
        summary = self.message().summary
        self.assertIn("First Meeting of States Parties in Vientiane adopted an Action Plan", summary)
        self.assertIn("partnership, victim assistance and international cooperation", summary)

    def test_paragraph_5_taking_stock_of_the_treatys_architecture(self):
        self.assertIn(
            "shape the treaty's architecture to foster cooperation and assistance", self.message().summary
        )

    def test_paragraph_6_anti_vehicle_mines_and_explosive_weapons_in_populated_areas(self):
        summary = self.message().summary
        self.assertIn("anti-vehicle mines", summary)
        self.assertIn("explosive weapons in populated areas", summary)

    def test_paragraph_7_the_united_nations_supports_the_effort(self):
        self.assertIn("The United Nations fully supports their efforts", self.message().summary)


class CooperationAndAssistanceTests(ProceedingsRecordTestCase):
    """Seed 001, 'Cooperation and Assistance'."""

    def pledges(self, donor):
        return models.Pledge.objects.filter(
            meeting=self.meeting, donor_state__iso2=donor, source=self.seed001
        )

    def test_paragraph_1_the_united_kingdom_on_value_for_money_and_the_debate_in_the_outcomes(self):
        self.assertIn(
            "value for money in mine action", self.statement("cooperation-and-assistance", "GB").summary
        )
        self.assertIn("many linked mine action to development", self.meeting.outcomes)
        self.assertIn("national ownership and leadership", self.meeting.outcomes)

    def test_paragraph_2_every_speaker_on_cooperation_and_what_they_said(self):
        expected = {
            "GB",
            "AU",
            "CO",
            "DE",
            "JP",
            "LA",
            "LB",
            "MX",
            "ES",
            "SE",
            "cmc",
            "CI",
            "MZ",
            "NO",
            "CH",
            "gichd",
            "ifrc",
            "unmas",
            "undp",
        }
        self.assertEqual(self.speakers("cooperation-and-assistance"), expected)
        said = {
            "CO": "triangular cooperation with Cambodia and Japan",
            "LA": "ten-year implementation plan that includes milestones, indicators and budgets",
            "LB": "a credit card that generates donations to mine action",
            "MX": "south-south and triangular cooperation",
            "ES": "training initiatives for clearance experts",
            "AU": "align its support with the national priorities of affected countries",
            "SE": "with a focus on long-term development",
        }
        for speaker, words in said.items():
            with self.subTest(speaker=speaker):
                self.assertIn(words, self.statement("cooperation-and-assistance", speaker).summary)
        cmc = self.statement("cooperation-and-assistance", "cmc")
        self.assertEqual(cmc.delivered_by, "Eva Veble")
        self.assertIn("time-bound, budgeted plans", cmc.summary)

    def test_paragraph_2_pledges_with_amounts_currencies_and_what_they_cover(self):
        (australia,) = self.pledges("AU")
        self.assertEqual((australia.amount, australia.currency), (Decimal("40000000"), "AUD"))
        self.assertEqual(australia.status, models.Pledge.Status.PROVIDED)
        self.assertIn("since the 1MSP", australia.covers)
        self.assertEqual(australia.purpose, models.Pledge.Purpose.MINE_ACTION)

        given, new = self.pledges("DE").order_by("position")
        self.assertEqual(
            (given.amount, given.currency, given.status), (Decimal("2160000"), "EUR", "provided")
        )
        self.assertIn("in 2010", given.covers)
        self.assertIn("not including its share of EU funding", given.covers)
        self.assertEqual((new.amount, new.currency, new.status), (Decimal("700000"), "EUR", "new"))
        self.assertEqual([s.iso2 for s in new.recipients.all()], ["LB"])
        self.assertEqual(new.purpose, models.Pledge.Purpose.CLEARANCE)

        (japan,) = self.pledges("JP")
        # 'dollars' without a currency named: the words are kept, no amount is made up.
        self.assertEqual((japan.amount, japan.currency), (None, ""))
        self.assertEqual(japan.amount_as_stated, "31 million dollars")
        self.assertEqual(japan.recipients_text, "nine countries")
        self.assertIn("since the 1MSP", japan.covers)

        (sweden,) = self.pledges("SE")
        self.assertEqual((sweden.amount, sweden.currency), (Decimal("9000000"), "EUR"))
        self.assertEqual(sweden.recipients_text, "five affected countries and one affected area")
        self.assertIn("in 2010", sweden.covers)

    def test_paragraph_2_non_monetary_commitments_are_statements_not_pledges(self):
        donors = set(
            models.Pledge.objects.filter(meeting=self.meeting).values_list("donor_state__iso2", flat=True)
        )
        self.assertEqual(donors, {"AU", "DE", "JP", "SE"})

    def test_paragraph_3_those_who_also_took_the_floor(self):
        for speaker in ("CI", "MZ", "NO", "CH", "gichd", "ifrc", "unmas", "undp"):
            with self.subTest(speaker=speaker):
                self.assertEqual(
                    self.statement("cooperation-and-assistance", speaker).summary, TOOK_THE_FLOOR
                )
        names = dict(models.Organisation.objects.values_list("slug", "name"))
        self.assertEqual(names["ifrc"], "International Federation of Red Cross and Red Crescent Societies")
        self.assertEqual(names["unmas"], "United Nations Mine Action Service")


class UniversalizationTests(ProceedingsRecordTestCase):
    """Seed 001, 'Universalization' and its four sub-headings."""

    def test_steps_towards_ratification_by_signatories(self):
        self.assertEqual(self.speakers("steps-towards-ratification"), {"AU", "CI", "CY", "SE"})
        self.assertIn(
            "move quickly towards ratification", self.statement("steps-towards-ratification", "AU").summary
        )
        self.assertIn(
            "renewal of the parliament in late 2011",
            self.statement("steps-towards-ratification", "CI").summary,
        )
        self.assertIn("hope to ratify next year", self.statement("steps-towards-ratification", "CY").summary)
        sweden = self.statement("steps-towards-ratification", "SE").summary
        for words in ("at some point in 2012", "penal sanctions", "should be completed in 2014"):
            self.assertIn(words, sweden)
        self.assertEqual(
            self.statement("steps-towards-ratification", "AU").topic.parent.slug, "universalization"
        )

    def test_steps_towards_accession_by_non_signatories(self):
        self.assertEqual(self.speakers("steps-towards-accession"), {"KI", "TH"})
        self.assertIn("considering accession", self.statement("steps-towards-accession", "KI").summary)
        self.assertIn("critical juncture", self.statement("steps-towards-accession", "TH").summary)
        # Other sources add the delegations that said they plan to accede.
        hi2011 = models.Source.objects.get(key="hi2011")
        self.assertEqual(self.speakers("steps-towards-accession", hi2011), {"MY", "GA", "TJ", "SS"})

    def test_use_of_cluster_munitions_in_2011(self):
        self.assertEqual(self.speakers("use-of-cluster-munitions"), {"LB", "GB"})
        self.assertIn("very alarming", self.statement("use-of-cluster-munitions", "LB").summary)
        self.assertIn(
            "stigmatized, denounced and deplored", self.statement("use-of-cluster-munitions", "GB").summary
        )

    def test_universalization_efforts_and_other_updates(self):
        self.assertEqual(
            self.speakers("universalization-efforts"),
            {"AU", "BE", "FR", "IE", "LA", "LB", "GB", "unmas", "icrc", "MD", "ID", "SN", "cmc"},
        )
        self.assertIn(
            "military-to-military dialogue", self.statement("universalization-efforts", "IE").summary
        )
        self.assertIn(
            "through embassies and in regional fora",
            self.statement("universalization-efforts", "icrc").summary,
        )
        self.assertEqual(self.statement("universalization-efforts", "MD").mode, models.Statement.Mode.WRITTEN)
        self.assertEqual(self.statement("universalization-efforts", "SN").summary, TOOK_THE_FLOOR)
        cmc = self.statement("universalization-efforts", "cmc")
        self.assertEqual(cmc.delivered_by, "Lynn Bradach")
        self.assertIn("universal adherence", cmc.summary)


class ComplianceInterpretationAndDecisionsTests(ProceedingsRecordTestCase):
    """Seed 001, 'Compliance', 'Interpretive issues' and 'Decisions and adoption of outcome documents'."""

    def test_compliance(self):
        self.assertEqual(self.statement("compliance", "LB").mode, models.Statement.Mode.WRITTEN)
        cmc = self.statement("compliance", "cmc")
        self.assertEqual(cmc.delivered_by, "Marion Libertucci")
        self.assertIn(
            "protocol on cluster munitions under the Convention on Conventional Weapons", cmc.summary
        )

    def test_interpretive_issues(self):
        cmc = self.statement("interpretive-issues", "cmc")
        self.assertEqual(cmc.mode, models.Statement.Mode.FOR_THE_RECORD)
        self.assertIn("Article 21", cmc.summary)

    def test_decisions_set_the_next_meetings_and_their_president(self):
        later = {m.short_name: m for m in self.meeting.meetings_convened.all()}
        self.assertEqual(set(later), {"3MSP", "IM2012"})
        oslo = later["3MSP"]
        self.assertEqual(
            (oslo.city, oslo.announced_start_date, oslo.announced_end_date),
            ("Oslo", D("2012-09-10"), D("2012-09-14")),
        )
        self.assertEqual(oslo.president_designated_at, self.meeting)
        self.assertIn("Steffen Kongstad", oslo.president_name)
        self.assertEqual((later["IM2012"].city, later["IM2012"].start_date), ("Geneva", D("2012-04-16")))
        self.assertEqual(self.meeting.working_groups_established.count(), 8)

    def test_documents_adopted_welcomed_and_delivered(self):
        documents = {d.title: d for d in self.meeting.documents.all()}
        self.assertEqual(documents["Beirut Declaration"].action, "adopted")
        self.assertEqual(documents["Beirut Progress Report"].kind, "progress_report")
        self.assertEqual(documents["Final document"].kind, "final_report")
        welcomed = {d.symbol: d.submitted_by_state.iso2 for d in documents.values() if d.action == "welcomed"}
        self.assertEqual(
            welcomed, {"CCM/MSP/2011/WP.4": "AU", "CCM/MSP/2011/WP.6": "NZ", "CCM/MSP/2011/WP.7": "NZ"}
        )
        survivors = documents["Survivors' Declaration"]
        self.assertEqual(survivors.action, "delivered")
        self.assertEqual(survivors.submitted_by, "Raed Mokaied, Margaret Arach Orech and Thoumy Silamphan")


class ProceedingsDataTests(ProceedingsRecordTestCase):
    def test_every_statement_and_pledge_cites_a_source_and_the_seed_statements_are_all_from_the_2msp(self):
        self.assertFalse(models.Statement.objects.filter(source=None).exists())
        self.assertEqual(
            set(models.Statement.objects.filter(source=self.seed001).values_list("date", flat=True)),
            {D("2011-09-16")},
        )
        self.assertEqual(models.Statement.objects.filter(source=self.seed001).count(), 43)

    def test_every_organisation_cites_a_source(self):
        self.assertEqual(
            set(models.Organisation.objects.values_list("short_name", flat=True)),
            {"CMC", "ICRC", "IFRC", "UNMAS", "UNDP", "GICHD"},
        )
        self.assertFalse(models.Organisation.objects.filter(source=None).exists())
