"""The depositary's status lists as real files: four treaties' pages, the XML layout, broken files,
and the reconciliation of the shipped CCM with the page it was built from."""

import datetime
import io
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, TestCase
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import factory
from tests.shipped import load_shipped_data
from tracker import depositary, reconciliation
from tracker.models import Declaration, Participation, Treaty

D = datetime.date
FILES = settings.BASE_DIR / "tests" / "data" / "untc"
CCM = FILES / "ccm_XXVI-6_2026-02-03.html"
APMBC = FILES / "apmbc_XXVI-5_2026-02-03.html"
ATT = FILES / "att_XXVI-8_2026-02-03.html"
TPNW = FILES / "tpnw_XXVI-9_2026-02-03.html"
OLD_CSV = FILES / "ccm_XXVI-6_c2013_zmjones.csv"


def read(path, kind=""):
    return depositary.read(path.read_bytes(), kind)


def rows_by_name(status_list):
    return {row.name: row for row in status_list.rows}


class RealPagesTestCase(SimpleTestCase):
    def test_the_ccm_page(self):
        """CCM: its header, 125 rows, provisional application, footnotes and Lithuania's withdrawal."""
        status = read(CCM)
        self.assertEqual((status.kind, status.as_at), ("html", D(2026, 2, 3)))
        self.assertEqual(status.title, "Convention on Cluster Munitions")
        self.assertEqual(len(status.rows), 125)
        rows = rows_by_name(status)
        self.assertEqual(rows["Belize"].provisional_application_date, D(2014, 9, 2))
        self.assertEqual(rows["Belize"].footnotes, ("1",))
        lithuania = rows["Lithuania"]
        self.assertTrue(lithuania.withdrawn)
        self.assertEqual(lithuania.withdrawal_notice_date, D(2024, 9, 6))
        self.assertEqual(lithuania.deposit_date, D(2011, 3, 24))
        # The provisional application note is kept apart from the withdrawal.
        self.assertIn("apply provisionally Article 1", lithuania.notes[0])

    def test_the_mine_ban_page_has_no_provisional_column(self):
        """APMBC: three columns; the deposit is read from the instrument column, found by its header."""
        rows = rows_by_name(read(APMBC))
        self.assertEqual(len(rows), 166)
        self.assertEqual(
            (rows["Afghanistan"].deposit_date, rows["Afghanistan"].instrument), (D(2002, 9, 11), "accession")
        )
        self.assertEqual(rows["Poland"].deposit_date, D(2012, 12, 27))
        self.assertIsNone(rows["Poland"].provisional_application_date)

    def test_the_mine_ban_withdrawals_of_2025(self):
        """The end notes give each notice, its C.N. notification and that notification's date."""
        rows = rows_by_name(read(APMBC))
        estonia, finland, poland = rows["Estonia"], rows["Finland"], rows["Poland"]
        self.assertEqual(
            (
                estonia.withdrawal_notice_date,
                estonia.withdrawal_notification,
                estonia.withdrawal_notification_date,
            ),
            (D(2025, 6, 27), "C.N.360.2025.TREATIES-XXVI-5", D(2025, 7, 3)),
        )
        self.assertEqual(finland.withdrawal_notice_date, D(2025, 7, 10))
        self.assertTrue(estonia.withdrawn)
        # Poland's withdrawal had not taken effect on 3 February 2026: its row is not bracketed.
        self.assertEqual(poland.withdrawal_notice_date, D(2025, 8, 20))
        self.assertFalse(poland.withdrawn)

    def test_the_arms_trade_treaty_page(self):
        """ATT: its own provisional-application header (article 23), signatories without deposit."""
        rows = rows_by_name(read(ATT))
        self.assertEqual(len(rows), 142)
        self.assertEqual(rows["Norway"].provisional_application_date, D(2014, 2, 12))
        self.assertEqual(rows["Norway"].deposit_date, D(2014, 2, 12))
        united_states = rows["United States of America"]
        self.assertEqual((united_states.signature_date, united_states.deposit_date), (D(2013, 9, 25), None))

    def test_the_nuclear_weapons_ban_page(self):
        """TPNW: columns in yet another order (Acceptance first)."""
        rows = rows_by_name(read(TPNW))
        self.assertEqual(len(rows), 99)
        self.assertEqual(rows["Antigua and Barbuda"].deposit_date, D(2019, 11, 25))
        self.assertIn("Tokelau", rows["New Zealand"].notes[0])

    def test_the_old_csv_scrape(self):
        """The 2013 CSV scrape, with its old names, is read by the same columns."""
        rows = rows_by_name(read(OLD_CSV))
        self.assertIn("Swaziland", rows)
        self.assertEqual(rows["Swaziland"].instrument, "accession")


