"""The depositary's status list against the tracker: every difference, and applying the chosen ones.

``compare()`` lists what a status list (``tracker.depositary``) says that the
tracker does not: a signature, deposit, instrument or provisional application
that is missing or differs, a withdrawal, a declaration in the end notes that
no record holds, a State the depositary now names differently, a participant
the tracker cannot match and a participation the list does not hold. Each
difference remembers the version of the record it would change, so that
``apply()`` refuses, in words and changing nothing, a difference whose record
an editor has changed since the list was compared. The admin's reconcile page
and ``manage.py reconcile_depositary --apply`` both use this module.
"""

import dataclasses
import datetime
import re

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction

from tracker import depositary, partial_dates
from tracker.models import Declaration, Participation, State, Treaty, change_reason

SIGNING_SALT = "tracker.reconciliation"

# What a difference is about, in the order the page lists them.
SIGNATURE = "signature"
DEPOSIT = "deposit"
PROVISIONAL = "provisional application"
WITHDRAWAL = "withdrawal"
DECLARATION = "declaration"
NAME = "name"
PARTICIPANT = "participant"
NOT_LISTED = "not listed"
COUNTS = "counts"


class StaleError(Exception):
    """A record changed since the list was compared: nothing was applied."""


class ApplyError(Exception):
    """A change the models refuse (in words): nothing was applied."""


@dataclasses.dataclass
class Difference:
    key: str
    name: str
    what: str
    depositary: str
    tracker: str
    state_id: int | None = None
    # field -> value (ISO dates as text) to write; empty when the difference is for information only.
    changes: dict = dataclasses.field(default_factory=dict)
    version: int = 0  # the version of the record it changes (0: none yet)

    @property
    def applicable(self):
        return bool(self.changes)

    def as_row(self):
        return (self.name, self.what, self.depositary, self.tracker)


def _text(value):
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.date):
        return partial_dates.display(value)
    return str(value)


def _iso(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _folded(text):
    return re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).strip()


def _match_states():
    """{folded name: (State, matched by its current name)} for every State's name and alias."""
    found = {}
    for state in State.objects.all():
        for alias in filter(None, (a.strip() for a in state.aliases.split(";"))):
            found.setdefault(depositary.normalise_name(alias), (state, False))
        found[depositary.normalise_name(state.name)] = (state, True)
    return found


def compare(status_list, treaty):
    """Every difference between ``status_list`` (a depositary.StatusList) and ``treaty``'s record."""
    states = _match_states()
    participations = {
        p.state_id: p
        for p in Participation.objects.filter(treaty=treaty)
        .select_related("state")
        .prefetch_related("declarations")
    }
    differences, seen = [], set()
    for row in status_list.rows:
        state, by_name = states.get(depositary.normalise_name(row.name), (None, False))
        if state is None:
            differences.append(
                Difference(f"unknown:{row.name}", row.name, PARTICIPANT, "listed", "no State of that name")
            )
            continue
        seen.add(state.pk)
        participation = participations.get(state.pk)
        differences += _row_differences(row, state, participation)
        if not by_name:
            differences.append(
                Difference(
                    f"{state.iso2}:name",
                    state.name,
                    NAME,
                    row.name,
                    state.name,
                    state.pk,
                    {"name": row.name},
                    state.version,
                )
            )
    if status_list.as_at and status_list.parties is not None:
        signed, parties = treaty.depositary_counts(list(participations.values()), status_list.as_at)
        if (signed, parties) != (status_list.signatories, status_list.parties):
            differences.append(
                Difference(
                    "counts",
                    treaty.short_name,
                    COUNTS,
                    f"{status_list.signatories} signatories, {status_list.parties} parties "
                    f"as at {_text(status_list.as_at)}",
                    f"{signed} signatories, {parties} parties that day",
                )
            )
    for state_id, participation in participations.items():
        if state_id not in seen and (participation.signature_date or participation.deposit_date):
            name = participation.state.name
            differences.append(
                Difference(
                    f"{participation.state.iso2}:listed", name, NOT_LISTED, "not listed", "listed", state_id
                )
            )
    return differences


def _row_differences(row, state, participation):
    version = participation.version if participation else 0

    def ours(field):
        return getattr(participation, field) if participation else None

    def difference(what, depositary_value, tracker_value, changes):
        # A fact the list lacks but the tracker holds is never cleared from here: an older or
        # partial list would erase what an editor entered. It is shown for information.
        if not any(changes.values()):
            changes = {}
        return Difference(
            f"{state.iso2}:{what}",
            state.name,
            what,
            depositary_value,
            tracker_value,
            state.pk,
            {k: _iso(v) for k, v in changes.items()},
            version,
        )

    found = []
    if row.signature_date != ours("signature_date"):
        found.append(
            difference(
                SIGNATURE,
                _text(row.signature_date),
                _text(ours("signature_date")),
                {"signature_date": row.signature_date},
            )
        )
    if (row.deposit_date, row.instrument) != (ours("deposit_date"), ours("instrument") or ""):
        found.append(
            difference(
                DEPOSIT,
                " ".join(filter(None, (_text(row.deposit_date), row.instrument))),
                " ".join(filter(None, (_text(ours("deposit_date")), ours("instrument") or ""))),
                {"deposit_date": row.deposit_date, "instrument": row.instrument},
            )
        )
    if row.provisional_application_date != ours("provisional_application_date"):
        found.append(
            difference(
                PROVISIONAL,
                _text(row.provisional_application_date),
                _text(ours("provisional_application_date")),
                {"provisional_application_date": row.provisional_application_date},
            )
        )
    found += _withdrawal_differences(row, participation, difference)
    texts = [_folded(d.text) for d in participation.declarations.all()] if participation else []
    for number, note in enumerate(row.notes, start=1):
        folded = _folded(note)
        if not any(t and (t[:80] in folded or folded[:80] in t) for t in texts):
            shown = note if len(note) <= 300 else note[:300] + "…"
            found.append(
                dataclasses.replace(
                    difference(DECLARATION, shown, "no declaration with this text", {"declaration": note}),
                    key=f"{state.iso2}:declaration:{number}",
                )
            )
    return found


