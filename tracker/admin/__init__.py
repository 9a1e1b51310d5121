"""The secretariat's admin: every record editable, with inline rows where editors need them.

Declarations only; the shared behaviour (a reason on every save, the version
check, revert, deleted records) is in ``base``, the audit log in ``audit`` and
the spreadsheet import in ``importing``. Computed dates are read-only here:
``save()`` computes them.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ImportMixin

from tracker import models
from tracker.admin import audit, depositary, gaps, reports, treaty_actions
from tracker.admin.base import TrackerAdmin, TrackerStackedInline, TrackerTabularInline
from tracker.admin.forms import MoveCitationsForm
from tracker.admin.importing import ImportAdminMixin
from tracker.models import today
from tracker.treaty_actions import stale_after_decision

# The site's name, as the public pages give it, instead of "Django administration".
admin.site.site_header = "Treaty Implementation Tracker"
admin.site.site_title = "Treaty Implementation Tracker admin"
admin.site.index_title = "Records"

# The index lists the records in the order an editor works: treaty actions, obligations
# and extensions, meetings and their proceedings, reports, sources; then the accounts.
MODEL_ORDER = (
    "Participation",
    "Declaration",
    "RatificationStep",
    "Treaty",
    "State",
    "Obligation",
    "Extension",
    "Meeting",
    "MeetingPart",
    "Document",
    "Statement",
    "Pledge",
    "Organisation",
    "AgendaTopic",
    "WorkingGroup",
    "CoordinatorAssignment",
    "TransparencyReport",
    "Source",
)


def _app_list(request, app_label=None):
    apps = admin.AdminSite.get_app_list(admin.site, request, app_label)
    for app in apps:
        if app["app_label"] == "tracker":
            app["models"].sort(
                key=lambda m: MODEL_ORDER.index(m["object_name"]) if m["object_name"] in MODEL_ORDER else 99
            )
    apps.sort(key=lambda app: app["app_label"] != "tracker")
    return apps


admin.site.get_app_list = _app_list

# The editors' own notes: folded away at the end of every change form.
RESEARCH_NOTES = (
    "Research notes (editors only, never public)",
    {"classes": ("collapse",), "fields": ("research_notes",)},
)


class ParticipationStatusFilter(admin.SimpleListFilter):
    title = "status today"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return models.Participation.Status.choices

    def queryset(self, request, queryset):
        if self.value() in models.Participation.Status.values:
            return queryset.with_status(self.value(), today())
        return queryset


class ObligationStatusFilter(admin.SimpleListFilter):
    title = "status today"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return (
            ("overdue", "Overdue"),
            ("open", "Open (applicable, not completed)"),
            ("completed", "Completed"),
        )

    def queryset(self, request, queryset):
        day = today()
        if self.value() == "overdue":
            return queryset.overdue(day)
        if self.value() == "open":
            return queryset.open_on(day)
        if self.value() == "completed":
            return queryset.filter(completed_on__lte=day)
        return queryset


# --- sources, treaties, states ---------------------------------------------------------


@admin.register(models.Source)
class SourceAdmin(TrackerAdmin):
    list_display = ("title", "publisher", "date_display", "symbol")
    list_filter = ("publisher",)
    search_fields = ("title", "symbol", "publisher", "url")
    fieldsets = (
        (None, {"fields": ("title", "publisher", ("date", "date_precision"), "symbol", "url")}),
        ("What it says (public)", {"fields": ("notes",)}),
        RESEARCH_NOTES,
    )

    @admin.display(description="date", ordering="date")
    def date_display(self, obj):
        return obj.date_display

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/move/", wrap(self.move_view), name="tracker_source_move"),
        ] + super().get_urls()

    def move_view(self, request, object_id):
        """Move every citation of a source to another, each with a history row, so it can be deleted."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        source = get_object_or_404(models.Source, pk=object_id)
        form = MoveCitationsForm(request.POST or None, source=source)
        if request.method == "POST" and form.is_valid():
            request.tracker_reason = form.cleaned_data["reason"]
            with transaction.atomic():
                moved = source.move_citations(form.cleaned_data["target"])
            self.message_user(request, f"Moved {moved} citation(s) to “{form.cleaned_data['target']}”.")
            return HttpResponseRedirect(reverse("admin:tracker_source_change", args=[source.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Move the citations of “{source}”",
            "opts": self.opts,
            "source": source,
            "citations": [
                (model._meta.verbose_name_plural, field.verbose_name, records.count())
                for model, field, records in source.citations()
            ],
            "form": form,
        }
        return TemplateResponse(request, "admin/tracker/source_move.html", context)

    def render_delete_form(self, request, context):
        # A cited source cannot be deleted (its links are PROTECT): offer to move its citations first.
        context["move_url"] = reverse("admin:tracker_source_move", args=[context["object"].pk])
        return super().render_delete_form(request, context)


@admin.register(models.Treaty)
class TreatyAdmin(TrackerAdmin):
    list_display = ("short_name", "name", "adopted_on", "threshold_date", "entry_into_force_date")
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {"slug": ("short_name",)}
    readonly_fields = ("threshold_date", "entry_into_force_date")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    ("short_name", "slug"),
                    ("adopted_on", "concluded_at"),
                    ("opened_for_signature_on", "opened_at"),
                    "text_url",
                    "secretariat_url",
                )
            },
        ),
        (
            "The depositary's record",
            {
                "fields": (
                    "depositary",
                    ("depositary_as_at", "source"),
                    "depositary_url",
                    ("registration_number", "registration_date"),
                    "treaty_series",
                )
            },
        ),
        (
            "Entry into force and withdrawal",
            {
                "description": "The treaty's rules as data: every date below is computed from them.",
                "fields": (
                    "eif_instruments",
                    ("eif_rule", "eif_period"),
                    "eif_later_after",
                    ("withdrawal_period", "withdrawal_rule"),
                    "withdrawal_conflict_proviso",
                    ("threshold_date", "entry_into_force_date"),
                ),
            },
        ),
        (
            "Obligations and reports",
            {
                "fields": (
                    ("stockpile_years", "stockpile_extension_years"),
                    ("clearance_years", "clearance_extension_years"),
                    ("initial_report_days", "initial_report_months"),
                    ("annual_report_month", "annual_report_day"),
                )
            },
        ),
        RESEARCH_NOTES,
    )
    autocomplete_fields = ("source",)

    def get_urls(self):
        # The audit log covers every kind of record; it hangs off the treaty's admin
        # because the admin site offers no app-level URLs (see docs/admin.md).
        wrap = self.admin_site.admin_view
        return [
            path("audit/", wrap(self.audit_log_view), name="tracker_audit_log"),
            path("audit/export.csv", wrap(self.audit_log_csv_view), name="tracker_audit_log_csv"),
            path("gaps/", wrap(self.gaps_view), name="tracker_gaps"),
            path("reconcile/", wrap(self.reconcile_view), name="tracker_reconcile"),
            path("action/", wrap(self.treaty_action_view), name="tracker_treaty_action"),
        ] + super().get_urls()

    def treaty_action_view(self, request):
        return treaty_actions.treaty_action_view(request, self)

    def reconcile_view(self, request):
        return depositary.reconcile_view(request, self)

    def gaps_view(self, request):
        return gaps.gaps_view(request, self)

    def audit_log_view(self, request):
        return audit.audit_log_view(request, self)

    def audit_log_csv_view(self, request):
        return audit.audit_log_csv_view(request, self)