# The XML layout. No copy of a real UNTC XML file was found in the sources searched
# (see tests/data/untc/README.md): this one is written after the table layout of the
# depositary's page, with the quirks the issue lists.
XML = (
    '<?xml version="1.0" encoding="iso-8859-1"?>\n'
    "<Treaty><Header><Title>Convention on Cluster Munitions</Title>"
    "<Status>STATUS AS AT : 03-02-2026</Status></Header>"
    "<Participants><Table><TGroup>"
    "<Thead><Row><Entry>Participant</Entry><Entry>Signature</Entry>"
    "<Entry>Approval(AA), Acceptance(A), Accession(a), Ratification</Entry>"
    "<Entry>Provisional application(n)</Entry></Row></Thead>"
    "<Tbody>"
    "<Row><Entry>Afghanistan</Entry><Entry></Entry><Entry>8 Sep 2011</Entry><Entry></Entry></Row>"
    "<Row><Entry>Côte d’Ivoire</Entry><Entry>4 Dec 2008</Entry><Entry>12 Mar 2012</Entry><Entry></Entry></Row>"
    "<Row><Entry>Lithuania3</Entry><Entry>[3 Dec 2008]</Entry><Entry>[24 Mar 2011]</Entry>"
    "<Entry>[24 Mar 2011 n]</Entry></Row>"
    "<Row><Entry>Trinidad &amp; Tobago\x07</Entry><Entry>&nbsp;</Entry><Entry>21 Sep 2011 a</Entry><Entry></Entry></Row>"
    "<Row><Entry>Bosnia & Herzegovina</Entry><Entry>3 Dec 2008</Entry><Entry>7 Sep 2010</Entry><Entry></Entry></Row>"
    "</Tbody></TGroup></Table></Participants>"
    "<EndNotes><Note>3 On 6 September 2024, the Government of the Republic of Lithuania deposited with the "
    "Secretary-General a notification of withdrawal (See depositary notification C.N.347.2024.TREATIES-XXVI-6 "
    "of 6 September 2024).</Note></EndNotes></Treaty>"
).encode("cp1252")


class XmlTestCase(SimpleTestCase):
    def test_it_reads_the_xml_layout_with_its_quirks(self):
        """cp1252 declared as iso-8859-1, a bare '&', an HTML entity, a control character, a glued footnote."""
        status = depositary.read(XML)
        self.assertEqual(
            (status.kind, status.title, status.as_at),
            ("xml", "Convention on Cluster Munitions", D(2026, 2, 3)),
        )
        rows = rows_by_name(status)
        self.assertEqual(
            set(rows),
            {"Afghanistan", "Côte d’Ivoire", "Lithuania", "Trinidad & Tobago", "Bosnia & Herzegovina"},
        )
        # Columns by header: the provisional column comes last here.
        self.assertEqual(rows["Lithuania"].provisional_application_date, D(2011, 3, 24))
        self.assertEqual(rows["Lithuania"].deposit_date, D(2011, 3, 24))
        self.assertEqual(rows["Lithuania"].footnotes, ("3",))
        self.assertEqual(rows["Lithuania"].withdrawal_notification, "C.N.347.2024.TREATIES-XXVI-6")
        self.assertEqual(rows["Trinidad & Tobago"].instrument, "accession")

    def test_entity_declarations_are_refused(self):
        """A file that declares entities (the 'billion laughs') is refused before it is parsed."""
        bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x>&b;</x>'
        with self.assertRaisesMessage(depositary.DepositaryFormatError, "declares entities"):
            depositary.read(bomb)


