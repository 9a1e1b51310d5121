"""The domain: treaties, states, their participation, obligations and meetings.

Dates that follow from the treaty's text (entry into force, withdrawal effect,
deadlines) are computed by ``tracker.rules`` in ``save()`` and are read-only
everywhere else. Every model keeps its full history with django-simple-history.
"""

import contextlib
import contextvars
import copy
import dataclasses
import datetime
import functools
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import number_format
from django.utils.hashable import make_hashable
from django.utils.text import slugify
from django.utils.translation import get_language, gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.utils import get_change_reason_from_object

from tracker import partial_dates, rules
from tracker.plaintext import control_character, normalise_newlines


def today():
    return timezone.localdate()


# The dates a record can hold: every date the treaties' rules add years to stays far
# from the calendar's end (year 9999).
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2999, 12, 31)


# --- why a record changed --------------------------------------------------------
#
# Every history row carries a reason. A record saved on its own carries the one set
# on it (``obj._change_reason``); every other row written while an edit is under
# way (rows the rules recompute, rows deleted along with a parent) takes the
# edit's reason: the one the admin puts on the request (``request.tracker_reason``)
# or, outside a request, the one given by ``change_reason()``.

_reason = contextvars.ContextVar("tracker_change_reason", default=None)


@contextlib.contextmanager
def change_reason(reason):
    """Give ``reason`` to every history row written inside the block that has no reason of its own."""
    token = _reason.set(reason)
    try:
        yield
    finally:
        _reason.reset(token)


def current_reason():
    """The reason of the edit under way: the request's (set by the admin), else change_reason()'s."""
    request = getattr(HistoricalRecords.context, "request", None)
    return getattr(request, "tracker_reason", None) or _reason.get()


def recomputed_reason(cause):
    """The reason of a row the rules rewrote because ``cause`` (a record) was saved or deleted."""
    reason = get_change_reason_from_object(cause) or current_reason()
    text = f"Recomputed by the treaty's rules after a change to the {cause._meta.verbose_name} “{cause}”"
    return f"{text}: {reason}" if reason else text


class RecordQuerySet(models.QuerySet):
    def locked(self):
        """These rows, locked for update until the end of the transaction, in primary-key order.

        Ordered by the key alone and locking this table's rows only (Meta.ordering
        may join State or Treaty), so that writers lock rows in one order and lock
        nothing they do not write. The lock is PostgreSQL's FOR NO KEY UPDATE, the
        one an UPDATE takes: writers of the row wait for each other, but a row that
        merely refers to it (a new step of a locked participation) does not wait,
        and so cannot close a circle of waits. (SQLite serialises writers instead.)
        """
        return self.select_for_update(of=("self",), no_key=True).order_by("pk")


def precision_field(verbose_name="precision"):
    return models.CharField(
        verbose_name,
        max_length=8,
        # The empty choice is named: an editor sees that a precision without a date is none.
        choices=[("", "None while the date is empty (exact day once one is given)"), *partial_dates.CHOICES],
        blank=True,
        default="",
        help_text="How exactly the date is known (an exact day if left empty). "
        "A month-only date is stored as the 1st of that month.",
    )


class History(HistoricalRecords):
    """HistoricalRecords with the indexes that tracker.history reads by.

    Every historical table gets (history_date, history_id), for the change log,
    its feed and the audit log, newest first; and (id, history_date,
    history_id), for one record's versions (its history on a State's page, a
    row's previous version). ``by`` names a foreign key whose rows a State's
    history walks newest first: (by, history_date, history_id).
    ``deleted_by`` names a foreign key by which a State's page finds the
    records deleted since (a small index of deletion rows only). These
    composite indexes replace simple-history's single-column ones on the same
    leading columns, which would only slow every save down.
    """

    def __init__(self, *args, by=None, deleted_by=None, **kwargs):
        self.indexed_by, self.deleted_by = by, deleted_by
        kwargs.setdefault("no_db_index", ["id", *[name for name in (by, deleted_by) if name]])
        super().__init__(*args, **kwargs)

    def get_extra_fields(self, model, fields):
        extra = super().get_extra_fields(model, fields)
        extra["history_date"] = models.DateTimeField()  # indexed below, with history_id
        return extra

    def copy_fields(self, model):
        # simple-history's diff_against() reads values with model_to_dict(), which
        # skips non-editable fields: the historical copies of the computed dates
        # are made editable so that every diff includes them.
        fields = super().copy_fields(model)
        for copied in fields.values():
            copied.editable = True
        return fields

    def get_change_reason_for_object(self, instance, history_type, using):
        return get_change_reason_from_object(instance) or current_reason()

    def get_meta_options(self, model):
        meta = super().get_meta_options(model)
        prefix = f"tracker_h{model._meta.model_name[:10]}"
        order = ["history_date", "history_id"]
        meta["indexes"] = [
            models.Index(fields=order, name=f"{prefix}_date"),
            models.Index(fields=["id", *order], name=f"{prefix}_obj"),
        ]
        if self.indexed_by:
            meta["indexes"].append(
                models.Index(fields=[self.indexed_by, *order], name=f"{prefix}_{self.indexed_by[:5]}")
            )
        if self.deleted_by:
            meta["indexes"].append(
                models.Index(
                    fields=[self.deleted_by, "id"],
                    condition=Q(history_type="-"),
                    name=f"{prefix}_del",
                )
            )
        return meta


@functools.lru_cache(maxsize=4096)
def _choice_label(field, value, language):
    """The label of ``value`` among ``field``'s choices in ``language`` (the active one), or the value."""
    return force_str(dict(make_hashable(field.flatchoices)).get(value, value), strings_only=True)


class Record(models.Model):
    """Fields every edited record has: a version for conflict checks and a timestamp."""

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Raised by one on every save; a form saved from an older version is refused.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    research_notes = models.TextField(
        "research notes (editors only)",
        blank=True,
        help_text="What was and was not found, doubts between sources, what to check next. "
        "Never shown on a public page, in a download or a feed.",
    )

    objects = RecordQuerySet.as_manager()

    #: Dates known only to a month, a year or a part of one: {date field: its precision field}.
    PARTIAL_DATES = {}

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        """get_FOO_display(): Django's, with each label kept per field, value and language
        (Django rebuilds the field's choices into a dict on every call)."""
        value = getattr(self, field.attname)
        try:
            return _choice_label(field, value, get_language())
        except TypeError:  # a value that cannot be a key: Django's own way
            return super()._get_FIELD_display(field)

    def clean_fields(self, exclude=None):
        # Text is stored with plain newlines and without control characters, which no
        # feed, CSV or calendar could carry (and PostgreSQL refuses NUL).
        errors = {}
        for field in self._meta.concrete_fields:
            if exclude and field.name in exclude:
                continue
            if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
                value = getattr(self, field.attname)
                if isinstance(value, datetime.date) and not EARLIEST <= value <= LATEST:
                    errors[field.name] = [
                        ValidationError(
                            f"Give a date between {EARLIEST.year} and {LATEST.year}.", code="out_of_range"
                        )
                    ]
                continue
            if not isinstance(field, models.CharField | models.TextField):
                continue
            value = normalise_newlines(getattr(self, field.attname))
            setattr(self, field.attname, value)
            if found := control_character(value):
                errors[field.name] = [
                    ValidationError(
                        f"This text contains a control character ({found}), which the site cannot show: remove it.",
                        code="control_character",
                    )
                ]
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            for name, found_errors in error.error_dict.items():
                errors.setdefault(name, []).extend(found_errors)
        if errors:
            raise ValidationError(errors)

    def clean(self):
        # A date of month precision is stored as the 1st of the month, and so on; a
        # precision without its date means nothing and is cleared.
        for date_field, precision_field in self.PARTIAL_DATES.items():
            value = getattr(self, date_field)
            if value is None:
                setattr(self, precision_field, "")
            else:
                precision = getattr(self, precision_field) or partial_dates.DAY
                setattr(self, precision_field, precision)
                setattr(self, date_field, partial_dates.normalise(value, precision))

    def lock_parents(self):
        """Lock the rows this record's save also writes or recomputes, before the record's own.

        The lock order of every write path: treaty, participation, obligation,
        extension (see docs/admin.md). A form locks the record's parents with this,
        then the record; save() and delete() do the same. Returns the parent locked,
        if any; raises the parent's DoesNotExist if it is gone.
        """

    def lock_children(self):
        """Lock, before a delete, the rows below this one that other writers lock before theirs."""

    # --- writing from the row as stored --------------------------------------------
    #
    # An object read before its row was locked (a form's record, an imported row)
    # must not write back values someone else has changed since: merge_stored()
    # locks the row and takes from it every value this object has not changed
    # itself. Computed fields (editable=False) are not taken: save() computes them
    # afterwards from the merged values.

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = (field_names, values)  # what was read, for merge_stored()
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using, fields, from_queryset)
        loaded = self._loaded_values() or {}
        for field in self._meta.concrete_fields:
            refreshed = fields is None or field.name in fields or field.attname in fields
            if refreshed and field.attname in self.__dict__:
                loaded[field.attname] = self.__dict__[field.attname]
        self._loaded = loaded

    def _loaded_values(self):
        loaded = self.__dict__.get("_loaded")
        if isinstance(loaded, tuple):
            loaded = dict(zip(*loaded, strict=True))
        return loaded

    def merge_stored(self, merge=True):
        """Lock this record's row; take from it the values changed since this object was read and not by it.

        Returns the stored version, or None if the row is not (or no longer) stored.
        Call inside a transaction, after lock_parents().
        """
        if self.pk is None or self._state.adding:
            return None
        names = [f.attname for f in self._meta.concrete_fields]
        stored = (
            type(self)
            ._base_manager.db_manager(self._state.db)
            .filter(pk=self.pk)
            .select_for_update(no_key=True)
            .values(*names)
            .first()
        )
        if stored is None:
            return None
        loaded = self._loaded_values()
        if merge and loaded is not None:
            for field in self._meta.concrete_fields:
                name = field.attname
                if not field.editable or field.primary_key or name not in loaded:
                    continue
                if self.__dict__.get(name) == loaded[name] and stored[name] != loaded[name]:
                    setattr(self, name, stored[name])
            # From now on this object starts from the row as stored.
            self._loaded = {name: stored[name] for name in loaded}
        return stored["version"]

    def save(self, *args, **kwargs):
        """Save from a fresh, locked read of the row (merge_stored()), one version above the stored one."""
        with transaction.atomic(using=self._state.db):
            if self.pk is not None and not self._state.adding:
                update_fields = kwargs.get("update_fields")
                stored = self.merge_stored(merge=update_fields is None)
                # One more than the stored version, whatever this object was loaded at:
                # versions in the history only ever increase. (Whether the object was
                # loaded at the stored version is for the editor's form to check.)
                self.version = (stored if stored is not None else self.version or 0) + 1
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        """Delete with the rows the database deletes along with it, locked in the order of every write path."""
        with transaction.atomic(using=self._state.db):
            self.lock_parents()
            type(self)._base_manager.db_manager(self._state.db).filter(pk=self.pk).select_for_update().first()
            self.lock_children()
            return super().delete(*args, **kwargs)


class Source(Record):
    """A document a fact comes from."""

    PARTIAL_DATES = {"date": "date_precision"}

    title = models.CharField(max_length=400)
    key = models.SlugField(
        max_length=60,
        null=True,
        blank=True,
        unique=True,
        help_text="The shipped data's name for the source (fixtures/data/), e.g. 'seed001'; "
        "empty for a source added here.",
    )
    publisher = models.CharField(max_length=200, blank=True, help_text="Example: 'UN Treaty Collection'.")
    date = models.DateField(null=True, blank=True, help_text="When the document was issued, if known.")
    date_precision = precision_field("date precision")
    symbol = models.CharField(
        "document symbol", max_length=100, blank=True, help_text="Example: 'CCM/MSP/2012/5'."
    )
    url = models.URLField("address", max_length=500, blank=True)
    notes = models.TextField(blank=True)

    history = History()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def citing_fields(self):
        """[(model, foreign key)] of every tracked model's link to a source."""
        return [
            (model, field)
            for model in TRACKED.values()
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is Source
        ]

    def citations(self):
        """[(model, foreign key, records)] of the records that cite this source, for each link that has any."""
        found = []
        for model, field in self.citing_fields():
            records = model._default_manager.filter(**{field.name: self})
            if records.exists():
                found.append((model, field, records))
        return found

    def move_citations(self, to):
        """Make every record citing this source cite ``to`` instead, each saved with its history.

        Returns the number of records changed. Call inside a transaction; the
        reason comes from the edit under way (change_reason() or the request).
        """
        moved = 0
        citations = self.citations()
        if any(model is Participation for model, _, _ in citations):
            # The lock order of every write path: treaties before participations.
            list(Treaty.objects.locked())
        for _model, field, records in citations:
            for record in records.locked():
                setattr(record, field.name, to)
                record.save(update_fields=[field.name])
                moved += 1
        return moved

    @property
    def date_display(self):
        return partial_dates.display(self.date, self.date_precision)