class ParticipationInline(TrackerTabularInline):
    model = models.Participation
    fields = (
        "treaty",
        "signature_date",
        "instrument",
        "deposit_date",
        "entry_into_force_date",
        "withdrawal_notice_date",
        "status",
    )
    readonly_fields = ("entry_into_force_date", "status")
    show_change_link = True

    @admin.display(description="status today")
    def status(self, obj):
        return obj.get_status_display() if obj.pk else ""


@admin.register(models.State)
class StateAdmin(TrackerAdmin):
    list_display = ("name", "iso2", "region", "subregion", "membership")
    list_filter = ("region", "membership")
    search_fields = ("name", "aliases", "iso2", "iso3")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "aliases",
                    ("iso2", "iso3"),
                    ("region", "subregion"),
                    "membership",
                    "source",
                )
            },
        ),
        RESEARCH_NOTES,
    )
    autocomplete_fields = ("source",)
    inlines = (ParticipationInline,)


# --- participations, with their steps and obligations ------------------------------------


class RatificationStepInline(TrackerStackedInline):
    model = models.RatificationStep
    fields = (
        ("kind", "date", "date_precision"),
        "description",
        ("expected_date", "expected_precision"),
        "source",
    )
    autocomplete_fields = ("source",)


class DeclarationInline(TrackerStackedInline):
    model = models.Declaration
    fields = (("kind", "date", "date_precision"), "text", ("notification", "source"))
    autocomplete_fields = ("source",)


