"""The depositary record in the shipped data: the treaty's registration, the declarations and
territorial applications, the UN Treaty Collection's counts, the States' other names, and
public notes kept free of research remarks."""

import datetime

from django.test import TestCase

from tests.shipped import load_shipped_data
from tracker import models

D = datetime.date.fromisoformat
AS_AT = D("2026-02-03")

# Phrases that belong in research notes, never in public text.
RESEARCH_PHRASES = (
    "UNTC shows",
    "in brackets",
    "photo caption",
    "garbled",
    "the page as read",
    "Only the site's address",
    "not in the sources",
    "Read from a copy",
    "Read on a copy",
    "(udas.rs.ba)",
    "(silkway.news)",
    "Not a signatory",
)


class DepositaryRecordTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_shipped_data()
        cls.treaty = models.Treaty.objects.select_related("source").get(slug="ccm")

    def participations(self):
        return models.Participation.objects.filter(treaty=self.treaty)

    def declarations(self, iso2, kind):
        return models.Declaration.objects.filter(
            participation__treaty=self.treaty, participation__state__iso2=iso2, kind=kind
        ).select_related("source")


class TreatyTests(DepositaryRecordTestCase):
    def test_the_treaty_is_registered_as_no_47713_on_1_august_2010(self):
        """The UN registration, the Treaty Series reference and the places come from the status page."""
        self.assertEqual(self.treaty.registration_number, "47713")
        self.assertEqual(self.treaty.registration_date, D("2010-08-01"))
        self.assertEqual(self.treaty.treaty_series, "United Nations, Treaty Series, vol. 2688, p. 39")
        self.assertEqual(self.treaty.concluded_at, "Dublin")
        self.assertEqual(self.treaty.opened_at, "Oslo")
        self.assertEqual(self.treaty.adopted_on, D("2008-05-30"))
        self.assertEqual(self.treaty.opened_for_signature_on, D("2008-12-03"))

    def test_the_record_is_as_at_the_status_list_of_3_february_2026(self):
        """The as-at date and source are the depositary's status list, whose address is the status page."""
        self.assertEqual(self.treaty.depositary_as_at, AS_AT)
        self.assertIsNotNone(self.treaty.source)
        self.assertEqual(self.treaty.source.date, AS_AT)
        self.assertEqual(self.treaty.source.url, self.treaty.depositary_url)
        self.assertIn("mtdsg_no=XXVI-6", self.treaty.depositary_url)
        self.assertTrue(self.treaty.text_url.startswith("https://treaties.un.org/"))
        self.assertIn("clusterconvention.org", self.treaty.secretariat_url)


class DeclarationTests(DepositaryRecordTestCase):
    def assert_declared(self, iso2, kind, phrase):
        found = [d for d in self.declarations(iso2, kind) if phrase in d.text]
        self.assertEqual(len(found), 1, f"{iso2}: no {kind} containing {phrase!r}")
        self.assertEqual(found[0].source, self.treaty.source)
        return found[0]

    def test_belgium_declared_on_signature_that_its_signature_binds_its_regions(self):
        """Belgium's declaration made upon signature, quoted from the depositary."""
        declaration = self.assert_declared("BE", "declaration", "the region of Walloon, the Flemish region")
        self.assertTrue(declaration.text.startswith("Declaration made upon signature:"))
        self.assertEqual(declaration.date, D("2008-12-03"))

    def test_colombia_declared_its_understanding_of_articles_4_and_10(self):
        """Colombia's declarations on cluster munition remnants and the International Court of Justice."""
        declaration = self.assert_declared(
            "CO",
            "declaration",
            "understands ‘cluster munition remnants’ to mean those whose location is known",
        )
        self.assertIn("Regarding article 10 of the Convention", declaration.text)

    def test_el_salvador_made_an_interpretative_declaration_on_article_10(self):
        """El Salvador's interpretative declaration, as the depositary gives it."""
        declaration = self.assert_declared(
            "SV", "declaration", "does not recognize the jurisdiction of the International Court of Justice"
        )
        self.assertTrue(declaration.text.startswith("Interpretative Declaration:"))

    def test_the_holy_see_declarations_on_ratification_are_quoted_in_full(self):
        """The Holy See's declarations, from the first sentence to the last."""
        declaration = self.assert_declared(
            "VA", "declaration", "In ratifying the Convention on Cluster Munitions"
        )
        self.assertIn("the particular condition of Vatican City State", declaration.text)
        self.assertTrue(
            declaration.text.endswith("human dignity and fundamental rights are fully respected.”")
        )

    def test_the_territorial_applications_of_denmark_the_netherlands_new_zealand_and_the_uk(self):
        """Faroe Islands, Curaçao, Tokelau and the Isle of Man, with the dates the depositary gives."""
        self.assert_declared("DK", "territorial", "the Convention shall not apply to the Faroe Islands")
        self.assert_declared("NL", "territorial", "the Islands of Bonaire, Sint Eustatius and Saba")
        curacao = self.assert_declared("NL", "territorial", "will apply to Curaçao")
        self.assertEqual(curacao.date, D("2022-09-20"))
        self.assertEqual(curacao.notification, "C.N.286.2022.TREATIES-XXVI-6")
        self.assert_declared("NZ", "territorial", "this ratification shall not extend to Tokelau")
        isle_of_man = self.assert_declared(
            "GB", "territorial", "extended to the territory of the Isle of Man"
        )
        self.assertEqual(isle_of_man.date, D("2014-02-21"))

    def test_the_provisional_application_notifications_are_recorded(self):
        """Belize, Lithuania, Norway and Switzerland each notified provisional application (Art. 18)."""
        for iso2 in ("BZ", "LT", "NO", "CH"):
            with self.subTest(iso2=iso2):
                declaration = self.assert_declared(
                    iso2, "declaration", "notification of provisional application"
                )
                participation = declaration.participation
                self.assertEqual(declaration.date, participation.provisional_application_date)