class Treaty(Record):
    """A treaty and its rules, as data."""

    class EifRule(models.TextChoices):
        MONTH_START = rules.EIF_MONTH_START, "First day of the Nth month after the deposit month"
        DAYS_AFTER = rules.EIF_DAYS_AFTER, "N days after the deposit"

    class EifLaterAfter(models.TextChoices):
        THRESHOLD = rules.EIF_LATER_AFTER_THRESHOLD, "The Nth deposit"
        ENTRY_INTO_FORCE = rules.EIF_LATER_AFTER_ENTRY_INTO_FORCE, "The treaty's entry into force"

    class WithdrawalRule(models.TextChoices):
        MONTHS = rules.WITHDRAWAL_MONTHS, "Months"
        DAYS = rules.WITHDRAWAL_DAYS, "Days"

    name = models.CharField(max_length=300, unique=True)
    short_name = models.CharField(max_length=50, help_text="Example: 'CCM'.")
    slug = models.SlugField(unique=True, help_text="Used in addresses and filters, e.g. 'ccm'.")
    adopted_on = models.DateField(null=True, blank=True)
    opened_for_signature_on = models.DateField(null=True, blank=True)
    concluded_at = models.CharField(
        "concluded at", max_length=100, blank=True, help_text="Where it was adopted. Example: 'Dublin'."
    )
    opened_at = models.CharField(
        "opened for signature at", max_length=100, blank=True, help_text="Example: 'Oslo'."
    )
    depositary = models.CharField(max_length=200, blank=True)
    registration_number = models.CharField(
        max_length=20, blank=True, help_text="The UN registration number. Example: '47713'."
    )
    registration_date = models.DateField(null=True, blank=True)
    treaty_series = models.CharField(
        max_length=100, blank=True, help_text="Example: 'United Nations, Treaty Series, vol. 2688, p. 39'."
    )
    text_url = models.URLField("address of the text", max_length=500, blank=True)
    depositary_url = models.URLField("address of the depositary's status page", max_length=500, blank=True)
    secretariat_url = models.URLField(
        "address of the implementation support unit", max_length=500, blank=True
    )
    obligations_checked_on = models.DateField(
        "obligations record checked on",
        null=True,
        blank=True,
        help_text="The day the States' stockpile and clearance record was last checked against the sources. "
        "A deadline that passes after it is shown as not recorded, never as overdue, until the record is "
        "checked again: a request or a completion may have come since.",
    )
    depositary_as_at = models.DateField(
        "depositary record as at",
        null=True,
        blank=True,
        help_text="The date of the depositary's status list the participations were last checked against.",
    )
    source = models.ForeignKey(
        Source,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The depositary's status list, for the dates and registration above.",
    )

    eif_instruments = models.PositiveSmallIntegerField(
        "instruments needed for entry into force",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text="The treaty enters into force after this many ratifications, acceptances, approvals or accessions.",
    )
    eif_rule = models.CharField(
        "entry-into-force rule", max_length=20, choices=EifRule.choices, default=EifRule.MONTH_START
    )
    eif_period = models.PositiveSmallIntegerField(
        "entry-into-force period",
        default=6,
        help_text="N for the rule above: 6 (months) for the CCM, 90 (days) for the Arms Trade Treaty.",
    )
    eif_later_after = models.CharField(
        "later States count from a deposit after",
        max_length=20,
        choices=EifLaterAfter.choices,
        default=EifLaterAfter.THRESHOLD,
        help_text="When the rule above counts from a State's own deposit: for a deposit after the Nth "
        "(CCM and Mine Ban Convention Art. 17(2)) or only after the treaty's entry into force (Arms Trade "
        "Treaty Art. 22(2)); an earlier deposit gets the treaty's general date.",
    )
    withdrawal_period = models.PositiveSmallIntegerField(
        "withdrawal period",
        default=6,
        help_text="A withdrawal takes effect this long after the depositary receives the notice: "
        "6 (months) for the CCM, 90 (days) for the Arms Trade Treaty.",
    )
    withdrawal_rule = models.CharField(
        "withdrawal period in", max_length=10, choices=WithdrawalRule.choices, default=WithdrawalRule.MONTHS
    )
    withdrawal_conflict_proviso = models.BooleanField(
        "armed-conflict proviso",
        default=True,
        help_text="Tick if a State engaged in an armed conflict when the period runs out withdraws "
        "only at the end of the conflict (CCM and Mine Ban Convention Art. 20(3)).",
    )
    stockpile_article = models.CharField(
        "stockpile article", max_length=20, blank=True, help_text="Where the treaty sets it, e.g. 'Art. 3'."
    )
    clearance_article = models.CharField(
        "clearance article", max_length=20, blank=True, help_text="Where the treaty sets it, e.g. 'Art. 4'."
    )
    stockpile_years = models.PositiveSmallIntegerField(
        "stockpile destruction period (years)",
        null=True,
        blank=True,
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Leave empty if the treaty sets no stockpile destruction deadline.",
    )
    stockpile_extension_years = models.PositiveSmallIntegerField(
        "longest stockpile extension (years)",
        null=True,
        blank=True,
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Leave empty if the treaty allows no extension.",
    )
    clearance_years = models.PositiveSmallIntegerField(
        "clearance period (years)",
        null=True,
        blank=True,
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    clearance_extension_years = models.PositiveSmallIntegerField(
        "longest clearance extension (years)",
        null=True,
        blank=True,
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )
    initial_report_days = models.PositiveSmallIntegerField(
        "initial report due (days after entry into force)",
        null=True,
        blank=True,
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    initial_report_months = models.PositiveSmallIntegerField(
        "initial report due (months after entry into force)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="For a treaty that counts the period in months or years instead of days: 12 for the "
        'Arms Trade Treaty ("within the first year after entry into force", Art. 13(1)). '
        "When given, it replaces the days above, which are then cleared.",
    )
    annual_report_month = models.PositiveSmallIntegerField("annual report due: month", default=4)
    annual_report_day = models.PositiveSmallIntegerField("annual report due: day", default=30)

    # Computed from the deposits by tracker.rules; never typed.
    threshold_date = models.DateField(
        "date of the deciding deposit",
        null=True,
        blank=True,
        editable=False,
        help_text="The date of the Nth deposit, computed from the participations.",
    )
    entry_into_force_date = models.DateField("entered into force", null=True, blank=True, editable=False)

    history = History()

    class Meta:
        ordering = ["adopted_on", "name"]
        verbose_name_plural = "treaties"
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_report_month__gte=1, annual_report_month__lte=12)
                & Q(annual_report_day__gte=1, annual_report_day__lte=31),
                name="tracker_treaty_annual_report_day_valid",
            ),
            models.CheckConstraint(
                condition=Q(eif_instruments__gte=1), name="tracker_treaty_eif_instruments_positive"
            ),
        ]

    def __str__(self):
        return self.short_name

    def get_absolute_url(self):
        return reverse("state-list") + f"?treaty={self.slug}"

    def standings(self, states, as_of, obligations=True):
        """Return a Standing of every State of ``states`` under this treaty on ``as_of``, in their order.

        Each shows the participation as known that day (Participation.known_on).
        Queries: the treaty's participations and, with ``obligations``, their
        obligations, extensions and those extensions' meetings (deadlines are
        given for parties on ``as_of`` only). A State without a participation
        row is a non-signatory.
        """
        participations = self.participations.all()
        if obligations:
            # A plain list per participation: much cheaper to read for 200 rows than
            # participation.obligations.all(), which builds a queryset per row.
            participations = participations.prefetch_related(
                Prefetch("obligations", queryset=Obligation.objects.with_extensions(), to_attr="prefetched")
            )
        by_state = {}
        for participation in participations:
            participation.treaty = self
            by_state[participation.state_id] = participation
        result = []
        for state in states:
            participation = by_state.get(state.pk) or Participation(state=state, treaty=self)
            participation.state = state
            status = participation.status(as_of)
            kinds = {}
            if obligations and participation.pk and status == rules.PARTY:
                kinds = {o.kind: o for o in participation.prefetched}
            known = participation.known_on(as_of)
            result.append(Standing(state, known, status, participation.in_force(as_of), as_of, kinds))
        return result

    def depositary_counts(self, participations, as_of):
        """(signatories, parties) as the depositary counts them on ``as_of``.

        The UN Treaty Collection's "Signatories" are the States that signed,
        whether or not they have ratified since; its "Parties" those that
        deposited an instrument. A State whose withdrawal has taken effect is
        neither.
        """
        present = [
            p
            for p in participations
            if not (p.withdrawal_effective_date and p.withdrawal_effective_date <= as_of)
        ]
        signed = sum(1 for p in present if p.signature_date and p.signature_date <= as_of)
        parties = sum(1 for p in present if p.deposit_date and p.deposit_date <= as_of)
        return signed, parties

    def membership(self, participations, until):
        """The count of States Parties over time, up to ``until``.

        Returns (series, by_year): ``series`` is [(day, parties)] at every deposit
        and withdrawal; ``by_year`` is [(31 December or ``until``, parties, in
        force)] for every year from the treaty's adoption (or first deposit).
        """
        events = sorted(
            {
                d
                for p in participations
                for d in (p.deposit_date, p.withdrawal_effective_date)
                if d and d <= until
            }
        )
        known = [d for d in (self.adopted_on, self.opened_for_signature_on, *events[:1]) if d]
        first_year = min(known, default=until).year
        year_ends = [min(datetime.date(year, 12, 31), until) for year in range(first_year, until.year + 1)]

        def is_party(p, day):
            return p.status(day) == rules.PARTY

        def party_dates(p):
            return (p.signature_date, p.deposit_date, p.withdrawal_effective_date)

        def in_force(p, day):
            return p.in_force(day)

        def force_dates(p):
            return (p.entry_into_force_date, p.withdrawal_effective_date)

        series = _counts(participations, events, is_party, party_dates)
        by_year = [
            (day, parties, forced)
            for (day, parties), (_, forced) in zip(
                _counts(participations, year_ends, is_party, party_dates),
                _counts(participations, year_ends, in_force, force_dates),
                strict=True,
            )
        ]
        return series, by_year

    def article_for(self, kind):
        """Return the article that sets an obligation of ``kind``, e.g. 'Art. 3', or ''."""
        return {"stockpile": self.stockpile_article, "clearance": self.clearance_article}.get(kind, "")

    @property
    def rules(self):
        return rules.TreatyRules(
            eif_instruments=self.eif_instruments,
            eif_rule=self.eif_rule,
            eif_period=self.eif_period,
            eif_later_after=self.eif_later_after,
            withdrawal_period=self.withdrawal_period,
            withdrawal_rule=self.withdrawal_rule,
            withdrawal_conflict_proviso=self.withdrawal_conflict_proviso,
            stockpile_years=self.stockpile_years,
            stockpile_extension_years=self.stockpile_extension_years,
            clearance_years=self.clearance_years,
            clearance_extension_years=self.clearance_extension_years,
            initial_report_days=self.initial_report_days,
            initial_report_months=self.initial_report_months,
            annual_report_month=self.annual_report_month,
            annual_report_day=self.annual_report_day,
        )

    def clean(self):
        try:
            datetime.date(2001, self.annual_report_month, self.annual_report_day)
        except (TypeError, ValueError):
            raise ValidationError(
                {"annual_report_day": "The annual report due date is not a day of the calendar."}
            ) from None
        if self.initial_report_months is not None:
            # A period in months replaces the one in days (whose default is the CCM's 180),
            # so that a data file or a form need only give the months.
            self.initial_report_days = None
        if self.withdrawal_rule == rules.WITHDRAWAL_MONTHS and not 1 <= (self.withdrawal_period or 0) <= 60:
            raise ValidationError({"withdrawal_period": "A withdrawal period in months is from 1 to 60."})
        if self.withdrawal_rule == rules.WITHDRAWAL_DAYS and not 1 <= (self.withdrawal_period or 0) <= 1825:
            raise ValidationError({"withdrawal_period": "A withdrawal period in days is from 1 to 1,825."})
        if self.eif_rule == rules.EIF_MONTH_START and not 1 <= (self.eif_period or 0) <= 120:
            raise ValidationError({"eif_period": "A period in months is from 1 to 120 (ten years)."})
        if self.eif_rule == rules.EIF_DAYS_AFTER and not 1 <= (self.eif_period or 0) <= 3650:
            raise ValidationError({"eif_period": "A period in days is from 1 to 3,650 (ten years)."})
        if (
            self.adopted_on
            and self.opened_for_signature_on
            and self.opened_for_signature_on < self.adopted_on
        ):
            raise ValidationError(
                {"opened_for_signature_on": "The treaty cannot open for signature before it was adopted."}
            )

    def compute_dates(self, deposits=None):
        """Return (threshold date, entry into force) from ``deposits`` (default: the stored ones).

        Note: without ``deposits`` this reads the treaty's deposit dates (one query).
        """
        if deposits is None:
            deposits = self.deposit_dates() if self.pk else []
        threshold = rules.threshold_date(deposits, self.rules)
        return threshold, rules.general_entry_into_force(threshold, self.rules)

    def deposit_dates(self, replacing=None):
        """Every stored deposit date of the treaty, with ``replacing``'s (a participation) as it is now."""
        stored = self.participations.exclude(deposit_date=None)
        if replacing is not None and replacing.pk is not None:
            stored = stored.exclude(pk=replacing.pk)
        dates = list(stored.values_list("deposit_date", flat=True))
        if replacing is not None and replacing.deposit_date is not None:
            dates.append(replacing.deposit_date)
        return dates

    def save(self, *args, changed_by=None, **kwargs):
        """Save the treaty with its computed dates, then every date that follows from its rules.

        ``changed_by`` is the participation whose save changed the deposits: it has
        computed its own dates already, so only the others are recomputed.
        """
        with transaction.atomic(using=self._state.db):
            self.merge_stored()
            self.threshold_date, self.entry_into_force_date = self.compute_dates()
            super().save(*args, **kwargs)
            obligations = Obligation.objects.locked().prefetch_related("extensions")
            participations = (
                self.participations.exclude(pk=getattr(changed_by, "pk", None))
                .locked()
                .prefetch_related(Prefetch("obligations", queryset=obligations, to_attr="locked_obligations"))
            )
            for participation in participations:
                participation.treaty = self
                participation.recompute(changed_by or self, participation.locked_obligations)


