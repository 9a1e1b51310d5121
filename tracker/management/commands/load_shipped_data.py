"""Load the shipped data (fixtures/ccm.json) into an empty database.

The fixture is loaded only when the database has no Treaty and no other tracker
rows yet, so running the command again changes nothing and never overwrites an
editor's work. Everything happens in one transaction. ``loaddata`` saves rows
raw, which records no history, so each loaded object then gets one initial
history row.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from tracker.models import TRACKED, Treaty

FIXTURE = settings.BASE_DIR / "fixtures" / "ccm.json"
CHANGE_REASON = "Loaded from the shipped data"


class Command(BaseCommand):
    help = "Load the shipped CCM data into a database that has no treaty yet; otherwise do nothing."

    def handle(self, *args, **options):
        if Treaty.objects.exists():
            self.stdout.write("Shipped data not loaded: the database already has a treaty.")
            return
        occupied = [model.__name__ for model in TRACKED.values() if model.objects.exists()]
        if occupied:
            self.stdout.write(
                "Shipped data not loaded: the database already has rows in " + ", ".join(occupied) + "."
            )
            return
        with transaction.atomic():
            call_command("loaddata", str(FIXTURE), verbosity=0)
            now = timezone.now()
            counts = []
            for model in TRACKED.values():
                objects = list(model.objects.order_by("pk"))
                model.history.bulk_history_create(
                    objects, default_change_reason=CHANGE_REASON, default_date=now
                )
                counts.append(f"{len(objects)} {model._meta.verbose_name_plural}")
        self.stdout.write(
            "Loaded the shipped data, each row with its initial history: " + ", ".join(counts) + "."
        )
