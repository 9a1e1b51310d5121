"""A meeting's proceedings in the admin: organisations, agenda topics, statements and pledges.

A meeting's statements and pledges are entered as inline rows of the meeting's own
change page (added to MeetingAdmin below), with the reason and version check every
tracker form has. The speaker is one search over States and organisations together
(tracker.admin.speakers), or an office typed in words; the form refuses anything but exactly
one. A pledge's donor is the same search.
"""

from django.contrib import admin
from django.urls import path

from tracker import models
from tracker.admin import MeetingAdmin, proceedings_import, speakers
from tracker.admin.base import TrackerAdmin, TrackerStackedInline

RESEARCH_NOTES = (
    "Research notes (editors only, never public)",
    {"classes": ("collapse",), "fields": ("research_notes",)},
)
SPEAKER_HELP = (
    "The speaker is exactly one of: a State or an organisation (one search for both: type a few letters), "
    "or an office written in words such as 'United Nations Secretary-General'."
)


@admin.register(models.Organisation)
class OrganisationAdmin(TrackerAdmin):
    """Organisations; their URLs include the search of States and organisations together."""

    list_display = ("name", "short_name", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "short_name")
    prepopulated_fields = {"slug": ("short_name",)}
    autocomplete_fields = ("source",)
    fieldsets = (
        (None, {"fields": ("name", ("short_name", "slug"), "kind", "url")}),
        ("Public notes and source", {"fields": ("notes", "source")}),
        RESEARCH_NOTES,
    )

    def get_urls(self):
        view = self.admin_site.admin_view(lambda request: speakers.speakers_view(request, self.admin_site))
        return [path("speakers/", view, name="tracker_speaker_autocomplete"), *super().get_urls()]


@admin.register(models.AgendaTopic)
class AgendaTopicAdmin(TrackerAdmin):
    list_display = ("__str__", "position")
    list_select_related = ("parent",)
    search_fields = ("name", "parent__name")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    fieldsets = ((None, {"fields": ("name", "slug", "parent", "position")}), RESEARCH_NOTES)


STATEMENT_FIELDS = (
    ("topic", "mode", "date", "position"),
    ("speaker", "office"),
    "delivered_by",
    "summary",
    ("cited_figure", "cited_count", "count_kind"),
    "source",
)
PLEDGE_FIELDS = (
    "donor",
    ("amount", "currency", "amount_as_stated"),
    ("status", "purpose", "position"),
    "covers",
    ("recipients", "recipients_text"),
    "source",
)


class StatementInline(TrackerStackedInline):
    model = models.Statement
    form = speakers.StatementInlineForm
    formset = speakers.SpeakerFormSet
    fields = STATEMENT_FIELDS
    autocomplete_fields = ("topic", "source")
    classes = ("collapse",)
    verbose_name_plural = f"statements — {SPEAKER_HELP}"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("meeting", "topic__parent", "state", "organisation", "source")
        )


class PledgeInline(TrackerStackedInline):
    model = models.Pledge
    form = speakers.PledgeInlineForm
    formset = speakers.SpeakerFormSet
    fields = PLEDGE_FIELDS
    autocomplete_fields = ("recipients", "source")
    classes = ("collapse",)
    verbose_name_plural = "pledges and contributions — one donor (a State or an organisation); an amount always with its currency"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("meeting", "donor_state", "donor_organisation", "source")
            .prefetch_related("recipients")
        )


# Statements and pledges are entered on the meeting's own page, after its parts and documents,
# or imported from a CSV file there.
MeetingAdmin.inlines = (*MeetingAdmin.inlines, StatementInline, PledgeInline)
_meeting_urls = MeetingAdmin.get_urls


def _meeting_urls_with_import(self):
    wrap = self.admin_site.admin_view
    view = wrap(lambda request, object_id: proceedings_import.import_view(request, self, object_id))
    return [path("<int:object_id>/import/", view, name="tracker_meeting_import")] + _meeting_urls(self)


MeetingAdmin.get_urls = _meeting_urls_with_import


@admin.register(models.Statement)
class StatementAdmin(TrackerAdmin):
    list_display = ("speaker_display", "meeting", "topic", "mode", "delivered_by")
    list_filter = ("meeting__treaty", "meeting", "topic", "mode")
    list_select_related = ("meeting", "topic__parent", "state", "organisation")
    search_fields = (
        "state__name",
        "organisation__name",
        "organisation__short_name",
        "office",
        "delivered_by",
        "summary",
    )
    form = speakers.StatementForm
    autocomplete_fields = ("meeting", "topic", "source")
    fieldsets = (
        (None, {"fields": ("meeting", ("topic", "mode", "date", "position"))}),
        (
            "Speaker",
            {"description": SPEAKER_HELP, "fields": (("speaker", "office"), "delivered_by")},
        ),
        ("What was said", {"fields": ("summary", ("cited_figure", "cited_count", "count_kind"), "source")}),
        RESEARCH_NOTES,
    )

    @admin.display(description="speaker")
    def speaker_display(self, obj):
        return obj.speaker_name


@admin.register(models.Pledge)
class PledgeAdmin(TrackerAdmin):
    list_display = ("donor_display", "meeting", "amount_display", "purpose", "status", "covers")
    list_filter = ("meeting__treaty", "meeting", "purpose", "currency", "status")
    list_select_related = ("meeting", "donor_state", "donor_organisation")
    search_fields = (
        "donor_state__name",
        "donor_organisation__name",
        "donor_organisation__short_name",
        "covers",
        "recipients_text",
    )
    form = speakers.PledgeForm
    autocomplete_fields = ("meeting", "recipients", "source")
    fieldsets = (
        (None, {"fields": ("meeting", "donor")}),
        (
            "Amount",
            {
                "description": "In the currency the donor named, never converted.",
                "fields": (("amount", "currency", "amount_as_stated"), ("status", "covers")),
            },
        ),
        ("For whom and what", {"fields": ("recipients", "recipients_text", "purpose", "position")}),
        ("Source", {"fields": ("source",)}),
        RESEARCH_NOTES,
    )

    @admin.display(description="donor")
    def donor_display(self, obj):
        return obj.donor_name

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return obj.amount_display or obj.amount_as_stated or "—"
