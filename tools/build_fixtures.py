"""Build fixtures/ccm.json, the data the tracker ships with, from the data files in fixtures/data/.

    python3 tools/build_fixtures.py           # rewrite fixtures/ccm.json
    python3 tools/build_fixtures.py --check   # exit 1 if fixtures/ccm.json is out of date

fixtures/data/README.md documents the files. The script creates a temporary SQLite
database (its tables straight from the models: the migrations' history is not needed here), creates every object through the ORM with full_clean() then save() (so computed
dates come from the models, never from the files), checks quotations from the seed
documents verbatim, and writes the tracker's models with dumpdata: same data, same bytes.
"""

import argparse
import csv
import datetime
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import partial_dates  # noqa: E402  (plain Python: no Django needed yet)

DATA = ROOT / "fixtures" / "data"
FIXTURE = ROOT / "fixtures" / "ccm.json"
SEEDS = ROOT.parent / "shared" / "seeds"
# The treaty folders in the order the treaties were added (see _treaty_order).
TREATY_ORDER = ("ccm", "apmbc", "att")

# Every row's "last edited" stamp in the shipped data: the date of the depositary's
# status list the data is as at. A fixed value keeps the output byte-stable.
DATA_AS_AT = datetime.datetime(2026, 2, 3, tzinfo=datetime.UTC)


class DataError(Exception):
    """A mistake in a data file, said in one sentence naming the file, the record and the field."""


class Loader(yaml.SafeLoader):
    """YAML as the data files use it: no yes/no booleans (NO is Norway), dates kept as text."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith((":bool", ":timestamp"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping_without_duplicates(loader, node):
    # PyYAML keeps the last of two equal keys without a word; a data file must not.
    keys = [loader.construct_object(key_node) for key_node, _ in node.value]
    for position, key in enumerate(keys):
        if key in keys[:position]:
            mark = node.value[position][0].start_mark
            raise yaml.constructor.ConstructorError(None, None, f"{key!r} is given twice", mark)
    return loader.construct_mapping(node, deep=True)


Loader.add_constructor("tag:yaml.org,2002:map", _mapping_without_duplicates)


def shown(path):
    """The path as a message names it: relative to the repository when inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def read_yaml(path, kind):
    """Return a YAML file's content, which must be a list (kind=list) or a mapping (kind=dict)."""
    if not path.exists():
        return kind()
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise DataError(
            f"{shown(path)}{line}: not valid YAML ({getattr(error, 'problem', error)})."
        ) from None
    if not isinstance(data, kind | type(None)):
        raise DataError(f"{shown(path)}: expected a {'list of records' if kind is list else 'mapping'}.")
    return data or kind()


def records(path, *keys):
    """Yield (where, record) for each record of a CSV or YAML list file; ``where`` names the
    file, the line or record number and the values of ``keys``, for error messages."""

    def named(record):
        return " ".join(str(record.get(key)) for key in keys)

    if path.suffix == ".yaml":
        for number, record in enumerate(read_yaml(path, list), start=1):
            if not isinstance(record, dict):
                raise DataError(f"{shown(path)}, record {number}: expected lines of 'field: value'.")
            yield f"{shown(path)}, record {number} ({named(record)})", record
    elif path.exists():
        # utf-8-sig: a spreadsheet program may start the file with a byte-order mark.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                where = f"{shown(path)}, line {reader.line_num}"
                if None in row or None in row.values():
                    raise DataError(f"{where}: expected {len(reader.fieldnames)} columns.")
                yield f"{where} ({named(row)})", row


def parse_date(value, where):
    """Return (date, precision) for "2011-09-16", "2019-09", "2019", "late 2011" or "before 2019-08"."""
    text = str(value).strip()
    try:
        if match := re.fullmatch(r"(early|mid|late) (\d{4})", text):
            precision = match[1]
            return partial_dates.normalise(datetime.date(int(match[2]), 1, 1), precision), precision
        for pattern, precision in (
            (r"\d{4}-\d\d-\d\d", partial_dates.DAY),
            (r"\d{4}-\d\d", partial_dates.MONTH),
            (r"before \d{4}-\d\d", partial_dates.BEFORE),
            (r"\d{4}", partial_dates.YEAR),
        ):
            if re.fullmatch(pattern, text):
                # "2019" and "2019-09" mean their first day: pad them to a full ISO date.
                digits = text.removeprefix("before ")
                return datetime.date.fromisoformat((digits + "-01-01")[:10]), precision
    except ValueError:
        pass
    raise DataError(
        f"{where}: {text!r} is not a date (write 2011-09-16, 2019-09, 2019, late 2011 or before 2019-08)."
    )


