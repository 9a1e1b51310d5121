"""Restore a backup written by export_backup into an empty database, checking every row first.

A backup file can be damaged, or changed by hand. Before anything is committed,
every row is checked as the admin would check it, with the whole backup loaded:

* the file is read (gzip, UTF-8, JSON) and every item is a row of a model a
  backup holds, with fields that model has;
* each row passes its model's validation, every part of ``full_clean()``: its
  values, unique fields and constraints before it is saved (against the rows
  saved before it), its links and ``clean()`` once every row is in;
* the dates the rules compute are those the rules give (``Treaty.compute_dates()``,
  ``Participation.compute_dates()``, ``Obligation.compute_deadlines()``);
* every history row's type is + (created), ~ (changed) or - (deleted), and the
  editor it names is a user of the backup;
* nobody gets into the admin (staff or superuser) unless named with
  ``--accept-admin-users``: a changed backup could otherwise add an account.

Any problem refuses the whole restore with one sentence per problem, and the
database is left as it was. Rows are saved raw, as ``loaddata`` saves them: no
``save()`` runs, no history row is written, computed dates are taken from the
file (and then checked).
"""

import gzip
import json
import os
import zlib
from collections import Counter

from django.contrib.auth.models import Group, User
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.core.serializers.base import deserialize_fk_value, deserialize_m2m_values
from django.db import DatabaseError, IntegrityError, connection, transaction

from tracker.management.commands.export_backup import backup_models
from tracker.models import Obligation, Participation, Treaty

SHOWN = 20  # problems listed one by one; the rest are counted
HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


class Refused(Exception):
    """The backup has problems: ``problems`` says each in a sentence."""

    def __init__(self, problems):
        super().__init__(problems)
        self.problems = problems if isinstance(problems, list) else [problems]


def refusal(problems, path):
    lines = [f"The backup {path} was not restored, and the database is unchanged:"]
    lines += [f"- {problem}" for problem in problems[:SHOWN]]
    if len(problems) > SHOWN:
        lines.append(f"- and {len(problems) - SHOWN} more.")
    return "\n".join(lines)


def is_history(model):
    return hasattr(model, "instance_type")  # simple-history's historical models


def _value(value):
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    text = str(value)
    return f"“{text[:60]}…”" if len(text) > 60 else f"“{text}”"


def _sentences(where, obj, error):
    """One sentence per field of a ValidationError about ``obj``, each starting with ``where``."""
    sentences = []
    for name, errors in (
        error.error_dict.items() if hasattr(error, "error_dict") else [("", error.error_list)]
    ):
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:  # a message about the whole row
            sentences.append(f"{where}: {' '.join(ValidationError(errors).messages)}")
            continue
        if field.is_relation and any(e.code == "invalid" for e in errors):
            value = getattr(obj, field.attname)
            sentences.append(f"{where}: its {field.verbose_name} {_value(value)} is not in the backup.")
        else:
            sentences.append(f"{where}: {field.verbose_name}: {' '.join(ValidationError(errors).messages)}")
    return sentences


def check_stored_values(obj, exclude):
    """What the database needs of a history row's values: no null where it allows none, no value too long.

    Not the rest of clean_fields(): a history row keeps a value as it was stored,
    blank or of a choice since removed.
    """
    errors = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = getattr(obj, field.attname)
        if value is None:
            if not field.null:
                errors[field.name] = ["It is empty, and the database needs a value."]
            continue
        try:
            field.run_validators(value)
        except ValidationError as error:
            errors[field.name] = error.messages
    if errors:
        raise ValidationError(errors)


