import datetime
import gzip
import os
from itertools import chain

from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

# What a backup holds: the users and groups (with their permissions, by name),
# every tracker record and every history table, and the admin's action log.
BACKUP_LABELS = ("auth.group", "auth.user", "tracker", "admin.logentry")


def backup_models():
    """The models a backup holds, each after the models it refers to."""
    by_app = {}
    for label in BACKUP_LABELS:
        if "." in label:
            model = apps.get_model(label)
            by_app.setdefault(model._meta.app_config, []).append(model)
        else:
            config = apps.get_app_config(label)
            by_app.setdefault(config, []).extend(config.get_models())
    return serializers.sort_dependencies(by_app.items(), allow_cycles=True)


def _rows(model):
    # Links written by natural key (editors, content types) are fetched with the row.
    by_name = [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and hasattr(f.related_model, "natural_key")
    ]
    return model._base_manager.select_related(*by_name).order_by("pk").iterator(chunk_size=2000)


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; history timestamps keep all six digits."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class Command(BaseCommand):
    help = (
        "Write the whole database to one JSON file: every tracker record, every history table "
        "(deleted records included), the users and groups, and the admin's action log. The file "
        "is gzip-compressed when its name ends in .json.gz. Users, groups and permissions are "
        "written by name, so the file loads into any freshly migrated database with restore_backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Where to write, e.g. backups/tracker-2026-02-03.json.gz")

    def handle(self, path, **options):
        if not path.endswith((".json", ".json.gz")):
            raise CommandError("The file name must end in .json, or .json.gz to compress it.")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise CommandError(f"The folder {folder} does not exist.")
        models = backup_models()
        # Write beside the target and rename at the end, so that a failed backup never
        # leaves a truncated file under the expected name.
        partial = f"{path}.partial"
        opener = gzip.open if path.endswith(".gz") else open
        try:
            # One snapshot of the database, even while editors keep working (on SQLite the
            # transaction holds the write lock: editors wait for the backup to finish).
            outermost = not connection.in_atomic_block
            with transaction.atomic(), opener(partial, "wt", encoding="utf-8") as stream:
                if outermost and connection.vendor == "postgresql":
                    # Every table read as of the same moment, not just within one transaction.
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                rows = chain.from_iterable(_rows(m) for m in models)
                serializers.serialize(
                    "json",
                    rows,
                    stream=stream,
                    cls=ExactJSONEncoder,
                    use_natural_foreign_keys=True,
                    use_natural_primary_keys=True,
                )
                count = sum(m._base_manager.count() for m in models)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        self.stdout.write(f"Wrote {count} rows from {len(models)} tables to {path}.")
