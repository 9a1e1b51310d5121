"""Restoring deleted records from their history, with the records deleted along with them.

A deleted record is re-created from its last history row, under its old id,
through its model's ``save()`` so that computed dates are recomputed and the
restore is itself a history entry with the editor's reason. Rows that the
database deleted with it (a participation's steps and obligations, an
obligation's extensions, a working group's assignments) are restored too.
"""

import datetime

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import models

from tracker import history
from tracker import models as m

# Rows deleted by a cascade carry (almost) the same timestamp as their parent's.
CASCADE_WINDOW = datetime.timedelta(seconds=10)


def label(row):
    """A name for a history row's record that works even when its related records are gone."""
    try:
        return str(row.instance)
    except ObjectDoesNotExist:
        return f"{row.instance_type._meta.verbose_name} #{row.id}"


def field_values(row):
    """[(label, value)] of the facts a deleted record held, as history.display() shows them."""
    return [(change.label, change.new) for change in history.field_changes(None, row)]


def _cascade_relations(model):
    return [
        rel
        for rel in model._meta.related_objects
        if rel.on_delete is models.CASCADE and rel.related_model in m.TRACKED.values()
    ]


def cascade_rows(row):
    """History rows of the records deleted together with ``row``'s record (children first found)."""
    model = row.instance_type
    found = []
    for rel in _cascade_relations(model):
        child_model = rel.related_model
        rows = (
            child_model.history.filter(
                **{rel.field.attname: row.id},
                history_type="-",
                history_user_id=row.history_user_id,
                history_date__gte=row.history_date - CASCADE_WINDOW,
                history_date__lte=row.history_date + CASCADE_WINDOW,
            )
            .exclude(id__in=child_model._default_manager.values("pk"))
            .order_by("history_date")
        )
        for child in rows:
            found.append(child)
            found.extend(cascade_rows(child))
    return found


def _restore_one(row, reason, user):
    model = row.instance_type
    obj = row.instance
    obj.version = (row.version or 0) + 1
    obj._change_reason = reason
    obj._history_user = user
    if isinstance(obj, m.Obligation):
        # Restoring a participation re-creates its obligations; the restored ones
        # (with their extensions and history) take their place.
        for fresh in model._default_manager.filter(participation_id=obj.participation_id, kind=obj.kind):
            if fresh.pk != obj.pk and not fresh.extensions.exists():
                fresh._change_reason = "Replaced by the restored record"
                fresh._history_user = user
                fresh.delete()
    _check_links(obj)
    obj.full_clean()
    obj.save(force_insert=True)
    return obj


def _check_links(obj):
    """Refuse, in words, a record whose parent is deleted; drop links the database would have cleared."""
    for field in obj._meta.concrete_fields:
        if not field.is_relation or getattr(obj, field.attname) is None:
            continue
        if field.related_model._base_manager.filter(pk=getattr(obj, field.attname)).exists():
            continue
        if field.remote_field.on_delete is models.SET_NULL:
            setattr(obj, field.attname, None)
            continue
        parent = field.related_model._meta
        raise ValidationError(
            f"The {parent.verbose_name} it belongs to is deleted too: restore that one first "
            f"(from the deleted {parent.verbose_name_plural})."
        )


def restore(row, reason, user):
    """Re-create ``row``'s record and those deleted with it. Returns (record, number restored).

    Raises ValidationError (in words) when the record can no longer be valid,
    e.g. because the record it belongs to is deleted too. Call inside a transaction.
    """
    text = f"Restored: {reason}"
    obj = _restore_one(row, text, user)
    count = 1
    for child in cascade_rows(row):
        _restore_one(child, f"Restored with {row.instance_type._meta.verbose_name} “{obj}”: {reason}", user)
        count += 1
    return obj, count


def error_messages(error):
    """Turn a ValidationError from full_clean() into sentences, each naming its field."""
    result = []
    for field, errors in (
        error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
    ):
        for message in errors:
            result.append(
                message if field in (None, NON_FIELD_ERRORS) else f"{field.replace('_', ' ')}: {message}"
            )
    return result