def read(path):
    """The list of rows in the backup file at ``path``; Refused, in words, if it cannot be read."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as stream:
            text = stream.read()
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise Refused("The file is not a complete gzip file: it is damaged or cut short.") from None
    except UnicodeDecodeError:
        raise Refused("The file is not UTF-8 text, so it is not a backup written by export_backup.") from None
    except OSError as error:
        raise Refused(f"The file cannot be read: {error.strerror or 'the system refused'}.") from None
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as error:
        raise Refused(
            f"The file is not valid JSON (it breaks at line {error.lineno}, column {error.colno}): "
            "it is damaged, or not a backup written by export_backup."
        ) from None
    if not isinstance(rows, list):
        raise Refused("The file is JSON but not a backup: a backup is a list of rows.")
    return rows


class Restore:
    """Load the rows of a backup and check them; ``problems`` lists, in words, what is wrong."""

    def __init__(self, rows, accepted):
        self.rows = rows
        self.accepted = accepted
        self.models = {model._meta.label_lower: model for model in backup_models()}
        self.problems = []
        self.loaded = []  # (row number, DeserializedObject)
        self.row_of = {}  # (model, pk) → row number

    def where(self, number, model, item_or_object):
        if isinstance(item_or_object, dict):
            fields = item_or_object.get("fields") or {}
            pk = item_or_object.get("pk")
        else:
            fields = {"username": getattr(item_or_object, "username", None)}
            fields["name"] = getattr(item_or_object, "name", None)
            pk = item_or_object.pk
        if model is User:
            return f"Row {number} (the user {_value(fields.get('username'))})"
        if model is Group:
            return f"Row {number} (the group {_value(fields.get('name'))})"
        return f"Row {number} ({model._meta.verbose_name} {pk})"

    def stop_if_refused(self):
        if self.problems:
            raise Refused(self.problems)

    # --- what the file says, before the database is touched ----------------------------

    def check_items(self):
        """Each item a row of a covered model, with its fields; history types; editors; admin users."""
        unknown = Counter()
        usernames = {
            str((item.get("fields") or {}).get("username"))
            for item in self.rows
            if isinstance(item, dict) and item.get("model") == "auth.user"
        }
        admins = []
        for number, item in enumerate(self.rows, 1):
            if not (
                isinstance(item, dict)
                and isinstance(item.get("model"), str)
                and isinstance(item.get("fields"), dict)
            ):
                self.problems.append(
                    f"Item {number} of the file is not a row: a row has a model and its fields."
                )
                continue
            model = self.models.get(item["model"].lower())
            if model is None:
                unknown[item["model"]] += 1
                continue
            where, fields = self.where(number, model, item), item["fields"]
            names = {field.name for field in [*model._meta.concrete_fields, *model._meta.many_to_many]}
            for name in fields:
                if name not in names:
                    self.problems.append(
                        f"{where} has a field “{name}” that a {model._meta.verbose_name} does not have."
                    )
            if is_history(model):
                kind = fields.get("history_type")
                if kind not in HISTORY_TYPES:
                    self.problems.append(
                        f"{where} has the history type {_value(kind)}; a history row is + (created), "
                        "~ (changed) or - (deleted)."
                    )
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model is User and fields.get(field.name) is not None:
                    editor = fields[field.name]
                    username = editor[0] if isinstance(editor, list) and len(editor) == 1 else editor
                    if not isinstance(username, str) or username not in usernames:
                        self.problems.append(
                            f"{where} names the user {_value(username)}, who is not in the backup."
                        )
            if model is User and (fields.get("is_superuser") or fields.get("is_staff")):
                role = "superuser" if fields.get("is_superuser") else "staff"
                if str(fields.get("username")) not in self.accepted:
                    admins.append((str(fields.get("username")), role))
        for label, count in sorted(unknown.items()):
            rows = "row" if count == 1 else "rows"
            self.problems.append(
                f"The file has {count} {rows} of “{label}”, which is not a kind of row a backup holds "
                "(users, groups, the tracker's records and their history, the admin's log)."
            )
        if admins:
            shown = ", ".join(f"{name} ({role})" for name, role in admins)
            names = ",".join(name for name, _ in admins)
            self.problems.append(
                f"The backup lets these users into the admin: {shown}. A changed backup could add an account "
                "this way, so none is restored unless you name it: if these are your colleagues, run the "
                f"command again with --accept-admin-users={names}."
            )
        self.stop_if_refused()

    # --- loading, row by row ------------------------------------------------------------

    def deserialize(self, number, model, item):
        where = self.where(number, model, item)
        try:
            objects = serializers.deserialize("python", [item], handle_forward_references=True)
            return next(iter(objects))
        except Exception:  # DeserializationError, or a value of the wrong shape
            self.problems.append(self.unreadable(where, model, item))
        return None

    def unreadable(self, where, model, item):
        """Which value of ``item`` cannot be read, in a sentence."""
        try:
            model._meta.pk.to_python(item.get("pk"))
        except ValidationError:
            return f"{where}: its key {_value(item.get('pk'))} is not a key of a {model._meta.verbose_name}."
        for name, value in item["fields"].items():
            field = model._meta.get_field(name)
            if field.is_relation:
                if value is not None and not isinstance(value, int | str | list):
                    return f"{where}: its {field.verbose_name} {_value(value)} is not a link to another row."
                continue
            try:
                field.to_python(value)
            except ValidationError as error:
                return f"{where}: its {field.verbose_name} {_value(value)} cannot be read: {' '.join(error.messages)}"
        return f"{where}: a link to another row cannot be read."

    def load(self):
        """Save every row raw (each in a savepoint), after the checks that need no other row."""
        for number, item in enumerate(self.rows, 1):
            model = self.models[item["model"].lower()]
            loaded = self.deserialize(number, model, item)
            if loaded is None:
                continue
            obj = loaded.object
            where = self.where(number, model, obj)
            key = (model, obj.pk)
            if obj.pk is not None and key in self.row_of:
                self.problems.append(
                    f"{where} repeats the row {self.row_of[key]}: a backup holds each row once."
                )
                continue
            links = [field.name for field in model._meta.concrete_fields if field.is_relation]
            try:
                if is_history(model):
                    check_stored_values(obj, exclude=[*links, "history_type"])
                else:
                    obj.clean_fields(exclude=links)
                    obj.validate_unique()
                    obj.validate_constraints()
            except ValidationError as error:
                self.problems.extend(_sentences(where, obj, error))
                continue
            # Rows named by natural key (users, groups) may exist already: the role groups do.
            natural = hasattr(model, "natural_key")
            try:
                with transaction.atomic():
                    loaded.save(force_insert=not natural)
            except (IntegrityError, DatabaseError) as error:
                rules = [c.name for c in model._meta.constraints if c.name in str(error)]
                rule = f"the rule “{rules[0]}”" if rules else "one of its rules"
                self.problems.append(f"{where} is refused by the database: it breaks {rule}.")
                continue
            self.row_of[(model, obj.pk)] = number
            self.loaded.append((number, loaded))
        for number, loaded in self.loaded:
            if loaded.deferred_fields:
                self.save_deferred(number, loaded)
        self.stop_if_refused()

    def save_deferred(self, number, loaded):
        """Links written by natural key to rows later in the file (or to none)."""
        model = type(loaded.object)
        where = self.where(number, model, loaded.object)
        for field, value in loaded.deferred_fields.items():
            try:
                if field.many_to_many:
                    deserialize_m2m_values(field, value, connection.alias, handle_forward_references=False)
                else:
                    deserialize_fk_value(field, value, connection.alias, handle_forward_references=False)
            except Exception:  # the named row does not exist (or the name is malformed)
                self.problems.append(
                    f"{where}: its {field.verbose_name} {_value(value)} is neither in the backup nor in the database."
                )
                return
        with transaction.atomic():
            loaded.save_deferred_fields()

    # --- checks with every row loaded ---------------------------------------------------

    def validate(self):
        """The links and clean() of every record; the computed dates."""
        for number, loaded in self.loaded:
            obj = loaded.object
            model = type(obj)
            if is_history(model):
                continue  # their links may name deleted records; their values were checked on loading
            where = self.where(number, model, obj)
            links = [field.name for field in model._meta.concrete_fields if field.is_relation]
            try:
                # The rest of full_clean(), whose other parts ran before the row was saved:
                # the links, now that every row is in, then the model's clean().
                obj.clean_fields(exclude=[f.name for f in model._meta.fields if f.name not in links])
                obj.clean()
            except ValidationError as error:
                self.problems.extend(_sentences(where, obj, error))
            except ObjectDoesNotExist:
                self.problems.append(f"{where} links to a row that is not in the backup.")
        self.check_computed_dates()
        self.stop_if_refused()

    def date_problem(self, obj, field_name, stored, computed):
        model = type(obj)
        field = model._meta.get_field(field_name)
        number = self.row_of.get((model, obj.pk), "?")
        shown = stored.isoformat() if stored else "empty"
        expected = computed.isoformat() if computed else "none"
        self.problems.append(
            f"Row {number} ({model._meta.verbose_name} “{obj}”): its {field.verbose_name} is {shown} in the "
            f"backup, but the treaty's rules give {expected}."
        )

    def check_computed_dates(self):
        thresholds = {}
        for treaty in Treaty.objects.all():
            threshold, eif = treaty.compute_dates()
            thresholds[treaty.pk] = threshold
            for name, computed in (("threshold_date", threshold), ("entry_into_force_date", eif)):
                if getattr(treaty, name) != computed:
                    self.date_problem(treaty, name, getattr(treaty, name), computed)
        in_force = {}
        for participation in Participation.objects.select_related("treaty", "state"):
            eif, withdrawal = participation.compute_dates(thresholds[participation.treaty_id])
            in_force[participation.pk] = eif
            for name, computed in (("entry_into_force_date", eif), ("withdrawal_effective_date", withdrawal)):
                if getattr(participation, name) != computed:
                    self.date_problem(participation, name, getattr(participation, name), computed)
        obligations = Obligation.objects.select_related("participation__treaty", "participation__state")
        for obligation in obligations.prefetch_related("extensions"):
            # Counted from the entry into force the rules give, so that a wrong one is reported once.
            obligation.participation.entry_into_force_date = in_force[obligation.participation_id]
            original, current, pending = obligation.compute_deadlines(list(obligation.extensions.all()))
            for name, computed in (("original_deadline", original), ("current_deadline", current)):
                if getattr(obligation, name) != computed:
                    self.date_problem(obligation, name, getattr(obligation, name), computed)
            if obligation.extension_pending != pending:
                number = self.row_of.get((Obligation, obligation.pk), "?")
                self.problems.append(
                    f"Row {number} (obligation “{obligation}”): it is marked as "
                    f"{'' if obligation.extension_pending else 'not '}awaiting a decision on an extension, "
                    f"but its extensions say {'it is' if pending else 'it is not'}."
                )

    def finish(self):
        """Point the id sequences past the restored ids; check every link the database defers."""
        models = list(self.models.values())
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
        try:
            connection.check_constraints(table_names=[model._meta.db_table for model in models])
        except IntegrityError:
            raise Refused(["A row links to another row that is not in the backup."]) from None


class Command(BaseCommand):
    help = (
        "Load a file written by export_backup into an EMPTY database: create the database, run "
        "'manage.py migrate', then this command. It refuses a database that already holds any "
        "record, history row, user or admin log entry (the role groups created by migrate are "
        "expected, and are updated from the file). Every row is checked before anything is "
        "committed (each model's validation, the dates the treaty rules compute, history types and "
        "editors); any problem refuses the whole file with one sentence per problem. Users who can "
        "enter the admin (staff or superusers) are restored only if named with --accept-admin-users."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A backup file (.json or .json.gz) written by export_backup")
        parser.add_argument(
            "--accept-admin-users",
            default="",
            metavar="NAMES",
            help="Comma-separated usernames of the backup's staff users and superusers, e.g. "
            "'alice,erin'. A backup giving admin access to anyone not named is refused, so that a "
            "changed file cannot slip in an account.",
        )

    def handle(self, path, accept_admin_users="", **options):
        if not os.path.isfile(path):
            raise CommandError(f"There is no file {path}.")
        if not path.endswith((".json", ".json.gz")):
            raise CommandError("A backup file's name ends in .json or .json.gz.")
        try:
            occupied = [
                model._meta.verbose_name_plural
                for model in backup_models()
                if model is not Group and model._base_manager.exists()
            ]
        except DatabaseError:
            raise CommandError(
                "The database has no tables yet (or cannot be reached): run 'manage.py migrate' first."
            ) from None
        if occupied:
            shown = ", ".join(str(name) for name in occupied[:5])
            more = f" and {len(occupied) - 5} more" if len(occupied) > 5 else ""
            raise CommandError(
                f"The database is not empty: it already has {shown}{more}. A backup is restored only "
                "into a new database: create one, run 'manage.py migrate', then run this command again."
            )
        accepted = {name.strip() for name in accept_admin_users.split(",") if name.strip()}
        try:
            restore = Restore(read(path), accepted)
            restore.check_items()
            with transaction.atomic():
                restore.load()
                restore.validate()
                restore.finish()
        except Refused as refused:
            raise CommandError(refusal(refused.problems, path)) from None
        except DatabaseError:
            # At commit (SQLite checks deferred links then), or the database went away.
            raise CommandError(
                refusal(["The database refused the rows at the end: a link between rows is broken."], path)
            ) from None
        self.stdout.write(f"Restored {len(restore.loaded)} rows from {path}, each checked.")