class Builder:
    """Creates the objects of the data files, resolving natural keys to the objects made so far."""

    def __init__(self, seeds_folder):
        from tracker import models

        self.models = models
        self.seeds_folder = seeds_folder if seeds_folder.is_dir() else None
        self.seeds = {}  # source key -> (seed document's name, its normalised text or None)
        self.source_files = {}  # source key -> the file that defines it
        # Per related model: the objects a foreign key can name, by natural key.
        self.keys = {models.State: {}, models.Source: {}, models.Organisation: {}, models.AgendaTopic: {}}

    def make(self, model, record, where, obj=None, **fixed):
        """Build (or update) one object from a record, validate it as an admin form would, save it."""
        from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
        from django.db import DatabaseError

        obj = obj or model(**fixed)
        # The data files never name a date's precision: it is written in the date ("2019-09", "late 2011").
        precisions = model.PARTIAL_DATES
        for name, value in record.items():
            at = f"{where}, field {name}"
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                raise DataError(f"{where}: {model.__name__} has no field {name!r}.") from None
            if not field.editable or field.auto_created or name in precisions.values():
                why = "is written in the date itself" if name in precisions.values() else "is computed"
                raise DataError(f"{at}: this value {why}; remove the field.")
            if value is None and field.null:
                # YAML's null (~) empties a field whose default is a value: a rule the
                # treaty does not have (the Arms Trade Treaty's stockpile period).
                pass
            elif value is None or value == "":
                value = field.get_default()
            elif field.is_relation:
                value = self.lookup(field.related_model, value, at)
            elif field.get_internal_type() == "DateField":
                value, precision = parse_date(value, at)
                if name in precisions:
                    setattr(obj, precisions[name], precision)
                elif precision != partial_dates.DAY:
                    raise DataError(f"{at}: {record[name]!r} is not a day; this field takes exact days only.")
            setattr(obj, field.name, value)
        try:
            obj.full_clean()
            obj.save()
        except ValidationError as error:
            # The first problem is enough to fix; the next run shows the next one.
            field, messages = next(iter(error.message_dict.items()))
            field = "" if field == NON_FIELD_ERRORS else f", field {field}"
            raise DataError(f"{where}{field}: {messages[0]}") from None
        except DatabaseError as error:
            raise DataError(f"{where}: the database refused the record ({error}).") from None
        return obj

    def nested(self, model, items, where, **parent):
        """Build the records listed under a parent record (a meeting's parts, an obligation's extensions)."""
        if items is not None and not isinstance(items, list):
            raise DataError(f"{where}s: expected a list of records.")
        for number, item in enumerate(items or [], start=1):
            if not isinstance(item, dict):
                raise DataError(f"{where} {number}: expected lines of 'field: value'.")
            self.make(model, item, f"{where} {number}", **parent)

    def lookup(self, model, key, where):
        found = self.keys.get(model, {}).get(str(key))
        if found is None:
            raise DataError(f"{where}: no {model._meta.verbose_name} {str(key)!r} is in the data files.")
        return found

    def check_quotes(self, record, where):
        """Check that every quotation from a seed document is in it, verbatim."""
        quotes = record.pop("quotes", None) or {}
        if not isinstance(quotes, dict):
            raise DataError(f"{where}, field quotes: expected source keys, each with its quoted sentences.")
        for key, phrases in quotes.items():
            if key not in self.seeds:
                raise DataError(f"{where}, field quotes: {key!r} is not a source with a seed_document.")
            document, text = self.seeds[key]
            for phrase in [phrases] if isinstance(phrases, str) else phrases:
                if text is not None and normalised(phrase).rstrip(".") not in text:
                    raise DataError(f"{where}, field quotes: {document} does not contain {phrase!r}.")

    # --- one method per data file ----------------------------------------------

    def states(self, path):
        for where, row in records(path, "iso2"):
            state = self.make(self.models.State, row, where)
            self.keys[self.models.State][state.iso2] = state

    def sources(self, path):
        for key, record in read_yaml(path, dict).items():
            where = f"{shown(path)}, source {key}"
            if key in self.source_files:
                raise DataError(f"{where}: the key is also used in {self.source_files[key]}.")
            if not isinstance(record, dict):
                raise DataError(f"{where}: expected lines of 'field: value'.")
            if document := record.pop("seed_document", None):
                seed = self.seeds_folder / document if self.seeds_folder else None
                if seed and not seed.exists():
                    raise DataError(f"{where}, field seed_document: there is no {seed}.")
                self.seeds[key] = (document, normalised(seed.read_text(encoding="utf-8")) if seed else None)
            self.check_quotes(record, where)
            self.keys[self.models.Source][str(key)] = self.make(
                self.models.Source, record, where, key=str(key)
            )
            self.source_files[key] = shown(path)

    def organisations(self, path):
        for where, record in records(path, "slug"):
            self.check_quotes(record, where)
            organisation = self.make(self.models.Organisation, record, where)
            self.keys[self.models.Organisation][organisation.slug] = organisation

    def agenda_topics(self, path):
        # A sub-topic names a main topic listed before it.
        for where, record in records(path, "slug"):
            topic = self.make(self.models.AgendaTopic, record, where)
            self.keys[self.models.AgendaTopic][topic.slug] = topic

    def treaty(self, folder):
        """Build one treaty's folder: treaty.yaml first, then the records that refer to it."""
        models = self.models
        path = folder / "treaty.yaml"
        if not path.exists():
            raise DataError(f"{shown(folder)}: a treaty's folder needs a treaty.yaml.")
        record = read_yaml(path, dict)
        if record.get("slug") != folder.name:
            raise DataError(f"{shown(path)}, field slug: it must be the folder's name, {folder.name!r}.")
        treaty = self.make(models.Treaty, record, shown(path))
        # The meetings, groups and participations a record names are its own treaty's.
        for model in (models.Meeting, models.WorkingGroup, models.Participation):
            self.keys[model] = {}

        for where, row in records(folder / "participations.csv", "iso2"):
            row["state"] = row.pop("iso2", None)
            self.make(models.Participation, row, where, treaty=treaty)
        for participation in treaty.participations.select_related("state"):
            self.keys[models.Participation][participation.state.iso2] = participation

        for where, record in records(folder / "meetings.yaml", "short_name"):
            self.check_quotes(record, where)
            if record.get("short_name") and record["short_name"] in self.keys[models.Meeting]:
                raise DataError(f"{where}, field short_name: another meeting of the treaty has it.")
            parts, documents = record.pop("parts", None), record.pop("documents", None)
            meeting = self.make(models.Meeting, record, where, treaty=treaty)
            self.keys[models.Meeting][meeting.short_name] = meeting
            self.nested(models.MeetingPart, parts, f"{where}, part", meeting=meeting)
            self.nested(models.Document, documents, f"{where}, document", meeting=meeting)

        for where, record in records(folder / "working_groups.yaml", "slug"):
            self.check_quotes(record, where)
            group = self.make(models.WorkingGroup, record, where, treaty=treaty)
            self.keys[models.WorkingGroup][group.slug] = group

        for where, row in records(folder / "coordinators.csv", "group", "state"):
            self.make(models.CoordinatorAssignment, row, where)

        for where, record in records(
            folder / "statements.yaml", "meeting", "state", "organisation", "office"
        ):
            self.check_quotes(record, where)
            self.make(models.Statement, record, where)

        for where, record in records(folder / "pledges.yaml", "meeting", "donor_state", "donor_organisation"):
            self.check_quotes(record, where)
            codes = str(record.pop("recipients", None) or "").replace(";", " ").split()
            recipients = [self.lookup(models.State, code, f"{where}, field recipients") for code in codes]
            pledge = self.make(models.Pledge, record, where)
            pledge.recipients.set(recipients)

        for where, record in records(folder / "steps.yaml", "participation", "kind"):
            if "quotes" not in record and record.get("source") in self.seeds:
                # A step citing a seed quotes it: its description is the seed's own sentence.
                record["quotes"] = {record["source"]: [str(record.get("description"))]}
            self.check_quotes(record, where)
            self.make(models.RatificationStep, record, where)

        for where, record in records(folder / "obligations.yaml", "participation", "kind"):
            self.check_quotes(record, where)
            extensions = record.pop("extensions", None) or []
            participation = self.lookup(models.Participation, record.get("participation"), where)
            obligation = participation.obligations.filter(kind=record.get("kind")).first()
            if obligation is None:
                raise DataError(
                    f"{where}: {participation.state.iso2} has no {record.get('kind')} obligation "
                    "(only a State that deposited an instrument has a stockpile and a clearance one)."
                )
            obligation = self.make(models.Obligation, record, where, obj=obligation)
            self.nested(models.Extension, extensions, f"{where}, extension", obligation=obligation)

        for where, record in records(folder / "declarations.yaml", "participation", "kind"):
            self.make(models.Declaration, record, where)
        # What a State declared outside the depositary's record (a "suspension"…), written by hand.
        for where, record in records(folder / "statements-declared.yaml", "participation", "kind"):
            self.make(models.Declaration, record, where)

        for where, row in records(folder / "reports.csv", "participation", "kind", "period"):
            self.make(models.TransparencyReport, row, where)


