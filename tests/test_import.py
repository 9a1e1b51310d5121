"""Importing States' treaty dates from a spreadsheet: preview, confirm with a reason, all or nothing."""

import datetime
import io
import threading
import time
import zipfile
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase, TransactionTestCase, override_settings

from tests import factory
from tracker.admin import importing
from tracker.models import Participation, State

# The UN Treaty Collection's CCM status page as a browser saves it (the start of
# shared/reference/untc/ccm_status_2026-02-03.html, with one row of its table).
UNTC_PAGE = (
    b'\r\n\r\n<!DOCTYPE html>\r\n\r\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en">\r\n\r\n'
    b'<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" /><title>\r\n'
    b"\tUnited Nations Treaty Collection\r\n</title></head>\r\n<body>"
    b'<table id="tblgrid"><tr><td>Afghanistan<br></td><td> &nbsp;3 Dec\t 2008 <br></td>'
    b"<td> &nbsp;8 Sep\t 2011 <br></td></tr></table></body></html>\r\n"
)

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
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return SimpleUploadedFile(name, data, content_type="text/csv")


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


class ImportBase(TestCase):
    """An editor, Erin, and the admin world; helpers to preview and confirm a file."""

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

    def confirm_data(self, preview, reason="Depositary status list as at 3 February 2026"):
        form = preview.context["confirm_form"]
        data = {name: form.initial.get(name, "") for name in form.fields}
        data["reason"] = reason
        return data

    def confirm(self, preview, reason="Depositary status list as at 3 February 2026", client=None):
        return (client or self.client).post(self.confirm_url, self.confirm_data(preview, reason))

    def snapshot(self):
        return (
            list(Participation.objects.order_by("pk").values()),
            Participation.history.count(),
        )

    def assertNothingChanged(self, before):
        self.assertEqual(self.snapshot(), before)

    def assertRefused(self, response, message, before):
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("confirm_form", response.context)
        self.assertContains(response, message)
        self.assertNothingChanged(before)


class ImportTestCase(ImportBase):
    """The import as an editor uses it, and the files and rows it refuses."""

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

    def test_a_file_that_is_not_utf8_is_refused(self):
        """A Latin-1 file is refused with advice on saving it as UTF-8."""
        before = self.snapshot()
        text = "name,iso2,signature_date\nCôte d’Ivoire,CI,2008-12-04\n".replace("’", "'")
        self.assertRefused(
            self.preview(text, encoding="latin-1"), "The file is not UTF-8 text (line 2", before
        )

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
        """The import is for editors: the page is forbidden to reviewers, and a confirmation they post gets a message."""
        r = self.preview(STATES_CSV)
        self.client.force_login(factory.make_user("rita", groups=["reviewers"]))
        before = self.snapshot()
        self.assertEqual(self.client.get(self.url).status_code, 403)
        r = self.client.post(self.confirm_url, self.confirm_data(r))
        self.assertRedirects(r, "/admin/", fetch_redirect_response=False)
        self.assertIn("Only editors can import", messages_of(r)[0])
        self.assertNothingChanged(before)