def searchable(text):
    """``text`` as State search compares it: lower case, without accents or punctuation."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


class StateQuerySet(RecordQuerySet):
    def search(self, text):
        """States whose name or another name contains ``text`` (accents and case aside), or whose ISO code is ``text``."""
        text = text.strip()
        if not text:
            return self
        words = searchable(text)
        found = Q(iso2__iexact=text) | Q(iso3__iexact=text)
        if words:
            found |= Q(search_text__contains=words)
        return self.filter(found)


class State(Record):
    """A state that may join the treaties: every UN member and observer, the Cook Islands and Niue."""

    class Region(models.TextChoices):
        AFRICA = "africa", _("Africa")
        AMERICAS = "americas", _("Americas")
        ASIA = "asia", _("Asia")
        EUROPE = "europe", _("Europe")
        OCEANIA = "oceania", _("Oceania")

    class Membership(models.TextChoices):
        MEMBER = "member", _("UN member state")
        OBSERVER = "observer", _("UN observer state")
        OTHER = "other", _("Other (e.g. in free association)")

    name = models.CharField(max_length=200, unique=True, help_text="The name the UN uses.")
    iso2 = models.CharField(
        "ISO code",
        max_length=2,
        unique=True,
        help_text="ISO 3166-1 alpha-2 code, in capitals. Example: 'LB' for Lebanon.",
    )
    iso3 = models.CharField("ISO alpha-3 code", max_length=3, blank=True)
    region = models.CharField("UN region", max_length=10, choices=Region.choices)
    subregion = models.CharField("UN sub-region", max_length=60, blank=True)
    membership = models.CharField(max_length=10, choices=Membership.choices, default=Membership.MEMBER)
    aliases = models.CharField(
        "other names",
        max_length=300,
        blank=True,
        help_text="Names readers may search for, separated by semicolons. Example: 'Laos; Lao PDR'.",
    )
    search_text = models.TextField(
        editable=False, blank=True, help_text="Computed: the names and codes, as search compares them."
    )
    source = models.ForeignKey(
        Source,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the name, codes and region come from.",
    )

    objects = StateQuerySet.as_manager()
    history = History()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(iso2__regex=r"^[A-Z]{2}$"), name="tracker_state_iso2_format"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("state-detail", args=[self.iso2.lower()])

    def clean(self):
        self.iso2 = (self.iso2 or "").upper()
        self.iso3 = (self.iso3 or "").upper()
        if len(self.iso2) != 2 or not self.iso2.isalpha():
            raise ValidationError({"iso2": "An ISO 3166-1 alpha-2 code is two letters, e.g. 'LB'."})

    def save(self, *args, **kwargs):
        with transaction.atomic(using=self._state.db):
            if kwargs.get("update_fields") is None:
                self.merge_stored()
            names = [self.name, *self.aliases.split(";")]
            self.search_text = "|".join(filter(None, (searchable(name) for name in names)))
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
            super().save(*args, **kwargs)


class ParticipationQuerySet(RecordQuerySet):
    def parties(self, as_of):
        """Participations whose State is a party on ``as_of`` (deposited, not withdrawn)."""
        return self.filter(deposit_date__lte=as_of).exclude(withdrawal_effective_date__lte=as_of)

    def signatories(self, as_of):
        """Participations that signed but have not deposited by ``as_of``."""
        return self.filter(signature_date__lte=as_of).exclude(deposit_date__lte=as_of)

    def in_force(self, as_of):
        return self.filter(entry_into_force_date__lte=as_of).exclude(withdrawal_effective_date__lte=as_of)

    def withdrawn(self, as_of):
        return self.filter(withdrawal_effective_date__lte=as_of)

    def with_status(self, status, as_of):
        """Filter by one of the rules.STATUSES values on ``as_of``."""
        if status == rules.PARTY:
            return self.parties(as_of)
        if status == rules.SIGNATORY:
            return self.signatories(as_of)
        if status == rules.WITHDRAWN:
            return self.withdrawn(as_of)
        if status == rules.NON_SIGNATORY:
            return self.exclude(signature_date__lte=as_of).exclude(deposit_date__lte=as_of)
        raise ValueError(f"Unknown status: {status!r}")


class Participation(Record):
    """One State's relation to one treaty: signature, instrument, entry into force, withdrawal."""

    class Instrument(models.TextChoices):
        RATIFICATION = "ratification", _("Ratification")
        ACCESSION = "accession", _("Accession")
        ACCEPTANCE = "acceptance", _("Acceptance")
        APPROVAL = "approval", _("Approval")
        SUCCESSION = "succession", _("Succession")

    class Status(models.TextChoices):
        NON_SIGNATORY = rules.NON_SIGNATORY, _("Non-signatory")
        SIGNATORY = rules.SIGNATORY, _("Signatory")
        PARTY = rules.PARTY, _("State Party")
        WITHDRAWN = rules.WITHDRAWN, _("Withdrawn")

    treaty = models.ForeignKey(Treaty, models.PROTECT, related_name="participations")
    state = models.ForeignKey(State, models.PROTECT, related_name="participations")
    signature_date = models.DateField(null=True, blank=True)
    instrument = models.CharField(
        max_length=20,
        choices=Instrument.choices,
        blank=True,
        help_text="The kind of instrument deposited. Leave empty until one is deposited.",
    )
    deposit_date = models.DateField(
        "deposit date",
        null=True,
        blank=True,
        help_text="The day the depositary received the instrument. Entry into force is computed from it.",
    )
    entry_into_force_date = models.DateField(
        "entry into force",
        null=True,
        blank=True,
        editable=False,
        help_text="Computed from the deposit date by the treaty's rule.",
    )
    provisional_application_date = models.DateField(
        null=True,
        blank=True,
        help_text="When the State declared it applies Article 1 provisionally (Art. 18).",
    )
    withdrawal_notice_date = models.DateField(
        "withdrawal notice received",
        null=True,
        blank=True,
        help_text="The day the depositary received the instrument of withdrawal.",
    )
    withdrawal_effective_date = models.DateField(
        "withdrawal effective",
        null=True,
        blank=True,
        editable=False,
        help_text="Computed from the notice by the treaty's rule; empty while an armed conflict delays it.",
    )
    in_conflict_at_expiry = models.BooleanField(
        "engaged in armed conflict when the period ran out",
        default=False,
        help_text="Art. 20(3): the withdrawal then takes effect only at the end of the armed conflict. "
        "Cite the source below.",
    )
    conflict_source = models.ForeignKey(
        Source,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="source for the armed conflict",
    )
    conflict_ended_on = models.DateField(
        "armed conflict ended",
        null=True,
        blank=True,
        help_text="The end of the armed conflict, once it comes; the withdrawal takes effect then.",
    )
    # The depositary's notifications (C.N.) and a source per fact, where they differ from the record's.
    signature_source = models.ForeignKey(
        Source,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="source for the signature",
    )
    deposit_notification = models.CharField(
        "deposit notification",
        max_length=60,
        blank=True,
        help_text="The depositary notification's symbol, e.g. 'C.N.776.2008.TREATIES-3'.",
    )
    deposit_notification_date = models.DateField("deposit notification date", null=True, blank=True)
    deposit_source = models.ForeignKey(
        Source, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="source for the deposit"
    )
    withdrawal_notification = models.CharField(
        "withdrawal notification",
        max_length=60,
        blank=True,
        help_text="The depositary notification's symbol, e.g. 'C.N.360.2025.TREATIES-XXVI.5'.",
    )
    withdrawal_notification_date = models.DateField("withdrawal notification date", null=True, blank=True)
    withdrawal_source = models.ForeignKey(
        Source,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="source for the withdrawal",
    )
    notes = models.TextField(blank=True, help_text="Declarations, territorial scope and the like.")
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    objects = ParticipationQuerySet.as_manager()
    history = History(deleted_by="state")

    class Meta:
        ordering = ["state__name"]
        constraints = [
            models.UniqueConstraint(fields=["treaty", "state"], name="tracker_participation_unique"),
            models.CheckConstraint(
                condition=Q(signature_date=None)
                | Q(deposit_date=None)
                | Q(deposit_date__gte=models.F("signature_date")),
                name="tracker_participation_deposit_after_signature",
            ),
            models.CheckConstraint(
                condition=Q(withdrawal_notice_date=None)
                | (Q(deposit_date__isnull=False) & Q(withdrawal_notice_date__gte=models.F("deposit_date"))),
                name="tracker_participation_withdrawal_after_deposit",
            ),
            models.CheckConstraint(
                condition=(Q(deposit_date=None) & Q(instrument=""))
                | (Q(deposit_date__isnull=False) & ~Q(instrument="")),
                name="tracker_participation_instrument_with_deposit",
            ),
        ]
        indexes = [
            # The states list and dashboard filter participations of a treaty by these dates.
            models.Index(fields=["treaty", "deposit_date"], name="tracker_part_treaty_deposit"),
        ]

    def __str__(self):
        # (A form being redrawn with errors may hold a participation without its State or treaty.)
        state = self.state if self.state_id else "(no State)"
        treaty = self.treaty if self.treaty_id else "(no treaty)"
        return f"{state} – {treaty}"

    def get_absolute_url(self):
        return self.state.get_absolute_url()

    def clean(self):
        errors = {}
        if self.signature_date and self.deposit_date and self.deposit_date < self.signature_date:
            errors["deposit_date"] = "The instrument cannot be deposited before the State signed."
        if self.deposit_date and not self.instrument:
            errors["instrument"] = "Say which instrument was deposited (ratification, accession, …)."
        if self.instrument and not self.deposit_date:
            errors["deposit_date"] = "Give the date the instrument was deposited, or clear the instrument."
        if self.withdrawal_notice_date and not self.deposit_date:
            errors["withdrawal_notice_date"] = "Only a State that deposited an instrument can withdraw."
        elif self.withdrawal_notice_date and self.withdrawal_notice_date < self.deposit_date:
            errors["withdrawal_notice_date"] = "A withdrawal notice cannot come before the deposit."
        treaty = self.treaty if self.treaty_id else None
        if treaty and self.signature_date and treaty.opened_for_signature_on:
            if self.signature_date < treaty.opened_for_signature_on:
                errors["signature_date"] = (
                    f"The {treaty.short_name} opened for signature on "
                    f"{partial_dates.display(treaty.opened_for_signature_on)}."
                )
        if (self.in_conflict_at_expiry or self.conflict_ended_on) and not self.withdrawal_notice_date:
            errors["in_conflict_at_expiry"] = "An armed conflict delays only a notified withdrawal."
        elif self.in_conflict_at_expiry and treaty and not treaty.withdrawal_conflict_proviso:
            errors["in_conflict_at_expiry"] = (
                f"The {treaty.short_name} has no armed-conflict proviso: its withdrawals take effect "
                "at the end of the period."
            )
        elif self.conflict_ended_on and not self.in_conflict_at_expiry:
            errors["conflict_ended_on"] = "Record the end of a conflict only for a State engaged in one."
        elif self.conflict_ended_on and self.conflict_ended_on < self.withdrawal_notice_date:
            errors["conflict_ended_on"] = "The conflict that delays a withdrawal ends after the notice."
        for act, day in (("deposit", self.deposit_date), ("withdrawal", self.withdrawal_notice_date)):
            notified = getattr(self, f"{act}_notification_date")
            if notified and not day:
                errors[f"{act}_notification_date"] = f"Give the {act} date that the notification reports."
            elif notified and notified < day:
                errors[f"{act}_notification_date"] = f"The depositary notifies a {act} after it is made."
        if self.provisional_application_date and not self.deposit_date:
            errors["provisional_application_date"] = (
                "Provisional application is declared with a ratification or accession (Art. 18)."
            )
        if errors:
            raise ValidationError(errors)

    def compute_dates(self, threshold=None):
        """Return (entry into force, withdrawal effective) by the treaty's rules.

        ``threshold`` is the date of the deposit that brought the treaty into
        force; by default the treaty's stored one.
        """
        treaty = self.treaty
        if threshold is None:
            threshold = treaty.threshold_date
        eif = rules.entry_into_force(self.deposit_date, threshold, treaty.rules)
        withdrawal = rules.withdrawal_effective(
            self.withdrawal_notice_date, treaty.rules, self.in_conflict_at_expiry, self.conflict_ended_on
        )
        return eif, withdrawal

    def lock_parents(self):
        # A deposit can change the treaty's dates and every other participation's:
        # every path that writes a participation locks the treaty's row first.
        return Treaty.objects.locked().get(pk=self.treaty_id)

    def lock_children(self):
        # Deleting it deletes its obligations and their extensions: obligations first.
        list(self.obligations.locked().values_list("pk", flat=True))

    def delete(self, *args, **kwargs):
        """Delete, then recompute the treaty's dates (and so the others') if the deposit counted."""
        with transaction.atomic(using=self._state.db):
            result = super().delete(*args, **kwargs)
            treaty = Treaty.objects.get(pk=self.treaty_id)
            if self.deposit_date is not None and treaty.compute_dates() != (
                treaty.threshold_date,
                treaty.entry_into_force_date,
            ):
                treaty._change_reason = recomputed_reason(self)
                treaty.save()
        return result

    def save(self, *args, **kwargs):
        """Save with the dates the rules give, counting this deposit towards the treaty's threshold.

        The treaty is read afresh under lock (its rules and threshold as stored
        now). If this deposit moves the threshold (the Nth deposit, or a change to
        an earlier one), the treaty and the other participations are recomputed;
        then this participation's obligations are created or recomputed.
        """
        with transaction.atomic(using=self._state.db):
            self.treaty = treaty = self.lock_parents()
            self.merge_stored()
            threshold, _ = treaty.compute_dates(treaty.deposit_dates(replacing=self))
            self.entry_into_force_date, self.withdrawal_effective_date = self.compute_dates(threshold)
            super().save(*args, **kwargs)
            if threshold != treaty.threshold_date:
                treaty._change_reason = recomputed_reason(self)
                treaty.save(changed_by=self)
            self.sync_obligations(cause=self)

    def recompute(self, cause, obligations):
        """Rewrite the computed dates after ``cause`` changed the rules or the threshold; then the obligations.

        Call on a participation read under lock, whose ``treaty`` is the changed
        one, with its ``obligations`` read under lock. Saves only what changed,
        each with one history row.
        """
        computed = self.compute_dates()
        if computed != (self.entry_into_force_date, self.withdrawal_effective_date):
            self.entry_into_force_date, self.withdrawal_effective_date = computed
            self._change_reason = recomputed_reason(cause)
            super().save(update_fields=["entry_into_force_date", "withdrawal_effective_date"])
        self.sync_obligations(cause, obligations)

    def sync_obligations(self, cause, obligations=None):
        """Give a party its stockpile and clearance obligations, and recompute their deadlines.

        An obligation exists once an instrument is deposited, for each kind the
        treaty sets a period for; an existing one is kept (and recomputed) even
        if the deposit is cleared, so that nothing entered on it is lost.
        """
        if obligations is None:
            obligations = self.obligations.locked().prefetch_related("extensions")
        existing = {o.kind: o for o in obligations}
        for kind, years in (
            (Obligation.Kind.STOCKPILE, self.treaty.stockpile_years),
            (Obligation.Kind.CLEARANCE, self.treaty.clearance_years),
        ):
            obligation = existing.get(kind)
            if obligation is not None:
                obligation.participation = self
                obligation.recompute(cause)
            elif years is not None and self.deposit_date is not None:
                obligation = Obligation(participation=self, kind=kind)
                obligation._change_reason = recomputed_reason(cause)
                obligation.save()
        # Reports' due dates follow entry into force and withdrawal like the deadlines.
        for report in self.reports.locked():
            report.participation = self
            report.recompute(cause)

    def status(self, as_of=None):
        """Return the status on ``as_of`` (today if None): one of rules.STATUSES."""
        return rules.status(
            as_of or today(), self.signature_date, self.deposit_date, self.withdrawal_effective_date
        )

    def known_on(self, as_of):
        """This participation as it was known on ``as_of``: a copy without the later facts (not to be
        saved), or the participation itself when it has none.

        A signature, deposit or withdrawal notice after ``as_of`` is left out, and
        so is what follows from it. Entry into force was known once the deposit
        was made and, for the first instruments, once the treaty's deciding
        deposit was (its date follows from that one).
        """
        if not self._changes_after(as_of):
            # Nothing to leave out: the participation itself (a long list's copies were a
            # fifth of the dashboard, docs/performance.md).
            return self
        known = copy.copy(self)
        if known.signature_date and known.signature_date > as_of:
            known.signature_date = None
        if known.deposit_date and known.deposit_date > as_of:
            known.deposit_date, known.instrument, known.provisional_application_date = None, "", None
        threshold = self.treaty.threshold_date
        if known.deposit_date is None or threshold is None or threshold > as_of:
            known.entry_into_force_date = None
        if known.withdrawal_notice_date and known.withdrawal_notice_date > as_of:
            known.withdrawal_notice_date = known.withdrawal_effective_date = None
            known.in_conflict_at_expiry, known.conflict_ended_on = False, None
        elif known.conflict_ended_on and known.conflict_ended_on > as_of:
            # The conflict had not ended: the withdrawal was still pending.
            known.conflict_ended_on = known.withdrawal_effective_date = None
        if known.provisional_application_date and known.provisional_application_date > as_of:
            known.provisional_application_date = None
        return known

    def _changes_after(self, as_of):
        """True when known_on(as_of) leaves something out (the same tests, without the copy)."""

        def later(day):
            return day is not None and day > as_of

        deposit_known = self.deposit_date is not None and not later(self.deposit_date)
        threshold = self.treaty.threshold_date
        entry_unknown = self.entry_into_force_date is not None and (
            not deposit_known or threshold is None or threshold > as_of
        )
        return (
            later(self.signature_date)
            or later(self.deposit_date)
            or entry_unknown
            or later(self.withdrawal_notice_date)
            or later(self.conflict_ended_on)
            or later(self.provisional_application_date)
        )

    def withdrawal_pending(self, as_of=None):
        """True when the State has notified withdrawal by ``as_of`` and it has not taken effect."""
        return rules.withdrawal_pending(
            as_of or today(), self.withdrawal_notice_date, self.withdrawal_effective_date
        )

    def withdrawal_expiry(self):
        """The day the withdrawal period runs out (the effect, unless an armed conflict delays it)."""
        return rules.withdrawal_expiry(self.withdrawal_notice_date, self.treaty.rules)

    def get_status_display(self, as_of=None):
        return self.Status(self.status(as_of)).label

    def in_force(self, as_of=None):
        return rules.in_force(as_of or today(), self.entry_into_force_date, self.withdrawal_effective_date)

    def report_due_dates(self, until=None):
        return rules.report_due_dates(
            self.entry_into_force_date, until or today(), self.treaty.rules, self.withdrawal_effective_date
        )

    def next_report_due(self, as_of=None):
        return rules.next_report_due(
            self.entry_into_force_date, as_of or today(), self.treaty.rules, self.withdrawal_effective_date
        )


