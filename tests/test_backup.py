"""Backup and restore: the whole database, history included, round-trips through one file."""

import gzip
import tempfile
from io import StringIO
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import TestCase

from tests import factory
from tracker.management.commands.export_backup import backup_models
from tracker.models import Participation, RatificationStep


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
        # A fresh database: everything gone, then what migrate creates (types and permissions).
        if connection.vendor == "postgresql":
            # TRUNCATE refuses tables with foreign-key checks still deferred in this transaction.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        call_command("flush", interactive=False, verbosity=0)
        self.assertFalse(User.objects.exists())
        call_command("restore_backup", str(path), stdout=StringIO())
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