class CountTests(DepositaryRecordTestCase):
    def test_112_parties_as_at_3_february_2026(self):
        """UNTC's 'Parties : 112': deposited by the as-at date and not withdrawn."""
        self.assertEqual(self.participations().parties(AS_AT).count(), 112)

    def test_107_signatories_in_untc_sense_as_at_3_february_2026(self):
        """UNTC's 'Signatories : 107': States that signed, less the one that withdrew (Lithuania)."""
        signed = self.participations().filter(signature_date__lte=AS_AT)
        self.assertEqual(signed.exclude(withdrawal_effective_date__lte=AS_AT).count(), 107)
        self.assertEqual(
            list(signed.filter(withdrawal_effective_date__lte=AS_AT).values_list("state__iso2", flat=True)),
            ["LT"],
        )

    def test_12_states_signed_but_had_not_ratified_on_3_february_2026(self):
        """Signatories that had deposited no instrument by the as-at date."""
        self.assertEqual(self.participations().signatories(AS_AT).count(), 12)

    def test_lithuania_withdrawal_took_effect_on_6_march_2025(self):
        """The withdrawal notice of 6 September 2024 takes effect six months later, as end note 3 says."""
        lithuania = self.participations().get(state__iso2="LT")
        self.assertEqual(lithuania.withdrawal_notice_date, D("2024-09-06"))
        self.assertEqual(lithuania.withdrawal_effective_date, D("2025-03-06"))
        self.assertIn("C.N.347.2024.TREATIES-XXVI-6", lithuania.notes)

    def test_vanuatu_acceded_on_5_september_2025_and_is_in_force_from_1_march_2026(self):
        """The latest accession in the status list, in force six months after the deposit month."""
        vanuatu = self.participations().get(state__iso2="VU")
        self.assertEqual(vanuatu.instrument, "accession")
        self.assertEqual(vanuatu.deposit_date, D("2025-09-05"))
        self.assertEqual(vanuatu.entry_into_force_date, D("2026-03-01"))


class StateSearchTests(DepositaryRecordTestCase):
    def found(self, text):
        return set(models.State.objects.search(text).values_list("iso2", flat=True))

    def test_common_names_find_the_state(self):
        """Laos, Vietnam, Turkey, Czechia, Ivory Coast and 'cote' each find exactly their State."""
        for text, iso2 in (
            ("Laos", "LA"),
            ("Vietnam", "VN"),
            ("Turkey", "TR"),
            ("Czechia", "CZ"),
            ("Ivory Coast", "CI"),
            ("cote", "CI"),
            ("Burma", "MM"),
            ("Swaziland", "SZ"),
            ("Cape Verde", "CV"),
            ("East Timor", "TL"),
            ("Vatican", "VA"),
            ("Congo-Kinshasa", "CD"),
        ):
            with self.subTest(text=text):
                self.assertEqual(self.found(text), {iso2})

    def test_uk_finds_the_united_kingdom(self):
        """'UK' finds the United Kingdom (and, as a substring, Ukraine)."""
        self.assertIn("GB", self.found("UK"))
        self.assertIn("GB", self.found("Great Britain"))
        self.assertIn("US", self.found("USA"))


class PublicTextTests(DepositaryRecordTestCase):
    def test_no_public_note_holds_a_research_remark(self):
        """Participation notes, source notes and declaration texts carry no research phrases."""
        texts = [(f"participation {p.state_id}", p.notes) for p in self.participations()]
        texts += [(f"source {s.title}", s.notes) for s in models.Source.objects.all()]
        texts += [(f"source title {s.title}", s.title) for s in models.Source.objects.all()]
        texts += [(f"declaration {d.pk}", d.text) for d in models.Declaration.objects.all()]
        found = [
            f"{where}: {phrase!r}"
            for where, text in texts
            for phrase in RESEARCH_PHRASES
            if phrase.lower() in text.lower()
        ]
        self.assertEqual(found, [])

    def test_kiribati_and_thailand_notes_state_facts_only(self):
        """The two non-signatories recorded for their 2MSP statements have no status remark in public notes."""
        for iso2 in ("KI", "TH"):
            participation = self.participations().get(state__iso2=iso2)
            with self.subTest(iso2=iso2):
                self.assertEqual(participation.status(AS_AT), models.Participation.Status.NON_SIGNATORY)
                self.assertIn("Second Meeting of States Parties", participation.notes)
                self.assertTrue(participation.research_notes)
