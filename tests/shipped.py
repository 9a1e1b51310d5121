"""The shipped data in a test's database, as ``manage.py load_shipped_data`` puts it there.

About forty test classes start from the shipped data. Loading it with the command saves
its two thousand rows one by one (then adds their history), which costs a second on
SQLite and two on PostgreSQL, every time. So the command runs for real the first time
in each test process, into empty tables; the rows it wrote are kept, and later loads
insert the same rows, table by table in one statement each (and move PostgreSQL's id
sequences past them, as loaddata does). Whenever the tables are not empty the command itself runs, and says what it says.

tests/test_fixtures.py and tests/test_backup.py call the command itself: they test it.
"""

import io

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

_rows = None  # [(model, INSERT statement, rows)] the command wrote into empty tables


def _models():
    """Every table of the tracker app, its history tables and many-to-many tables included."""
    return [
        model
        for model in apps.get_app_config("tracker").get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _all_empty(models):
    return not any(model._base_manager.exists() for model in models)


def _copy(model):
    """The INSERT statement for ``model``'s table and its rows, as values ready for the database."""
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [
        tuple(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields)
        for obj in model._base_manager.order_by("pk")
    ]
    return model, sql, rows


def load_shipped_data():
    """Load the shipped data as ``call_command("load_shipped_data")`` does, faster after the first time."""
    global _rows
    models = _models()
    empty = _all_empty(models)
    if _rows is None or not empty:
        call_command("load_shipped_data", stdout=io.StringIO())
        if empty and _rows is None:
            _rows = [copy for copy in map(_copy, models) if copy[2]]
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for _, sql, rows in _rows:
            cursor.executemany(sql, rows)
        for sql in connection.ops.sequence_reset_sql(no_style(), [model for model, _, _ in _rows]):
            cursor.execute(sql)
