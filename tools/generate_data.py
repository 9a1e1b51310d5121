"""Fill a scratch database with a large, realistic data set, for benchmarks and scale tests.

Run from the repository root (tools/benchmark.py does)::

    DEBUG=true .venv/bin/python tools/generate_data.py --yes --history-rows 1000000

On top of what is there (normally the shipped CCM data), it adds two synthetic
treaties whose rules are data (an Anti-Personnel Mine Ban Convention: 40
instruments, stockpiles in 4 years without extension, clearance in 10 years
with extensions of up to 10; and an Arms Trade Treaty: 90 days after deposit,
no destruction deadlines), gives every State a participation in every treaty,
and writes years of ratification steps, obligations, extensions, meetings,
working groups and coordinators. Then it writes ``--history-rows`` history
rows (1,000,000 by default) spread over all of it: the first version of a
record is its creation, the last equals the record as it is now, and a few
deleted ratification steps end with their deletion.

Everything is written with bulk_create. Dates that follow from the treaty
rules (entry into force, withdrawal, deadlines) are computed by the models'
own methods (Treaty.compute_dates, Participation.compute_dates,
Obligation.compute_deadlines) on the unsaved rows, and checked again on the
stored ones at the end: the command fails, and writes nothing, if a single
date differs.

Generated rows are marked: history rows carry the change reason "generated",
treaty names end in "(generated)", editors are called "generated-editor-N",
and every generated step, extension and assignment cites the source
"Generated data (not real)". It refuses to run without ``--yes``, with DEBUG
off, or twice on the same database.
"""

import datetime
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from tracker import partial_dates, rules
from tracker.models import (
    AgendaTopic,
    CoordinatorAssignment,
    Declaration,
    Document,
    Extension,
    Meeting,
    MeetingPart,
    Obligation,
    Organisation,
    Participation,
    Pledge,
    RatificationStep,
    Source,
    State,
    Statement,
    TransparencyReport,
    Treaty,
    WorkingGroup,
)

D = datetime.date
REASON = "generated"
MARK = "(generated)"
EDITORS = 4

# Share of the history rows each kind of record gets, and the text field that
# changes between two generated versions of such a record.
SHARES = {
    Participation: (0.20, "notes"),
    RatificationStep: (0.15, "description"),
    Obligation: (0.25, "progress"),
    Extension: (0.08, "notes"),
    State: (0.07, "subregion"),
    CoordinatorAssignment: (0.05, "notes"),
    Meeting: (0.06, "outcomes"),
    Source: (0.08, "notes"),
    WorkingGroup: (0.03, "description"),
    Declaration: (0.02, "text"),
    MeetingPart: (0.01, "venue"),
    Document: (0.03, "summary"),
    Treaty: (0.03, "depositary"),
    Organisation: (0.005, "notes"),
    AgendaTopic: (0.005, "name"),
    Statement: (0.02, "summary"),
    Pledge: (0.01, "covers"),
    TransparencyReport: (0.02, "notes"),
}