class ImportConflictTestCase(ImportBase):
    """Confirming a preview whose participations changed since is refused, and nothing is applied."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.alice = factory.make_user("alice", groups=["editors"])

    def assertRefusedConfirm(self, response, before, *expected):
        self.assertRedirects(response, self.url, fetch_redirect_response=False)
        shown = messages_of(response)
        self.assertTrue(shown[0].startswith("Nothing was imported"), shown)
        for text in expected:
            self.assertTrue(any(text in line for line in shown), (text, shown))
        self.assertNothingChanged(before)
        return shown

    def test_a_record_saved_since_the_preview_refuses_the_import(self):
        """Alice saves Angola between Erin's preview and confirmation: nothing is imported, and the message says what she changed."""
        r = self.preview(STATES_CSV)
        angola = Participation.objects.get(pk=self.w.ao.pk)
        factory.edit_as(angola, self.alice, "Declaration received", notes="Declaration on Art. 21")
        before = self.snapshot()
        self.assertRefusedConfirm(
            self.confirm(r),
            before,
            "1 of the file's participations changed since the preview",
            "Angola – CCM was saved by alice on",
            "(reason given: “Declaration received”) since the preview: Notes (empty) → “Declaration on Art. 21”",
        )
        angola.refresh_from_db()
        self.assertIsNone(angola.deposit_date)  # the file's deposit was not applied

    def test_a_row_the_preview_left_unchanged_is_not_written_over_either(self):
        """Lebanon's row matched the record at the preview; Alice's later correction stops the import."""
        r = self.preview(STATES_CSV)
        lebanon = Participation.objects.get(pk=self.w.lb.pk)
        factory.edit_as(lebanon, self.alice, "Notification date", deposit_date=D(2010, 11, 8))
        before = self.snapshot()
        self.assertRefusedConfirm(
            self.confirm(r), before, "Lebanon – CCM was saved by alice", "5 November 2010 → 8 November 2010"
        )
        lebanon.refresh_from_db()
        self.assertEqual(lebanon.deposit_date, D(2010, 11, 8))

    def test_several_saves_since_the_preview_are_counted(self):
        """Two saves since the preview: the message counts them and names the latest editor."""
        r = self.preview(STATES_CSV)
        angola = Participation.objects.get(pk=self.w.ao.pk)
        factory.edit_as(angola, self.editor, "First", notes="One")
        factory.edit_as(angola, self.alice, "Second", notes="Two")
        before = self.snapshot()
        self.assertRefusedConfirm(
            self.confirm(r),
            before,
            "Angola – CCM was saved 2 times since the preview, most recently by alice",
        )

    def test_a_participation_added_since_the_preview_refuses_the_import(self):
        """Afghanistan had no participation at the preview; one added since is a conflict, not a row to overwrite."""
        r = self.preview(DEPOSITARY_CSV, treaty=str(self.w.treaty.pk))
        factory.make_participation(self.w.treaty, State.objects.get(iso2="AF"), signature_date=D(2008, 12, 3))
        before = self.snapshot()
        self.assertRefusedConfirm(self.confirm(r), before, "Afghanistan – CCM was added by")
        self.assertFalse(Participation.objects.filter(state__iso2="AD").exists())

    def test_a_participation_deleted_since_the_preview_refuses_the_import(self):
        """Lebanon's participation, deleted by Alice after the preview, is named with who deleted it."""
        r = self.preview(STATES_CSV)
        lebanon = Participation.objects.get(pk=self.w.lb.pk)
        lebanon._history_user, lebanon._change_reason = self.alice, "Entered twice"
        lebanon.delete()
        before = self.snapshot()
        self.assertRefusedConfirm(self.confirm(r), before, "Lebanon – CCM was deleted by alice")

    def test_of_two_imports_previewed_together_the_second_confirmation_is_refused(self):
        """Erin and Alice preview files touching Angola; Erin confirms first; Alice's confirmation is refused."""
        second = Client()
        second.force_login(self.alice)
        mine = self.preview(STATES_CSV)
        data = {
            "resource": "0",
            "format": "0",
            "import_file": upload(STATES_CSV.replace("2011-01-10", "2011-01-11")),
        }
        theirs = second.post(self.url, data)
        self.assertEqual(self.confirm(mine).status_code, 302)
        before = self.snapshot()
        self.assertRefusedConfirm(
            self.confirm(theirs, client=second),
            before,
            "Angola – CCM was saved by erin",
            "(empty) → 10 January 2011",
        )
        self.assertEqual(Participation.objects.get(pk=self.w.ao.pk).deposit_date, D(2011, 1, 10))

    def test_an_import_whose_records_did_not_change_still_goes_through(self):
        """A save to another State's participation between preview and confirmation does not stop the import."""
        r = self.preview(STATES_CSV)
        albania = Participation.objects.get(pk=self.w.al.pk)
        factory.edit_as(albania, self.alice, "Declaration", notes="Declaration")
        self.assertRedirects(self.confirm(r), "/admin/tracker/participation/", fetch_redirect_response=False)
        self.assertEqual(Participation.objects.get(pk=self.w.ao.pk).deposit_date, D(2011, 1, 10))


