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

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", views.favicon),
    # /states/ and its downloads (the same filters)
    path("states/", views.state_list, name="state-list"),
    path("states.csv", views.states_csv, name="states-csv"),
    path("states.json", views.states_json, name="states-json"),
    # /states/<iso2>/
    path("states/<iso2:iso2>/", views.state_detail, name="state-detail"),
    path("states/<iso2:iso2>/history/", views.state_history, name="state-history"),
    # /deadlines/
    path("deadlines/", views.deadline_list, name="deadline-list"),
    path("deadlines.ics", views.deadlines_ics, name="deadlines-ics"),
    path("deadlines.json", views.deadlines_json, name="deadlines-json"),
    path("deadlines.csv", views.deadlines_csv, name="deadlines-csv"),
    path("working-groups/", views.working_groups, name="working-groups"),
    path("working-groups.json", views.working_groups_json, name="working-groups-json"),
    path("meetings/", views.meeting_list, name="meeting-list"),
    path("meetings.json", views.meetings_json, name="meetings-json"),
    # /changes/
    path("changes/", views.change_list, name="change-list"),
    path("changes/feed/", ChangeFeed(), name="change-feed"),
    path("admin/", admin.site.urls),
    # /reports/ (Article 7 transparency reports) and its downloads
    path("reports/", views_reports.report_list, name="report-list"),
    path("reports.csv", views_reports.reports_csv, name="reports-csv"),
    path("reports.json", views_reports.reports_json, name="reports-json"),
    # /meetings/<slug>/ (e.g. ccm-2msp) and its data
    path("meetings/<slug:slug>/", views_meetings.meeting_detail, name="meeting-detail"),
    path("meetings/<slug:slug>.json", views_meetings.meeting_detail_json, name="meeting-detail-json"),
    # /pledges/ and its downloads (the same filters)
    path("pledges/", views_meetings.pledge_list, name="pledge-list"),
    path("pledges.csv", views_meetings.pledges_csv, name="pledges-csv"),
    path("pledges.json", views_meetings.pledges_json, name="pledges-json"),
    path("organisations/<slug:slug>/", views_meetings.organisation_detail, name="organisation-detail"),
    # /map.svg?treaty=&as_of= (the world map of /states/ and the dashboard, as an image)
    path("map.svg", views_map.world_map_svg, name="world-map"),
    # A State's printed profile as a PDF
    path("states/<iso2:iso2>/profile.pdf", views_profile.state_profile_pdf, name="state-profile-pdf"),
    # The read API and its OpenAPI schema
    path("api/v1/", api.urls),
]
