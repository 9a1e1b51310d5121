"""Recording a treaty action in one step: a signature, a deposit, a withdrawal notice or a declaration.

``prepare()`` applies the action to the State's participation (or a new
declaration) without saving, so the models can check it; ``stale_notes()``
finds the notes that the new fact makes stale ("Not a signatory…" once the
State has deposited, "pending" in progress notes) for the editor to review;
``record()`` saves the action and the reviewed notes in one transaction, each
with the edit's reason, refusing in words if any of these records changed
since the editor saw them.
"""

import dataclasses

from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.models import Declaration, Extension, Obligation, Participation, Treaty, change_reason

SIGNATURE, DEPOSIT, WITHDRAWAL, DECLARATION = "signature", "deposit", "withdrawal", "declaration"
ACTIONS = (
    (SIGNATURE, "Signature"),
    (DEPOSIT, "Deposit of an instrument (ratification, accession, …)"),
    (WITHDRAWAL, "Notification of withdrawal"),
    (DECLARATION, "Declaration, reservation, territorial application or statement"),
)

# Words in a note that the new fact may have made untrue, by action.
_NOT_JOINED = (
    "not a signatory",
    "non-signatory",
    "has not signed",
    "not signed",
    "neither signed",
    "no row in the untc",
    "has not joined",
    "not yet joined",
)
STALE_WORDS = {
    SIGNATURE: _NOT_JOINED,
    DEPOSIT: _NOT_JOINED
    + ("not a state party", "has not ratified", "not yet ratified", "not ratified", "considering", "pending"),
    WITHDRAWAL: ("state party", "pending"),
    DECLARATION: (),
}


class StaleError(Exception):
    """A record changed since the editor reviewed it: nothing was saved."""


@dataclasses.dataclass
class Note:
    """A note to review: which record, which field, its text and the version it was read at."""

    record: object
    field: str
    label: str
    words: tuple

    @property
    def key(self):
        return f"{self.record._meta.model_name}-{self.record.pk}-{self.field}"

    @property
    def text(self):
        return getattr(self.record, self.field)


def prepare(treaty, state, action, data):
    """Return (participation, declaration or None) with the action applied, unsaved and checked.

    ``data`` holds date, instrument, notification, notification_date, source,
    and for a declaration kind and text. Raises ValidationError in words.
    """
    participation = Participation.objects.filter(treaty=treaty, state=state).first() or Participation(
        treaty=treaty, state=state
    )
    participation.treaty, participation.state = treaty, state
    source, day = data.get("source"), data["date"]
    if participation.pk is None:
        participation.source = source
    declaration = None
    if action == SIGNATURE:
        participation.signature_date, participation.signature_source = day, source
    elif action == DEPOSIT:
        participation.deposit_date, participation.instrument = day, data.get("instrument") or ""
        participation.deposit_notification = data.get("notification") or ""
        participation.deposit_notification_date = data.get("notification_date")
        participation.deposit_source = source
    elif action == WITHDRAWAL:
        participation.withdrawal_notice_date = day
        participation.withdrawal_notification = data.get("notification") or ""
        participation.withdrawal_notification_date = data.get("notification_date")
        participation.withdrawal_source = source
    elif action == DECLARATION:
        declaration = Declaration(
            participation=participation,
            kind=data.get("kind") or Declaration.Kind.DECLARATION,
            date=day,
            text=data.get("text") or "",
            notification=data.get("notification") or "",
            source=source,
        )
    else:
        raise ValidationError("Choose an action.")
    participation.full_clean(exclude=["treaty", "state"] if participation.pk is None else None)
    if declaration is not None:
        declaration.full_clean(exclude=["participation"])
    return participation, declaration


def stale_notes(participation, action):
    """The notes of this participation, its State and its obligations that the action may make stale."""
    words = STALE_WORDS.get(action, ())
    if not words:
        return []
    candidates = [(participation.state, "research_notes", f"{participation.state}: research notes")]
    if participation.pk:
        stored = Participation.objects.get(pk=participation.pk)
        candidates += [
            (stored, "notes", f"{stored}: public notes"),
            (stored, "research_notes", f"{stored}: research notes"),
        ]
        for obligation in Obligation.objects.filter(participation=participation).select_related(
            "participation__state", "participation__treaty"
        ):
            candidates += [
                (obligation, "progress", f"{obligation}: progress notes"),
                (obligation, "research_notes", f"{obligation}: research notes"),
            ]
    found = []
    for record, field, label in candidates:
        text = (getattr(record, field) or "").lower()
        hits = tuple(word for word in words if word in text)
        if hits:
            found.append(Note(record, field, label, hits))
    return found


def versions(participation, notes):
    """What the editor saw: the participation's version and each noted record's."""
    seen = {"participation": participation.version if participation.pk else 0}
    for note in notes:
        seen[note.key] = note.record.version
    return seen


def record(treaty, state, action, data, edited, seen, reason):
    """Save the action and the edited notes ({note key: text}) in one transaction, with ``reason``.

    ``seen`` is versions() as the editor reviewed them; a record changed since
    refuses the whole save (StaleError). Returns the saved participation.
    """
    with transaction.atomic(), change_reason(reason):
        Treaty.objects.locked().get(pk=treaty.pk)
        current = Participation.objects.locked().filter(treaty=treaty, state=state).first()
        if (current.version if current else 0) != seen.get("participation"):
            raise StaleError(
                f"The {treaty.short_name} record of {state} changed since you reviewed this action, so "
                "nothing was saved: review it again."
            )
        participation, declaration = prepare(treaty, state, action, data)
        notes = {note.key: note for note in stale_notes(participation, action)}
        for key, text in edited.items():
            note = notes.get(key)
            if note is None or note.record.version != seen.get(key):
                raise StaleError(
                    f"“{note.label if note else key}” changed since you reviewed it, so nothing was saved: "
                    "review the action again."
                )
            if text != note.text and not isinstance(note.record, Participation):
                setattr(note.record, note.field, text)
                note.record._change_reason = reason
                note.record.full_clean()
                note.record.save()
            elif text != note.text:
                setattr(participation, note.field, text)
        participation._change_reason = reason
        participation.full_clean()
        participation.save()
        if declaration is not None:
            declaration.participation = participation
            declaration._change_reason = reason
            declaration.full_clean()
            declaration.save()
    return participation


def stale_after_decision(extension):
    """Notes that still say 'pending' once ``extension`` has a decision: the obligation's, its own, the State's."""
    if extension.decision == Extension.Decision.PENDING:
        return []
    obligation = Obligation.objects.select_related("participation__state", "participation__treaty").get(
        pk=extension.obligation_id
    )
    candidates = [
        (obligation, "progress", f"{obligation}: progress notes"),
        (obligation, "research_notes", f"{obligation}: research notes"),
        (extension, "notes", f"{extension}: public notes"),
        (obligation.participation, "notes", f"{obligation.participation}: public notes"),
    ]
    return [
        Note(record, field, label, ("pending",))
        for record, field, label in candidates
        if "pending" in (getattr(record, field) or "").lower()
    ]