class ObligationInline(TrackerTabularInline):
    model = models.Obligation
    fields = (
        "kind",
        "applicability",
        "original_deadline",
        "current_deadline",
        "completed_on",
        "completed_precision",
    )
    readonly_fields = ("original_deadline", "current_deadline")
    # Progress notes, the end of hostilities and extensions are on the obligation's own page.
    show_change_link = True


@admin.register(models.Participation)
class ParticipationAdmin(ImportAdminMixin, ImportMixin, TrackerAdmin):
    # The treaty by its short name, so that the dates fit a 1280 px screen.
    list_display = (
        "state",
        "treaty_short_name",
        "status",
        "signature_date",
        "instrument",
        "deposit_date",
        "entry_into_force_date",
        "withdrawal_effective_date",
    )
    list_filter = ("treaty", ParticipationStatusFilter, "instrument", "state__region")
    list_select_related = ("state", "treaty")
    search_fields = ("state__name", "state__iso2")
    autocomplete_fields = (
        "state",
        "source",
        "signature_source",
        "deposit_source",
        "withdrawal_source",
        "conflict_source",
    )
    date_hierarchy = "deposit_date"
    readonly_fields = ("entry_into_force_date", "withdrawal_effective_date", "status", "in_force")
    fieldsets = (
        (None, {"fields": (("state", "treaty"), ("status", "in_force"))}),
        (
            "Joining",
            {
                "description": "Entry into force is computed from the deposit date by the treaty's rule.",
                "fields": (
                    ("signature_date", "signature_source"),
                    ("instrument", "deposit_date"),
                    ("deposit_notification", "deposit_notification_date"),
                    "deposit_source",
                    "entry_into_force_date",
                    "provisional_application_date",
                ),
            },
        ),
        (
            "Withdrawal",
            {
                "description": "The withdrawal takes effect as the treaty says (six months after notice for the CCM), "
                "later if the State is engaged in an armed conflict when that period runs out (Art. 20(3)).",
                "fields": (
                    "withdrawal_notice_date",
                    ("withdrawal_notification", "withdrawal_notification_date"),
                    "withdrawal_source",
                    ("in_conflict_at_expiry", "conflict_source"),
                    "conflict_ended_on",
                    "withdrawal_effective_date",
                ),
            },
        ),
        ("Public notes and source", {"fields": ("notes", "source")}),
        RESEARCH_NOTES,
    )
    inlines = (DeclarationInline, RatificationStepInline, ObligationInline, reports.TransparencyReportInline)

    @admin.display(description="status today")
    def status(self, obj):
        return obj.get_status_display() if obj.pk else "—"

    @admin.display(description="treaty", ordering="treaty__short_name")
    def treaty_short_name(self, obj):
        return obj.treaty.short_name

    @admin.display(description="treaty in force for it today", boolean=True)
    def in_force(self, obj):
        return obj.in_force() if obj.pk else None


@admin.register(models.RatificationStep)
class RatificationStepAdmin(TrackerAdmin):
    list_display = ("participation", "kind", "date_display", "expected_display")
    list_filter = ("kind", "participation__treaty")
    list_select_related = ("participation__state", "participation__treaty")
    search_fields = ("participation__state__name", "participation__state__iso2", "description")
    autocomplete_fields = ("participation", "source")
    fieldsets = (
        (None, {"fields": ("participation", "kind", ("date", "date_precision"), "description")}),
        (
            "Expected next step",
            {
                "description": "For a statement of intent: when the State expects to act.",
                "fields": (("expected_date", "expected_precision"),),
            },
        ),
        ("Source", {"fields": ("source",)}),
        RESEARCH_NOTES,
    )

    @admin.display(description="date", ordering="date")
    def date_display(self, obj):
        return obj.date_display

    @admin.display(description="expected")
    def expected_display(self, obj):
        return obj.expected_display


class ExtensionInline(TrackerStackedInline):
    model = models.Extension
    fields = (
        ("requested_on", "requested_precision", "requested_deadline"),
        ("decision", "meeting"),
        ("decided_on", "decided_precision"),
        ("new_deadline", "new_deadline_precision"),
        "notes",
        "source",
        "research_notes",
    )
    autocomplete_fields = ("meeting", "source")