class RatificationStep(Record):
    """A dated step on a State's road to joining, or a stated intention."""

    PARTIAL_DATES = {"date": "date_precision", "expected_date": "expected_precision"}

    class Kind(models.TextChoices):
        CONSIDERING = "considering", _("Considering joining")
        ASSESSING = "assessing", _("Assessing its position")
        LEGISLATION_DRAFTED = "legislation_drafted", _("Legislation drafted")
        BEFORE_PARLIAMENT = "before_parliament", _("Bill before parliament")
        PARLIAMENTARY_APPROVAL = "parliamentary_approval", _("Parliamentary approval")
        LEGISLATION_ADOPTED = "legislation_adopted", _("Implementing legislation adopted")
        EXECUTIVE_APPROVAL = "executive_approval", _("Executive approval")
        INSTRUMENT_DEPOSITED = "instrument_deposited", _("Instrument deposited")
        INTENTION = "intention", _("Statement of intent")
        OTHER = "other", _("Other")

    participation = models.ForeignKey(Participation, models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    date = models.DateField(help_text="When the step happened or was reported.")
    date_precision = precision_field("date precision")
    description = models.TextField(help_text="What happened, in a sentence or two.")
    expected_date = models.DateField(
        null=True,
        blank=True,
        help_text="For an intention: when the State expects the next step ('hopes to ratify next year').",
    )
    expected_precision = precision_field("expected date precision")
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    history = History(by="participation")

    class Meta:
        ordering = ["participation", "date", "pk"]
        verbose_name = "ratification step"

    def __str__(self):
        return f"{self.get_kind_display()} ({self.date_display})"

    def clean(self):
        super().clean()
        if (
            self.expected_date
            and self.date
            and partial_dates.period_end(self.expected_date, self.expected_precision) < self.date
        ):
            raise ValidationError({"expected_date": "An expected date cannot lie before the step itself."})

    @property
    def date_display(self):
        return partial_dates.display(self.date, self.date_precision)

    @property
    def expected_display(self):
        return partial_dates.display(self.expected_date, self.expected_precision)


class Declaration(Record):
    """A declaration, reservation or territorial application a State made with its instrument (or later)."""

    PARTIAL_DATES = {"date": "date_precision"}

    class Kind(models.TextChoices):
        DECLARATION = "declaration", _("Declaration")
        RESERVATION = "reservation", _("Reservation")
        TERRITORIAL = "territorial", _("Territorial application")
        OBJECTION = "objection", _("Objection")
        # A declared "suspension" or the like, which the treaty does not provide for: shown as
        # what the State said, never as a change of its status.
        STATEMENT = "statement", pgettext_lazy("a kind of declaration", "Statement")

    participation = models.ForeignKey(Participation, models.CASCADE, related_name="declarations")
    kind = models.CharField(
        max_length=12,
        choices=Kind.choices,
        default=Kind.DECLARATION,
        help_text="A declared 'suspension' or another act the treaty does not provide for is a statement: "
        "it is shown as what the State said and changes no status.",
    )
    date = models.DateField(null=True, blank=True, help_text="When it was made, if the depositary gives it.")
    date_precision = precision_field("date precision")
    text = models.TextField(help_text="The text as the depositary publishes it, or its gist in a sentence.")
    notification = models.CharField(
        "depositary notification",
        max_length=60,
        blank=True,
        help_text="Example: 'C.N.347.2024.TREATIES-XXVI.6'.",
    )
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    history = History(by="participation")

    class Meta:
        ordering = ["participation", "date", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.participation.state if self.participation_id else '?'}"

    @property
    def date_display(self):
        return partial_dates.display(self.date, self.date_precision)


class ObligationQuerySet(RecordQuerySet):
    def of_parties(self, as_of):
        """Obligations of States that have not withdrawn by ``as_of``: withdrawal ends them."""
        return self.exclude(participation__withdrawal_effective_date__lte=as_of)

    def applicable(self):
        return self.filter(applicability=Obligation.Applicability.APPLICABLE)

    def open_on(self, as_of):
        """Applicable obligations not completed by ``as_of``."""
        return self.applicable().exclude(completed_on__lte=as_of)

    def due_from(self, day):
        """Obligations whose current deadline is ``day`` or later."""
        return self.filter(current_deadline__gte=day)

    def due_before(self, day):
        """Obligations whose current deadline passed before ``day``."""
        return self.filter(current_deadline__lt=day)

    def overdue(self, as_of):
        """Applicable obligations whose current deadline passed before ``as_of`` without completion
        and without an extension request awaiting its decision."""
        return (
            self.open_on(as_of)
            .due_before(as_of)
            .filter(extension_pending=False)
            .exclude(current_deadline__gte=F("participation__treaty__obligations_checked_on"))
        )

    def passed_since_checked(self, as_of):
        """Open obligations whose deadline passed after the record was last checked, with no request
        recorded: whether the State met it, asked for more time or not is not recorded yet."""
        return (
            self.open_on(as_of)
            .due_before(as_of)
            .filter(extension_pending=False)
            .filter(current_deadline__gte=F("participation__treaty__obligations_checked_on"))
        )

    def awaiting_decision(self, as_of):
        """Open obligations past their deadline with an extension request whose meeting has not ended."""
        return self.open_on(as_of).due_before(as_of).filter(Exists(_requests_awaiting(as_of)))

    def decision_not_recorded(self, as_of):
        """Open obligations past their deadline with a request whose decision the record lacks
        (its meeting has ended, or none is recorded): a gap for editors to fill."""
        return (
            self.open_on(as_of)
            .due_before(as_of)
            .filter(extension_pending=True)
            .exclude(Exists(_requests_awaiting(as_of)))
        )

    def with_extensions(self):
        """With their extensions and those extensions' meetings, for status() and deadline_on()."""
        # A plain list (to_attr): Django copies a queryset per obligation otherwise, which
        # was a third of /deadlines/ (docs/performance.md). Read it with extension_list().
        return self.prefetch_related(
            Prefetch(
                "extensions",
                queryset=Extension.objects.select_related("meeting").order_by("pk"),
                to_attr="prefetched_extensions",
            )
        )

    def upcoming(self, as_of, days=None):
        """Applicable open obligations whose deadline is on or after ``as_of`` (within ``days``)."""
        qs = self.open_on(as_of).due_from(as_of)
        if days is not None:
            qs = qs.filter(current_deadline__lte=as_of + datetime.timedelta(days=days))
        return qs

    def listed(self, as_of, show="", unrecorded=False):
        """The obligations the deadlines downloads list on ``as_of``: applicable ones with a deadline
        (and those of unrecorded applicability, with ``unrecorded``), narrowed to "upcoming",
        "overdue" (overdue, awaiting a decision or with its outcome not recorded) or "completed"
        (completed by ``as_of``) by ``show``."""
        qs = self.applicable() | (
            self.filter(applicability=Obligation.Applicability.UNKNOWN) if unrecorded else self.none()
        )
        qs = qs.exclude(current_deadline=None, completed_on=None)
        if show == "upcoming":
            return qs.exclude(completed_on__lte=as_of).due_from(as_of)
        if show == "overdue":
            return (
                qs.filter(applicability=Obligation.Applicability.APPLICABLE)
                .exclude(completed_on__lte=as_of)
                .due_before(as_of)
            )
        if show == "completed":
            return qs.filter(completed_on__lte=as_of)
        return qs

    def in_calendar(self, as_of, show="", unrecorded=False):
        """The deadlines a calendar holds on ``as_of``: those of open obligations.

        ``show`` narrows them to "upcoming" or "overdue" ones ("completed" holds
        none: a calendar has open deadlines only); ``unrecorded`` adds those whose
        applicability is not recorded (never as overdue: that is not known).
        """
        applicable = self.open_on(as_of)
        unknown = self.unrecorded(as_of) if unrecorded else self.none()
        if show == "upcoming":
            return applicable.due_from(as_of) | unknown.due_from(as_of)
        if show == "overdue":
            return self.overdue(as_of)
        if show == "completed":
            return self.none()
        return (applicable | unknown).exclude(current_deadline=None)

    def unrecorded(self, as_of):
        """Obligations with a deadline whose applicability is not recorded, not completed by ``as_of``.

        Never upcoming or overdue: whether the State has anything to destroy or
        clear is not known.
        """
        return (
            self.filter(applicability=Obligation.Applicability.UNKNOWN)
            .exclude(completed_on__lte=as_of)
            .exclude(current_deadline=None)
        )

    def completed_between(self, start, end):
        """Obligations completed from ``start`` to ``end`` (both included), newest first."""
        return (
            self.exclude(applicability=Obligation.Applicability.NOT_APPLICABLE)
            .filter(completed_on__gte=start, completed_on__lte=end)
            .order_by("-completed_on")
        )

    def with_state(self):
        """With the participation, State and treaty each row is shown with (no extra query per row)."""
        return self.select_related("participation__state", "participation__treaty")


def _requests_awaiting(as_of):
    """The pending extension requests of the outer obligation whose meeting has not ended on ``as_of``."""
    not_over = Q(meeting__end_date__gte=as_of) | Q(meeting__end_date=None, meeting__start_date__gte=as_of)
    undated = Q(meeting__end_date=None, meeting__start_date=None, meeting__isnull=False)
    return Extension.objects.filter(obligation=OuterRef("pk"), decision=Extension.Decision.PENDING).filter(
        not_over | undated
    )


class Obligation(Record):
    """A State Party's stockpile destruction (Art. 3) or clearance (Art. 4) obligation."""

    PARTIAL_DATES = {"completed_on": "completed_precision", "expected_completion": "expected_precision"}

    class Kind(models.TextChoices):
        STOCKPILE = "stockpile", _("Stockpile destruction")
        CLEARANCE = "clearance", _("Clearance")

    class Applicability(models.TextChoices):
        APPLICABLE = "applicable", _("Applies (the State has stockpiles or contamination)")
        NOT_APPLICABLE = "not_applicable", _("Does not apply")
        UNKNOWN = "unknown", _("Not recorded")

    class Status(models.TextChoices):
        NOT_APPLICABLE = rules.NOT_APPLICABLE, _("Not applicable")
        UNKNOWN = rules.UNKNOWN, _("Not recorded")
        IN_PROGRESS = rules.IN_PROGRESS, _("In progress")
        COMPLETED = rules.COMPLETED, _("Completed")
        OVERDUE = rules.OVERDUE, _("Overdue")
        AWAITING_DECISION = rules.AWAITING_DECISION, _("Extension requested, decision awaited")

    participation = models.ForeignKey(Participation, models.CASCADE, related_name="obligations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    applicability = models.CharField(
        max_length=15,
        choices=Applicability.choices,
        default=Applicability.UNKNOWN,
        help_text="Whether the State has anything to destroy or clear. Leave 'Not recorded' unless a source says.",
    )
    hostilities_ended_on = models.DateField(
        "active hostilities ended",
        null=True,
        blank=True,
        help_text="Clearance only: for land contaminated after entry into force, the deadline counts from here (Art. 4(1)(b)).",
    )
    original_deadline = models.DateField(null=True, blank=True, editable=False)
    current_deadline = models.DateField(null=True, blank=True, editable=False)
    extension_pending = models.BooleanField(
        "extension request pending",
        default=False,
        editable=False,
        help_text="Computed: an extension request has no recorded decision yet.",
    )
    completed_on = models.DateField("completed", null=True, blank=True)
    completed_precision = precision_field("completion date precision")
    expected_completion = models.DateField(
        null=True, blank=True, help_text="When the State says it will finish, if it has said."
    )
    expected_precision = precision_field("expected completion precision")
    progress = models.TextField("progress notes", blank=True)
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    objects = ObligationQuerySet.as_manager()
    history = History(deleted_by="participation")

    class Meta:
        ordering = ["current_deadline", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["participation", "kind"], name="tracker_obligation_unique"),
            models.CheckConstraint(
                condition=~Q(kind="stockpile") | Q(hostilities_ended_on=None),
                name="tracker_obligation_hostilities_only_clearance",
            ),
        ]
        indexes = [
            # /deadlines/ and the dashboard ask for open obligations ordered by deadline.
            models.Index(fields=["applicability", "current_deadline"], name="tracker_oblig_deadline"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.participation.state if self.participation_id else '?'}"

    def clean(self):
        super().clean()
        if self.hostilities_ended_on and self.kind != self.Kind.CLEARANCE:
            raise ValidationError(
                {"hostilities_ended_on": "Only a clearance deadline can count from the end of hostilities."}
            )
        if self.completed_on and self.applicability == self.Applicability.NOT_APPLICABLE:
            raise ValidationError({"completed_on": "An obligation that does not apply cannot be completed."})
        participation = self.participation if self.participation_id else None
        if participation and self.hostilities_ended_on and participation.entry_into_force_date:
            if self.hostilities_ended_on < participation.entry_into_force_date:
                raise ValidationError(
                    {
                        "hostilities_ended_on": "Art. 4(1)(b) is for contamination after entry into force; "
                        "this date is before it."
                    }
                )

    def compute_deadlines(self, extensions=None):
        """Return (original, current, pending) from entry into force and the extensions.

        ``pending`` is True when an extension request has no recorded decision.
        """
        participation = self.participation
        original = rules.original_deadline(
            self.kind,
            participation.entry_into_force_date,
            participation.treaty.rules,
            self.hostilities_ended_on,
        )
        if extensions is None:
            extensions = list(self.extensions.all()) if self.pk else []
        granted = [e.new_deadline for e in extensions if e.decision == Extension.Decision.GRANTED]
        pending = any(e.decision == Extension.Decision.PENDING for e in extensions)
        return original, rules.current_deadline(original, granted), pending

    def save(self, *args, **kwargs):
        """Save with the deadlines computed from the participation as stored, and the extensions.

        Note: reads the participation with its treaty, and the extensions (a query each):
        a participation object held by the caller may predate its entry into force.
        """
        with transaction.atomic(using=self._state.db):
            self.merge_stored()
            self.participation = Participation.objects.select_related("treaty").get(pk=self.participation_id)
            # Read afresh: extensions prefetched with the object (the admin does) may predate the lock.
            extensions = list(Extension.objects.filter(obligation_id=self.pk)) if self.pk else []
            self.original_deadline, self.current_deadline, self.extension_pending = self.compute_deadlines(
                extensions
            )
            super().save(*args, **kwargs)

    def recompute(self, cause):
        """Rewrite the deadlines after ``cause`` changed what they count from. Saves only if they changed.

        Call on an obligation read under lock, whose ``participation`` is the
        one as saved.
        """
        computed = self.compute_deadlines()
        if computed == (self.original_deadline, self.current_deadline, self.extension_pending):
            return False
        self.original_deadline, self.current_deadline, self.extension_pending = computed
        self._change_reason = recomputed_reason(cause)
        super().save(update_fields=["original_deadline", "current_deadline", "extension_pending"])
        return True

    @property
    def applies(self):
        """True, False, or None when it is not recorded whether the State has anything to destroy or clear."""
        return {self.Applicability.APPLICABLE: True, self.Applicability.NOT_APPLICABLE: False}.get(
            self.applicability
        )

    def completed_by(self, as_of):
        """The completion date if the obligation was certainly completed by ``as_of``, else None.

        A completion known only as "2023" counts from 31 December 2023.
        """
        if self.completed_on is None:
            return None
        end = partial_dates.period_end(self.completed_on, self.completed_precision)
        return end if end <= as_of else None

    def extension_list(self):
        """The extensions: those prefetched (with_extensions(), or a Prefetch of
        "extensions") as they are, else a query."""
        if hasattr(self, "prefetched_extensions"):
            return self.prefetched_extensions
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("extensions")
        return prefetched if prefetched is not None else self.extensions.all()

    def deadline_on(self, as_of=None):
        """The deadline as it stood on ``as_of``: an extension counts from the day it was decided.

        Note: reads the extensions with their meetings, unless prefetched (with_extensions()).
        """
        as_of = as_of or today()
        granted = [
            (e.known_from, e.new_deadline)
            for e in self.extension_list()
            if e.decision == Extension.Decision.GRANTED
        ]
        return rules.deadline_on(as_of, self.original_deadline, granted)

    def status(self, as_of=None):
        """The status on ``as_of`` (today if None): one of rules.OBLIGATION_STATUSES.

        Note: reads the extensions with their meetings when the answer depends
        on them, unless prefetched (with_extensions()).
        """
        as_of = as_of or today()
        # A page asks several times (badge, countdown, columns): the answer is kept per day.
        known = self.__dict__.setdefault("_statuses", {})
        if as_of not in known:
            known[as_of] = self._status(as_of)
        return known[as_of]

    def _status(self, as_of):
        applies = self.applies
        if applies is not True or self.completed_by(as_of):
            return rules.obligation_status(as_of, None, applies, self.completed_by(as_of))
        requests = [e.state_on(as_of) for e in self.extension_list()]
        return rules.obligation_status(
            as_of,
            self.deadline_on(as_of),
            applies,
            awaiting_decision=rules.AWAITING in requests,
            decision_not_recorded=rules.DECISION_NOT_RECORDED in requests,
            record_checked_on=self.participation.treaty.obligations_checked_on,
        )

    @property
    def decision_not_recorded(self):
        """True when the record lacks the outcome of an extension request whose meeting is over (today)."""
        return any(e.state_on(today()) == rules.DECISION_NOT_RECORDED for e in self.extension_list())

    def withdrawal_pending(self, as_of=None):
        """True when the State has notified withdrawal by ``as_of`` and it has not taken effect."""
        return rules.withdrawal_pending(
            as_of or today(), self.withdrawal_notice_date, self.withdrawal_effective_date
        )

    def withdrawal_expiry(self):
        """The day the withdrawal period runs out (the effect, unless an armed conflict delays it)."""
        return rules.withdrawal_expiry(self.withdrawal_notice_date, self.treaty.rules)

    def get_status_display(self, as_of=None):
        return self.Status(self.status(as_of)).label

    @property
    def article_label(self):
        """Where the treaty sets this obligation, e.g. "CCM Art. 4" (or just "CCM").

        Note: reads the participation's treaty (a query unless selected with it).
        """
        treaty = self.participation.treaty
        article = treaty.article_for(self.kind)
        return f"{treaty.short_name} {article}" if article else treaty.short_name

    @property
    def title(self):
        """E.g. "clearance deadline (CCM Art. 4)"."""
        return f"{self.get_kind_display().lower()} deadline ({self.article_label})"

    def days_left(self, as_of=None):
        if self.current_deadline is None:
            return None
        return (self.current_deadline - (as_of or today())).days

    @property
    def completed_display(self):
        return partial_dates.display(self.completed_on, self.completed_precision)

    @property
    def expected_display(self):
        return partial_dates.display(self.expected_completion, self.expected_precision)


class MeetingQuerySet(RecordQuerySet):
    def with_outcomes(self):
        """Meetings with what their pages and data show: place, presidency, parts, documents, and the
        decisions they took (extension requests, working groups established, coordinators appointed)."""
        extensions = Extension.objects.select_related(
            "obligation__participation__state", "obligation__participation__treaty", "meeting", "source"
        )
        appointments = CoordinatorAssignment.objects.select_related("state", "group").order_by(
            "group__position", "state__name"
        )
        return self.select_related(
            "treaty", "country", "president_state", "announced_in", "source", "president_designated_at"
        ).prefetch_related(
            Prefetch("extensions", queryset=extensions),
            Prefetch("working_groups_established", queryset=WorkingGroup.objects.select_related("treaty")),
            Prefetch("appointments", queryset=appointments),
            Prefetch("parts", queryset=MeetingPart.objects.select_related("source")),
            Prefetch("documents", queryset=Document.objects.select_related("source", "submitted_by_state")),
        )

    def in_reading_order(self, as_of):
        """The meetings as readers look for them: those still to come first (the next one on top),
        then the past ones, newest first. Returns a list."""
        meetings = list(self)
        coming = sorted(
            (m for m in meetings if m.start_date is not None and m.start_date > as_of),
            key=lambda m: m.start_date,
        )
        past = sorted(
            (m for m in meetings if m not in coming),
            key=lambda m: (m.start_date or datetime.date.min, m.pk),
            reverse=True,
        )
        return coming + past


class Meeting(Record):
    """A Meeting of States Parties, Review Conference, intersessional or extraordinary meeting."""

    PARTIAL_DATES = {"start_date": "dates_precision"}

    class Kind(models.TextChoices):
        MSP = "msp", _("Meeting of States Parties")
        REVIEW = "review", _("Review Conference")
        INTERSESSIONAL = "intersessional", _("Intersessional meeting")
        EXTRAORDINARY = "extraordinary", _("Extraordinary meeting")

    treaty = models.ForeignKey(Treaty, models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(null=True, blank=True, help_text="2 for the Second Meeting.")
    name = models.CharField(max_length=200, help_text="Example: 'Second Meeting of States Parties'.")
    short_name = models.CharField(max_length=20, blank=True, help_text="Example: '2MSP'.")
    slug = models.SlugField(
        max_length=60,
        blank=True,
        editable=False,
        help_text="Computed: the meeting's address on the public site, the treaty's slug and the "
        "short name (or the name), e.g. 'ccm-2msp'.",
    )
    city = models.CharField(max_length=100)
    country = models.ForeignKey(State, models.PROTECT, null=True, blank=True, related_name="+")
    venue = models.CharField(max_length=200, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    dates_precision = precision_field("dates precision")
    announced_start_date = models.DateField(
        null=True, blank=True, help_text="The dates as first announced, if they differ from those held."
    )
    announced_end_date = models.DateField(null=True, blank=True)
    announced_in = models.ForeignKey(
        Source, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="announced in"
    )
    president_state = models.ForeignKey(
        State, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="presidency"
    )
    president_name = models.CharField(
        "president", max_length=200, blank=True, help_text="Example: 'Ambassador Steffen Kongstad'."
    )
    president_source = models.ForeignKey(
        Source,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="source of the presidency",
        help_text="Where the president is named, if not in the meeting's own source.",
    )
    president_designated_at = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The meeting that chose the president, if known.",
    )
    convened_by = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings_convened",
        verbose_name="place and dates decided at",
        help_text="The meeting that decided where and when this one is held, if known.",
    )
    outcomes = models.TextField(
        blank=True, help_text="What the meeting adopted and decided, in a few sentences for readers."
    )
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    objects = MeetingQuerySet.as_manager()
    history = History()

    class Meta:
        ordering = ["start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date=None) | Q(end_date=None) | Q(end_date__gte=models.F("start_date")),
                name="tracker_meeting_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(announced_start_date=None)
                | Q(announced_end_date=None)
                | Q(announced_end_date__gte=models.F("announced_start_date")),
                name="tracker_meeting_announced_dates_ordered",
            ),
            # The address of /meetings/<slug>/.
            models.UniqueConstraint(fields=["slug"], name="tracker_meeting_unique_slug"),
        ]

    def __str__(self):
        return self.short_name or self.name

    def get_absolute_url(self):
        return reverse("meeting-detail", args=[self.slug])

    def computed_slug(self):
        """The treaty's slug and the short name (or the name), as an address: 'ccm-2msp'."""
        treaty = self.treaty.slug if self.treaty_id else ""
        return slugify(f"{treaty} {self.short_name or self.name}")[:60]

    def save(self, *args, **kwargs):
        self.slug = self.computed_slug()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "slug"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "A meeting cannot end before it starts."})
        if self.treaty_id and (self.short_name or self.name):
            slug = self.computed_slug()
            if Meeting.objects.filter(slug=slug).exclude(pk=self.pk).exists():
                field = "short_name" if self.short_name else "name"
                raise ValidationError(
                    {
                        field: f"Another meeting of this treaty already has the address “{slug}”: "
                        "give this one another short name."
                    }
                )
        if self.announced_start_date and self.announced_end_date:
            if self.announced_end_date < self.announced_start_date:
                raise ValidationError(
                    {"announced_end_date": "The announced end is before the announced start."}
                )

    @property
    def dates_display(self):
        if self.start_date is None:
            return ""
        if (self.dates_precision or partial_dates.DAY) != partial_dates.DAY or self.end_date is None:
            return partial_dates.display(self.start_date, self.dates_precision)
        return _span_display(self.start_date, self.end_date)

    @property
    def announced_display(self):
        if self.announced_start_date is None:
            return ""
        return _span_display(self.announced_start_date, self.announced_end_date or self.announced_start_date)


