"""Query budgets of the depositary pages: reconcile, record a treaty action, withdrawals shown.

Each page is requested with a small data set and again after it grew (more
States, each with a participation, a withdrawal notice and a declaration), and
must cost the same number of queries both times.
"""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factory
from tracker.models import Declaration, State

D = datetime.date


def status_list(names):
    header = 'Participant,Signature,Provisional application(n),"Approval(AA), Acceptance(A), Accession(a), Ratification"\n'
    return (header + "".join(f"{name},3 Dec 2008,,8 Sep 2011\n" for name in names)).encode()


class DepositaryQueryBudgetTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3))
        cls.source = factory.make_source(key="untc", title="Notification of withdrawal")
        cls.user = factory.make_user("sue", superuser=True)
        cls.names = []
        cls.grow(3)

    @classmethod
    def grow(cls, count):
        start = len(cls.names)
        for i in range(start, start + count):
            iso2 = "Q" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i]
            state = factory.make_state(iso2, f"Party {iso2}")
            participation = factory.make_participation(
                cls.treaty,
                state,
                signature_date=D(2008, 12, 3),
                deposit_date=D(2010, 1, 5),
                withdrawal_notice_date=D(2024, 9, 6),
                withdrawal_source=cls.source,
                in_conflict_at_expiry=i % 2 == 0,
                conflict_source=cls.source if i % 2 == 0 else None,
            )
            Declaration.objects.create(participation=participation, text="A declaration.", source=cls.source)
            cls.names.append(state.name)

    def setUp(self):
        self.client.force_login(self.user)

    def count(self, request):
        with CaptureQueriesContext(connection) as queries:
            response = request()
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def pages(self):
        upload = lambda: self.client.post(  # noqa: E731
            reverse("admin:tracker_reconcile"),
            {
                "treaty": self.treaty.pk,
                "status_file": SimpleUploadedFile("s.csv", status_list(self.names + ["Atlantis"])),
            },
        )
        action = lambda: self.client.post(  # noqa: E731
            reverse("admin:tracker_treaty_action"),
            {
                "state": State.objects.get(iso2="QA").pk,
                "treaty": self.treaty.pk,
                "action": "withdrawal",
                "date": "2025-01-10",
                "source": self.source.pk,
                "reason": "x",
            },
        )
        return {
            "reconcile preview": upload,
            "treaty action review": action,
            "state page": lambda: self.client.get("/states/qa/"),
            "states list": lambda: self.client.get("/states/", {"as_of": "2025-01-01"}),
        }

    def test_the_pages_cost_the_same_whatever_the_number_of_states(self):
        small = {name: self.count(request) for name, request in self.pages().items()}
        self.grow(12)
        large = {name: self.count(request) for name, request in self.pages().items()}
        self.assertEqual(small, large)
