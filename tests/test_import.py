"""Importing States' treaty dates from a spreadsheet: preview, confirm with a reason, all or nothing."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings

from tests import factory
from tracker.models import Participation

D = datetime.date
SOURCE = "UNTC MTDSG XXVI-6 status as at 2026-02-03 (copy: github mgaldino/treaties-ideal-point@746a24f data/raw/arms_control/html/ccm.html)"

# A few rows of the depositary list the secretariat keeps (shared/reference/ccm_states.csv).
DEPOSITARY_CSV = f"""state,iso2,signature_date,instrument,deposit_date,withdrawal_notice_date,withdrawal_effective_date,provisional_application_date,notes,source
Afghanistan,AF,2008-12-03,ratification,2011-09-08,,,,,{SOURCE}
Albania,AL,2008-12-03,ratification,2009-06-16,,,,,{SOURCE}
Andorra,AD,,accession,2013-04-09,,,,,{SOURCE}
Angola,AO,2008-12-03,,,,,,,{SOURCE}
Lithuania,LT,2008-12-03,ratification,2011-03-24,2024-09-06,2025-03-06,2011-03-24,Withdrawal notified 2024-09-06 (C.N.347.2024.TREATIES-XXVI-6); effective 2025-03-06 per art.20(3); UNTC shows entry in brackets. Provisional application of art.1 from 2011-03-24.,{SOURCE}
"""

# The layout of the public /states.csv, with computed columns that are not imported.
STATES_CSV = """name,iso2,treaty,region,status,in_force,signature_date,instrument,deposit_date,entry_into_force_date,withdrawal_notice_date,withdrawal_effective_date,provisional_application_date
Lebanon,LB,ccm,asia,party,true,2008-12-03,ratification,2010-11-05,2011-05-01,,,
Angola,AO,ccm,africa,party,false,2008-12-03,ratification,2011-01-10,2099-01-01,,,
Austria,AT,ccm,europe,party,true,2008-12-03,ratification,2009-04-02,2009-12-01,,,
"""


def upload(text, name="states.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


class ImportTestCase(TestCase):
    url = "/admin/tracker/participation/import/"
    confirm_url = "/admin/tracker/participation/process_import/"

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        for iso2, name in (("AF", "Afghanistan"), ("AD", "Andorra"), ("LT", "Lithuania")):
            factory.make_state(iso2, name)
        cls.editor = factory.make_user("erin", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def preview(self, text, name="states.csv", encoding="utf-8", **fields):
        data = {"resource": "0", "format": "0", "import_file": upload(text, name, encoding), **fields}
        return self.client.post(self.url, data)

    def confirm(self, preview, reason="Depositary status list as at 3 February 2026"):
        form = preview.context["confirm_form"]
        data = {name: form.initial.get(name, "") for name in form.fields}
        data["reason"] = reason
        return self.client.post(self.confirm_url, data)

    def snapshot(self):
        return (
            list(Participation.objects.order_by("pk").values()),
            Participation.history.count(),
        )

    def assertNothingChanged(self, before):
        self.assertEqual(self.snapshot(), before)

    # --- the happy paths ---------------------------------------------------------------

    def test_the_import_page_explains_the_format(self):
        """The upload form names the required and the ignored columns."""
        r = self.client.get(self.url)
        self.assertContains(r, "Required column: iso2")
        self.assertContains(r, "entry_into_force_date")

    def test_the_preview_shows_what_would_change_and_changes_nothing(self):
        """Angola would get a deposit; Lebanon and Austria are unchanged and not listed; nothing is saved."""
        before = self.snapshot()
        r = self.preview(STATES_CSV)
        self.assertEqual(r.status_code, 200)
        self.assertIn("confirm_form", r.context)
        rows = list(r.context["result"].valid_rows())
        self.assertEqual([row.import_type for row in rows], ["update"])
        self.assertContains(r, "2011-01-10")
        self.assertNothingChanged(before)

    def test_confirming_imports_with_the_editor_and_reason_in_the_history(self):
        """After confirmation Angola is a party and its history row names the editor, the file and the reason."""
        r = self.confirm(self.preview(STATES_CSV))
        self.assertEqual(r.status_code, 302)
        self.w.ao.refresh_from_db()
        self.assertEqual(self.w.ao.deposit_date, D(2011, 1, 10))
        self.assertEqual(self.w.ao.entry_into_force_date, D(2011, 7, 1))  # computed, not the file's 2099
        row = self.w.ao.history.latest()
        self.assertEqual(row.history_user, self.editor)
        self.assertEqual(
            row.history_change_reason,
            "Imported from states.csv: Depositary status list as at 3 February 2026",
        )

    def test_the_confirmation_needs_a_reason(self):
        """Confirming without a reason imports nothing."""
        before = self.snapshot()
        r = self.confirm(self.preview(STATES_CSV), reason="")
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "This field is required.")
        self.assertNothingChanged(before)

    def test_the_depositary_list_layout_is_accepted(self):
        """Rows without a treaty column take the treaty chosen in the form; notes are imported."""
        r = self.preview(DEPOSITARY_CSV, "ccm_states.csv", treaty=str(self.w.treaty.pk))
        self.assertIn("confirm_form", r.context, r.context.get("form") and r.context["form"].errors)
        types = sorted(row.import_type for row in r.context["result"].valid_rows())
        self.assertEqual(types, ["new", "new", "new"])  # Afghanistan, Andorra, Lithuania
        self.assertEqual(self.confirm(r).status_code, 302)
        lithuania = Participation.objects.get(state__iso2="LT")
        self.assertEqual(lithuania.withdrawal_effective_date, D(2025, 3, 6))  # computed by the rule
        self.assertEqual(lithuania.provisional_application_date, D(2011, 3, 24))
        self.assertIn("C.N.347.2024", lithuania.notes)
        andorra = Participation.objects.get(state__iso2="AD")
        self.assertEqual((andorra.instrument, andorra.signature_date), ("accession", None))

    def test_a_source_chosen_in_the_form_is_cited_on_the_imported_rows(self):
        """The optional source is set on every participation the import creates or changes."""
        r = self.preview(STATES_CSV, source=str(self.w.source.pk))
        self.confirm(r)
        self.w.ao.refresh_from_db()
        self.assertEqual(self.w.ao.source, self.w.source)
        self.w.lb.refresh_from_db()
        self.assertIsNone(self.w.lb.source)  # unchanged rows are not touched

    def test_rows_that_became_invalid_after_the_preview_cancel_the_whole_import(self):
        """If the data changed between preview and confirmation, nothing is imported."""
        r = self.preview(DEPOSITARY_CSV, treaty=str(self.w.treaty.pk))
        self.w.treaty.opened_for_signature_on = D(2009, 1, 1)
        self.w.treaty.save()
        before = self.snapshot()
        r = self.confirm(r)
        self.assertEqual(r.status_code, 302)
        self.assertNothingChanged(before)
        messages = [str(m) for m in r.wsgi_request._messages]
        self.assertTrue(any("Nothing was imported" in m for m in messages))

    # --- bad files: a message in words, and nothing changed ----------------------------

    def assertRefused(self, response, message, before):
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("confirm_form", response.context)
        self.assertContains(response, message)
        self.assertNothingChanged(before)

    def test_a_file_that_is_not_utf8_is_refused(self):
        """A Latin-1 file is refused with advice on saving it as UTF-8."""
        before = self.snapshot()
        text = "name,iso2,signature_date\nCôte d’Ivoire,CI,2008-12-04\n".replace("’", "'")
        self.assertRefused(self.preview(text, encoding="latin-1"), "The file is not UTF-8 text.", before)

    def test_a_file_without_the_iso_column_is_refused(self):
        """The missing key column is named."""
        before = self.snapshot()
        text = "name,signature_date\nLebanon,2008-12-03\n"
        self.assertRefused(self.preview(text), "The file has no &#x27;iso2&#x27; column", before)

    def test_a_file_without_a_treaty_needs_one_chosen(self):
        """Without a treaty column or a treaty chosen in the form, the form says what is missing."""
        before = self.snapshot()
        self.assertRefused(self.preview(DEPOSITARY_CSV, treaty=""), "choose the treaty", before)

    def test_unknown_codes_bad_dates_and_impossible_dates_are_listed_by_line(self):
        """Each invalid row is named by its line with the reason in words, and nothing is imported."""
        before = self.snapshot()
        text = (
            "iso2,treaty,signature_date,instrument,deposit_date\n"
            "XX,ccm,2008-12-03,,\n"  # line 2
            "AO,ccm,31/02/2011,,\n"  # line 3
            "AF,ccm,2010-05-01,ratification,2009-01-01\n"  # line 4
            "AD,ccm,,ratify,2013-04-09\n"  # line 5
            "LT,ccm,2008-12-03,ratification,2011-03-24\n"  # line 6: valid, still not imported
        )
        r = self.preview(text)
        self.assertContains(r, "Some rows are not valid: nothing was imported")
        self.assertContains(r, "No State has the ISO code “XX”")
        self.assertContains(r, "“31/02/2011” is not a date: write dates as YYYY-MM-DD")
        self.assertContains(r, "The instrument cannot be deposited before the State signed.")
        self.assertContains(r, "“ratify” is not a kind of instrument")
        lines = [row.number + 1 for row in r.context["result"].invalid_rows]
        self.assertEqual(lines, [2, 3, 4, 5])
        self.assertRefused(r, "Line", before)

    def test_a_state_twice_in_the_file_is_refused(self):
        """A duplicate row is named with both its lines."""
        before = self.snapshot()
        text = "iso2,treaty,deposit_date,instrument\nAF,ccm,2011-09-08,ratification\nAF,ccm,9/9/2011,ratification\n"
        r = self.preview(text)
        self.assertContains(r, "“9/9/2011” is not a date")  # the row's other errors are listed too
        self.assertRefused(r, "AF appears twice in the file (lines 2 and 3).", before)

    def test_an_unchanged_duplicate_is_refused_too(self):
        """Repeating a row identical to the database is still a duplicate."""
        before = self.snapshot()
        text = "iso2,treaty,deposit_date,instrument\nLB,ccm,2010-11-05,ratification\nLB,ccm,2010-11-05,ratification\n"
        self.assertRefused(self.preview(text), "LB appears twice in the file (lines 2 and 3).", before)

    @override_settings(TRACKER_IMPORT_MAX_BYTES=1024)
    def test_a_huge_file_is_refused(self):
        """A file over the size limit is refused before it is read."""
        before = self.snapshot()
        text = "iso2,treaty,notes\n" + "".join(f"AF,ccm,{'x' * 100}\n" for _ in range(20))
        self.assertRefused(self.preview(text), "at most 1 KB can be imported at once", before)

    def test_ragged_rows_are_refused(self):
        """Lines with more or fewer cells than the header are named."""
        before = self.snapshot()
        text = "iso2,treaty,deposit_date\nAF,ccm\n"
        self.assertRefused(self.preview(text), "line(s) 2", before)

    def test_reviewers_cannot_import(self):
        """The import is for editors: reviewers get a 403 on both steps."""
        self.client.force_login(factory.make_user("rita", groups=["reviewers"]))
        self.assertEqual(self.client.get(self.url).status_code, 403)
        self.assertEqual(self.client.post(self.confirm_url, {}).status_code, 403)