class MeetingPart(Record):
    """One part of a meeting held in several (the 2nd Review Conference: virtual in 2020, Geneva in 2021)."""

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        VIRTUAL = "virtual", _("Virtual")
        HYBRID = "hybrid", _("Hybrid (in person and online)")

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="parts")
    label = models.CharField(max_length=100, help_text="Example: 'Second part'.")
    start_date = models.DateField()
    end_date = models.DateField()
    city = models.CharField(max_length=100, blank=True, help_text="Empty for a virtual part.")
    venue = models.CharField(max_length=200, blank=True)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.IN_PERSON)
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    history = History(by="meeting")

    class Meta:
        ordering = ["meeting", "start_date"]
        verbose_name = "meeting part"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="tracker_meetingpart_dates_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.meeting if self.meeting_id else '?'}: {self.label}"

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "A part cannot end before it starts."})

    @property
    def dates_display(self):
        return _span_display(self.start_date, self.end_date)


class Document(Record):
    """A document a meeting adopted, welcomed or heard: a declaration, a report, a paper…"""

    class Kind(models.TextChoices):
        DECLARATION = "declaration", _("Declaration")
        ACTION_PLAN = "action_plan", _("Action plan")
        PROGRESS_REPORT = "progress_report", _("Progress report")
        WORK_PROGRAMME = "work_programme", _("Work programme")
        DECISION = "decision", _("Decision")
        FINAL_REPORT = "final_report", _("Final report")
        REVIEW_DOCUMENT = "review_document", _("Review document")
        PAPER = "paper", _("Paper")
        SURVIVORS_DECLARATION = "survivors_declaration", _("Survivors' declaration")
        OTHER = "other", _("Other document")

    class Action(models.TextChoices):
        ADOPTED = "adopted", _("Adopted")
        WELCOMED = "welcomed", _("Welcomed")
        DELIVERED = "delivered", _("Delivered")
        PRESENTED = "presented", _("Presented")
        CONSIDERED = "considered", _("Considered")

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=25, choices=Kind.choices)
    action = models.CharField(
        "what the meeting did", max_length=12, choices=Action.choices, default=Action.ADOPTED
    )
    symbol = models.CharField(
        "document symbol", max_length=100, blank=True, help_text="Example: 'CCM/MSP/2012/5'."
    )
    url = models.URLField("address", max_length=500, blank=True)
    submitted_by = models.CharField(
        "from",
        max_length=200,
        blank=True,
        help_text="Who put it forward, as the source says. Example: 'Australia', 'the President'.",
    )
    submitted_by_state = models.ForeignKey(
        State, models.PROTECT, null=True, blank=True, related_name="documents", verbose_name="from the State"
    )
    summary = models.TextField(blank=True, help_text="What it says, in a sentence or two.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order among the meeting's documents.")
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    history = History(by="meeting")

    class Meta:
        ordering = ["meeting", "position", "pk"]

    def __str__(self):
        return f"{self.title} ({self.symbol})" if self.symbol else self.title