TREATIES = [
    {
        "slug": "apmbc-generated",
        "name": f"Anti-Personnel Mine Ban Convention {MARK}",
        "short_name": "APMBC (gen.)",
        "adopted_on": D(1997, 9, 18),
        "opened_for_signature_on": D(1997, 12, 3),
        "eif_instruments": 40,
        "eif_rule": rules.EIF_MONTH_START,
        "eif_period": 6,
        "withdrawal_period": 6,
        "stockpile_years": 4,
        "stockpile_extension_years": None,
        "clearance_years": 10,
        "clearance_extension_years": 10,
        "initial_report_days": 180,
        "annual_report_month": 4,
        "annual_report_day": 30,
        # How many States join, only sign, and when meetings are held.
        "parties": 0.83,
        "signatories": 0.01,
        "meeting_month": 11,
    },
    {
        "slug": "att-generated",
        "name": f"Arms Trade Treaty {MARK}",
        "short_name": "ATT (gen.)",
        "adopted_on": D(2013, 4, 2),
        "opened_for_signature_on": D(2013, 6, 3),
        "eif_instruments": 50,
        "eif_rule": rules.EIF_DAYS_AFTER,
        "eif_period": 90,
        "withdrawal_period": 3,
        "stockpile_years": None,
        "stockpile_extension_years": None,
        "clearance_years": None,
        "clearance_extension_years": None,
        "initial_report_days": 365,
        "annual_report_month": 5,
        "annual_report_day": 31,
        "parties": 0.58,
        "signatories": 0.12,
        "meeting_month": 8,
    },
]
RULE_FIELDS = [
    "eif_instruments",
    "eif_rule",
    "eif_period",
    "withdrawal_period",
    "stockpile_years",
    "stockpile_extension_years",
    "clearance_years",
    "clearance_extension_years",
    "initial_report_days",
    "annual_report_month",
    "annual_report_day",
]
CITIES = [
    "Geneva",
    "Oslo",
    "Maputo",
    "Phnom Penh",
    "Cartagena",
    "Nairobi",
    "Bangkok",
    "Santiago",
    "Dubrovnik",
]
STEP_ROAD = [
    RatificationStep.Kind.CONSIDERING,
    RatificationStep.Kind.LEGISLATION_DRAFTED,
    RatificationStep.Kind.BEFORE_PARLIAMENT,
    RatificationStep.Kind.PARLIAMENTARY_APPROVAL,
]


def days_between(rng, start, end):
    """A random day from ``start`` to ``end`` (inclusive); ``start`` if the span is empty."""
    span = (end - start).days
    return start + datetime.timedelta(days=rng.randint(0, span)) if span > 0 else start


