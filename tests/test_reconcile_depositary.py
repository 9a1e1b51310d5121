"""Reading the depositary's status list and comparing it with the tracker."""

import datetime
import io
import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, TestCase

from tests import factory
from tracker import depositary

D = datetime.date

# Rows as the UN Treaty Collection's page writes them (entities, footnote marks, brackets).
HTML = """<html><body><table id="tblgrid">
<tr class="thead-one"><td>Participant<br></td><td>Signature<br></td>
<td>Provisional application(n)<br></td><td>Approval(AA), Acceptance(A), Accession(a), Ratification<br></td></tr>
<tr><td>Afghanistan<br></td><td> &nbsp;3 Dec\t 2008 <br></td><td>&nbsp;</td><td> &nbsp;8 Sep\t 2011 <br></td></tr>
<tr><td>Belize <SUP><A href='#1'>1</A> </SUP><br></td><td>&nbsp;</td><td> &nbsp;2 Sep\t 2014 n<br></td>
<td> &nbsp;2 Sep\t 2014 a<br></td></tr>
<tr><td>Japan<br></td><td> &nbsp;3 Dec\t 2008 <br></td><td>&nbsp;</td><td>14 Jul\t 2009 A<br></td></tr>
<tr><td>Lithuania <SUP>3</SUP><br></td><td>[ &nbsp;3 Dec\t 2008 ]<br></td><td>[24 Mar\t 2011 n]<br></td>
<td>[24 Mar\t 2011 ]<br></td></tr>
</table><table><tr><td>End notes</td></tr></table></body></html>"""

CSV = """Participant,Signature,Provisional application(n),"Approval(AA), Acceptance(A), Accession(a), Ratification"
Afghanistan,3 Dec 2008,,8 Sep 2011
Swaziland,,,13 Sep 2011 a
Cape Verde,3 Dec 2008,,19 Oct 2010
"""


class ParseTestCase(SimpleTestCase):
    def test_it_reads_the_html_page(self):
        """Dates, instrument marks, provisional application and the bracketed withdrawal are read."""
        rows = {row.name: row for row in depositary.parse(HTML)}
        self.assertEqual(set(rows), {"Afghanistan", "Belize", "Japan", "Lithuania"})
        self.assertEqual(
            (rows["Afghanistan"].deposit_date, rows["Afghanistan"].instrument),
            (D(2011, 9, 8), "ratification"),
        )
        self.assertEqual(rows["Belize"].instrument, "accession")
        self.assertEqual(rows["Belize"].provisional_application_date, D(2014, 9, 2))
        self.assertIsNone(rows["Belize"].signature_date)
        self.assertEqual(rows["Japan"].instrument, "acceptance")
        self.assertTrue(rows["Lithuania"].withdrawn)
        self.assertFalse(rows["Japan"].withdrawn)

    def test_it_reads_the_csv_scrape(self):
        """The older CSV scrape gives the same rows."""
        rows = depositary.parse(CSV)
        self.assertEqual([r.name for r in rows], ["Afghanistan", "Swaziland", "Cape Verde"])
        self.assertEqual(rows[1].instrument, "accession")

    def test_former_names_match_todays(self):
        """Swaziland is Eswatini, Cape Verde is Cabo Verde, 'St.' is 'Saint'."""
        n = depositary.normalise_name
        self.assertEqual(n("Swaziland"), n("Eswatini"))
        self.assertEqual(n("Cape Verde"), n("Cabo Verde"))
        self.assertEqual(n("St. Kitts and Nevis"), n("Saint Kitts and Nevis"))
        self.assertEqual(n("Côte d'Ivoire"), n("Cote d'Ivoire"))
        self.assertEqual(n("The former Yugoslav Republic of Macedonia"), n("North Macedonia"))

    def test_bad_input_is_refused_in_words(self):
        """Neither a table nor the expected CSV header: a clear error, no crash."""
        for text in (
            "",
            "hello",
            "<table><tr><td>x</td></tr></table>",
            "Participant,Signature\nX,1 Foo 2000",
        ):
            with self.subTest(text=text), self.assertRaises(depositary.DepositaryFormatError):
                depositary.parse(text)
        bad_date = CSV.replace("8 Sep 2011", "31 Smarch 2011")
        with self.assertRaisesMessage(depositary.DepositaryFormatError, "Row 2 (Afghanistan)"):
            depositary.parse(bad_date)


class ReconcileCommandTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3))
        factory.make_participation(
            cls.treaty,
            factory.make_state("AF", "Afghanistan"),
            signature_date=D(2008, 12, 3),
            deposit_date=D(2011, 9, 8),
        )
        factory.make_participation(
            cls.treaty,
            factory.make_state("SZ", "Eswatini", region="africa"),
            deposit_date=D(2011, 9, 13),
            instrument="accession",
        )
        factory.make_state("CV", "Cabo Verde", region="africa")
        factory.make_participation(
            cls.treaty, factory.make_state("NO", "Norway", region="europe"), signature_date=D(2008, 12, 3)
        )

    def run_command(self, text, *args):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "status.csv"
            path.write_text(text, encoding="utf-8")
            out = io.StringIO()
            call_command("reconcile_depositary", str(path), *args, stdout=out)
            return out.getvalue()

    def test_it_lists_every_difference_and_changes_nothing(self):
        """A missing participation, a State the depositary does not list; matching rows are silent."""
        output = self.run_command(CSV)
        self.assertIn("Cabo Verde: deposit: depositary 19 October 2010 ratification, tracker —", output)
        self.assertIn("Norway: not listed: depositary not listed", output)
        self.assertNotIn("Afghanistan", output)
        self.assertNotIn("Eswatini", output)
        self.assertIn("3 participants", output)
        self.assertFalse(self.treaty.participations.filter(state__iso2="CV").exists())

    def test_it_writes_csv(self):
        """--csv gives a header and one row per difference."""
        output = self.run_command(CSV, "--csv")
        self.assertTrue(output.startswith("state,field,depositary,tracker"))

    def test_it_refuses_an_unknown_treaty_or_file(self):
        """An unknown slug or an unreadable file is a CommandError, not a traceback."""
        with self.assertRaisesMessage(CommandError, "No treaty"):
            self.run_command(CSV, "--treaty", "nope")
        with self.assertRaisesMessage(CommandError, "Cannot read"):
            call_command("reconcile_depositary", "/nonexistent/status.html")