def _span_display(start, end):
    if start == end:
        return partial_dates.display(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end.strftime('%B %Y')}"
    if start.year == end.year:
        return f"{start.day} {start.strftime('%B')} – {end.day} {end.strftime('%B %Y')}"
    return f"{partial_dates.display(start)} – {partial_dates.display(end)}"


class Extension(Record):
    """A request to extend an obligation's deadline, and what the meeting decided."""

    PARTIAL_DATES = {
        "requested_on": "requested_precision",
        "decided_on": "decided_precision",
        "new_deadline": "new_deadline_precision",
    }

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn by the State")

    obligation = models.ForeignKey(Obligation, models.CASCADE, related_name="extensions")
    requested_on = models.DateField("request submitted", null=True, blank=True)
    requested_precision = precision_field("request date precision")
    requested_deadline = models.DateField(
        "deadline requested", null=True, blank=True, help_text="The new deadline the State asked for."
    )
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    meeting = models.ForeignKey(
        Meeting,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="extensions",
        help_text="The Meeting of States Parties or Review Conference that considers the request.",
    )
    decided_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day of the decision (the meeting's last day, or the end of a silence procedure).",
    )
    decided_precision = precision_field("decision date precision")
    new_deadline = models.DateField(
        "new deadline", null=True, blank=True, help_text="The deadline as granted. Required once granted."
    )
    new_deadline_precision = precision_field("new deadline precision")
    notes = models.TextField(blank=True)
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    history = History(by="obligation")

    class Meta:
        ordering = ["obligation", "new_deadline", "requested_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision="granted") | Q(new_deadline__isnull=False),
                name="tracker_extension_granted_has_deadline",
            ),
        ]

    def __str__(self):
        target = partial_dates.display(
            self.new_deadline or self.requested_deadline, self.new_deadline_precision
        )
        return f"Extension to {target}" if target else "Extension request"

    def previous_deadline(self):
        """Return the deadline this extension extends: the latest one granted before it."""
        obligation = self.obligation
        earlier = obligation.extensions.filter(decision=self.Decision.GRANTED).exclude(pk=self.pk)
        if self.new_deadline:
            earlier = earlier.filter(new_deadline__lt=self.new_deadline)
        return rules.current_deadline(
            obligation.original_deadline, earlier.values_list("new_deadline", flat=True)
        )

    def clean(self):
        super().clean()
        if not self.obligation_id:
            return
        errors = {}
        if self.decision == self.Decision.GRANTED and self.new_deadline is None:
            errors["new_deadline"] = "A granted extension needs its new deadline."
        previous = self.previous_deadline()
        treaty_rules = self.obligation.participation.treaty.rules
        for field in ("new_deadline", "requested_deadline"):
            value = getattr(self, field)
            if value is None or previous is None:
                continue
            if value <= previous:
                errors[field] = (
                    f"An extension must end after the deadline it extends ({partial_dates.display(previous)})."
                )
                continue
            limit = rules.latest_extension_end(previous, self.obligation.kind, treaty_rules)
            years = rules.max_extension_years(self.obligation.kind, treaty_rules)
            if limit is None:
                errors[field] = "This treaty allows no extension of this deadline."
            elif value > limit:
                errors[field] = (
                    f"One extension may last at most {years} years: "
                    f"no later than {partial_dates.display(limit)}."
                )
        if self.decided_on and self.requested_on and self.decided_on < self.requested_on:
            errors["decided_on"] = "A decision cannot come before the request."
        if self.decision == self.Decision.PENDING and self.decided_on:
            errors["decided_on"] = "A pending request has no decision date yet."
        if errors:
            raise ValidationError(errors)

    def lock_parents(self):
        # The obligation's deadlines follow from its extensions: lock it first.
        return Obligation.objects.locked().get(pk=self.obligation_id)

    def save(self, *args, **kwargs):
        """Save, then recompute the obligation's deadlines from a fresh, locked read of it
        (and those of the obligation it belonged to, if it was moved to another)."""
        with transaction.atomic(using=self._state.db):
            before = (self._loaded_values() or {}).get("obligation_id")
            moved_from = before if before not in (None, self.obligation_id) else None
            obligations = sorted(filter(None, [self.obligation_id, moved_from]))
            locked = {o.pk: o for o in Obligation.objects.locked().filter(pk__in=obligations)}
            super().save(*args, **kwargs)
            for obligation in locked.values():
                obligation.recompute(cause=self)

    def delete(self, *args, **kwargs):
        with transaction.atomic(using=self._state.db):
            obligation = self.lock_parents()
            result = super().delete(*args, **kwargs)  # locks the obligation (again), then this row
            obligation.recompute(cause=self)
        return result

    @property
    def meeting_end(self):
        """The last day of the meeting that considers the request; date.max while it has no dates.

        Note: reads the meeting (a query unless selected or prefetched with it).
        """
        if self.meeting_id is None:
            return None
        meeting = self.meeting
        return meeting.end_date or meeting.start_date or datetime.date.max

    @property
    def known_from(self):
        """The day a decision on the request was certainly taken: its recorded day (the end of
        the period, for a day known only to the month), else the end of its meeting; None if neither."""
        if self.decided_on is not None:
            return partial_dates.period_end(self.decided_on, self.decided_precision)
        end = self.meeting_end
        return None if end == datetime.date.max else end

    def state_on(self, as_of):
        """Where the request stood on ``as_of`` (one of the rules' request states)."""
        decided = self.decision != self.Decision.PENDING
        decision_day = self.known_from if self.decided_on is not None else None
        return rules.request_state(as_of, self.requested_on, decided, decision_day, self.meeting_end)

    def outcome_display(self, as_of=None):
        """The decision as readers see it on ``as_of``: "Granted", "Awaiting a decision", "Outcome not recorded"…"""
        state = self.state_on(as_of or today())
        if state == rules.AWAITING:
            return "Awaiting a decision"
        if state == rules.DECISION_NOT_RECORDED:
            return "Outcome not recorded"
        if state == rules.NOT_YET_REQUESTED:
            return "Not yet requested"
        return self.get_decision_display()

    @property
    def decided_display(self):
        return partial_dates.display(self.decided_on, self.decided_precision)

    @property
    def requested_display(self):
        return partial_dates.display(self.requested_on, self.requested_precision)

    @property
    def request_is_late(self):
        """True when the request reached the meeting less than nine months before it opened."""
        meeting_start = self.meeting.start_date if self.meeting_id else None
        return rules.request_is_late(self.requested_on, meeting_start)

    @property
    def new_deadline_display(self):
        return partial_dates.display(self.new_deadline, self.new_deadline_precision)


class WorkingGroup(Record):
    """A working group or coordinator role set up by a meeting."""

    treaty = models.ForeignKey(Treaty, models.PROTECT, related_name="working_groups")
    name = models.CharField(max_length=200)
    slug = models.SlugField()
    seats = models.PositiveSmallIntegerField(
        "coordinators at a time",
        default=2,
        help_text="Two for a thematic working group, one for a single role.",
    )
    established_at = models.ForeignKey(
        Meeting, models.PROTECT, null=True, blank=True, related_name="working_groups_established"
    )
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the public page.")
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    history = History()

    class Meta:
        ordering = ["treaty", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["treaty", "slug"], name="tracker_workinggroup_unique_slug"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="tracker_workinggroup_seats_positive"),
        ]

    def __str__(self):
        return self.name


class AssignmentQuerySet(RecordQuerySet):
    def serving_on(self, day):
        return self.filter(term_start__lte=day).filter(Q(term_end=None) | Q(term_end__gt=day))


