"""Backup and restore: the whole database, history included, round-trips through one file."""

import gzip
import json
import tempfile
from io import StringIO
from pathlib import Path
from unittest import mock

from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import TestCase

from tests import factory
from tracker.management.commands import restore_backup
from tracker.management.commands.export_backup import backup_models
from tracker.models import Obligation, Participation, RatificationStep

# The test world's staff users (editors and reviewers are staff), accepted by name.
STAFF = "erin,rita"


def snapshot():
    """Every row of every backed-up table, users and permissions by name, in a stable order."""
    tables = {}
    for model in backup_models():
        rows = serializers.serialize(
            "python",
            model._base_manager.all(),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        tables[model._meta.label] = sorted(rows, key=repr)
    return tables


def fresh_database():
    """Everything gone, then what migrate creates (content types and permissions)."""
    if connection.vendor == "postgresql":
        # TRUNCATE refuses tables with foreign-key checks still deferred in this transaction.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if connection.vendor == "postgresql":
        # Back to deferred checks, as in the transaction of a restore on a new database.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def is_empty():
    return not any(model._base_manager.exists() for model in backup_models())


class BackupTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])
        cls.reviewer = factory.make_user("rita", groups=["reviewers"])
        factory.edit_as(cls.w.lb, cls.editor, "Depositary notification", notes="Declaration")
        step = cls.w.step
        cls.step_id = step.pk
        step._history_user, step._change_reason = cls.editor, "Duplicate"
        step.delete()

    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())

    def tearDown(self):
        # flush re-created the content types under new ids, now rolled back.
        ContentType.objects.clear_cache()

    def round_trip(self, name):
        path = self.folder / name
        out = StringIO()
        call_command("export_backup", str(path), stdout=out)
        self.assertIn("Wrote", out.getvalue())
        before = snapshot()
        fresh_database()
        self.assertFalse(User.objects.exists())
        call_command("restore_backup", str(path), stdout=StringIO(), accept_admin_users=STAFF)
        self.assertEqual(snapshot(), before)
        return path

    def test_a_backup_round_trips_every_row_history_included(self):
        """Records, history (deleted rows, editors, reasons), users, groups and the admin log come back."""
        self.round_trip("tracker.json")
        lebanon = Participation.objects.get(pk=self.w.lb.pk)
        self.assertEqual(lebanon.notes, "Declaration")
        latest = lebanon.history.latest()
        self.assertEqual(
            (latest.history_user.username, latest.history_change_reason), ("erin", "Depositary notification")
        )
        deleted = RatificationStep.history.filter(id=self.step_id).latest()
        self.assertEqual(deleted.history_type, "-")
        self.assertEqual(
            set(User.objects.get(username="rita").groups.values_list("name", flat=True)), {"reviewers"}
        )
        self.assertTrue(
            Group.objects.get(name="editors").permissions.filter(codename="change_state").exists()
        )

    def test_a_compressed_backup_round_trips_too(self):
        """A name ending in .json.gz gives a gzip file that restores the same rows."""
        path = self.round_trip("tracker.json.gz")
        with gzip.open(path, "rt") as backup:
            self.assertTrue(backup.read(1) == "[")

    def test_restore_refuses_a_database_that_is_not_empty(self):
        """Restoring over existing data is refused with a clear message, and changes nothing."""
        path = self.folder / "tracker.json"
        call_command("export_backup", str(path), stdout=StringIO())
        before = snapshot()
        with self.assertRaisesMessage(CommandError, "The database is not empty"):
            call_command("restore_backup", str(path), stdout=StringIO())
        self.assertEqual(snapshot(), before)

    def test_export_refuses_a_name_it_cannot_restore(self):
        """Only .json and .json.gz names are written, so that restore_backup can read them back."""
        with self.assertRaisesMessage(CommandError, "must end in .json"):
            call_command("export_backup", str(self.folder / "tracker.zip"))
        self.assertFalse((self.folder / "tracker.zip").exists())


