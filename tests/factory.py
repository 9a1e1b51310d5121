"""Plain builders for test data. Reference data comes from fixtures; everything else from here."""

import datetime

from django.contrib.auth.models import Group, User

from tracker.models import (
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
    defaults = {"name": "Convention on Cluster Munitions", "short_name": "CCM", "adopted_on": D(2008, 5, 30)}
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


def make_user(username="alice", *, staff=True, superuser=False, groups=()):
    user = User.objects.create_user(username, f"{username}@example.org", "correct horse battery staple")
    user.is_staff = staff or superuser
    user.is_superuser = superuser
    user.save()
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user