class CoordinatorAssignment(Record):
    """A State coordinating a working group for a term (from one meeting to a later one)."""

    group = models.ForeignKey(WorkingGroup, models.CASCADE, related_name="assignments")
    state = models.ForeignKey(State, models.PROTECT, related_name="coordinator_assignments")
    term_start = models.DateField(help_text="Usually the last day of the meeting that appointed the State.")
    term_end = models.DateField(
        null=True,
        blank=True,
        help_text="Usually the last day of the meeting where the term ends. Empty if open.",
    )
    term_label = models.CharField(
        max_length=20, blank=True, help_text="The term as the source names it, e.g. '2012–2014'."
    )
    appointed_at = models.ForeignKey(
        Meeting, models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    notes = models.TextField(blank=True)
    source = models.ForeignKey(Source, models.PROTECT, null=True, blank=True, related_name="+")

    objects = AssignmentQuerySet.as_manager()
    history = History(by="state")

    class Meta:
        ordering = ["group", "term_start", "state__name"]
        verbose_name = "coordinator assignment"
        constraints = [
            models.UniqueConstraint(
                fields=["group", "state", "term_start"], name="tracker_assignment_unique_term"
            ),
            models.CheckConstraint(
                condition=Q(term_end=None) | Q(term_end__gt=models.F("term_start")),
                name="tracker_assignment_term_ordered",
            ),
        ]

    def __str__(self):
        state = self.state if self.state_id else "?"
        group = self.group if self.group_id else "?"
        return f"{state} – {group} ({self.term_display})"

    @property
    def term_display(self):
        if self.term_label:
            return self.term_label
        end = self.term_end.year if self.term_end else ""
        return f"{self.term_start.year}–{end}"

    def clean(self):
        if self.term_end and self.term_start and self.term_end <= self.term_start:
            raise ValidationError({"term_end": "A term must end after it starts."})
        if not (self.group_id and self.term_start):
            return
        overlapping = CoordinatorAssignment.objects.filter(group_id=self.group_id).exclude(pk=self.pk)
        overlapping = overlapping.filter(Q(term_end=None) | Q(term_end__gt=self.term_start))
        if self.term_end:
            overlapping = overlapping.filter(term_start__lt=self.term_end)
        if self.state_id and overlapping.filter(state_id=self.state_id).exists():
            raise ValidationError(
                {"state": f"{self.state} is already a coordinator of {self.group} during this term."}
            )
        # The seats must not be over-filled at any moment of the term: check at its
        # start and wherever another overlapping term starts inside it.
        others = list(overlapping.values_list("term_start", "term_end"))
        points = [self.term_start] + [start for start, _ in others if start > self.term_start]
        seats = self.group.seats
        for point in points:
            serving = sum(1 for start, end in others if start <= point and (end is None or end > point))
            if serving >= seats:
                raise ValidationError(
                    {"group": f"{self.group} has {seats} coordinator seat(s), all taken on {point:%d %B %Y}."}
                )


# --- a treaty's States on a day ---------------------------------------------------


@dataclasses.dataclass
class Standing:
    """One State's position under one treaty on a day, as known that day (see Treaty.standings)."""

    state: State
    participation: Participation
    status: str
    in_force: bool
    as_of: datetime.date
    obligations: dict = dataclasses.field(default_factory=dict)  # kind -> Obligation, for parties only

    @property
    def status_label(self):
        return Participation.Status(self.status).label

    def obligation_status(self, kind):
        """The status of the obligation of ``kind`` on the day, or None for a non-party."""
        obligation = self.obligations.get(kind)
        if obligation is None:
            return None
        if self.participation.entry_into_force_date is None and obligation.applies is not False:
            return rules.UNKNOWN  # its deadline was not set yet that day
        return obligation.status(self.as_of)

    def deadline(self, kind):
        """The deadline of ``kind`` as it stood on the day, where the obligation is recorded as applying."""
        obligation = self.obligations.get(kind)
        if obligation is None or obligation.applies is not True:
            return None
        if self.participation.entry_into_force_date is None:
            return None
        return obligation.deadline_on(self.as_of)

    @property
    def stockpile_status(self):
        return self.obligation_status(Obligation.Kind.STOCKPILE)

    @property
    def clearance_status(self):
        return self.obligation_status(Obligation.Kind.CLEARANCE)

    @property
    def stockpile_deadline(self):
        return self.deadline(Obligation.Kind.STOCKPILE)

    @property
    def clearance_deadline(self):
        return self.deadline(Obligation.Kind.CLEARANCE)

    def open_deadline_before(self, day):
        """True when a stockpile or clearance deadline still open on the day falls before ``day``."""
        return any(
            self.deadline(kind) is not None
            and self.deadline(kind) < day
            and self.obligation_status(kind) in (rules.IN_PROGRESS, rules.OVERDUE, rules.AWAITING_DECISION)
            for kind in self.obligations
        )


def _counts(participations, days, holds, dates):
    """Return [(day, how many participations ``holds`` for on that day)] for the ascending ``days``.

    An answer can only change on one of the participation's own ``dates``, so
    after the first day only the participations with a date since the day
    before are asked again: one question per participation and date, not per
    participation and day.
    """
    if not days:
        return []
    answers = [holds(p, days[0]) for p in participations]
    count = sum(answers)
    changes = sorted((d, i) for i, p in enumerate(participations) for d in dates(p) if d and d > days[0])
    counts, n = [(days[0], count)], 0
    for day in days[1:]:
        while n < len(changes) and changes[n][0] <= day:
            i = changes[n][1]
            answer = holds(participations[i], day)
            count += answer - answers[i]
            answers[i] = answer
            n += 1
        counts.append((day, count))
    return counts


# --- transparency reports (Article 7) --------------------------------------------------


class TransparencyReportQuerySet(RecordQuerySet):
    def overdue(self, as_of):
        """Reports a source records as not submitted on a day after their due date (by ``as_of``),
        with no submission recorded by ``as_of``: the only reports called overdue. A State whose
        withdrawal has taken effect owes none any more (as with its deadlines), so its reports are
        left out here; /reports/, a record of every year, still shows them as they stood."""
        return (
            self.filter(due_date__isnull=False, missing_on__lte=as_of, missing_on__gt=F("due_date"))
            .exclude(submitted_on__lte=as_of)
            .exclude(participation__withdrawal_effective_date__lte=as_of)
        )


@dataclasses.dataclass
class DueReport:
    """One report the rules make due from a State Party, with its record if there is one."""

    participation: Participation
    kind: str
    period: int | None
    due: datetime.date
    report: "TransparencyReport | None"
    status: str
    days: int | None

    @property
    def label(self):
        return TransparencyReport.label_for(self.kind, self.period)

    @property
    def status_label(self):
        return TransparencyReport.Status(self.status).label

    @property
    def status_text(self):
        """The status in words, with how late or how long overdue, e.g. "Submitted late (by 35 days)"."""
        report = self.report
        if self.status == rules.LATE:
            rough = report.submitted_precision not in ("", partial_dates.DAY)
            if rough:
                return gettext("Submitted late (by at least %(days)s)") % {"days": _days(self.days)}
            return gettext("Submitted late (by %(days)s)") % {"days": _days(self.days)}
        if self.status == rules.OVERDUE:
            return gettext("Overdue: not submitted %(days)s after it was due, as at %(day)s") % {
                "days": _days(self.days),
                "day": report.missing_display,
            }
        return self.status_label


def _days(days):
    return ngettext("%(count)s day", "%(count)s days", days) % {
        "count": number_format(days, force_grouping=True)
    }


class TransparencyReport(Record):
    """A transparency report (CCM Art. 7, ATT Art. 13): its due date by the treaty's rule, and when
    it was submitted, or that a source found it missing on a day."""

    PARTIAL_DATES = {"submitted_on": "submitted_precision"}

    class Kind(models.TextChoices):
        INITIAL = rules.INITIAL, _("Initial report")
        ANNUAL = rules.ANNUAL, _("Annual report")

    class Access(models.TextChoices):
        NOT_RECORDED = "not_recorded", _("Not recorded")
        PUBLIC = "public", _("Public")
        RESTRICTED = "restricted", _("Restricted (the State asked that it not be published)")

    class Status(models.TextChoices):
        NOT_YET_DUE = rules.NOT_YET_DUE, _("Not yet due")
        ON_TIME = rules.ON_TIME, _("Submitted on time")
        LATE = rules.LATE, _("Submitted late")
        SUBMITTED = rules.SUBMITTED, _("Submitted (the date recorded is too rough to tell whether on time)")
        OVERDUE = rules.OVERDUE, _("Overdue")
        NOT_RECORDED = rules.NOT_RECORDED, _("Submission not recorded")

    participation = models.ForeignKey(Participation, models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    period = models.PositiveSmallIntegerField(
        "calendar year covered",
        null=True,
        blank=True,
        validators=[MinValueValidator(EARLIEST.year), MaxValueValidator(LATEST.year)],
        help_text="Annual reports only: the year the report covers (2011 for the report due by 30 April 2012 "
        "under the CCM). Empty for the initial report.",
    )
    due_date = models.DateField(
        "due", null=True, blank=True, editable=False, help_text="Computed by the treaty's rule."
    )
    submitted_on = models.DateField(
        "submitted", null=True, blank=True, help_text="When the State submitted it, as the source gives it."
    )
    submitted_precision = precision_field("submission date precision")
    access = models.CharField(max_length=12, choices=Access.choices, default=Access.NOT_RECORDED)
    url = models.URLField(
        "address of the report", max_length=500, blank=True, help_text="Where a public report can be read."
    )
    source = models.ForeignKey(
        Source,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the submission is recorded. Required with a submission date.",
    )
    missing_on = models.DateField(
        "recorded as not submitted on",
        null=True,
        blank=True,
        help_text="A day after the due date on which a source says the report had not been submitted "
        "(a list of overdue reports as at that day). Only such a report is shown as overdue.",
    )
    missing_source = models.ForeignKey(
        Source,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="source saying it was not submitted",
    )
    notes = models.TextField(blank=True)

    objects = TransparencyReportQuerySet.as_manager()
    history = History(by="participation")

    class Meta:
        ordering = ["participation", "due_date", "kind", "period"]
        verbose_name = "transparency report"
        constraints = [
            models.UniqueConstraint(
                fields=["participation"],
                condition=Q(kind="initial"),
                name="tracker_report_one_initial",
                violation_error_message="This State's initial report is already recorded.",
            ),
            models.UniqueConstraint(
                fields=["participation", "period"],
                condition=Q(kind="annual"),
                name="tracker_report_unique_period",
                violation_error_message="This State's annual report for that year is already recorded.",
            ),
            models.CheckConstraint(
                condition=(Q(kind="initial") & Q(period=None)) | (Q(kind="annual") & Q(period__isnull=False)),
                name="tracker_report_period_of_kind",
            ),
        ]
        indexes = [
            # The dashboard counts overdue reports by the day they were found missing.
            models.Index(fields=["missing_on", "due_date"], name="tracker_report_missing"),
        ]

    def __str__(self):
        state = self.participation.state if self.participation_id else "?"
        return f"{state}: {self.label_for(self.kind, self.period).lower()}"

    @classmethod
    def label_for(cls, kind, period):
        if kind == rules.ANNUAL:
            return gettext("Annual report covering %(year)s") % {"year": period}
        return gettext("Initial report")

    @property
    def label(self):
        return self.label_for(self.kind, self.period)

    @property
    def submitted_display(self):
        return partial_dates.display(self.submitted_on, self.submitted_precision)

    @property
    def missing_display(self):
        return partial_dates.display(self.missing_on)

    def compute_due_date(self):
        participation = self.participation
        return rules.report_due(
            self.kind,
            self.period,
            participation.entry_into_force_date,
            participation.treaty.rules,
            participation.withdrawal_effective_date,
        )

    def clean(self):
        super().clean()
        errors = {}
        if self.kind == self.Kind.INITIAL and self.period is not None:
            errors["period"] = "An initial report covers no calendar year: leave the year empty."
        if self.kind == self.Kind.ANNUAL and self.period is None:
            errors["period"] = "Give the calendar year the annual report covers, e.g. 2011."
        if self.submitted_on and self.source_id is None:
            errors["source"] = "Cite the source that records the submission."
        if self.submitted_on and self.submitted_on > today():
            errors["submitted_on"] = "A submission date cannot be in the future."
        if self.missing_on and self.missing_source_id is None:
            errors["missing_source"] = "Cite the source that says the report had not been submitted."
        if self.url and self.access == self.Access.RESTRICTED:
            errors["url"] = "A restricted report has no public address: clear the address or the access."
        if self.participation_id and not errors:
            errors.update(self._clean_against_participation())
        if errors:
            raise ValidationError(errors)

    def _clean_against_participation(self):
        # Read as stored: an object the caller holds may predate its entry into force.
        self.participation = participation = Participation.objects.select_related("treaty", "state").get(
            pk=self.participation_id
        )
        treaty, state = participation.treaty, participation.state
        if participation.deposit_date is None:
            return {
                "participation": f"{state} is not a party to the {treaty.short_name}: only a State Party "
                "owes transparency reports."
            }
        eif = participation.entry_into_force_date
        if eif is None:
            return {
                "participation": f"The {treaty.short_name} has not entered into force for {state} yet, "
                "so no report is due from it."
            }
        errors = {}
        if self.submitted_on and partial_dates.period_end(self.submitted_on, self.submitted_precision) < eif:
            errors["submitted_on"] = (
                f"This date is before the {treaty.short_name} entered into force for {state} "
                f"({partial_dates.display(eif)}): a report is submitted after that."
            )
        due = self.compute_due_date()
        if due is None and self.period is not None:
            first = rules.reports_due(eif, datetime.date(LATEST.year, 1, 1), treaty.rules)
            first_annual = next((period for kind, period, _ in first if kind == rules.ANNUAL), None)
            withdrawn = participation.withdrawal_effective_date
            if withdrawn and first_annual is not None and self.period >= first_annual:
                errors["period"] = (
                    f"{state}'s withdrawal took effect on {partial_dates.display(withdrawn)}: "
                    f"no report covering {self.period} was due from it."
                )
            else:
                errors["period"] = (
                    f"No annual report covering {self.period} is due from {state}: its first annual report "
                    f"covers {first_annual}."
                )
        elif due is None:
            errors["kind"] = f"No initial report was due from {state}: its withdrawal took effect first."
        if due is not None and self.missing_on is not None:
            if self.missing_on <= due:
                errors["missing_on"] = (
                    f"The report was due on {partial_dates.display(due)}: a source can record it as missing "
                    "only after that day."
                )
            elif self.submitted_on and partial_dates.period_end(
                self.submitted_on, self.submitted_precision
            ) < (self.missing_on):
                errors["missing_on"] = "The report was submitted before this day, so it was not missing then."
        duplicate = TransparencyReport.objects.filter(participation_id=self.participation_id, kind=self.kind)
        if self.kind == self.Kind.ANNUAL:
            duplicate = duplicate.filter(period=self.period)
        if duplicate.exclude(pk=self.pk).exists():
            errors["kind"] = f"{state}'s {self.label.lower()} to the {treaty.short_name} is already recorded."
        return errors

    def lock_parents(self):
        # The due date follows the participation's entry into force: read it under lock.
        return Participation.objects.locked().select_related("treaty", "state").get(pk=self.participation_id)

    def save(self, *args, **kwargs):
        """Save with the due date the treaty's rule gives, from the participation as stored."""
        with transaction.atomic(using=self._state.db):
            self.participation = self.lock_parents()
            self.merge_stored()
            self.due_date = self.compute_due_date()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "due_date"}
            super().save(*args, **kwargs)

    def recompute(self, cause):
        """Rewrite the due date after ``cause`` changed entry into force, a withdrawal or the rules."""
        due = self.compute_due_date()
        if due == self.due_date:
            return False
        self.due_date = due
        self._change_reason = recomputed_reason(cause)
        super().save(update_fields=["due_date"])
        return True

    def status(self, as_of=None):
        """(status, days) on ``as_of``: one of rules.REPORT_STATUSES, or (None, None) if not due."""
        latest = partial_dates.period_end(self.submitted_on, self.submitted_precision)
        return rules.report_status(
            as_of or today(), self.due_date, self.submitted_on, latest, self.missing_on
        )

    @classmethod
    def due_from(cls, participations, as_of, until=None, recorded=None):
        """Every report the rules make due from ``participations`` through ``until`` (default ``as_of``),
        each with its record and its status on ``as_of``, in the participations' order, oldest first.

        Reports without a record are counted too: their due dates come from the
        rules. Note: reads each participation's reports and treaty: give the
        reports as ``recorded`` ({participation id: [reports]}) or prefetch
        ``reports``, and select ``treaty`` (and ``state``, for the pages).
        """
        result = []
        for participation in participations:
            reports = participation.reports.all() if recorded is None else recorded.get(participation.pk, ())
            recorded_here = {(r.kind, r.period): r for r in reports}
            for kind, period, due in rules.reports_due(
                participation.entry_into_force_date,
                until or as_of,
                participation.treaty.rules,
                participation.withdrawal_effective_date,
            ):
                report = recorded_here.get((kind, period))
                if report is None:
                    status, days = rules.report_status(as_of, due)
                else:
                    report.participation = participation
                    status, days = report.status(as_of)
                result.append(DueReport(participation, kind, period, due, report, status, days))
        return result


# Every model whose edits the tracker shows, keyed by the slug the change pages use,
# in the order that breaks ties between changes made at the same moment.
TRACKED = {
    "treaty": Treaty,
    "state": State,
    "participation": Participation,
    "declaration": Declaration,
    "step": RatificationStep,
    "obligation": Obligation,
    "extension": Extension,
    "meeting": Meeting,
    "meeting-part": MeetingPart,
    "document": Document,
    "working-group": WorkingGroup,
    "assignment": CoordinatorAssignment,
    "source": Source,
    "report": TransparencyReport,
}


# --- a meeting's proceedings: who spoke, pledged and on what -------------------------------


class Organisation(Record):
    """A participant in meetings that is not a State: the CMC, the ICRC, UNMAS, UNDP, the GICHD…"""

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", _("Campaign or non-governmental organisation")
        INTERNATIONAL = "international", _("International organisation")
        UN = "un", _("United Nations body")
        RED_CROSS = "red_cross", _("Red Cross or Red Crescent")
        OTHER = "other", _("Other")

    name = models.CharField(max_length=200, unique=True, help_text="Example: 'Cluster Munition Coalition'.")
    short_name = models.CharField(max_length=40, blank=True, help_text="Example: 'CMC'.")
    slug = models.SlugField(
        max_length=60,
        unique=True,
        help_text="Its address on the public site, e.g. 'cmc' for /organisations/cmc/.",
    )
    kind = models.CharField(max_length=15, choices=Kind.choices)
    url = models.URLField("address", max_length=500, blank=True)
    notes = models.TextField(blank=True, help_text="What a reader needs to know about it, in a sentence.")
    source = models.ForeignKey(
        Source,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where its name comes from.",
    )

    history = History()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.short_name or self.name

    def get_absolute_url(self):
        return reverse("organisation-detail", args=[self.slug])

    @property
    def full_name(self):
        return f"{self.name} ({self.short_name})" if self.short_name else self.name


class AgendaTopic(Record):
    """An agenda topic statements are made under (opening, universalization, compliance…); editors extend the list."""

    name = models.CharField(max_length=200, help_text="Example: 'Cooperation and assistance'.")
    slug = models.SlugField(max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="subtopics",
        help_text="The topic this one is part of, for a sub-heading such as 'Steps towards accession'.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on a meeting's page.")

    history = History()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "agenda topic"

    def __str__(self):
        return f"{self.parent.name}: {self.name}" if self.parent_id else self.name

    def clean(self):
        super().clean()
        if self.parent_id and (self.parent_id == self.pk or self.parent.parent_id):
            raise ValidationError({"parent": "A topic can be part of a main topic only, not of a sub-topic."})


SPEAKER_REQUIRED = "Give the speaker: exactly one of a State, an organisation or an office (e.g. 'United Nations Secretary-General')."


def _speaker_given(prefix=""):
    """The constraint that exactly one of state, organisation and office is given."""
    state, organisation, office = (
        Q(**{f"{prefix}{name}": value})
        for name, value in (("state__isnull", False), ("organisation__isnull", False), ("office__gt", ""))
    )
    return (
        (state & ~organisation & ~office)
        | (~state & organisation & ~office)
        | (~state & ~organisation & office)
    )


class Statement(Record):
    """What a State, an organisation or an office said at a meeting, under an agenda topic."""

    class Mode(models.TextChoices):
        ORAL = "oral", _("Oral")
        WRITTEN = "written", _("Written statement")
        FOR_THE_RECORD = "for_the_record", _("Offered for the record")

    class CountKind(models.TextChoices):
        STATES_PARTIES = "states_parties", _("States that have joined (deposited an instrument)")
        SIGNATORIES = "signatories", _("Signatories that have not yet joined")
        IN_FORCE = "in_force", _("States Parties for which the treaty is in force")

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="statements")
    topic = models.ForeignKey(AgendaTopic, models.PROTECT, related_name="statements")
    state = models.ForeignKey(
        State, models.PROTECT, null=True, blank=True, related_name="statements", verbose_name="speaker: State"
    )
    organisation = models.ForeignKey(
        Organisation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        verbose_name="speaker: organisation",
    )
    office = models.CharField(
        "speaker: office",
        max_length=200,
        blank=True,
        help_text="An office that is neither a State nor an organisation, e.g. 'United Nations Secretary-General'. "
        "Give exactly one of State, organisation and office.",
    )
    delivered_by = models.CharField(
        max_length=300,
        blank=True,
        help_text="The person who delivered it, where the source names them, e.g. "
        "'Mr. Sergio Duarte, High Representative for Disarmament Affairs'.",
    )
    mode = models.CharField(max_length=15, choices=Mode.choices, default=Mode.ORAL)
    date = models.DateField(null=True, blank=True, help_text="The day it was made, if the source says.")
    summary = models.TextField(help_text="What was said, in a sentence or two, close to the source's words.")
    cited_figure = models.CharField(
        max_length=300,
        blank=True,
        help_text="A figure the statement cites, in its words, e.g. '62 States that have so far joined'.",
    )
    cited_count = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The figure as a number, where it is a count the tracker can compute.",
    )
    count_kind = models.CharField(
        "what is counted",
        max_length=15,
        choices=CountKind.choices,
        blank=True,
        help_text="What the cited number counts: the page shows the tracker's own count for the statement's date beside it.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order under its topic.")
    source = models.ForeignKey(Source, models.PROTECT, related_name="+")

    history = History(by="state")

    class Meta:
        ordering = ["meeting", "topic__position", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=_speaker_given(), name="tracker_statement_one_speaker"),
            models.CheckConstraint(
                condition=Q(cited_count=None, count_kind="")
                | (Q(cited_count__isnull=False) & ~Q(count_kind="")),
                name="tracker_statement_count_with_kind",
            ),
        ]

    def __str__(self):
        return f"{self.speaker_name}, {self.meeting if self.meeting_id else '?'}"

    @property
    def speaker(self):
        return self.state if self.state_id else self.organisation if self.organisation_id else None

    @property
    def speaker_name(self):
        speaker = self.speaker
        return str(speaker) if speaker else self.office or "?"

    def clean(self):
        super().clean()
        self.office = self.office.strip()
        if sum((self.state_id is not None, self.organisation_id is not None, bool(self.office))) != 1:
            raise ValidationError(SPEAKER_REQUIRED, code="speaker")
        if (self.cited_count is None) != (not self.count_kind):
            field = "count_kind" if self.cited_count is not None else "cited_count"
            raise ValidationError(
                {field: "Give both the cited number and what it counts, or neither."}, code="count"
            )
        if self.cited_count is not None and self.date is None:
            raise ValidationError(
                {
                    "date": "Give the statement's date, so that the tracker's own count for that day can be shown."
                }
            )

    @staticmethod
    def with_tracker_counts(statements):
        """Set ``tracker_count`` (the count on the statement's date, deposits of that day included)
        and ``tracker_count_before`` (at the end of the day before) on each statement citing a count.

        One query per treaty cited, whatever the number of statements.
        """
        citing = [s for s in statements if s.cited_count is not None and s.date]
        treaties = {s.meeting.treaty_id for s in citing}
        dates = {
            treaty: list(
                Participation.objects.filter(treaty_id=treaty).values_list(
                    "signature_date", "deposit_date", "entry_into_force_date", "withdrawal_effective_date"
                )
            )
            for treaty in treaties
        }
        for statement in citing:
            rows = dates[statement.meeting.treaty_id]
            day = statement.date
            statement.tracker_count = _count_on(statement.count_kind, rows, day)
            statement.tracker_count_before = _count_on(
                statement.count_kind, rows, day - datetime.timedelta(days=1)
            )
        return statements