def _treaty_order(folder):
    """Treaties in the order they were added to the tracker, any other folder after them by name:
    the CCM's rows keep their ids, and the first treaty entered stays the pages' default."""
    position = TREATY_ORDER.index(folder.name) if folder.name in TREATY_ORDER else len(TREATY_ORDER)
    return position, folder.name


def normalised(text):
    return re.sub(r"\s+", " ", text.replace("**", "").replace("*", "")).strip()


def build(data, seeds_folder, output):
    """Create every object of the data files in the (empty, migrated) database, then write
    them to ``output``; return a summary of the counts."""
    from django.core.management import call_command
    from django.db import transaction

    from tracker.models import TRACKED

    builder = Builder(seeds_folder)
    folders = sorted((folder for folder in data.iterdir() if folder.is_dir()), key=_treaty_order)
    with transaction.atomic():
        # Source keys are shared by all treaties, so every folder's sources come first
        # (sources.yaml, and any sources-<topic>.yaml beside it); then the States, which cite them.
        for folder in folders:
            for path in sorted(folder.glob("sources*.yaml")):
                builder.sources(path)
        builder.states(data / "states.csv")
        builder.organisations(data / "organisations.yaml")
        builder.agenda_topics(data / "agenda_topics.yaml")
        for folder in folders:
            builder.treaty(folder)
        # Shipped rows start at version 1 with one fixed timestamp, so the output is stable.
        for model in TRACKED.values():
            model.objects.update(version=1, updated_at=DATA_AS_AT)
    # What load_shipped_data loads, as JSON (UTF-8, ordered by primary key).
    labels = [model._meta.label for model in TRACKED.values()]
    call_command("dumpdata", *labels, indent=1, output=str(output), verbosity=0)
    return ", ".join(f"{model.objects.count()} {model.__name__}" for model in TRACKED.values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the output is up to date")
    parser.add_argument("--data", type=Path, default=DATA, help="the data files (default: fixtures/data)")
    parser.add_argument("--seeds", type=Path, default=SEEDS, help="the seed documents")
    parser.add_argument("--output", type=Path, default=FIXTURE, help="the fixture to write or check")
    args = parser.parse_args(argv)
    if not args.seeds.is_dir():
        print(f"No seed documents at {args.seeds}: the quotations from them are not checked.")

    with tempfile.TemporaryDirectory() as folder:
        os.environ["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(folder) / 'build.sqlite3'}"
        os.environ.setdefault("SECRET_KEY", "build-fixtures-only")
        import django
        from django.core.management import call_command

        django.setup()
        from django.conf import settings

        # Tables straight from the models, as Django's test runner can: much faster than
        # replaying every migration, and the same tables.
        settings.MIGRATION_MODULES = {app.label: None for app in django.apps.apps.get_app_configs()}
        call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
        built = Path(folder) / "built.json"
        try:
            summary = build(args.data, args.seeds, built)
        except DataError as error:
            sys.exit(str(error))
        if not args.check:
            shutil.copyfile(built, args.output)
            print(f"Wrote {shown(args.output)}: {summary}.")
        elif not args.output.exists() or built.read_bytes() != args.output.read_bytes():
            sys.exit(
                f"{shown(args.output)} is out of date with {shown(args.data)}/: run python3 tools/build_fixtures.py"
            )
        else:
            print(f"{shown(args.output)} is up to date with {shown(args.data)}/.")


if __name__ == "__main__":
    main()