@admin.register(models.Obligation)
class ObligationAdmin(TrackerAdmin):
    list_display = (
        "participation",
        "kind",
        "applicability",
        "original_deadline",
        "current_deadline",
        "status",
        "completed_display",
    )
    list_filter = ("kind", "applicability", ObligationStatusFilter, "participation__treaty")
    list_select_related = ("participation__state", "participation__treaty")
    search_fields = ("participation__state__name", "participation__state__iso2")
    autocomplete_fields = ("participation", "source")
    readonly_fields = ("original_deadline", "current_deadline", "status")
    fieldsets = (
        (None, {"fields": (("participation", "kind"), "applicability", "status")}),
        (
            "Deadline",
            {
                "description": "Computed from entry into force (or the end of hostilities, for clearance) "
                "and the extensions granted below.",
                "fields": ("hostilities_ended_on", ("original_deadline", "current_deadline")),
            },
        ),
        (
            "Progress",
            {
                "fields": (
                    ("completed_on", "completed_precision"),
                    ("expected_completion", "expected_precision"),
                    "progress",
                    "source",
                )
            },
        ),
        RESEARCH_NOTES,
    )
    inlines = (ExtensionInline,)

    def get_queryset(self, request):
        # The status column reads each obligation's extension requests and their meetings.
        return super().get_queryset(request).with_extensions()

    @admin.display(description="status today")
    def status(self, obj):
        return obj.get_status_display() if obj.pk else "—"

    @admin.display(description="completed", ordering="completed_on")
    def completed_display(self, obj):
        return obj.completed_display


@admin.register(models.Extension)
class ExtensionAdmin(TrackerAdmin):
    list_display = (
        "obligation",
        "requested_on",
        "requested_deadline",
        "decision",
        "meeting",
        "new_deadline_display",
    )
    list_filter = ("decision", "obligation__kind", "meeting")
    list_select_related = ("obligation__participation__state", "meeting")
    search_fields = ("obligation__participation__state__name", "obligation__participation__state__iso2")
    autocomplete_fields = ("obligation", "meeting", "source")
    fieldsets = (
        (None, {"fields": ("obligation", ("requested_on", "requested_precision"), "requested_deadline")}),
        (
            "Decision",
            {
                "description": "A request counts as awaiting its decision until its meeting has ended; "
                "after that, with no decision recorded here, it is a gap in the record.",
                "fields": (
                    ("decision", "meeting"),
                    ("decided_on", "decided_precision"),
                    ("new_deadline", "new_deadline_precision"),
                ),
            },
        ),
        ("Public notes and source", {"fields": ("notes", "source")}),
        RESEARCH_NOTES,
    )

    @admin.display(description="new deadline", ordering="new_deadline")
    def new_deadline_display(self, obj):
        return obj.new_deadline_display

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A decision makes "recorded as pending" untrue wherever it is still written.
        for note in stale_after_decision(obj):
            url = reverse(f"admin:tracker_{note.record._meta.model_name}_change", args=[note.record.pk])
            self.message_user(
                request,
                format_html('“{}” still says “pending”: <a href="{}">review it</a>.', note.label, url),
                messages.WARNING,
            )


# --- meetings and working groups ---------------------------------------------------------


class MeetingPartInline(TrackerTabularInline):
    model = models.MeetingPart
    fields = ("label", "start_date", "end_date", "city", "venue", "format", "source")
    autocomplete_fields = ("source",)


class DocumentInline(TrackerStackedInline):
    model = models.Document
    fields = (
        ("title", "kind", "action"),
        ("symbol", "url"),
        ("submitted_by", "submitted_by_state"),
        "summary",
        ("position", "source"),
    )
    autocomplete_fields = ("submitted_by_state", "source")


@admin.register(models.Meeting)
class MeetingAdmin(TrackerAdmin):
    list_display = ("__str__", "kind", "number", "city", "dates_display", "president_name")
    list_filter = ("treaty", "kind")
    list_select_related = ("treaty",)
    search_fields = ("name", "short_name", "city", "president_name")
    autocomplete_fields = (
        "country",
        "president_state",
        "announced_in",
        "president_designated_at",
        "convened_by",
        "source",
    )
    fieldsets = (
        (None, {"fields": ("treaty", ("kind", "number"), ("name", "short_name"))}),
        (
            "Place and dates",
            {
                "fields": (
                    ("city", "country"),
                    "venue",
                    ("start_date", "end_date", "dates_precision"),
                )
            },
        ),
        (
            "Dates as first announced",
            {
                "classes": ("collapse",),
                "fields": (("announced_start_date", "announced_end_date"), "announced_in", "convened_by"),
            },
        ),
        ("Presidency", {"fields": (("president_state", "president_name"), "president_designated_at")}),
        ("Outcomes and source", {"fields": ("outcomes", "source")}),
        RESEARCH_NOTES,
    )
    inlines = (MeetingPartInline, DocumentInline)

    @admin.display(description="dates", ordering="start_date")
    def dates_display(self, obj):
        return obj.dates_display