def _count_on(kind, rows, day):
    def before(value):
        return value is not None and value <= day

    count = 0
    for signed, deposited, in_force, withdrawn in rows:
        if before(withdrawn):
            continue
        if kind == Statement.CountKind.STATES_PARTIES:
            count += before(deposited)
        elif kind == Statement.CountKind.SIGNATORIES:
            count += before(signed) and not before(deposited)
        elif kind == Statement.CountKind.IN_FORCE:
            count += before(in_force)
    return count


CURRENCY_CODE = r"^[A-Z]{3}$"


class PledgeQuerySet(RecordQuerySet):
    def concerning(self, state):
        """Pledges the State made or is named a recipient of."""
        return self.filter(
            Q(donor_state=state)
            | Q(pk__in=Pledge.recipients.through.objects.filter(state=state).values("pledge_id"))
        )


class Pledge(Record):
    """A pledge or contribution announced at a meeting: who gives how much, to whom, for what."""

    class Status(models.TextChoices):
        NEW = "new", _("New pledge")
        PROVIDED = "provided", _("Already provided")

    class Purpose(models.TextChoices):
        CLEARANCE = "clearance", _("Clearance")
        MINE_ACTION = "mine_action", _("Mine action in general")
        RISK_EDUCATION = "risk_education", _("Risk education")
        VICTIM_ASSISTANCE = "victim_assistance", _("Victim assistance")
        STOCKPILE_DESTRUCTION = "stockpile_destruction", _("Stockpile destruction")
        TRAINING = "training", _("Training")
        GENERAL = "general", _("General support to the Convention")
        OTHER = "other", _("Other")

    meeting = models.ForeignKey(Meeting, models.CASCADE, related_name="pledges")
    donor_state = models.ForeignKey(
        State, models.PROTECT, null=True, blank=True, related_name="pledges_made", verbose_name="donor: State"
    )
    donor_organisation = models.ForeignKey(
        Organisation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges_made",
        verbose_name="donor: organisation",
        help_text="Give one donor: a State or an organisation.",
    )
    amount = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The amount in the currency the donor named, never converted. Example: 40000000 for '40 million'.",
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        help_text="ISO 4217 code of the currency named, e.g. 'AUD', 'EUR', 'USD'; required with an amount.",
    )
    amount_as_stated = models.CharField(
        max_length=200,
        blank=True,
        help_text="The figure in the source's words, e.g. '40 million Australian dollars'.",
    )
    status = models.CharField(
        "new or already given",
        max_length=10,
        choices=Status.choices,
        blank=True,
        help_text="Empty when the source does not say.",
    )
    covers = models.CharField(
        "what the figure covers",
        max_length=300,
        blank=True,
        help_text="The period and scope, e.g. 'since the 1MSP', 'in 2010, excluding its share of EU funding'.",
    )
    recipients = models.ManyToManyField(
        State, blank=True, related_name="pledges_received", help_text="The States named as recipients."
    )
    recipients_text = models.CharField(
        "recipients as stated",
        max_length=300,
        blank=True,
        help_text="Recipients the source does not name one by one, e.g. 'nine countries', 'five affected countries and one affected area'.",
    )
    purpose = models.CharField(
        max_length=25, choices=Purpose.choices, blank=True, help_text="Empty when the source does not say."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order among the meeting's pledges.")
    source = models.ForeignKey(Source, models.PROTECT, related_name="+")

    objects = PledgeQuerySet.as_manager()
    history = History(by="donor_state")

    class Meta:
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(donor_state__isnull=False, donor_organisation=None)
                | Q(donor_state=None, donor_organisation__isnull=False),
                name="tracker_pledge_one_donor",
            ),
            models.CheckConstraint(
                condition=Q(amount=None) | Q(amount__gt=0), name="tracker_pledge_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount=None) | Q(currency__regex=CURRENCY_CODE),
                name="tracker_pledge_amount_currency",
            ),
        ]

    def __str__(self):
        donor = self.donor_name
        figure = self.amount_display or self.amount_as_stated or "no amount"
        return f"{donor}: {figure}"

    @property
    def donor(self):
        return self.donor_state if self.donor_state_id else self.donor_organisation

    @staticmethod
    def totals(pledges):
        """[(currency, total, number of pledges)] of ``pledges`` that give an amount, one row per
        currency in alphabetical order: amounts in different currencies are never added together."""
        totals = {}
        for pledge in pledges:
            if pledge.amount is not None:
                total, count = totals.get(pledge.currency, (0, 0))
                totals[pledge.currency] = (total + pledge.amount, count + 1)
        return [(currency, *totals[currency]) for currency in sorted(totals)]

    @property
    def donor_name(self):
        return str(self.donor) if (self.donor_state_id or self.donor_organisation_id) else "?"

    @property
    def amount_display(self):
        """'40,000,000 AUD': the amount in its own currency, never converted."""
        if self.amount is None:
            return ""
        number = f"{self.amount:,.2f}".removesuffix(".00")
        return f"{number} {self.currency}"

    def clean_fields(self, exclude=None):
        # ' eur ' is EUR: tidied before its length is checked.
        self.currency = (self.currency or "").strip().upper()
        super().clean_fields(exclude)

    def clean(self):
        super().clean()
        if (self.donor_state_id is None) == (self.donor_organisation_id is None):
            raise ValidationError(
                {
                    "donor_organisation": "Give one donor: a State or an organisation, not both and not neither."
                },
                code="donor",
            )
        if self.amount is not None:
            if self.amount <= 0:
                raise ValidationError({"amount": "An amount must be more than zero."}, code="amount")
            if not self.currency:
                raise ValidationError(
                    {
                        "currency": "Give the currency of the amount, as an ISO 4217 code such as 'EUR' or 'USD'."
                    },
                    code="currency",
                )
        if self.currency and not re.fullmatch(CURRENCY_CODE, self.currency):
            raise ValidationError(
                {
                    "currency": f"“{self.currency}” is not an ISO 4217 code: give three letters, such as 'EUR' or 'USD'."
                },
                code="currency",
            )


TRACKED.update(
    {
        "organisation": Organisation,
        "agenda-topic": AgendaTopic,
        "statement": Statement,
        "pledge": Pledge,
    }
)
