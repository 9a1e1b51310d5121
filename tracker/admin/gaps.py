"""Gaps in the record: what editors should look up next.

Facts the tracker shows to the public as "not recorded" rather than as a
State's failure: extension requests whose decision is missing after their
meeting, granted extensions with no decision day, obligations whose
applicability no source gives, meetings without a president or a source.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.template.response import TemplateResponse

from tracker import rules
from tracker.models import Extension, Meeting, Obligation, today


def gaps_view(request, model_admin):
    if not request.user.has_perm("tracker.view_obligation"):
        raise PermissionDenied
    day = today()
    pending = Extension.objects.filter(decision=Extension.Decision.PENDING).select_related(
        "meeting", "obligation__participation__state", "obligation__participation__treaty"
    )
    unrecorded = [e for e in pending if e.state_on(day) == rules.DECISION_NOT_RECORDED]
    undated = Extension.objects.filter(
        decision=Extension.Decision.GRANTED, meeting=None, decided_on=None
    ).select_related("obligation__participation__state", "obligation__participation__treaty")
    applicability = (
        Obligation.objects.of_parties(day)
        .filter(participation__deposit_date__lte=day, applicability=Obligation.Applicability.UNKNOWN)
        .values("participation__treaty__short_name", "kind")
        .annotate(count=Count("pk"))
        .order_by("participation__treaty__short_name", "kind")
    )
    meetings = Meeting.objects.filter(
        Q(president_name="", president_state=None) | Q(source=None) | Q(start_date=None)
    ).select_related("treaty")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Gaps in the record",
        "today": day,
        "unrecorded": unrecorded,
        "undated": undated,
        "applicability": applicability,
        "meetings": meetings,
    }
    return TemplateResponse(request, "admin/tracker/gaps.html", context)
