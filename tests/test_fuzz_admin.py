"""Random input at the admin's pages and forms, as an editor, never causes a server error.

Every kind of record's list (with random filters, searches, sorting and date
hierarchy), change and add pages (with random ids in the address, random values
in every field of the real form), history and revert pages, autocomplete, the
audit log and its CSV, the gaps page, deleted records and restore, and the
source's move page. A view that raised would fail the test (the test client
raises what a view raises), and any answer of 500 or more fails it too.
"""

import datetime
from urllib.parse import urlencode

from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests import factory
from tracker.models import TRACKED

D = datetime.date
MODELS = [model._meta.model_name for model in TRACKED.values()]
WEIRD = [
    "",
    "abc",
    "-1",
    "0",
    "99999999999999999999",
    "9999-12-31",
    "0001-01-01",
    "2011-02-30",
    "1e309",
    "%00",
    "\x00",
    "\x0c",
    "\x1b[31m",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    '=HYPERLINK("x")',
    "١٢",
    "𝟘",
    "x" * 600,
]
VALUES = st.one_of(
    st.sampled_from(WEIRD),
    st.text(max_size=30),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.dates(min_value=D(1, 1, 1), max_value=D(9999, 12, 31)).map(lambda d: d.isoformat()),
)
KEYS = st.sampled_from(
    [
        "q",
        "o",
        "p",
        "e",
        "_to_field",
        "all",
        "deposit_date__year",
        "deposit_date__month",
        "deposit_date__day",
        "treaty__id__exact",
        "status",
        "kind__exact",
        "applicability__exact",
        "decision__exact",
        "region__exact",
        "term",
        "app_label",
        "model_name",
        "field_name",
        "page",
        "editor",
        "kind",
        "state",
        "start",
        "end",
        "before",
    ]
) | st.text(max_size=10)
QUERY = st.lists(st.tuples(KEYS, VALUES), max_size=5).map(urlencode)
EXAMPLES = settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class AdminFuzzTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()
        cls.editor = factory.make_user("erin", groups=["editors"])
        cls.reviewer = factory.make_user("rita", groups=["reviewers"])

    def setup_example(self):
        # Hypothesis's TestCase makes a new client for each example.
        super().setup_example()
        self.client.force_login(self.editor)

    def answer(self, response, what):
        self.assertLess(response.status_code, 500, what)

    @EXAMPLES
    @given(model=st.sampled_from(MODELS), query=QUERY)
    def test_lists_take_any_filter_search_sort_and_page(self, model, query):
        """Every list, with random parameters, answers with a page or a redirect."""
        url = reverse(f"admin:tracker_{model}_changelist")
        self.answer(self.client.get(url, QUERY_STRING=query), f"{url}?{query}")

    @EXAMPLES
    @given(
        model=st.sampled_from(MODELS),
        object_id=st.sampled_from(WEIRD + ["1", "2", "3"]),
        view=st.sampled_from(["change", "history", "delete"]),
    )
    def test_record_pages_take_any_id(self, model, object_id, view):
        """A change, history or delete page with any id in its address answers with a page or a 404."""
        base = reverse(f"admin:tracker_{model}_changelist")
        url = f"{base}{object_id}/{'' if view == 'change' else view + '/'}"
        self.answer(self.client.get(url), url)

    @EXAMPLES
    @given(
        model=st.sampled_from(MODELS),
        object_id=st.sampled_from(WEIRD + ["1"]),
        version=st.sampled_from(WEIRD + ["1"]),
    )
    def test_revert_pages_take_any_ids(self, model, object_id, version):
        """simple-history's revert page with any ids answers with a page or a 404."""
        base = reverse(f"admin:tracker_{model}_changelist")
        url = f"{base}{object_id}/history/{version}/"
        self.answer(self.client.get(url), url)
        self.answer(self.client.post(url, {"reason": "Fuzz"}), url)

    @EXAMPLES
    @given(
        data=st.data(),
        model=st.sampled_from(
            [
                "participation",
                "obligation",
                "meeting",
                "extension",
                "source",
                "state",
                "treaty",
                "coordinatorassignment",
                "document",
            ]
        ),
    )
    def test_change_forms_take_any_value_in_any_field(self, data, model):
        """A real change form posted with random values in some of its fields is saved or refused in words."""
        obj = {
            "participation": self.w.lb,
            "obligation": self.w.lb_clearance,
            "meeting": self.w.msp2,
            "extension": self.w.extension,
            "source": self.w.seed,
            "state": self.w.lebanon,
            "treaty": self.w.treaty,
            "coordinatorassignment": self.w.at_general,
            "document": None,
        }[model]
        if obj is None:
            url = reverse(f"admin:tracker_{model}_add")
            page = self.client.get(url)
        else:
            url = factory.admin_change_url(obj)
            page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        post = factory.admin_post_data(page, reason="Fuzzing")
        names = sorted(name for name in post if name not in ("csrfmiddlewaretoken", "version"))
        chosen = data.draw(st.lists(st.sampled_from(names), max_size=4, unique=True)) if names else []
        for name in chosen:
            post[name] = data.draw(VALUES)
        self.answer(self.client.post(url, post), f"{url} {[(n, post[n]) for n in chosen]}")

    @EXAMPLES
    @given(
        query=QUERY,
        model=st.sampled_from(MODELS),
        field=st.sampled_from(["state", "source", "meeting", "participation", "obligation", "x"]),
    )
    def test_autocomplete_takes_any_term(self, query, model, field):
        """The admin's autocomplete with random terms, models and fields answers, never with a 500."""
        url = reverse("admin:autocomplete")
        params = f"app_label=tracker&model_name={model}&field_name={field}&{query}"
        self.answer(self.client.get(url, QUERY_STRING=params), f"{url}?{params}")

    @EXAMPLES
    @given(query=QUERY)
    def test_the_audit_log_and_its_csv_take_any_filter(self, query):
        """The audit log and its CSV, for a reviewer, answer any filter with a page or the file."""
        self.client.force_login(self.reviewer)
        for name in ("admin:tracker_audit_log", "admin:tracker_audit_log_csv"):
            url = reverse(name)
            response = self.client.get(url, QUERY_STRING=query)
            self.answer(response, f"{url}?{query}")
            if response.streaming:
                b"".join(response.streaming_content)

    @EXAMPLES
    @given(model=st.sampled_from(MODELS), history_id=st.sampled_from(WEIRD + ["1"]), query=QUERY)
    def test_deleted_records_and_restore_take_any_id(self, model, history_id, query):
        """Deleted records' list and the restore page with any id answer with a page or a 404."""
        url = reverse(f"admin:tracker_{model}_deleted")
        self.answer(self.client.get(url, QUERY_STRING=query), url)
        restore = f"{url}{history_id}/restore/"
        self.answer(self.client.get(restore), restore)
        self.answer(self.client.post(restore, {"reason": "Fuzz"}), restore)

    @EXAMPLES
    @given(target=st.sampled_from(WEIRD + ["1", "2"]), reason=st.sampled_from(WEIRD))
    def test_moving_citations_takes_any_input(self, target, reason):
        """The source's move page refuses bad input in words."""
        url = reverse("admin:tracker_source_move", args=[self.w.seed.pk])
        self.answer(self.client.post(url, {"target": target, "reason": reason}), url)

    def test_the_gaps_page_and_the_home_page_answer(self):
        """The admin's home page and the gaps page."""
        self.client.force_login(self.editor)
        for url in (reverse("admin:index"), reverse("admin:tracker_gaps")):
            self.assertEqual(self.client.get(url).status_code, 200)
