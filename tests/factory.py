"""Plain builders for test data. Reference data comes from fixtures; everything else from here."""

import datetime
import importlib

from django.apps import apps
from django.contrib.auth.models import Group, Permission, User

from tracker.migrations._roles import assign
from tracker.models import (
    TRACKED,
    CoordinatorAssignment,
    Meeting,
    Obligation,
    Participation,
    RatificationStep,
    Source,
    State,
    Treaty,
    WorkingGroup,
)

D = datetime.date


def make_treaty(slug="ccm", **kwargs):
    defaults = {
        "name": "Convention on Cluster Munitions",
        "short_name": "CCM",
        "adopted_on": D(2008, 5, 30),
        "stockpile_article": "Art. 3",
        "clearance_article": "Art. 4",
    }
    if slug != "ccm":
        defaults.update(name=f"Treaty {slug}", short_name=slug.upper())
    defaults.update(kwargs)
    return Treaty.objects.create(slug=slug, **defaults)


def make_state(iso2="LB", name=None, region=State.Region.ASIA, **kwargs):
    return State.objects.create(iso2=iso2, name=name or f"State {iso2}", region=region, **kwargs)


def make_source(title="UNTC status list", **kwargs):
    return Source.objects.create(title=title, **kwargs)


def make_participation(treaty, state, **kwargs):
    if kwargs.get("deposit_date") and "instrument" not in kwargs:
        kwargs["instrument"] = Participation.Instrument.RATIFICATION
    participation = Participation(treaty=treaty, state=state, **kwargs)
    participation.full_clean()
    participation.save()
    return participation