class ImportConfirmationTestCase(ImportBase):
    """A confirmation sent twice, incomplete or altered answers with a message in words and imports nothing."""

    def assertRefusedConfirm(self, response, before, text):
        self.assertRedirects(response, self.url, fetch_redirect_response=False)
        shown = messages_of(response)
        self.assertTrue(any(text in line for line in shown), (text, shown))
        self.assertNothingChanged(before)

    def test_a_confirmation_sent_twice_imports_once_and_then_says_so(self):
        """The second post of the same confirmation finds its file gone and explains why."""
        r = self.preview(STATES_CSV)
        data = self.confirm_data(r)
        self.assertEqual(self.client.post(self.confirm_url, data).status_code, 302)
        before = self.snapshot()
        self.assertRefusedConfirm(
            self.client.post(self.confirm_url, data), before, "this preview was already confirmed or refused"
        )

    def tampered(self, **changes):
        r = self.preview(STATES_CSV)
        data = {**self.confirm_data(r), **changes}
        for name in [name for name, value in changes.items() if value is None]:
            del data[name]
        before = self.snapshot()
        return self.client.post(self.confirm_url, data), before

    def test_a_confirmation_without_its_file_name_is_refused(self):
        """import_file_name missing: a message, nothing imported."""
        r, before = self.tampered(import_file_name=None)
        self.assertRefusedConfirm(r, before, "Nothing was imported: the confirmation form was changed")

    def test_a_confirmation_naming_another_file_is_refused(self):
        """import_file_name pointing elsewhere is refused: the signed preview names the uploaded file."""
        r, before = self.tampered(import_file_name="../../etc/passwd")
        self.assertRefusedConfirm(r, before, "the confirmation form was changed after the preview")

    def test_a_confirmation_with_another_format_is_refused(self):
        """A format that is not the previewed one (or not a number) is refused, not a 500."""
        for value in ("7", "csv", None):
            with self.subTest(format=value):
                r, before = self.tampered(format=value)
                self.assertRefusedConfirm(r, before, "Nothing was imported")

    def test_a_confirmation_with_another_treaty_or_source_is_refused(self):
        """The hidden treaty and source are the previewed ones."""
        other = factory.make_source("Another document")
        for changes in ({"source": str(other.pk)}, {"treaty": "999"}):
            with self.subTest(**changes):
                r, before = self.tampered(**changes)
                self.assertRefusedConfirm(r, before, "Nothing was imported")

    def test_a_forged_or_missing_signed_preview_is_refused(self):
        """The preview's signed data cannot be edited, left out or made up."""
        r = self.preview(STATES_CSV)
        signed = self.confirm_data(r)["preview"]
        cases = {
            signed[:-2] + "xx": "the confirmation form was changed after the preview",
            "e30:1tzmlR:forged": "the confirmation form was changed after the preview",
            "": "the confirmation form is incomplete or was changed after the preview",
            None: "the confirmation form is incomplete or was changed after the preview",
        }
        for value, message in cases.items():
            with self.subTest(preview=value):
                r, before = self.tampered(preview=value)
                self.assertRefusedConfirm(
                    r, before, f"Nothing was imported: {message}. Upload the file again"
                )

    def test_a_preview_older_than_a_day_is_refused(self):
        """A confirmation sent more than a day after its preview is refused."""
        r = self.preview(STATES_CSV)
        before = self.snapshot()
        later = time.time() + 25 * 3600
        with mock.patch("django.core.signing.time.time", return_value=later):
            response = self.confirm(r)
        self.assertRefusedConfirm(response, before, "the preview is more than a day old")

    def test_a_preview_is_confirmed_only_by_the_editor_who_made_it(self):
        """Another editor posting Erin's confirmation is refused."""
        r = self.preview(STATES_CSV)
        other = Client()
        other.force_login(factory.make_user("alice", groups=["editors"]))
        before = self.snapshot()
        response = self.confirm(r, client=other)
        self.assertRefusedConfirm(response, before, "the preview was made by another user")

    def test_a_get_of_the_confirmation_address_is_not_an_error(self):
        """The confirmation address only takes a POST: a GET gets 405, not a 500."""
        self.assertEqual(self.client.get(self.confirm_url).status_code, 405)


