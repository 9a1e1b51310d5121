"""Compare the depositary's status list with the tracker, list every difference, and apply them on request."""

import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker import depositary, reconciliation
from tracker.models import Source, Treaty


class Command(BaseCommand):
    help = (
        "Read the UN Treaty Collection status list of a treaty (its XML file, the page saved as HTML, or a "
        "CSV scrape with the columns Participant, Signature, [Provisional application,] instrument) and list "
        "where it differs from the tracker: participants the tracker lacks, dates or instruments that differ, "
        "withdrawals, declarations in the end notes, names the depositary now uses, and participations the "
        "depositary does not list. Changes nothing unless --apply is given with a --reason: then every "
        "difference that can be applied is saved through the models, each with that reason in its history."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the status list (.xml, .html or .csv)")
        parser.add_argument("--treaty", default="ccm", help="treaty slug (default: ccm)")
        parser.add_argument(
            "--format", choices=depositary.KINDS, default="", help="the file's kind (default: tell)"
        )
        parser.add_argument("--csv", action="store_true", help="write the differences as CSV on stdout")
        parser.add_argument(
            "--fail-on-difference", action="store_true", help="exit with status 1 when anything differs"
        )
        parser.add_argument("--apply", action="store_true", help="apply every difference that can be applied")
        parser.add_argument(
            "--reason", default="", help="the reason kept in the history (required with --apply)"
        )
        parser.add_argument(
            "--source", default="", help="key of the source the applied facts cite (default: the treaty's)"
        )

    def handle(self, path, treaty, format, csv, fail_on_difference, apply, reason, source, **options):
        if apply and not reason.strip():
            raise CommandError(
                'Give the reason for the changes with --reason "…" (it is kept in the history).'
            )
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
        try:
            status_list = depositary.read(data, format)
        except depositary.DepositaryFormatError as error:
            raise CommandError(str(error)) from None
        treaty_obj = Treaty.objects.filter(slug=treaty).first()
        if treaty_obj is None:
            raise CommandError(f"No treaty with the slug {treaty!r}.")
        source_obj = treaty_obj.source
        if source:
            source_obj = Source.objects.filter(key=source).first()
            if source_obj is None:
                raise CommandError(f"No source with the key {source!r}.")

        differences = reconciliation.compare(status_list, treaty_obj)
        if csv:
            self.write_csv(differences)
        else:
            for difference in differences:
                state, what, theirs, ours = difference.as_row()
                self.stdout.write(f"{state}: {what}: depositary {theirs or '—'}, tracker {ours or '—'}")
        as_at = f" (status as at {status_list.as_at.isoformat()})" if status_list.as_at else ""
        self.stdout.write(
            f"Compared {len(status_list.rows)} participants of the depositary's list{as_at} with the "
            f"{treaty_obj.short_name}: {len(differences)} difference(s)."
        )
        if apply:
            try:
                count = reconciliation.apply(differences, treaty_obj, reason.strip(), source_obj)
            except (reconciliation.StaleError, reconciliation.ApplyError) as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"Applied {count} difference(s); the others are for an editor to look at.")
        elif fail_on_difference and differences:
            sys.exit(1)

    def write_csv(self, differences):
        writer = csv.writer(self.stdout)
        writer.writerow(["state", "field", "depositary", "tracker"])
        writer.writerows(d.as_row() for d in differences)
