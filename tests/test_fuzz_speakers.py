"""Random input at the Speaker / Donor field and its search never causes a server error: the
meeting's page saves or refuses in words, the search answers 200 or 403."""

from urllib.parse import urlencode

from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests import factory
from tests.test_fuzz_admin import WEIRD
from tracker.models import AgendaTopic, Organisation, Pledge, Statement

VALUES = st.one_of(
    st.sampled_from(WEIRD),
    st.text(max_size=40),
    st.builds(
        lambda kind, number: f"{kind}:{number}",
        st.sampled_from(["state", "organisation", "org", "State", ""]),
        st.one_of(
            st.integers(min_value=1, max_value=8).map(str),
            st.integers(min_value=-(2**70), max_value=2**70).map(str),
            st.text(max_size=8),
        ),
    ),
)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class SpeakerFuzzTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.topic = AgendaTopic.objects.create(slug="compliance", name="Compliance")
        cls.cmc = Organisation.objects.create(
            slug="cmc", name="Cluster Munition Coalition", short_name="CMC", kind=Organisation.Kind.CAMPAIGN
        )
        cls.editor = factory.make_user("erin", groups=["editors"])

    @FUZZ
    @given(speaker=VALUES, donor=VALUES)
    def test_the_meeting_page_takes_any_speaker_and_donor(self, speaker, donor):
        self.client.force_login(self.editor)
        url = factory.admin_change_url(self.w.meeting)
        data = factory.admin_post_data(
            self.client.get(url),
            reason="Fuzz",
            **{
                "statements-TOTAL_FORMS": "1",
                "statements-0-topic": str(self.topic.pk),
                "statements-0-mode": "oral",
                "statements-0-summary": "Spoke.",
                "statements-0-source": str(self.w.source.pk),
                "statements-0-position": "0",
                "statements-0-speaker": speaker,
                "pledges-TOTAL_FORMS": "1",
                "pledges-0-donor": donor,
                "pledges-0-source": str(self.w.source.pk),
                "pledges-0-position": "0",
                "pledges-0-covers": "Fuzz",
            },
        )
        response = self.client.post(url, data)
        self.assertIn(response.status_code, (200, 302))
        if response.status_code == 200:
            self.assertFalse(Statement.objects.exists())
            self.assertFalse(Pledge.objects.exists())
            self.assertContains(response, "errornote")
        Statement.objects.all().delete()
        Pledge.objects.all().delete()

    @FUZZ
    @given(
        term=st.one_of(st.sampled_from(WEIRD), st.text(max_size=30)),
        page=st.one_of(st.sampled_from(WEIRD), st.integers(-5, 50).map(str)),
        names=st.sampled_from(
            [("statement", "speaker"), ("pledge", "donor"), ("statement", "state"), ("x", "")]
        ),
    )
    def test_the_search_takes_any_term_and_page(self, term, page, names):
        self.client.force_login(self.editor)
        query = urlencode(
            {
                "term": term,
                "page": page,
                "app_label": "tracker",
                "model_name": names[0],
                "field_name": names[1],
            }
        )
        response = self.client.get(f"{reverse('admin:tracker_speaker_autocomplete')}?{query}")
        self.assertIn(response.status_code, (200, 400, 403))
        if names in (("statement", "speaker"), ("pledge", "donor")) and response.status_code == 200:
            self.assertIn("results", response.json())