class BrokenFilesTestCase(SimpleTestCase):
    def assertRefused(self, data, kind="", text=""):
        with self.assertRaises(depositary.DepositaryFormatError) as caught:
            depositary.read(data, kind)
        message = str(caught.exception)
        self.assertNotIn("\n", message)
        self.assertIn(text, message)
        return message

    def test_an_empty_file(self):
        self.assertRefused(b"", text="empty")
        self.assertRefused(b"  \n", text="empty")

    def test_a_truncated_page_or_xml(self):
        """A page or an XML file cut short is refused, not read in part."""
        page = CCM.read_bytes()
        self.assertRefused(page[: len(page) // 2], text="cut short")
        self.assertRefused(XML[: len(XML) // 2], text="cut short")

    def test_html_given_as_xml(self):
        """Saying a page is XML gets a sentence naming what the file is."""
        self.assertRefused(CCM.read_bytes(), "xml", text="HTML page")
        self.assertRefused(b"<html><body><p>Maintenance</p></body></html>", text="No participants table")

    def test_files_that_are_not_status_lists(self):
        """Another XML file, a CSV of something else, a PDF's bytes."""
        self.assertRefused(b'<?xml version="1.0"?><rss><channel><item>x</item><item>y</item></channel></rss>')
        self.assertRefused(b"name,amount\nAfghanistan,3\n", text="Participant")
        self.assertRefused(b"%PDF-1.4\n\x00\x01binary")

    def test_a_wrong_encoding_is_survived(self):
        """Windows-1252 bytes in a file that claims ISO-8859-1 are read as what they are."""
        self.assertIn("Côte d’Ivoire", rows_by_name(depositary.read(XML)))


class ShippedCcmTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_shipped_data()
        cls.treaty = Treaty.objects.get(slug="ccm")

    def test_the_shipped_ccm_matches_its_own_source(self):
        """Reconciling the shipped data with the page it was built from finds no difference."""
        self.assertEqual(reconciliation.compare(read(CCM), self.treaty), [])
        out = io.StringIO()
        call_command("reconcile_depositary", str(CCM), stdout=out)
        self.assertIn("status as at 2026-02-03", out.getvalue())
        self.assertIn("0 difference(s)", out.getvalue())

    def test_the_old_scrape_shows_what_changed_since_2013(self):
        """Against the 2013 scrape: later deposits show as differences, old names still match."""
        differences = reconciliation.compare(read(OLD_CSV), self.treaty)
        names = {d.name for d in differences}
        self.assertNotIn("Eswatini", names)
        self.assertFalse([d for d in differences if d.what == reconciliation.PARTICIPANT])
        # Benin ratified in 2017: the old list lacks it, and that is never applied as a removal.
        (benin,) = [d for d in differences if d.name == "Benin"]
        self.assertEqual(
            (benin.what, benin.depositary, benin.tracker), ("deposit", "", "10 July 2017 ratification")
        )
        self.assertFalse(benin.applicable)


CSV = """Participant,Signature,Provisional application(n),"Approval(AA), Acceptance(A), Accession(a), Ratification"
Afghanistan,3 Dec 2008,,8 Sep 2011
Cape Verde,3 Dec 2008,,19 Oct 2010
Norway,3 Dec 2008,,3 Dec 2008
Atlantis,3 Dec 2008,,
"""


class ApplyTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3))
        cls.source = factory.make_source(key="untc")
        factory.make_participation(
            cls.treaty, factory.make_state("AF", "Afghanistan"), signature_date=D(2008, 12, 3)
        )
        factory.make_state("CV", "Cabo Verde", region="africa")
        factory.make_participation(
            cls.treaty, factory.make_state("NO", "Norway", region="europe"), signature_date=D(2008, 12, 3)
        )

    def differences(self):
        return reconciliation.compare(depositary.read(CSV.encode()), self.treaty)

    def test_only_the_chosen_differences_are_applied_with_the_reason(self):
        differences = {d.key: d for d in self.differences()}
        self.assertFalse(differences["unknown:Atlantis"].applicable)
        chosen = [differences["AF:deposit"], differences["CV:signature"], differences["CV:deposit"]]
        count = reconciliation.apply(chosen, self.treaty, "UNTC status list of 3 Feb 2026", self.source)
        self.assertEqual(count, 3)
        afghanistan = Participation.objects.get(state__iso2="AF")
        self.assertEqual((afghanistan.deposit_date, afghanistan.instrument), (D(2011, 9, 8), "ratification"))
        self.assertEqual(afghanistan.deposit_source, self.source)
        self.assertEqual(afghanistan.history.first().history_change_reason, "UNTC status list of 3 Feb 2026")
        cabo_verde = Participation.objects.get(state__iso2="CV")
        self.assertEqual(cabo_verde.deposit_date, D(2010, 10, 19))
        self.assertEqual(cabo_verde.history.count(), 1)  # one save for both differences
        # Norway's deposit was not chosen: untouched.
        self.assertIsNone(Participation.objects.get(state__iso2="NO").deposit_date)

    def test_a_record_changed_since_the_comparison_is_refused(self):
        differences = self.differences()
        token = reconciliation.sign(differences, self.treaty)
        norway = Participation.objects.get(state__iso2="NO")
        norway.notes = "Changed by a colleague."
        norway.save()
        treaty_id, signed = reconciliation.unsign(token)
        self.assertEqual(treaty_id, self.treaty.pk)
        chosen = [d for d in signed if d.key in ("NO:deposit", "AF:deposit")]
        with self.assertRaisesMessage(reconciliation.StaleError, "Norway"):
            reconciliation.apply(chosen, self.treaty, "reason", self.source)
        # Nothing applied, Afghanistan included.
        self.assertIsNone(Participation.objects.get(state__iso2="AF").deposit_date)

    def test_a_declaration_from_the_end_notes_is_created(self):
        status = depositary.read(XML)
        factory.make_state("LT", "Lithuania", region="europe")
        differences = [d for d in reconciliation.compare(status, self.treaty) if d.name == "Lithuania"]
        self.assertEqual(
            {d.what for d in differences}, {"signature", "deposit", "provisional application", "withdrawal"}
        )
        reconciliation.apply(differences, self.treaty, "From the UNTC XML", self.source)
        lithuania = Participation.objects.get(state__iso2="LT")
        self.assertEqual(lithuania.withdrawal_notice_date, D(2024, 9, 6))
        self.assertEqual(lithuania.withdrawal_notification, "C.N.347.2024.TREATIES-XXVI-6")
        self.assertEqual(lithuania.withdrawal_effective_date, D(2025, 3, 6))
        self.assertFalse(Declaration.objects.filter(participation=lithuania).exists())

    def test_the_command_applies_with_a_reason_only(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "status.csv"
            path.write_text(CSV, encoding="utf-8")
            with self.assertRaisesMessage(CommandError, "--reason"):
                call_command("reconcile_depositary", str(path), "--apply", stdout=io.StringIO())
            out = io.StringIO()
            call_command(
                "reconcile_depositary",
                str(path),
                "--apply",
                "--reason",
                "UNTC list",
                "--source",
                "untc",
                stdout=out,
            )
        self.assertIn("Applied", out.getvalue())
        self.assertEqual(Participation.objects.get(state__iso2="NO").deposit_date, D(2008, 12, 3))
        self.assertEqual(
            Participation.objects.get(state__iso2="CV").history.first().history_change_reason, "UNTC list"
        )


class FuzzTestCase(SimpleTestCase):
    """Any bytes: a status list or one sentence, never another exception."""

    @hypothesis_settings(max_examples=150, deadline=None)
    @given(
        st.one_of(
            st.binary(max_size=400),
            st.text(max_size=400).map(str.encode),
            st.integers(min_value=1, max_value=len(XML) - 1).map(lambda n: XML[:n]),
            st.integers(min_value=1, max_value=4000).map(lambda n: CCM.read_bytes()[-n:]),
            st.lists(st.text(alphabet="PartcipnSgu,()aAd0123456789 \\n[]&<>", max_size=40), max_size=8).map(
                lambda cells: ("Participant,Signature,Ratification\\n" + ",".join(cells)).encode()
            ),
        ),
        st.sampled_from(["", "xml", "html", "csv"]),
    )
    def test_it_never_fails_with_anything_but_a_sentence(self, data, kind):
        try:
            status = depositary.read(data, kind)
        except depositary.DepositaryFormatError as error:
            self.assertNotIn("\\n", str(error))
        else:
            self.assertTrue(status.rows)


class CountsTestCase(SimpleTestCase):
    def test_the_header_counts_are_read(self):
        """'Signatories : 107. Parties : 112' on the CCM's page as at 3 February 2026."""
        status = read(CCM)
        self.assertEqual((status.signatories, status.parties), (107, 112))
        self.assertEqual(read(APMBC).parties is not None, True)


class CountsDifferenceTestCase(TestCase):
    def test_counts_that_differ_are_shown_for_information(self):
        treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3))
        factory.make_participation(treaty, factory.make_state("NO", "Norway"), signature_date=D(2008, 12, 3))
        status = depositary.StatusList(
            rows=[], kind="html", as_at=D(2026, 2, 3), signatories=107, parties=112
        )
        differences = reconciliation.compare(status, treaty)
        self.assertEqual([d.what for d in differences], [reconciliation.COUNTS, reconciliation.NOT_LISTED])
        difference = differences[0]
        self.assertFalse(difference.applicable)
        self.assertEqual(difference.tracker, "1 signatories, 0 parties that day")
        self.assertIn("112 parties", difference.depositary)


class XmlRecordsTestCase(SimpleTestCase):
    def test_records_named_after_their_columns_are_read(self):
        """Without a header row, elements named Name, Signature, Ratification give the columns."""
        xml = (
            b"<Treaty><Participants>"
            b"<Participant><Name>Afghanistan</Name><Signature/><Ratification>8 Sep 2011</Ratification></Participant>"
            b"<Participant><Name>Japan</Name><Signature>3 Dec 2008</Signature>"
            b"<Ratification>14 Jul 2009 A</Ratification></Participant>"
            b"</Participants></Treaty>"
        )
        rows = rows_by_name(depositary.read(xml))
        self.assertEqual(rows["Japan"].instrument, "acceptance")
        self.assertEqual(rows["Afghanistan"].deposit_date, D(2011, 9, 8))