class TamperedBackupTestCase(TestCase):
    """A damaged or changed backup is refused with one sentence per problem, and nothing is restored."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])
        cls.reviewer = factory.make_user("rita", groups=["reviewers"])
        factory.edit_as(cls.w.lb, cls.editor, "Depositary notification", notes="Declaration")

    def setUp(self):
        self.folder = Path(tempfile.mkdtemp())
        self.path = self.folder / "tracker.json"
        call_command("export_backup", str(self.path), stdout=StringIO())
        self.rows = json.loads(self.path.read_text(encoding="utf-8"))

    def tearDown(self):
        ContentType.objects.clear_cache()

    def row(self, label, **match):
        return next(
            row
            for row in self.rows
            if row["model"] == label and all(row.get(k, row["fields"].get(k)) == v for k, v in match.items())
        )

    def write(self, name="tracker.json"):
        path = self.folder / name
        path.write_text(json.dumps(self.rows), encoding="utf-8")
        return path

    def assertRefused(self, path, *sentences, accept=STAFF):
        fresh_database()
        with self.assertRaises(CommandError) as refused:
            call_command("restore_backup", str(path), stdout=StringIO(), accept_admin_users=accept)
        message = str(refused.exception)
        self.assertIn("was not restored, and the database is unchanged", message)
        for sentence in sentences:
            self.assertIn(sentence, message)
        self.assertNotIn("Traceback", message)
        self.assertTrue(is_empty(), "the database is not empty after a refused restore")
        return message

    def test_the_untouched_backup_restores(self):
        """The file these tests change restores as it is: each refusal below is the change's doing."""
        fresh_database()
        out = StringIO()
        call_command("restore_backup", str(self.path), stdout=out, accept_admin_users=STAFF)
        self.assertIn("each checked", out.getvalue())
        self.assertEqual(Participation.objects.get(pk=self.w.lb.pk).notes, "Declaration")

    def test_a_wrong_entry_into_force_date_is_refused(self):
        """Lebanon's entry into force moved by a month: the sentence gives both dates."""
        self.row("tracker.participation", pk=self.w.lb.pk)["fields"]["entry_into_force_date"] = "2011-06-01"
        self.assertRefused(
            self.write(),
            "(participation “Lebanon – CCM”): its entry into force is 2011-06-01 in the backup, "
            "but the treaty's rules give 2011-05-01.",
        )

    def test_a_wrong_deadline_and_treaty_date_are_refused(self):
        """An obligation's deadline and the treaty's entry into force are checked against the rules too."""
        stockpile = Obligation.objects.get(participation=self.w.lb, kind="stockpile")
        self.row("tracker.obligation", pk=stockpile.pk)["fields"]["current_deadline"] = "2030-05-01"
        self.row("tracker.treaty", pk=self.w.treaty.pk)["fields"]["entry_into_force_date"] = "2010-08-01"
        self.assertRefused(
            self.write(),
            "its current deadline is 2030-05-01 in the backup, but the treaty's rules give 2019-05-01.",
            "(treaty “CCM”): its entered into force is 2010-08-01 in the backup, but the treaty's rules "
            "give 2009-12-01.",
        )

    def test_an_extra_superuser_is_refused_unless_accepted(self):
        """A superuser added to the file is named, with the option that accepts it."""
        self.rows.insert(
            0,
            {
                "model": "auth.user",
                "fields": {"username": "mallory", "password": "x", "is_superuser": True, "is_staff": True},
            },
        )
        path = self.write()
        self.assertRefused(
            path,
            "The backup lets these users into the admin: mallory (superuser).",
            "--accept-admin-users=mallory",
        )
        fresh_database()
        call_command("restore_backup", str(path), stdout=StringIO(), accept_admin_users=STAFF + ",mallory")
        self.assertTrue(User.objects.get(username="mallory").is_superuser)

    def test_staff_users_are_restored_only_when_named(self):
        """Even a genuine backup's staff are named and refused until the command is told to accept them."""
        self.assertRefused(
            self.path, "erin (staff), rita (staff)", "--accept-admin-users=erin,rita", accept=""
        )

    def test_an_invalid_history_type_is_refused(self):
        """A history row must be created, changed or deleted."""
        self.row("tracker.historicalparticipation", id=self.w.lb.pk, history_type="~")["fields"][
            "history_type"
        ] = "!"
        self.assertRefused(
            self.write(),
            "has the history type “!”; a history row is + (created), ~ (changed) or - (deleted).",
        )

    def test_a_history_row_naming_an_unknown_user_is_refused(self):
        """The editor a history row names must be one of the backup's users."""
        self.row("tracker.historicalparticipation", id=self.w.lb.pk, history_type="~")["fields"][
            "history_user"
        ] = ["ghost"]
        self.assertRefused(self.write(), "names the user “ghost”, who is not in the backup.")

    def test_a_broken_gzip_file_is_refused(self):
        """A compressed backup cut short, and a plain file named .json.gz, are named as such."""
        whole = self.folder / "whole.json.gz"
        with gzip.open(whole, "wt", encoding="utf-8") as stream:
            json.dump(self.rows, stream)
        cut = self.folder / "cut.json.gz"
        cut.write_bytes(whole.read_bytes()[:-40])
        self.assertRefused(cut, "is not a complete gzip file")
        plain = self.folder / "plain.json.gz"
        plain.write_text(json.dumps(self.rows), encoding="utf-8")
        self.assertRefused(plain, "is not a complete gzip file")

    def test_invalid_json_is_refused(self):
        """A file cut in the middle of its JSON says where it breaks."""
        path = self.folder / "cut.json"
        path.write_text('[{"model": "auth.user", "fields": {', encoding="utf-8")
        self.assertRefused(path, "is not valid JSON (it breaks at line 1, column 36)")

    def test_json_that_is_not_a_backup_is_refused(self):
        """An object instead of a list, and items that are not rows, are refused."""
        path = self.folder / "object.json"
        path.write_text('{"model": "auth.user"}', encoding="utf-8")
        self.assertRefused(path, "is JSON but not a backup")
        self.rows[:0] = [1, {"model": "tracker.state"}]
        self.assertRefused(self.write(), "Item 1 of the file is not a row", "Item 2 of the file is not a row")

    def test_an_unknown_model_is_refused(self):
        """Rows of a model the backup does not hold (or that does not exist) are counted by model."""
        self.rows.append(
            {
                "model": "sessions.session",
                "pk": "x",
                "fields": {"session_data": "", "expire_date": "2026-01-01T00:00:00Z"},
            }
        )
        self.rows.append({"model": "nowhere.nothing", "pk": 1, "fields": {}})
        self.assertRefused(
            self.write(),
            "The file has 1 row of “nowhere.nothing”, which is not a kind of row a backup holds",
            "The file has 1 row of “sessions.session”",
        )

    def test_an_unknown_field_and_an_unreadable_value_are_refused(self):
        """A field the model does not have, and a date that is not a date, are named."""
        self.row("tracker.participation", pk=self.w.lb.pk)["fields"]["colour"] = "red"
        self.assertRefused(self.write(), "has a field “colour” that a participation does not have.")
        del self.row("tracker.participation", pk=self.w.lb.pk)["fields"]["colour"]
        self.row("tracker.participation", pk=self.w.ao.pk)["fields"]["signature_date"] = "31/02/2011"
        self.assertRefused(
            self.write(), f"(participation {self.w.ao.pk}): its signature date “31/02/2011” cannot be read"
        )

    def test_a_row_breaking_a_constraint_is_refused(self):
        """A deposit without an instrument breaks a check constraint; a second Lebanon row a unique one."""
        self.row("tracker.participation", pk=self.w.ao.pk)["fields"].update(
            deposit_date="2011-01-10", instrument=""
        )
        copy = json.loads(json.dumps(self.row("tracker.participation", pk=self.w.lb.pk)))
        copy["pk"] = 999
        self.rows.append(copy)
        self.assertRefused(
            self.write(),
            f"(participation {self.w.ao.pk}): Constraint “tracker_participation_instrument_with_deposit” is violated.",
            "Row ",
            "(participation 999): Participation with this Treaty and State already exists.",
        )

    def test_a_row_failing_its_model_validation_is_refused(self):
        """A signature before the treaty opened for signature passes the database but not the model's clean()."""
        self.row("tracker.participation", pk=self.w.ao.pk)["fields"]["signature_date"] = "2008-01-10"
        self.assertRefused(
            self.write(), f"(participation {self.w.ao.pk}): signature date: The CCM opened for signature on"
        )

    def test_a_link_to_a_missing_row_is_refused(self):
        """An obligation of a participation that is not in the backup."""
        stockpile = Obligation.objects.get(participation=self.w.lb, kind="stockpile")
        self.row("tracker.obligation", pk=stockpile.pk)["fields"]["participation"] = 9999
        self.assertRefused(
            self.write(), f"(obligation {stockpile.pk}): its participation “9999” is not in the backup."
        )

    def test_a_row_given_twice_is_refused(self):
        """The same row twice would silently replace the first: refused."""
        self.rows.append(self.row("tracker.state", iso2="LB"))
        self.assertRefused(self.write(), "repeats the row")

    def test_many_problems_are_listed_up_to_twenty(self):
        """Twenty-five bad history rows: twenty sentences, then how many more."""
        history = [row for row in self.rows if row["model"].startswith("tracker.historical")][:25]
        self.assertEqual(len(history), 25)
        for row in history:
            row["fields"]["history_type"] = "?"
        message = self.assertRefused(self.write(), "- and 5 more.")
        self.assertEqual(message.count("has the history type"), 20)

    def test_the_command_line_prints_a_sentence_and_exits_with_status_1(self):
        """From manage.py: 'CommandError:' and the sentences on stderr, exit status 1, no traceback."""
        path = self.folder / "cut.json"
        path.write_text("[{", encoding="utf-8")
        fresh_database()
        err = StringIO()
        command = restore_backup.Command(stdout=StringIO(), stderr=err)
        # run_from_argv closes the connections at the end: not the test's own, here.
        with (
            mock.patch("django.core.management.base.connections.close_all"),
            self.assertRaises(SystemExit) as exit,
        ):
            command.run_from_argv(["manage.py", "restore_backup", str(path)])
        self.assertEqual(exit.exception.code, 1)
        self.assertIn("CommandError: The backup", err.getvalue())
        self.assertIn("was not restored", err.getvalue())
        self.assertIn("is not valid JSON", err.getvalue())
        self.assertNotIn("Traceback", err.getvalue())


class ShippedDataBackupTestCase(TestCase):
    """The shipped data, with its initial history, passes every check of a restore."""

    def test_the_shipped_data_round_trips(self):
        """Exported and restored into a fresh database: every row comes back, and none is refused."""
        call_command("load_shipped_data", stdout=StringIO())
        path = Path(tempfile.mkdtemp()) / "shipped.json.gz"
        call_command("export_backup", str(path), stdout=StringIO())
        before = snapshot()
        fresh_database()
        call_command("restore_backup", str(path), stdout=StringIO())
        self.assertEqual(snapshot(), before)
        ContentType.objects.clear_cache()