class WrongFileTestCase(ImportBase):
    """A file of the wrong kind gets one sentence in words, never Python's exception text."""

    def assertWrongFile(self, data, message, name="states.csv"):
        before = self.snapshot()
        r = self.preview(data, name=name)
        self.assertRefused(r, message, before)
        for python in ("Error", "Traceback", "new-line character", "codec", "encountered"):
            self.assertNotContains(r, python)

    def test_the_untc_status_page_is_refused_as_a_web_page(self):
        """The UN Treaty Collection's HTML page is named as such, with what to do instead."""
        self.assertWrongFile(UNTC_PAGE, "This is a web page (HTML), not a CSV file.", name="ccm.csv")

    def test_an_xml_file_is_refused(self):
        """An XML file is named as such."""
        xml = b'<?xml version="1.0" encoding="UTF-8"?>\n<states><state iso2="LB"/></states>\n'
        self.assertWrongFile(xml, "This is an XML file, not a CSV file.")

    def test_an_excel_workbook_is_refused_with_how_to_save_as_csv(self):
        """An .xlsx (a zip) is named, with the menu that saves it as CSV."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as workbook:
            workbook.writestr("[Content_Types].xml", "<Types/>")
            workbook.writestr("xl/workbook.xml", "<workbook/>")
        self.assertWrongFile(
            buffer.getvalue(), "This is a spreadsheet workbook (.xlsx, .ods)", name="states.xlsx"
        )
        self.assertWrongFile(buffer.getvalue(), "CSV UTF-8 (Comma delimited)", name="states.xlsx")

    def test_a_binary_file_is_refused(self):
        """Random bytes are not UTF-8 text."""
        self.assertWrongFile(bytes(range(128, 256)) * 8, "The file is not UTF-8 text")

    def test_an_empty_file_is_refused(self):
        """An empty upload is refused in words."""
        self.assertWrongFile(b"", "The submitted file is empty.")
        self.assertWrongFile(b"\n\n", "The file is empty.")

    def test_a_file_with_nul_bytes_is_refused(self):
        """NUL bytes mean a file that is not text: the line of the first is named."""
        self.assertWrongFile(
            b"iso2,treaty,notes\nLB,ccm,a\x00b\n", "The file holds NUL bytes (the first on line 2)"
        )

    def test_a_utf16_file_is_refused(self):
        """Excel's 'Unicode text' (UTF-16) is named, with how to save as UTF-8."""
        self.assertWrongFile("iso2,treaty\nLB,ccm\n".encode("utf-16"), "saved as UTF-16")

    def test_a_huge_line_is_refused(self):
        """A line of 200,000 characters is refused with its length."""
        text = "iso2,treaty,notes\nLB,ccm," + "x" * 200_000 + "\n"
        self.assertWrongFile(text, "Line 2 is 200,007 characters long")

    def test_an_unclosed_quotation_mark_is_named_not_python(self):
        """A quotation mark that never closes, swallowing the rest of a long file, is named by its line."""
        text = 'iso2,treaty,notes\nLB,ccm,"never closed\n' + ("AO,ccm," + "x" * 100 + "\n") * 1400
        self.assertWrongFile(text, "The file cannot be read as CSV from line 2 on")