def ordinal(n):
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Command(BaseCommand):
    help = (
        "Add two synthetic treaties, a participation for every State in every treaty, steps, obligations, "
        "extensions, meetings and coordinators, and --history-rows history rows (change reason "
        "'generated'), for benchmarks. Needs --yes and DEBUG on; refuses to run twice on one database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--yes", action="store_true", help="Confirm: this writes a lot of fake data.")
        parser.add_argument("--history-rows", type=int, default=1_000_000, help="Default: 1,000,000.")
        parser.add_argument("--seed", type=int, default=2011, help="The same seed makes the same data.")
        parser.add_argument(
            "--min-states",
            type=int,
            default=0,
            help="Add synthetic States until there are this many (for a database without the shipped data).",
        )
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, **options):
        if not options["yes"]:
            raise CommandError(
                "This writes a large fake data set into the database. Run it again with --yes."
            )
        if not settings.DEBUG:
            raise CommandError("DEBUG is off: this looks like a production database. Nothing was written.")
        if Treaty.objects.filter(slug__in=[t["slug"] for t in TREATIES]).exists():
            raise CommandError("This database already has generated data. Use a fresh database.")
        if options["history_rows"] < 0:
            raise CommandError("--history-rows cannot be negative.")
        self.rng = random.Random(options["seed"])
        self.batch_size = options["batch_size"]
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate()
        self.created = {}  # model -> ids of the records this command made
        started = time.monotonic()
        with transaction.atomic():
            self.editors = self.make_editors()
            self.states = self.make_states(options["min_states"])
            self.sources = self.make_sources()
            treaties = self.make_treaties()
            self.fill_participations(treaties)
            for treaty, spec in treaties:
                if spec is not None:
                    self.check_dates(treaty)
            counts = self.write_history(options["history_rows"])
        self.analyze()
        total = sum(counts.values())
        detail = ", ".join(f"{n:,} {model._meta.verbose_name}" for model, n in counts.items() if n)
        self.stdout.write(
            f"Generated {sum(map(len, self.created.values())):,} records and {total:,} history rows ({detail}) "
            f"in {time.monotonic() - started:.0f} s."
        )

    # --- records ---------------------------------------------------------------

    def make_editors(self):
        User = get_user_model()
        editors = []
        for n in range(1, EDITORS + 1):
            user = User(username=f"generated-editor-{n}", is_staff=False)
            user.set_unusable_password()
            editors.append(user)
        User.objects.bulk_create(editors)
        return list(
            User.objects.filter(username__startswith="generated-editor-").values_list("pk", flat=True)
        )

    def make_states(self, minimum):
        """Return the States, topping them up with synthetic ones to ``minimum``."""
        existing = set(State.objects.values_list("iso2", flat=True))
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        free = [a + b for a in letters for b in letters if a + b not in existing]
        missing = max(0, minimum - len(existing))
        regions = list(State.Region.values)
        State.objects.bulk_create(
            State(iso2=iso2, name=f"Generated State {iso2}", region=self.rng.choice(regions))
            for iso2 in free[:missing]
        )
        self.created[State] = set(State.objects.filter(iso2__in=free[:missing]).values_list("pk", flat=True))
        states = list(State.objects.order_by("pk"))
        # A few States are much busier than the rest, as in life: weights fall as 1/rank.
        ranks = list(range(1, len(states) + 1))
        self.rng.shuffle(ranks)
        self.state_weight = {s.pk: 1 / rank for s, rank in zip(states, ranks, strict=True)}
        return states

    def make_sources(self):
        main = Source(
            title=f"Generated data (not real) {MARK}",
            publisher="generate_data",
            notes="Every record citing this source was made up by manage.py generate_data.",
        )
        others = [
            Source(
                title=f"Generated source {n:03d} {MARK}",
                publisher="generate_data",
                date=days_between(self.rng, D(2008, 1, 1), D(2025, 12, 31)),
                symbol=f"GEN/{n:03d}",
            )
            for n in range(1, 200)
        ]
        made = Source.objects.bulk_create([main, *others])
        self.created[Source] = {s.pk for s in made}
        return [s.pk for s in made]

    def make_treaties(self):
        treaties = []
        ccm = Treaty.objects.filter(slug="ccm").first()
        if ccm is None:
            ccm = Treaty(
                slug="ccm",
                name="Convention on Cluster Munitions",
                short_name="CCM",
                adopted_on=D(2008, 5, 30),
                opened_for_signature_on=D(2008, 12, 3),
            )
            ccm.save_without_historical_record()
            self.created[Treaty] = {ccm.pk}
        treaties.append((ccm, None))
        for spec in TREATIES:
            fields = {k: v for k, v in spec.items() if k not in ("parties", "signatories", "meeting_month")}
            treaty = Treaty(**fields)
            # No participation yet, so save() computes nothing; history comes later.
            treaty.save_without_historical_record()
            self.created.setdefault(Treaty, set()).add(treaty.pk)
            treaties.append((treaty, spec))
        return treaties

    def fill_participations(self, treaties):
        steps, created_participations = [], []
        for treaty, spec in treaties:
            have = set(Participation.objects.filter(treaty=treaty).values_list("state_id", flat=True))
            states = [s for s in self.states if s.pk not in have]
            if spec is None:
                # The real treaty: the States it does not list yet are non-signatories.
                made = Participation.objects.bulk_create(
                    Participation(treaty=treaty, state=s) for s in states
                )
            else:
                made = self.make_participations(treaty, spec, states)
                self.make_meetings_and_groups(treaty, spec)
                self.make_obligations(treaty, made)
            created_participations += made
            for participation in made:
                steps += self.steps_for(participation)
        self.created[Participation] = {p.pk for p in created_participations}
        declarations = [
            Declaration(
                participation=p,
                kind=self.rng.choice(list(Declaration.Kind.values)),
                date=p.deposit_date,
                text="A declaration made on deposit (generated).",
                source_id=self.sources[0],
            )
            for p in created_participations
            if p.deposit_date and self.rng.random() < 0.1
        ]
        self.created[Declaration] = {d.pk for d in Declaration.objects.bulk_create(declarations)}
        # Initial transparency reports of some parties, submitted around their due date.
        reports = []
        for p in created_participations:
            if p.entry_into_force_date is None or self.rng.random() > 0.5:
                continue
            report = TransparencyReport(participation=p, kind=rules.INITIAL, source_id=self.sources[0])
            report.due_date = report.compute_due_date()
            if report.due_date is None or report.due_date > self.today - datetime.timedelta(days=200):
                continue
            report.submitted_on = report.due_date + datetime.timedelta(days=self.rng.randrange(-60, 120))
            report.submitted_precision = partial_dates.DAY
            reports.append(report)
        self.created[TransparencyReport] = {r.pk for r in TransparencyReport.objects.bulk_create(reports)}
        made = RatificationStep.objects.bulk_create(steps, batch_size=self.batch_size)
        self.created[RatificationStep] = {s.pk for s in made}
        # Some steps were entered and later deleted: their history ends with the deletion.
        ghosts = []
        for _ in range(40 if created_participations else 0):
            ghosts += self.steps_for(self.rng.choice(created_participations), ghost=True)
        ghosts = RatificationStep.objects.bulk_create(ghosts)
        self.ghosts = {s.pk: s for s in ghosts}
        # A plain DELETE: a deletion through the ORM would record its own history row, dated now.
        RatificationStep.objects.filter(pk__in=list(self.ghosts))._raw_delete(connection.alias)

    def make_participations(self, treaty, spec, states):
        rng = self.rng
        opened = treaty.opened_for_signature_on
        rows = []
        for state in states:
            roll = rng.random()
            p = Participation(treaty=treaty, state=state, source_id=self.sources[0])
            if roll < spec["parties"] + spec["signatories"]:
                if rng.random() < 0.6:
                    p.signature_date = days_between(rng, opened, opened + datetime.timedelta(days=700))
            if roll < spec["parties"]:
                # Deposits come early and then trickle in: a skewed spread up to last year.
                span = (D(self.today.year - 1, 12, 31) - opened).days
                deposit = opened + datetime.timedelta(days=int(rng.betavariate(1.1, 4) * span))
                p.deposit_date = max(deposit, p.signature_date or deposit)
                p.instrument = (
                    Participation.Instrument.RATIFICATION
                    if p.signature_date
                    else Participation.Instrument.ACCESSION
                )
            rows.append(p)
        threshold, treaty.entry_into_force_date = treaty.compute_dates([p.deposit_date for p in rows])
        treaty.threshold_date = threshold
        parties = [p for p in rows if p.deposit_date]
        # One State has given notice of withdrawal.
        if parties:
            leaving = rng.choice(parties)
            leaving.withdrawal_notice_date = max(
                leaving.deposit_date, self.today - datetime.timedelta(days=100)
            )
        for p in rows:
            p.treaty = treaty
            p.entry_into_force_date, p.withdrawal_effective_date = p.compute_dates(threshold)
        Treaty.objects.filter(pk=treaty.pk).update(
            threshold_date=treaty.threshold_date, entry_into_force_date=treaty.entry_into_force_date
        )
        return Participation.objects.bulk_create(rows)

    def make_meetings_and_groups(self, treaty, spec):
        rng = self.rng
        meetings = []
        first = (treaty.entry_into_force_date or treaty.opened_for_signature_on).year + 1
        for number, year in enumerate(range(first, self.today.year + 1), start=1):
            review = number % 5 == 0
            start = D(year, spec["meeting_month"], rng.randint(1, 20))
            meetings.append(
                Meeting(
                    treaty=treaty,
                    kind=Meeting.Kind.REVIEW if review else Meeting.Kind.MSP,
                    number=number // 5 if review else number,
                    name=f"{ordinal(number)} {'Review Conference' if review else 'Meeting of States Parties'} {MARK}",
                    short_name=f"{number}{'RC' if review else 'MSP'}",
                    city=rng.choice(CITIES),
                    country=rng.choice(self.states),
                    start_date=start,
                    end_date=start + datetime.timedelta(days=4),
                    president_state=rng.choice(self.states),
                    president_name=f"Ambassador {rng.choice('ABCDEFGH')}. Generated",
                    outcomes="Adopted its final report.",
                    source_id=rng.choice(self.sources),
                )
            )
        for meeting in meetings:
            meeting.slug = meeting.computed_slug()  # save() would; bulk_create() does not
        meetings = Meeting.objects.bulk_create(meetings)
        self.created.setdefault(Meeting, set()).update(m.pk for m in meetings)
        self.meetings = meetings
        parts, documents = [], []
        for meeting in meetings:
            documents += [
                Document(
                    meeting=meeting,
                    title=f"Final report of the {meeting.name}",
                    kind=Document.Kind.FINAL_REPORT,
                    symbol=f"GEN/MSP/{meeting.start_date.year}/{n}",
                    summary="Records the meeting's decisions.",
                    position=n,
                    source_id=rng.choice(self.sources),
                )
                for n in (1, 2)
            ]
            if meeting.kind == Meeting.Kind.REVIEW:
                half = meeting.start_date + datetime.timedelta(days=2)
                parts += [
                    MeetingPart(
                        meeting=meeting,
                        label="First part",
                        start_date=meeting.start_date,
                        end_date=half,
                        format=MeetingPart.Format.VIRTUAL,
                        source_id=self.sources[0],
                    ),
                    MeetingPart(
                        meeting=meeting,
                        label="Second part",
                        start_date=half,
                        end_date=meeting.end_date,
                        city=meeting.city,
                        source_id=self.sources[0],
                    ),
                ]
        made = Document.objects.bulk_create(documents)
        self.created.setdefault(Document, set()).update(d.pk for d in made)
        self.make_proceedings(meetings)
        made = MeetingPart.objects.bulk_create(parts)
        self.created.setdefault(MeetingPart, set()).update(p.pk for p in made)
        groups = WorkingGroup.objects.bulk_create(
            WorkingGroup(
                treaty=treaty,
                name=f"{name} {MARK}",
                slug=name.lower().replace(" ", "-"),
                seats=2,
                established_at=meetings[0] if meetings else None,
                position=position,
                source_id=self.sources[0],
            )
            for position, name in enumerate(
                ["Universalization", "Victim assistance", "Clearance", "Cooperation"]
            )
        )
        self.created.setdefault(WorkingGroup, set()).update(g.pk for g in groups)
        assignments = []
        for group in groups:
            # Two coordinators for each term, from one meeting to the next.
            for appointed, ends in zip(meetings, meetings[1:], strict=False):
                for state in rng.sample(self.states, min(2, len(self.states))):
                    assignments.append(
                        CoordinatorAssignment(
                            group=group,
                            state=state,
                            term_start=appointed.end_date,
                            term_end=ends.end_date,
                            term_label=f"{appointed.end_date.year}–{ends.end_date.year}",
                            appointed_at=appointed,
                            source_id=self.sources[0],
                        )
                    )
        made = CoordinatorAssignment.objects.bulk_create(assignments)
        self.created.setdefault(CoordinatorAssignment, set()).update(a.pk for a in made)

    def make_proceedings(self, meetings):
        """A few statements and one pledge per meeting, by generated States and one organisation."""
        rng = self.rng
        if not hasattr(self, "organisation"):
            self.organisation = Organisation.objects.create(
                name=f"Campaign {MARK}",
                short_name="GEN",
                slug="campaign-generated",
                kind=Organisation.Kind.CAMPAIGN,
            )
            self.topic = AgendaTopic.objects.create(
                name=f"Universalization {MARK}", slug="universalization-generated"
            )
            self.created.setdefault(Organisation, set()).add(self.organisation.pk)
            self.created.setdefault(AgendaTopic, set()).add(self.topic.pk)
        statements, pledges = [], []
        for meeting in meetings:
            statements += [
                Statement(
                    meeting=meeting,
                    topic=self.topic,
                    state=rng.choice(self.states),
                    summary="Spoke on its plans to join.",
                    position=n,
                    source_id=rng.choice(self.sources),
                )
                for n in range(3)
            ]
            statements.append(
                Statement(
                    meeting=meeting,
                    topic=self.topic,
                    organisation=self.organisation,
                    summary="Called for universal adherence.",
                    position=3,
                    source_id=rng.choice(self.sources),
                )
            )
            pledges.append(
                Pledge(
                    meeting=meeting,
                    donor_state=rng.choice(self.states),
                    amount=rng.randint(1, 90) * 100_000,
                    currency=rng.choice(["EUR", "USD", "AUD"]),
                    covers="a new contribution",
                    purpose=Pledge.Purpose.CLEARANCE,
                    source_id=rng.choice(self.sources),
                )
            )
        made = Statement.objects.bulk_create(statements)
        self.created.setdefault(Statement, set()).update(s.pk for s in made)
        made = Pledge.objects.bulk_create(pledges)
        self.created.setdefault(Pledge, set()).update(p.pk for p in made)

    def make_obligations(self, treaty, participations):
        rng, treaty_rules = self.rng, treaty.rules
        obligations, extensions = [], []
        applicability = Obligation.Applicability
        for p in participations:
            if p.entry_into_force_date is None:
                continue
            for kind in (Obligation.Kind.STOCKPILE, Obligation.Kind.CLEARANCE):
                o = Obligation(
                    participation=p,
                    kind=kind,
                    applicability=rng.choices(
                        [applicability.APPLICABLE, applicability.NOT_APPLICABLE, applicability.UNKNOWN],
                        [4, 5, 1],
                    )[0],
                    progress="Reported progress in its annual report.",
                    source_id=rng.choice(self.sources),
                )
                o.original_deadline, _, _ = o.compute_deadlines(extensions=[])
                if o.original_deadline is None:
                    continue
                mine = []
                if o.applicability == applicability.APPLICABLE:
                    mine = self.extensions_for(o, kind, treaty_rules)
                    extensions += mine
                _, o.current_deadline, o.extension_pending = o.compute_deadlines(extensions=mine)
                if o.applicability == applicability.APPLICABLE and rng.random() < 0.5:
                    completed = days_between(rng, p.entry_into_force_date, o.current_deadline)
                    if completed <= self.today:
                        o.completed_on = completed
                obligations.append(o)
        made = Obligation.objects.bulk_create(obligations)
        self.created.setdefault(Obligation, set()).update(o.pk for o in made)
        for extension in extensions:
            extension.obligation_id = extension.obligation.pk
        made = Extension.objects.bulk_create(extensions)
        self.created.setdefault(Extension, set()).update(e.pk for e in made)

    def extensions_for(self, obligation, kind, treaty_rules):
        """Return up to three granted extensions, maybe followed by a pending request."""
        rng = self.rng
        most = rules.max_extension_years(kind, treaty_rules)
        out, previous = [], obligation.original_deadline
        if not most or rng.random() > 0.4:
            return out
        for _ in range(rng.randint(1, 3)):
            meeting = max(
                (m for m in self.meetings if m.start_date < previous),
                key=lambda m: m.start_date,
                default=None,
            )
            if meeting is None or previous > self.today + datetime.timedelta(days=365):
                break
            new = rules.add_years(previous, rng.randint(1, most))
            out.append(
                Extension(
                    obligation=obligation,
                    requested_on=meeting.start_date - datetime.timedelta(days=rng.randint(280, 400)),
                    requested_deadline=new,
                    decision=Extension.Decision.GRANTED,
                    meeting=meeting,
                    decided_on=meeting.end_date,
                    new_deadline=new,
                    notes="Granted with the analysis of the request.",
                    source_id=self.sources[0],
                )
            )
            previous = new
        if out and previous > self.today and rng.random() < 0.3:
            out.append(
                Extension(
                    obligation=obligation,
                    requested_on=self.today - datetime.timedelta(days=rng.randint(1, 200)),
                    requested_deadline=rules.add_years(previous, most),
                    notes="To be considered at the next meeting.",
                    source_id=self.sources[0],
                )
            )
        return out

    def steps_for(self, participation, ghost=False):
        """The road to joining: a few dated steps before the deposit, or intentions for later."""
        rng = self.rng
        opened = participation.treaty.opened_for_signature_on or D(2008, 12, 3)
        end = participation.deposit_date or self.today
        count = rng.randint(1, 4) if ghost or participation.deposit_date else rng.randint(0, 3)
        dates = sorted(days_between(rng, opened, end) for _ in range(count))
        steps = []
        for kind, day in zip(STEP_ROAD, dates, strict=False):
            precision = rng.choice([partial_dates.DAY] * 4 + [partial_dates.MONTH, partial_dates.LATE])
            step = RatificationStep(
                participation_id=participation.pk,
                kind=kind,
                date=partial_dates.normalise(day, precision),
                date_precision=precision,
                description=f"{RatificationStep.Kind(kind).label} (generated).",
                source_id=rng.choice(self.sources),
            )
            if not participation.deposit_date and rng.random() < 0.3:
                step.kind = RatificationStep.Kind.INTENTION
                step.expected_date = D(day.year + 1, 1, 1)
                step.expected_precision = partial_dates.YEAR
            steps.append(step)
        if participation.deposit_date and not ghost:
            steps.append(
                RatificationStep(
                    participation_id=participation.pk,
                    kind=RatificationStep.Kind.INSTRUMENT_DEPOSITED,
                    date=participation.deposit_date,
                    description="Instrument deposited with the depositary (generated).",
                    source_id=self.sources[0],
                )
            )
        return steps

    def check_dates(self, treaty):
        """Fail if the stored dates are not what the models compute (nothing is then written)."""
        treaty.refresh_from_db()
        if treaty.compute_dates() != (treaty.threshold_date, treaty.entry_into_force_date):
            raise CommandError(f"Generated dates of {treaty} disagree with its rules; nothing was written.")
        for participation in treaty.participations.all():
            participation.treaty = treaty
            stored = (participation.entry_into_force_date, participation.withdrawal_effective_date)
            if participation.compute_dates() != stored:
                raise CommandError(f"Dates of {participation} disagree with the rules; nothing was written.")
        obligations = Obligation.objects.filter(participation__treaty=treaty).select_related(
            "participation__treaty"
        )
        for obligation in obligations.prefetch_related("extensions"):
            stored = (obligation.original_deadline, obligation.current_deadline, obligation.extension_pending)
            if obligation.compute_deadlines() != stored:
                raise CommandError(f"Deadlines of {obligation} disagree with the rules; nothing was written.")

    # --- history -----------------------------------------------------------------

    def write_history(self, total):
        """Spread ``total`` history rows over the records, oldest first; return the count per model."""
        rng = self.rng
        targets = {model: self.targets(model) for model in SHARES}
        shares = {model: SHARES[model][0] for model in SHARES if targets[model]}
        scale = sum(shares.values())
        counts = Counter()
        left = total
        for n, (model, share) in enumerate(shares.items()):
            counts[model] = left if n == len(shares) - 1 else min(left, round(total * share / scale))
            left -= counts[model]
        # How many versions each record gets, then when: (date, model, record, version, of).
        events = []
        end = self.now - datetime.timedelta(days=1)
        for model, count in counts.items():
            records, weights = zip(*targets[model], strict=True)
            per_record = Counter(rng.choices(range(len(records)), weights, k=count))
            for index, versions in per_record.items():
                record = records[index]
                start = min(record["_start"], end - datetime.timedelta(days=1))
                span = int((end - start).total_seconds())
                seconds = sorted(rng.randrange(span) for _ in range(versions))
                for version, offset in enumerate(seconds, start=1):
                    events.append(
                        (start + datetime.timedelta(seconds=offset), id(model), version, versions, record)
                    )
        events.sort(key=lambda e: e[0])
        by_id = {id(model): model for model in SHARES}
        # Model.history builds a new manager on every access: look the historical models up once.
        self.history_models = {model: model.history.model for model in SHARES}
        buffers = {model: [] for model in SHARES}
        for date, model_id, version, versions, record in events:
            model = by_id[model_id]
            buffers[model].append(self.snapshot(model, record, date, version, versions))
            if len(buffers[model]) >= self.batch_size:
                self.history_models[model].objects.bulk_create(buffers[model])
                buffers[model] = []
        for model, rows in buffers.items():
            if rows:
                self.history_models[model].objects.bulk_create(rows)
        self.stamp_versions(events, by_id)
        return counts

    def targets(self, model):
        """Return (values, weight) for each record of ``model`` that history may be written for."""
        fields = [f.attname for f in model._meta.concrete_fields]
        rows = list(model.objects.values(*fields))
        if model is RatificationStep:
            rows += [{f: getattr(ghost, f) for f in fields} for ghost in self.ghosts.values()]
        participation_state, obligation_state = self.state_lookups()
        created = self.created.get(model, set())
        result = []
        for row in rows:
            state_id = {
                State: row.get("id"),
                Participation: row.get("state_id"),
                CoordinatorAssignment: row.get("state_id"),
                RatificationStep: participation_state.get(row.get("participation_id")),
                Obligation: participation_state.get(row.get("participation_id")),
                Extension: obligation_state.get(row.get("obligation_id")),
                Declaration: participation_state.get(row.get("participation_id")),
                Statement: row.get("state_id"),
                Pledge: row.get("donor_state_id"),
                TransparencyReport: participation_state.get(row.get("participation_id")),
            }.get(model)
            weight = self.state_weight.get(state_id, 0.05) if state_id else 1.0
            row["_ghost"] = model is RatificationStep and row["id"] in self.ghosts
            row["_new"] = row["id"] in created or row["_ghost"]
            row["_start"] = self.start_of(model, row)
            result.append((row, weight))
        return result

    def state_lookups(self):
        if not hasattr(self, "_state_lookups"):
            participation_state = dict(Participation.objects.values_list("pk", "state_id"))
            obligation_state = {
                pk: participation_state[pid]
                for pk, pid in Obligation.objects.values_list("pk", "participation_id")
            }
            self._state_lookups = participation_state, obligation_state
        return self._state_lookups

    def start_of(self, model, row):
        """The earliest plausible time of a record's first version."""
        day = {
            RatificationStep: row.get("date"),
            Extension: row.get("requested_on") or row.get("decided_on"),
            Meeting: row.get("start_date") and row["start_date"] - datetime.timedelta(days=365),
            CoordinatorAssignment: row.get("term_start"),
            Source: row.get("date"),
            Participation: row.get("signature_date") or row.get("deposit_date"),
            Treaty: row.get("adopted_on"),
            Declaration: row.get("date"),
            MeetingPart: row.get("start_date"),
            TransparencyReport: row.get("submitted_on"),
        }.get(model) or D(2009, 1, 1)
        day = max(day, D(2008, 1, 1))
        return datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)

    def snapshot(self, model, record, date, version, versions):
        """The historical row of ``record``'s version ``version`` of ``versions`` (the last is the record now)."""
        values = {k: v for k, v in record.items() if not k.startswith("_")}
        field = model._meta.get_field(SHARES[model][1])
        latest = version == versions
        if record["_ghost"] and latest:
            history_type = "-"
        elif record["_new"] and version == 1:
            history_type = "+"
        else:
            history_type = "~"  # a record that was there already has its first version
        if record["_new"]:
            values["version"] = version
        if not latest:
            text = f"{values[field.attname] or ''} [generated revision {version}]".strip()
            values[field.attname] = text[-field.max_length :] if field.max_length else text
        values["updated_at"] = date
        return self.history_models[model](
            **values,
            history_date=date,
            history_type=history_type,
            history_change_reason=REASON,
            history_user_id=self.rng.choice(self.editors),
        )

    def stamp_versions(self, events, by_id):
        """Give each generated record the version number and save time of its newest version."""
        newest = {}
        for date, model_id, version, versions, record in events:
            if record["_new"] and not record["_ghost"] and version == versions:
                newest.setdefault(by_id[model_id], []).append(
                    by_id[model_id](pk=record["id"], version=version, updated_at=date)
                )
        for model, objects in newest.items():
            # bulk_update writes the values given (auto_now does not apply to it).
            model.objects.bulk_update(objects, ["version", "updated_at"], batch_size=200)

    def analyze(self):
        """Refresh the planner's statistics (and PostgreSQL's visibility map) for the new rows."""
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


if __name__ == "__main__":
    Command().run_from_argv([sys.argv[0], "generate_data", *sys.argv[1:]])