def make_parties(treaty, count, first_deposit=D(2009, 1, 5), prefix="Q"):
    """Make ``count`` States that deposit one day apart; returns their participations."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    made = []
    for i in range(count):
        iso2 = prefix + letters[i % 26] if count <= 26 else letters[i // 26] + letters[i % 26]
        state = make_state(iso2=iso2, name=f"Party {iso2} {prefix}")
        made.append(
            make_participation(
                treaty,
                state,
                signature_date=min(D(2008, 12, 3), first_deposit),
                deposit_date=first_deposit + datetime.timedelta(days=i),
            )
        )
    return made


def make_step(participation, **kwargs):
    defaults = {
        "kind": RatificationStep.Kind.BEFORE_PARLIAMENT,
        "date": D(2011, 9, 16),
        "description": "A step.",
    }
    defaults.update(kwargs)
    return RatificationStep.objects.create(participation=participation, **defaults)


def make_meeting(treaty, **kwargs):
    defaults = {
        "kind": Meeting.Kind.MSP,
        "number": 2,
        "name": "Second Meeting of States Parties",
        "short_name": "2MSP",
        "city": "Beirut",
        "start_date": D(2011, 9, 12),
        "end_date": D(2011, 9, 16),
    }
    defaults.update(kwargs)
    return Meeting.objects.create(treaty=treaty, **defaults)


def make_group(treaty, slug="universalization", **kwargs):
    defaults = {"name": slug.replace("-", " ").capitalize(), "seats": 2}
    defaults.update(kwargs)
    return WorkingGroup.objects.create(treaty=treaty, slug=slug, **defaults)


def make_assignment(group, state, term_start=D(2011, 9, 16), term_end=D(2012, 9, 14), **kwargs):
    return CoordinatorAssignment.objects.create(
        group=group, state=state, term_start=term_start, term_end=term_end, **kwargs
    )


def obligation(participation, kind=Obligation.Kind.STOCKPILE):
    return participation.obligations.get(kind=kind)


def create_role_groups():
    """Make the editors' and reviewers' groups with the migrations' own lists of permissions
    (a TransactionTestCase's flush empties them: make_user makes them again when asked for a role)."""
    roles = importlib.import_module("tracker.migrations.0003_role_groups")
    if Group.objects.filter(name="editors").exists():
        return
    tracker = Permission.objects.filter(content_type__app_label="tracker")
    editors = Group.objects.create(name="editors")
    editors.permissions.set(tracker.filter(codename__in=roles._editor_codenames()))
    reviewers = Group.objects.create(name="reviewers")
    reviewers.permissions.set(
        [
            *tracker.filter(codename__in=roles._reviewer_codenames()),
            *Permission.objects.filter(
                content_type__app_label="auth", codename__in=["view_user", "view_group"]
            ),
        ]
    )
    later = [m._meta.model_name for m in TRACKED.values() if m._meta.model_name not in roles.TRACKER_MODELS]
    assign(apps, later)


# When the pages' data was last edited in make_state_page_edited_long_ago().
LONG_AGO = datetime.datetime(2020, 5, 4, 12, 0, tzinfo=datetime.UTC)


def make_state_page_edited_long_ago():
    """A treaty and Lebanon, its signatory, every edit dated LONG_AGO: a page of theirs has a
    Last-Modified whose second is over. Returns (treaty, lebanon)."""
    treaty = make_treaty()
    lebanon = make_state("LB", "Lebanon")
    make_participation(treaty, lebanon, signature_date=D(2008, 12, 3))
    for model in (State, Treaty, Participation):
        model.history.update(history_date=LONG_AGO)
    return treaty, lebanon


def make_user(username="alice", *, staff=True, superuser=False, groups=()):
    user = User.objects.create_user(username, f"{username}@example.org", "correct horse battery staple")
    user.is_staff = staff or superuser
    user.is_superuser = superuser
    user.save()
    if groups:
        create_role_groups()
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


# --- the public site's tests ---------------------------------------------------------


def make_public_world():
    """A small CCM world for the public pages, with every status, deadline state and page section.

    Two instruments bring this treaty into force (1 December 2009), so that few
    rows suffice. On 16 September 2011 (the end of the 2nd Meeting) Austria,
    Albania, Lebanon, Lithuania and Eswatini (acceded 13 September) are parties;
    Australia and Angola signatories; the United States has no row at all.
    Lithuania has withdrawn since 6 March 2025. Deadlines relative to today:
    Lebanon's clearance is overdue, Albania's (extended at the 2nd Meeting) is
    due in 100 days, Austria finished its stockpile destruction a year ago.
    Returns a SimpleNamespace of the objects.
    """
    from types import SimpleNamespace

    from django.utils import timezone

    from tracker.models import Extension

    today = timezone.localdate()
    w = SimpleNamespace(today=today)
    w.treaty = make_treaty(opened_for_signature_on=D(2008, 12, 3), eif_instruments=2)
    w.untc = make_source(
        "Convention on Cluster Munitions: status", url="https://treaties.un.org/ccm", symbol="XXVI-6"
    )
    w.seed = make_source("Message to the Second Meeting of States Parties", date=D(2011, 9, 13))

    def join(iso2, name, region, subregion="", **dates):
        state = make_state(iso2, name, region=region, subregion=subregion)
        participation = make_participation(w.treaty, state, source=w.untc, **dates) if dates else None
        return state, participation

    sig = D(2008, 12, 3)
    w.austria, w.at = join(
        "AT", "Austria", "europe", "Western Europe", signature_date=sig, deposit_date=D(2009, 4, 2)
    )
    w.albania, w.al = join(
        "AL", "Albania", "europe", "Southern Europe", signature_date=sig, deposit_date=D(2009, 6, 16)
    )
    w.lebanon, w.lb = join(
        "LB", "Lebanon", "asia", "Western Asia", signature_date=sig, deposit_date=D(2010, 11, 5)
    )
    w.lithuania, w.lt = join(
        "LT",
        "Lithuania",
        "europe",
        signature_date=sig,
        deposit_date=D(2011, 3, 24),
        withdrawal_notice_date=D(2024, 9, 6),
    )
    w.eswatini, w.sz = join(
        "SZ", "Eswatini", "africa", deposit_date=D(2011, 9, 13), instrument=Participation.Instrument.ACCESSION
    )
    w.australia, w.au = join("AU", "Australia", "oceania", signature_date=sig, deposit_date=D(2012, 10, 8))
    w.angola, w.ao = join("AO", "Angola", "africa", signature_date=sig)
    w.usa, _ = join("US", "United States of America", "americas")

    w.msp2 = make_meeting(
        w.treaty,
        country=w.lebanon,
        president_state=w.lebanon,
        outcomes="Beirut Declaration adopted.",
        source=w.seed,
    )
    w.msp3 = make_meeting(
        w.treaty,
        number=3,
        name="Third Meeting of States Parties",
        short_name="3MSP",
        city="Oslo",
        start_date=D(2012, 9, 11),
        end_date=D(2012, 9, 14),
        announced_start_date=D(2012, 9, 10),
        announced_end_date=D(2012, 9, 14),
        announced_in=w.seed,
    )

    w.lb_clearance = obligation(w.lb, Obligation.Kind.CLEARANCE)
    w.lb_clearance.applicability = Obligation.Applicability.APPLICABLE
    w.lb_clearance.progress = "Clearing the south."
    w.lb_clearance.save()

    w.al_clearance = obligation(w.al, Obligation.Kind.CLEARANCE)
    w.al_clearance.applicability = Obligation.Applicability.APPLICABLE
    w.al_clearance.save()
    # Saved without full_clean: the extension's length is not what these tests are about.
    w.extension = Extension.objects.create(
        obligation=w.al_clearance,
        requested_on=D(2011, 3, 1),
        requested_deadline=today + datetime.timedelta(days=100),
        decision=Extension.Decision.GRANTED,
        meeting=w.msp2,
        decided_on=D(2011, 9, 16),
        new_deadline=today + datetime.timedelta(days=100),
        source=w.seed,
    )
    w.al_clearance.refresh_from_db()

    w.at_stockpile = obligation(w.at)
    w.at_stockpile.applicability = Obligation.Applicability.APPLICABLE
    w.at_stockpile.completed_on = today - datetime.timedelta(days=365)
    w.at_stockpile.save()

    w.bill = make_step(
        w.au,
        kind=RatificationStep.Kind.BEFORE_PARLIAMENT,
        date=D(2011, 9, 1),
        date_precision="month",
        source=w.seed,
    )
    w.intention = make_step(
        w.au,
        kind=RatificationStep.Kind.INTENTION,
        date=D(2011, 9, 13),
        description="Hopes to ratify next year.",
        expected_date=D(2012, 1, 1),
        expected_precision="year",
        source=w.seed,
    )

    w.general = make_group(
        w.treaty, "general-status", name="General status and operation", established_at=w.msp2
    )
    w.reporting = make_group(w.treaty, "reporting", name="Transparency reporting", seats=1, position=9)
    w.at_general = make_assignment(w.general, w.austria, appointed_at=w.msp2, source=w.seed)
    w.al_general = make_assignment(w.general, w.albania, appointed_at=w.msp2, source=w.seed)
    w.lb_reporting = make_assignment(
        w.reporting,
        w.lebanon,
        term_start=D(2012, 9, 14),
        term_end=None,
        term_label="2012–",
        appointed_at=w.msp3,
    )
    return w


def edit_as(instance, user, reason, **changes):
    """Save ``changes`` to ``instance`` as ``user`` with a change reason, as the admin would."""
    for name, value in changes.items():
        setattr(instance, name, value)
    instance._history_user = user
    instance._change_reason = reason
    instance.save()
    return instance


# --- the admin's tests ----------------------------------------------------------------


def make_admin_world():
    """A small CCM world for admin tests: in force from 1 December 2009 after two deposits.

    Lebanon deposited on 5 November 2010 (in force 1 May 2011) and has one
    ratification step; Albania deposited on 16 June 2009; Angola only signed.
    Returns a SimpleNamespace of the objects.
    """
    from types import SimpleNamespace

    w = SimpleNamespace()
    w.treaty = make_treaty(opened_for_signature_on=D(2008, 12, 3), eif_instruments=2)
    w.source = make_source("Depositary notification")
    w.austria = make_state("AT", "Austria", region=State.Region.EUROPE)
    w.albania = make_state("AL", "Albania", region=State.Region.EUROPE)
    w.lebanon = make_state("LB", "Lebanon")
    w.angola = make_state("AO", "Angola", region=State.Region.AFRICA)
    w.at = make_participation(w.treaty, w.austria, signature_date=D(2008, 12, 3), deposit_date=D(2009, 4, 2))
    w.al = make_participation(w.treaty, w.albania, signature_date=D(2008, 12, 3), deposit_date=D(2009, 6, 16))
    w.lb = make_participation(w.treaty, w.lebanon, signature_date=D(2008, 12, 3), deposit_date=D(2010, 11, 5))
    w.ao = make_participation(w.treaty, w.angola, signature_date=D(2008, 12, 3))
    w.step = make_step(w.lb, kind=RatificationStep.Kind.PARLIAMENTARY_APPROVAL, date=D(2010, 8, 17))
    w.meeting = make_meeting(w.treaty)
    w.group = make_group(w.treaty)
    w.assignment = make_assignment(w.group, w.lebanon)
    return w


def admin_change_url(obj, view="change"):
    from django.urls import reverse

    return reverse(f"admin:tracker_{obj._meta.model_name}_{view}", args=[obj.pk])


def admin_post_data(response, **changes):
    """What a browser posts from the admin form in ``response`` (GET or redisplayed), with ``changes``.

    Covers the main form and every inline formset; ``changes`` are keyed by the
    posted names (e.g. ``steps-0-description``).
    """
    from django.forms import CheckboxInput

    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if isinstance(bound.field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
                continue
            if value is None:
                value = ""
            elif isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, list | tuple):
                value = [str(v) for v in value]
            else:
                value = str(value)
            data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    data.update(changes)
    return data


def add_history(instance, versions, field, start=datetime.datetime(2012, 1, 1, tzinfo=datetime.UTC)):
    """Write ``versions`` older historical rows of ``instance`` in bulk, one day apart from ``start``.

    Each is the record as it is now with ``field`` set to "revision N": a cheap
    way to make a long history (the performance tests compare sizes).
    """
    model = type(instance)
    values = {f.attname: getattr(instance, f.attname) for f in model.history.model.tracked_fields}
    rows = []
    for n in range(versions):
        date = start + datetime.timedelta(days=n)
        rows.append(
            model.history.model(
                **{**values, field: f"revision {n}", "updated_at": date},
                history_date=date,
                history_type="~",
                history_change_reason="generated",
            )
        )
    model.history.model.objects.bulk_create(rows)


def assert_query_budgets(testcase, budgets, size):
    """Each address of ``budgets`` ({url: queries}) answers 200 with exactly its number of queries
    (one subtest per address, named with the data's ``size``)."""
    for url, budget in budgets.items():
        with testcase.subTest(url=url, size=size), testcase.assertNumQueries(budget):
            response = testcase.client.get(url)
            testcase.assertEqual(response.status_code, 200, response.content[:200])