class ControlCharacterTestCase(ImportBase):
    """Cells may hold tabs and line breaks, and no other control character."""

    def test_a_control_character_is_refused_with_its_line_and_column(self):
        """A BEL in Angola's notes is named by line, column and code point."""
        before = self.snapshot()
        text = "iso2,treaty,deposit_date,instrument,notes\nLB,ccm,2010-11-05,ratification,\nAO,ccm,2011-01-10,ratification,Bell\x07here\n"
        self.assertRefused(
            self.preview(text), "line 3, column 5 (notes): a control character (U+0007)", before
        )

    def test_control_characters_in_a_multi_line_cell_are_counted_on_their_own_line(self):
        """An escape on the second line of a quoted cell is reported on that line."""
        before = self.snapshot()
        text = 'iso2,treaty,notes\nLB,ccm,"first line\nsecond \x1b line"\n'
        self.assertRefused(self.preview(text), "line 3, column 3 (notes): an escape (U+001B)", before)

    def test_a_lone_carriage_return_is_refused(self):
        """A carriage return that does not end a line is a control character."""
        before = self.snapshot()
        text = "iso2,treaty,notes\nLB,ccm,one\rtwo\n"
        self.assertRefused(self.preview(text), "Line 2, column 11 holds a carriage return (U+000D)", before)

    def test_windows_line_endings_and_tabs_are_accepted(self):
        """CRLF line ends (Excel's) are read as line breaks; a tab in a cell is kept."""
        text = 'iso2,treaty,notes\r\nAO,ccm,"Declaration:\r\n\tArt. 21"\r\n'
        r = self.preview(text)
        self.assertIn("confirm_form", r.context, r.context["form"].errors if "form" in r.context else "")
        self.assertEqual(self.confirm(r).status_code, 302)
        self.assertEqual(Participation.objects.get(pk=self.w.ao.pk).notes, "Declaration:\n\tArt. 21")


@pytest.mark.postgres
class ConcurrentImportsTestCase(TransactionTestCase):
    """Two editors confirm imports of the same participation at the same moment, on two connections."""

    def setUp(self):
        self.w = factory.make_admin_world()
        # Superusers: an earlier transactional test may have flushed the role groups away.
        self.users = [factory.make_user(name, superuser=True) for name in ("alice", "bob")]

    def test_exactly_one_of_two_concurrent_confirmations_is_applied(self):
        """Both confirm at once; the locks make one wait, and it then finds Angola changed and imports nothing."""
        clients, confirmations = [], []
        for user, day in zip(self.users, ("10", "11"), strict=True):
            client = Client()
            client.force_login(user)
            text = STATES_CSV.replace("2011-01-10", f"2011-01-{day}")
            preview = client.post(
                ImportBase.url, {"resource": "0", "format": "0", "import_file": upload(text)}
            )
            form = preview.context["confirm_form"]
            confirmations.append(
                {**{name: form.initial.get(name, "") for name in form.fields}, "reason": user.username}
            )
            clients.append(client)
        barrier = threading.Barrier(2)
        responses = [None, None]
        check = importing.changes_since

        def slow_check(versions):
            # Hold the locks a moment, so that both confirmations are surely in flight together.
            result = check(versions)
            threading.Event().wait(0.5)
            return result

        def confirm(i):
            try:
                barrier.wait()
                responses[i] = clients[i].post(ImportBase.confirm_url, confirmations[i])
            finally:
                connection.close()

        with mock.patch.object(importing, "changes_since", slow_check):
            threads = [threading.Thread(target=confirm, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)

        targets = sorted(r.url for r in responses)
        self.assertEqual(targets, ["/admin/tracker/participation/", ImportBase.url])
        loser = next(r for r in responses if r.url == ImportBase.url)
        self.assertIn("Angola – CCM was saved by", " ".join(messages_of(loser)))
        winner = 0 if responses[0].url != ImportBase.url else 1
        angola = Participation.objects.get(pk=self.w.ao.pk)
        self.assertEqual(angola.deposit_date, D(2011, 1, 10 + winner))
        self.assertEqual(angola.history.filter(history_change_reason__startswith="Imported").count(), 1)
