"""Compare the depositary's status list with the tracker and list every difference."""

import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker import depositary
from tracker.models import Participation, State, Treaty

FIELDS = ("signature_date", "deposit_date", "instrument", "provisional_application_date")


class Command(BaseCommand):
    help = (
        "Read the UN Treaty Collection status page of a treaty (saved as HTML, or a CSV scrape with the "
        "columns Participant, Signature, Provisional application, instrument) and list where it differs "
        "from the tracker: participants the tracker lacks, dates or instruments that differ, withdrawals, "
        "and participations the depositary does not list. Changes nothing: apply corrections in the admin "
        "(or with its CSV import), so that each one is recorded with a reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the saved status page (.html) or CSV scrape")
        parser.add_argument("--treaty", default="ccm", help="treaty slug (default: ccm)")
        parser.add_argument("--csv", action="store_true", help="write the differences as CSV on stdout")
        parser.add_argument(
            "--fail-on-difference", action="store_true", help="exit with status 1 when anything differs"
        )

    def handle(self, path, treaty, csv, fail_on_difference, **options):
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from None
        try:
            rows = depositary.parse(text)
        except depositary.DepositaryFormatError as error:
            raise CommandError(str(error)) from None
        treaty_obj = Treaty.objects.filter(slug=treaty).first()
        if treaty_obj is None:
            raise CommandError(f"No treaty with the slug {treaty!r}.")

        differences = self.compare(rows, treaty_obj)
        if csv:
            self.write_csv(differences)
        else:
            for state, field, depositary_value, tracker_value in differences:
                self.stdout.write(
                    f"{state}: {field}: depositary {depositary_value or '—'}, tracker {tracker_value or '—'}"
                )
        self.stdout.write(
            f"Compared {len(rows)} participants of the depositary's list with the {treaty_obj.short_name}: "
            f"{len(differences)} difference(s)."
        )
        if fail_on_difference and differences:
            sys.exit(1)

    def compare(self, rows, treaty):
        states = {depositary.normalise_name(s.name): s for s in State.objects.all()}
        participations = {
            p.state_id: p for p in Participation.objects.filter(treaty=treaty).select_related("state")
        }
        differences, seen = [], set()
        for row in rows:
            state = states.get(depositary.normalise_name(row.name))
            if state is None:
                differences.append((row.name, "participant", "listed", "no State of that name"))
                continue
            seen.add(state.pk)
            participation = participations.get(state.pk)
            for field in FIELDS:
                theirs = getattr(row, field)
                ours = getattr(participation, field) if participation else None
                if (theirs or None) != (ours or None):
                    differences.append((state.name, field, _text(theirs), _text(ours)))
            withdrawn = bool(participation and participation.withdrawal_notice_date)
            if row.withdrawn != withdrawn:
                differences.append(
                    (
                        state.name,
                        "withdrawal",
                        "withdrawn" if row.withdrawn else "",
                        "notice recorded" if withdrawn else "",
                    )
                )
        for state_id, participation in participations.items():
            has_facts = participation.signature_date or participation.deposit_date
            if state_id not in seen and has_facts:
                differences.append((participation.state.name, "participant", "not listed", "listed"))
        return differences

    def write_csv(self, differences):
        writer = csv.writer(self.stdout)
        writer.writerow(["state", "field", "depositary", "tracker"])
        writer.writerows(differences)


def _text(value):
    if value is None or value == "":
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
