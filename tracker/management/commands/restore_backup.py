import os

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker.management.commands.export_backup import backup_models


class Command(BaseCommand):
    help = (
        "Load a file written by export_backup into an EMPTY database: create the database, run "
        "'manage.py migrate', then this command. It refuses a database that already holds any "
        "record, history row, user or admin log entry (the role groups created by migrate are "
        "expected, and are updated from the file). Everything is loaded in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A backup file (.json or .json.gz) written by export_backup")

    def handle(self, path, **options):
        if not os.path.isfile(path):
            raise CommandError(f"There is no file {path}.")
        if not path.endswith((".json", ".json.gz")):
            raise CommandError("A backup file's name ends in .json or .json.gz.")
        occupied = [
            model._meta.verbose_name_plural
            for model in backup_models()
            if model is not Group and model._base_manager.exists()
        ]
        if occupied:
            shown = ", ".join(str(name) for name in occupied[:5])
            more = f" and {len(occupied) - 5} more" if len(occupied) > 5 else ""
            raise CommandError(
                f"The database is not empty: it already has {shown}{more}. A backup is restored only "
                "into a new database: create one, run 'manage.py migrate', then run this command again."
            )
        with transaction.atomic():
            call_command("loaddata", os.path.abspath(path), verbosity=0)
        count = sum(model._base_manager.count() for model in backup_models())
        self.stdout.write(f"Restored {count} rows from {path}.")