class CoordinatorAssignmentInline(TrackerTabularInline):
    model = models.CoordinatorAssignment
    fields = ("state", "term_start", "term_end", "term_label", "appointed_at", "source")
    autocomplete_fields = ("state", "appointed_at", "source")


@admin.register(models.WorkingGroup)
class WorkingGroupAdmin(TrackerAdmin):
    list_display = ("name", "treaty", "seats", "position", "coordinators_today")
    list_filter = ("treaty",)
    list_select_related = ("treaty",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("established_at", "source")
    fieldsets = (
        (None, {"fields": ("treaty", "name", "slug", ("seats", "position"))}),
        ("Mandate", {"fields": ("established_at", "description", "source")}),
        RESEARCH_NOTES,
    )
    inlines = (CoordinatorAssignmentInline,)

    def get_queryset(self, request):
        serving = models.CoordinatorAssignment.objects.serving_on(today()).select_related("state")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("assignments", queryset=serving, to_attr="serving_today"))
        )

    @admin.display(description="coordinators today")
    def coordinators_today(self, obj):
        return ", ".join(a.state.name for a in obj.serving_today) or "—"


@admin.register(models.CoordinatorAssignment)
class CoordinatorAssignmentAdmin(TrackerAdmin):
    list_display = ("state", "group", "term_display", "term_start", "term_end", "appointed_at")
    list_filter = ("group__treaty", "group")
    list_select_related = ("state", "group", "appointed_at")
    search_fields = ("state__name", "state__iso2", "group__name")
    autocomplete_fields = ("group", "state", "appointed_at", "source")
    fieldsets = (
        (None, {"fields": ("group", "state")}),
        ("Term", {"fields": (("term_start", "term_end"), "term_label", "appointed_at")}),
        ("Public notes and source", {"fields": ("notes", "source")}),
        RESEARCH_NOTES,
    )

    @admin.display(description="term")
    def term_display(self, obj):
        return obj.term_display


@admin.register(models.Declaration)
class DeclarationAdmin(TrackerAdmin):
    list_display = ("participation", "kind", "date_display", "notification")
    list_filter = ("kind", "participation__treaty")
    list_select_related = ("participation__state", "participation__treaty")
    search_fields = ("participation__state__name", "participation__state__iso2", "text", "notification")
    autocomplete_fields = ("participation", "source")
    fieldsets = (
        (None, {"fields": ("participation", ("kind", "date", "date_precision"), "text")}),
        ("Source", {"fields": ("notification", "source")}),
        RESEARCH_NOTES,
    )

    @admin.display(description="date", ordering="date")
    def date_display(self, obj):
        return obj.date_display


@admin.register(models.MeetingPart)
class MeetingPartAdmin(TrackerAdmin):
    list_display = ("meeting", "label", "start_date", "end_date", "city", "format")
    list_select_related = ("meeting",)
    search_fields = ("meeting__name", "meeting__short_name", "label", "city")
    autocomplete_fields = ("meeting", "source")
    fieldsets = (
        (None, {"fields": ("meeting", "label", ("start_date", "end_date"), ("city", "venue"), "format")}),
        ("Source", {"fields": ("source",)}),
        RESEARCH_NOTES,
    )


@admin.register(models.Document)
class DocumentAdmin(TrackerAdmin):
    list_display = ("title", "meeting", "kind", "action", "symbol")
    list_filter = ("kind", "action", "meeting__treaty")
    list_select_related = ("meeting",)
    search_fields = ("title", "symbol", "submitted_by", "meeting__short_name")
    autocomplete_fields = ("meeting", "submitted_by_state", "source")
    fieldsets = (
        (None, {"fields": ("meeting", "title", ("kind", "action"), ("symbol", "url"), "summary")}),
        ("From", {"fields": (("submitted_by", "submitted_by_state"),)}),
        ("Order and source", {"fields": ("position", "source")}),
        RESEARCH_NOTES,
    )


from tracker.admin import proceedings  # noqa: E402, F401  (a meeting's statements and pledges)
