"""Random query strings and filter values on the meeting record's pages: an answer, never a 500."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests import factory
from tests.test_fuzz_public import RAW_QUERY, STRUCTURED_QUERY
from tracker.models import AgendaTopic, Organisation, Pledge, Statement

FILTER_VALUE = st.one_of(
    st.sampled_from(
        ["", "lb", "LB", "cmc", "eur", "EUR", "ccm-2msp", "none", "clearance", "x" * 70, "é", "\x00"]
    ),
    st.text(max_size=12),
)
PAGES = [
    "/pledges/",
    "/pledges.csv",
    "/pledges.json",
    "/meetings/ccm-2msp/",
    "/meetings/ccm-2msp.json",
    "/organisations/cmc/",
]


class MeetingRecordFuzzTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        world = factory.make_public_world()
        meeting = world.msp2
        source = factory.make_source("Summary")
        topic = AgendaTopic.objects.create(slug="compliance", name="Compliance")
        cmc = Organisation.objects.create(slug="cmc", name="Cluster Munition Coalition", kind="campaign")
        Statement.objects.create(
            meeting=meeting, topic=topic, organisation=cmc, summary="Spoke.", source=source
        )
        Pledge.objects.create(
            meeting=meeting, donor_organisation=cmc, amount=5, currency="EUR", source=source
        )

    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        page=st.sampled_from(PAGES),
        donor=FILTER_VALUE,
        recipient=FILTER_VALUE,
        meeting=FILTER_VALUE,
        purpose=FILTER_VALUE,
        currency=FILTER_VALUE,
    )
    def test_filters_never_answer_with_a_server_error(
        self, page, donor, recipient, meeting, purpose, currency
    ):
        query = {
            "donor": donor,
            "recipient": recipient,
            "meeting": meeting,
            "purpose": purpose,
            "currency": currency,
        }
        response = self.client.get(page, query)
        self.assertLess(response.status_code, 500, f"{page} {query!r}")

    @settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(page=st.sampled_from(PAGES), query=st.one_of(STRUCTURED_QUERY, RAW_QUERY))
    def test_random_query_strings_never_answer_with_a_server_error(self, page, query):
        response = self.client.get(page, QUERY_STRING=query)
        self.assertLess(response.status_code, 500, f"{page}?{query}")