def _withdrawal_differences(row, participation, difference):
    notice = participation.withdrawal_notice_date if participation else None
    if row.withdrawal_notice_date:
        changes = {}
        if row.withdrawal_notice_date != notice:
            changes["withdrawal_notice_date"] = row.withdrawal_notice_date
        if row.withdrawal_notification and row.withdrawal_notification != (
            participation.withdrawal_notification if participation else ""
        ):
            changes["withdrawal_notification"] = row.withdrawal_notification
            changes["withdrawal_notification_date"] = row.withdrawal_notification_date
        if not changes:
            return []
        said = f"notice received {_text(row.withdrawal_notice_date)}"
        if row.withdrawal_notification:
            said += f" ({row.withdrawal_notification} of {_text(row.withdrawal_notification_date)})"
        tracker = f"notice received {_text(notice)}" if notice else "no withdrawal recorded"
        if participation and participation.withdrawal_notification:
            tracker += f" ({participation.withdrawal_notification})"
        return [difference(WITHDRAWAL, said, tracker, changes)]
    if row.withdrawn and not notice:
        # The row is in brackets but no end note gives the day: for information only.
        return [difference(WITHDRAWAL, "withdrawn (no date in the end notes)", "no withdrawal recorded", {})]
    if notice and not row.withdrawn:
        return [difference(WITHDRAWAL, "no withdrawal", f"notice received {_text(notice)}", {})]
    return []


# --- carrying a comparison from the preview to the apply --------------------------------


def sign(differences, treaty):
    """The differences with ``treaty``'s id as a signed token, for the page that asks which to apply."""
    payload = {"treaty": treaty.pk, "differences": [dataclasses.asdict(d) for d in differences]}
    return signing.dumps(payload, salt=SIGNING_SALT, compress=True)


def unsign(token):
    """(treaty id, differences) signed by sign(); raises signing.BadSignature if the token was altered."""
    payload = signing.loads(token, salt=SIGNING_SALT)
    return payload["treaty"], [Difference(**d) for d in payload["differences"]]


# --- applying -------------------------------------------------------------------------


def apply(differences, treaty, reason, source=None):
    """Apply the chosen ``differences`` to ``treaty``'s record in one transaction; return the count.

    Each record is saved through the models (computed dates, history) with
    ``reason``; a participation changed by several differences is saved once.
    Raises StaleError if a record changed since the comparison, ApplyError if
    the models refuse a change; in both cases nothing is saved.
    """
    chosen = [d for d in differences if d.applicable]
    with transaction.atomic(), change_reason(reason):
        Treaty.objects.locked().get(pk=treaty.pk)
        stale, by_state = [], {}
        for difference in chosen:
            by_state.setdefault(difference.state_id, []).append(difference)
        for state_id, group in by_state.items():
            renames = [d for d in group if d.what == NAME]
            facts = [d for d in group if d.what != NAME]
            if renames:
                state = State.objects.locked().get(pk=state_id)
                if state.version != renames[0].version:
                    stale.append(state.name)
                    continue
                _save(state, {"name": renames[0].changes["name"]}, reason)
            if facts:
                participation = (
                    Participation.objects.locked().filter(treaty=treaty, state_id=state_id).first()
                )
                if (participation.version if participation else 0) != facts[0].version:
                    stale.append(facts[0].name)
                    continue
                if participation is None:
                    participation = Participation(treaty=treaty, state_id=state_id)
                values, declarations = {}, []
                for difference in facts:
                    if difference.what == DECLARATION:
                        declarations.append(difference.changes["declaration"])
                    else:
                        values.update(difference.changes)
                _save_participation(participation, values, reason, source)
                for text in declarations:
                    _save(Declaration(participation=participation, text=text, source=source), {}, reason)
        if stale:
            raise StaleError(
                "These records changed since the file was compared, so nothing was applied: "
                f"{', '.join(stale)}. Upload the file again to see the differences as they stand now."
            )
    return len(chosen)


def _save_participation(participation, values, reason, source):
    for field, value in values.items():
        if field.endswith("_date") and value:
            value = datetime.date.fromisoformat(value)
        setattr(participation, field, value if value is not None else None)
        if field == "signature_date" and source and not participation.signature_source_id:
            participation.signature_source = source
        if field == "deposit_date" and source and not participation.deposit_source_id:
            participation.deposit_source = source
        if field == "withdrawal_notice_date" and source and not participation.withdrawal_source_id:
            participation.withdrawal_source = source
    if participation.pk is None and source:
        participation.source = source
    _save(participation, {}, reason)


def _save(record, values, reason):
    for field, value in values.items():
        setattr(record, field, value)
    record._change_reason = reason
    try:
        record.full_clean()
    except ValidationError as error:
        messages = "; ".join(
            f"{name.replace('_', ' ')}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
            for name, errors in error.message_dict.items()
        )
        raise ApplyError(f"{record}: {messages} Nothing was applied.") from None
    record.save()
