"""Random query strings and path suffixes at every public URL never cause a server error."""

from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests import factory

# Names the public filters read, and some they do not.
KEYS = st.sampled_from(
    [
        "status",
        "region",
        "q",
        "treaty",
        "as_of",
        "sort",
        "order",
        "page",
        "before",
        "kind",
        "state",
        "days",
        "format",
    ]
) | st.text(max_size=12)
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["party", "signatory", "withdrawn", "non_signatory", "africa", "ccm", "-name", "lb"]),
    st.dates().map(lambda d: d.isoformat()),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["2011-02-30", "0000-00-00", "9999-12-31", "%00", "' OR 1=1 --", "<script>", "\x00"]),
)
STRUCTURED_QUERY = st.lists(st.tuples(KEYS, VALUES), max_size=6).map(lambda pairs: urlencode(pairs))
# What a WSGI server may hand over: any bytes, read as Latin-1, broken escapes included.
RAW_QUERY = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=60)
SUFFIX = st.one_of(
    st.just(""),
    st.text(max_size=20).map(lambda s: quote(s, safe="/")),
    st.sampled_from(["x/", "../", "%2e%2e/", "index.html", "1/", "feed/", "..;/", "%00"]),
)
ISO2 = st.sampled_from(["lb", "LB", "al", "au", "us", "zz", "xx"])

PATHS = {
    "dashboard": "/",
    "state_list": "/states/",
    "states_csv": "/states.csv",
    "states_json": "/states.json",
    "state_detail": "/states/{iso2}/",
    "state_history": "/states/{iso2}/history/",
    "deadline_list": "/deadlines/",
    "deadlines_ics": "/deadlines.ics",
    "deadlines_json": "/deadlines.json",
    "deadlines_csv": "/deadlines.csv",
    "meetings_json": "/meetings.json",
    "working_groups_json": "/working-groups.json",
    "working_groups": "/working-groups/",
    "meeting_list": "/meetings/",
    "change_list": "/changes/",
    "change_feed": "/changes/feed/",
}


def fuzz(template):
    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        iso2=ISO2,
        suffix=SUFFIX,
        query=st.one_of(STRUCTURED_QUERY, RAW_QUERY),
        with_suffix=st.booleans(),
    )
    def test(self, iso2, suffix, query, with_suffix):
        path = template.format(iso2=iso2) + (suffix if with_suffix else "")
        response = self.client.get(path, QUERY_STRING=query)
        self.assertLess(response.status_code, 500, f"{path}?{query}")

    test.__doc__ = f"Random query strings and path suffixes on {template} get an answer, never a 500."
    return test


class PublicUrlFuzzTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factory.make_public_world()

    test_the_dashboard_never_answers_with_a_server_error = fuzz(PATHS["dashboard"])
    test_the_state_list_never_answers_with_a_server_error = fuzz(PATHS["state_list"])
    test_the_states_csv_never_answers_with_a_server_error = fuzz(PATHS["states_csv"])
    test_the_states_json_never_answers_with_a_server_error = fuzz(PATHS["states_json"])
    test_the_state_detail_never_answers_with_a_server_error = fuzz(PATHS["state_detail"])
    test_the_state_history_never_answers_with_a_server_error = fuzz(PATHS["state_history"])
    test_the_deadline_list_never_answers_with_a_server_error = fuzz(PATHS["deadline_list"])
    test_the_deadlines_ics_never_answers_with_a_server_error = fuzz(PATHS["deadlines_ics"])
    test_the_deadlines_json_never_answers_with_a_server_error = fuzz(PATHS["deadlines_json"])
    test_the_deadlines_csv_never_answers_with_a_server_error = fuzz(PATHS["deadlines_csv"])
    test_the_meetings_json_never_answers_with_a_server_error = fuzz(PATHS["meetings_json"])
    test_the_working_groups_json_never_answers_with_a_server_error = fuzz(PATHS["working_groups_json"])
    test_the_working_groups_never_answers_with_a_server_error = fuzz(PATHS["working_groups"])
    test_the_meeting_list_never_answers_with_a_server_error = fuzz(PATHS["meeting_list"])
    test_the_change_list_never_answers_with_a_server_error = fuzz(PATHS["change_list"])
    test_the_change_feed_never_answers_with_a_server_error = fuzz(PATHS["change_feed"])
