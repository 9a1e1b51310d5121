from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import path, register_converter

from tracker import views, views_map, views_meetings, views_profile, views_reports
from tracker.api import api
from tracker.feeds import ChangeFeed


class Iso2Converter:
    """Two letters, either case: anything else is a 404 before any query is made."""

    regex = "[A-Za-z]{2}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(Iso2Converter, "iso2")

# Addresses that are the same in every language, and English: the data (the CSV, JSON
# and iCalendar downloads and the API), the admin (its editors work in English) and
# the favicon. docs/public-site.md, "Languages".
urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", views.favicon),
    # The downloads of /states/, /deadlines/, /reports/, /pledges/ (the same filters)
    path("states.csv", views.states_csv, name="states-csv"),
    path("states.json", views.states_json, name="states-json"),
    path("deadlines.ics", views.deadlines_ics, name="deadlines-ics"),
    path("deadlines.json", views.deadlines_json, name="deadlines-json"),
    path("deadlines.csv", views.deadlines_csv, name="deadlines-csv"),
    path("working-groups.json", views.working_groups_json, name="working-groups-json"),
    path("meetings.json", views.meetings_json, name="meetings-json"),
    path("admin/", admin.site.urls),
    path("reports.csv", views_reports.reports_csv, name="reports-csv"),
    path("reports.json", views_reports.reports_json, name="reports-json"),
    path("meetings/<slug:slug>.json", views_meetings.meeting_detail_json, name="meeting-detail-json"),
    path("pledges.csv", views_meetings.pledges_csv, name="pledges-csv"),
    path("pledges.json", views_meetings.pledges_json, name="pledges-json"),
    # The read API and its OpenAPI schema
    path("api/v1/", api.urls),
]

# The public pages, in English at these addresses and in French and Spanish under
# /fr/ and /es/ (tracker/i18n.py takes the language from the address alone).
urlpatterns += i18n_patterns(
    path("", views.dashboard, name="dashboard"),
    path("states/", views.state_list, name="state-list"),
    # /states/<iso2>/
    path("states/<iso2:iso2>/", views.state_detail, name="state-detail"),
    path("states/<iso2:iso2>/history/", views.state_history, name="state-history"),
    # /deadlines/
    path("deadlines/", views.deadline_list, name="deadline-list"),
    path("working-groups/", views.working_groups, name="working-groups"),
    path("meetings/", views.meeting_list, name="meeting-list"),
    # /changes/
    path("changes/", views.change_list, name="change-list"),
    path("changes/feed/", ChangeFeed(), name="change-feed"),
    # /reports/ (Article 7 transparency reports)
    path("reports/", views_reports.report_list, name="report-list"),
    # /meetings/<slug>/ (e.g. ccm-2msp)
    path("meetings/<slug:slug>/", views_meetings.meeting_detail, name="meeting-detail"),
    path("pledges/", views_meetings.pledge_list, name="pledge-list"),
    path("organisations/<slug:slug>/", views_meetings.organisation_detail, name="organisation-detail"),
    # /map.svg?treaty=&as_of= (the world map of /states/ and the dashboard, as an image)
    path("map.svg", views_map.world_map_svg, name="world-map"),
    # A State's printed profile as a PDF
    path("states/<iso2:iso2>/profile.pdf", views_profile.state_profile_pdf, name="state-profile-pdf"),
    prefix_default_language=False,
)
