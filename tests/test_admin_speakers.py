"""The one Speaker / Donor field of statements and pledges: the search of States and
organisations together, saving, refused values, who may search, the version check, and the
meeting page's query count."""

import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.test import TestCase
from django.urls import reverse

from tests import factory
from tracker.models import AgendaTopic, Organisation, Pledge, Statement

D = datetime.date
SEARCH = reverse("admin:tracker_speaker_autocomplete")


def search(client, term, model_name="statement", field_name="speaker", **more):
    params = {"term": term, "app_label": "tracker", "model_name": model_name, "field_name": field_name}
    params.update(more)
    return client.get(SEARCH, params)


class SpeakersTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.w.lebanon.aliases = "Lebanese Republic"
        cls.w.lebanon.save()
        cls.france = factory.make_state("FR", "France", region="europe")
        cls.topic = AgendaTopic.objects.create(slug="universalization", name="Universalization")
        cls.icrc = Organisation.objects.create(
            slug="icrc",
            name="International Committee of the Red Cross",
            short_name="ICRC",
            kind=Organisation.Kind.RED_CROSS,
        )
        cls.cmc = Organisation.objects.create(
            slug="cmc", name="Cluster Munition Coalition", short_name="CMC", kind=Organisation.Kind.CAMPAIGN
        )
        cls.editor = factory.make_user("erin", groups=["editors"])
        cls.reviewer = factory.make_user("rita", groups=["reviewers"])

    def statement(self, **kwargs):
        fields = {
            "meeting": self.w.meeting,
            "topic": self.topic,
            "summary": "Spoke.",
            "source": self.w.source,
        }
        fields.update(kwargs)
        statement = Statement(**fields)
        statement._change_reason = "Added"
        statement.save()
        return statement


class SearchTests(SpeakersTestCase):
    def setUp(self):
        self.client.force_login(self.editor)

    def results(self, term, **more):
        response = search(self.client, term, **more)
        self.assertEqual(response.status_code, 200)
        return response.json()

    def test_leb_finds_lebanon_labelled_as_a_state(self):
        """Part of a State's name finds it, with a value naming the kind and its label saying "State"."""
        found = self.results("leb")["results"]
        self.assertEqual(found, [{"id": f"state:{self.w.lebanon.pk}", "text": "Lebanon — State"}])

    def test_icrc_finds_the_icrc_labelled_as_an_organisation(self):
        found = self.results("icrc")["results"]
        self.assertEqual(
            found,
            [
                {
                    "id": f"organisation:{self.icrc.pk}",
                    "text": "International Committee of the Red Cross (ICRC) — organisation",
                }
            ],
        )

    def test_states_are_found_by_iso_code_and_other_names_organisations_by_name(self):
        self.assertIn(f"state:{self.w.lebanon.pk}", [r["id"] for r in self.results("LB")["results"]])
        self.assertEqual(
            [r["id"] for r in self.results("lebanese")["results"]], [f"state:{self.w.lebanon.pk}"]
        )
        self.assertEqual(
            [r["id"] for r in self.results("red cross")["results"]], [f"organisation:{self.icrc.pk}"]
        )

    def test_one_search_lists_states_and_organisations_together(self):
        """'on' is in Lebanon and in both organisations' names: States first, then organisations."""
        texts = [r["text"] for r in self.results("on")["results"]]
        self.assertEqual(
            texts,
            [
                "Lebanon — State",
                "Cluster Munition Coalition (CMC) — organisation",
                "International Committee of the Red Cross (ICRC) — organisation",
            ],
        )

    def test_results_come_in_pages_of_twenty(self):
        for n in range(25):
            factory.make_state(f"Q{chr(65 + n)}", f"Quarter {n:02d}")
        first = self.results("quarter")
        self.assertEqual(len(first["results"]), 20)
        self.assertTrue(first["pagination"]["more"])
        second = self.results("quarter", page="2")
        self.assertEqual([r["text"] for r in second["results"]][0], "Quarter 20 — State")
        self.assertFalse(second["pagination"]["more"])
        self.assertEqual(len(self.results("quarter", page="abc")["results"]), 20)

    def test_the_pledge_donor_field_is_served_too(self):
        response = search(self.client, "cmc", model_name="pledge", field_name="donor")
        self.assertEqual(response.json()["results"][0]["id"], f"organisation:{self.cmc.pk}")


class SearchPermissionTests(SpeakersTestCase):
    def test_a_reviewer_gets_403_and_no_data(self):
        """A reviewer may view States and organisations, but edits no statement: the search is not theirs."""
        self.client.force_login(self.reviewer)
        response = search(self.client, "leb")
        self.assertEqual(response.status_code, 403)
        self.assertNotContains(response, "Lebanon", status_code=403)

    def test_someone_not_logged_in_is_sent_to_the_login(self):
        response = search(self.client, "leb")
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("admin:login"), response["Location"])

    def test_an_unknown_model_or_field_is_refused(self):
        self.client.force_login(self.editor)
        for params in (
            {"model_name": "state", "field_name": "speaker"},
            {"model_name": "statement", "field_name": "state"},
            {"model_name": "statement", "field_name": "speaker", "app_label": "auth"},
        ):
            with self.subTest(params=params):
                response = search(self.client, "leb", **params)
                self.assertEqual(response.status_code, 403)
        response = self.client.get(SEARCH, {"term": "leb"})
        self.assertEqual(response.status_code, 403)


class MeetingPageTests(SpeakersTestCase):
    def setUp(self):
        self.client.force_login(self.editor)
        self.url = factory.admin_change_url(self.w.meeting)

    def post(self, reason="Statements from the day's summary", response=None, **changes):
        data = factory.admin_post_data(response or self.client.get(self.url), reason=reason, **changes)
        return self.client.post(self.url, data)

    def statement_row(self, **fields):
        row = {
            "statements-TOTAL_FORMS": "1",
            "statements-0-topic": str(self.topic.pk),
            "statements-0-mode": "oral",
            "statements-0-summary": "Stressed the CCW protocol.",
            "statements-0-source": str(self.w.source.pk),
            "statements-0-position": "0",
        }
        row.update({f"statements-0-{name}": value for name, value in fields.items()})
        return row

    def test_a_statement_is_saved_with_an_organisation_as_its_speaker(self):
        response = self.post(**self.statement_row(speaker=f"organisation:{self.icrc.pk}"))
        self.assertEqual(response.status_code, 302)
        statement = Statement.objects.get()
        self.assertEqual(statement.organisation, self.icrc)
        self.assertIsNone(statement.state)
        self.assertEqual(statement.office, "")
        self.assertEqual(statement.history.get().history_change_reason, "Statements from the day's summary")

    def test_the_page_shows_each_rows_speaker_and_donor_with_its_label(self):
        self.statement(state=self.w.lebanon)
        self.statement(organisation=self.icrc)
        Pledge.objects.create(meeting=self.w.meeting, donor_organisation=self.cmc, source=self.w.source)
        response = self.client.get(self.url)
        self.assertContains(
            response,
            f'<option value="state:{self.w.lebanon.pk}" selected>Lebanon — State</option>',
            html=True,
        )
        self.assertContains(
            response,
            f'<option value="organisation:{self.icrc.pk}" selected>'
            "International Committee of the Red Cross (ICRC) — organisation</option>",
            html=True,
        )
        self.assertContains(response, f'value="organisation:{self.cmc.pk}" selected')
        self.assertContains(response, f'data-ajax--url="{SEARCH}"')
        self.assertNotContains(response, 'name="statements-0-state"')
        self.assertNotContains(response, 'name="pledges-0-donor_state"')

    def test_a_speaker_can_be_changed_from_a_state_to_an_organisation(self):
        statement = self.statement(state=self.w.lebanon)
        response = self.post(**{"statements-0-speaker": f"organisation:{self.cmc.pk}"})
        self.assertEqual(response.status_code, 302)
        statement.refresh_from_db()
        self.assertEqual((statement.state, statement.organisation), (None, self.cmc))
        self.assertEqual(statement.history.count(), 2)

    def test_an_office_stays_a_speaker_of_its_own(self):
        response = self.post(**self.statement_row(office="United Nations Secretary-General"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Statement.objects.get().speaker_name, "United Nations Secretary-General")

    def test_a_speaker_and_an_office_together_are_refused_in_words(self):
        response = self.post(
            **self.statement_row(
                speaker=f"state:{self.w.lebanon.pk}", office="United Nations Secretary-General"
            )
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response, "Give the speaker: exactly one of a State, an organisation or an office"
        )
        self.assertFalse(Statement.objects.exists())

    def test_crafted_values_are_refused_in_words_and_nothing_is_saved(self):
        cases = {
            "state:999999": "There is no State numbered 999999",
            "organisation:888888": "There is no organisation numbered 888888",
            "org:abc": "“org:abc” is not a State or an organisation the tracker knows",
            "x": "“x” is not a State or an organisation the tracker knows",
            "state:-1": "“state:-1” is not a State",
            "state:99999999999999999999": "is not a State or an organisation the tracker knows",
            "state:١٢": "is not a State or an organisation the tracker knows",
            "state:1\x00": "(control character)",
        }
        for value, message in cases.items():
            with self.subTest(value=value):
                response = self.post(**self.statement_row(speaker=value))
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
                self.assertFalse(Statement.objects.exists())

    def test_a_pledge_is_saved_with_an_organisation_as_its_donor(self):
        response = self.post(
            **{
                "pledges-TOTAL_FORMS": "1",
                "pledges-0-donor": f"organisation:{self.cmc.pk}",
                "pledges-0-amount": "700000",
                "pledges-0-currency": "EUR",
                "pledges-0-source": str(self.w.source.pk),
                "pledges-0-position": "0",
            }
        )
        self.assertEqual(response.status_code, 302)
        pledge = Pledge.objects.get()
        self.assertEqual((pledge.donor_state, pledge.donor_organisation), (None, self.cmc))
        self.assertEqual(pledge.amount, Decimal("700000"))

    def test_a_pledge_without_a_donor_is_refused_in_words_on_the_donor_field(self):
        response = self.post(
            **{
                "pledges-TOTAL_FORMS": "1",
                "pledges-0-donor": "",
                "pledges-0-source": str(self.w.source.pk),
                "pledges-0-position": "0",
                "pledges-0-covers": "Something",
            }
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Give one donor: a State or an organisation")
        self.assertFalse(Pledge.objects.exists())


class ConflictTests(SpeakersTestCase):
    """Another editor changed the speaker after this editor opened the page."""

    def setUp(self):
        self.client.force_login(self.editor)
        self.url = factory.admin_change_url(self.w.meeting)
        self.statement_ = self.statement(state=self.w.lebanon)
        self.page = self.client.get(self.url)

    def post(self, **changes):
        return self.client.post(self.url, factory.admin_post_data(self.page, reason="Mine", **changes))

    def test_a_speaker_changed_meanwhile_refuses_an_edit_of_the_row(self):
        factory.edit_as(self.statement_, None, "Theirs", state=None, organisation=self.cmc)
        response = self.post(**{"statements-0-summary": "Mine."})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "was saved by someone (outside the admin)")
        self.assertContains(response, "Speaker: organisation: (empty) → CMC")
        self.statement_.refresh_from_db()
        self.assertEqual((self.statement_.organisation, self.statement_.summary), (self.cmc, "Spoke."))
        # The form now shows their speaker, with its label; saving again applies the form deliberately.
        self.assertContains(
            response,
            f'<option value="organisation:{self.cmc.pk}" selected>Cluster Munition Coalition (CMC) — organisation</option>',
            html=True,
        )
        again = self.client.post(self.url, factory.admin_post_data(response, reason="Mine, again"))
        self.assertEqual(again.status_code, 302)
        self.statement_.refresh_from_db()
        self.assertEqual((self.statement_.organisation, self.statement_.summary), (self.cmc, "Mine."))

    def test_both_changing_the_speaker_is_a_conflict_flagged_on_the_field(self):
        factory.edit_as(self.statement_, None, "Theirs", state=self.france)
        response = self.post(**{"statements-0-speaker": f"organisation:{self.icrc.pk}"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Speaker: State: Lebanon → France (you changed this field too")
        self.statement_.refresh_from_db()
        self.assertEqual((self.statement_.state, self.statement_.organisation), (self.france, None))
        # The editor's own choice is kept in the form.
        self.assertContains(response, f'value="organisation:{self.icrc.pk}" selected')

    def test_changing_the_speaker_after_another_edit_of_the_row_is_refused(self):
        factory.edit_as(self.statement_, None, "Theirs", summary="Theirs.")
        response = self.post(**{"statements-0-speaker": f"state:{self.france.pk}"})
        self.assertEqual(response.status_code, 200)
        self.statement_.refresh_from_db()
        self.assertEqual((self.statement_.state, self.statement_.summary), (self.w.lebanon, "Theirs."))

    def test_a_donor_changed_meanwhile_refuses_an_edit_of_the_pledge(self):
        pledge = Pledge(meeting=self.w.meeting, donor_state=self.w.lebanon, source=self.w.source)
        pledge._change_reason = "Added"
        pledge.save()
        page = self.client.get(self.url)
        factory.edit_as(pledge, None, "Theirs", donor_state=None, donor_organisation=self.cmc)
        data = factory.admin_post_data(page, reason="Mine", **{"pledges-0-covers": "in 2010"})
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Donor: organisation: (empty) → CMC")
        pledge.refresh_from_db()
        self.assertEqual((pledge.donor_organisation, pledge.covers), (self.cmc, ""))

    def test_a_row_left_alone_keeps_the_speaker_someone_else_chose(self):
        factory.edit_as(self.statement_, None, "Theirs", state=self.france)
        response = self.post(**{"name": "Second Meeting of States Parties, edited"})
        self.assertEqual(response.status_code, 302)
        self.statement_.refresh_from_db()
        self.assertEqual(self.statement_.state, self.france)


class StatementPageTests(SpeakersTestCase):
    def test_the_statements_own_page_has_the_same_speaker_field(self):
        self.client.force_login(self.editor)
        statement = self.statement(state=self.w.lebanon)
        url = factory.admin_change_url(statement)
        response = self.client.post(
            url,
            factory.admin_post_data(
                self.client.get(url), reason="Speaker corrected", speaker=f"organisation:{self.icrc.pk}"
            ),
        )
        self.assertEqual(response.status_code, 302)
        statement.refresh_from_db()
        self.assertEqual((statement.state, statement.organisation), (None, self.icrc))
        self.assertEqual(statement.history.latest().history_change_reason, "Speaker corrected")


#: Queries of the meeting's change page for an editor, whatever its number of statement and pledge rows.
MEETING_PAGE_BUDGET = 16


class MeetingPageBudgetTests(SpeakersTestCase):
    def add_rows(self, count):
        speakers = [{"state": self.w.lebanon}, {"organisation": self.icrc}, {"state": self.france}]
        for n in range(count):
            self.statement(**speakers[n % 3], position=n)
            donor = {"donor_state": self.france} if n % 2 else {"donor_organisation": self.cmc}
            pledge = Pledge.objects.create(meeting=self.w.meeting, source=self.w.source, position=n, **donor)
            pledge.recipients.set([self.w.lebanon, self.w.angola][: n % 3])

    def check(self):
        ContentType.objects.clear_cache()  # as on a fresh process: the budget counts its query
        with self.assertNumQueries(MEETING_PAGE_BUDGET):
            response = self.client.get(factory.admin_change_url(self.w.meeting))
        self.assertEqual(response.status_code, 200)
        return response

    def test_the_meeting_page_costs_the_same_with_2_and_with_10_rows(self):
        """Speakers, donors, topics, sources and recipients are read for all rows at once."""
        self.client.force_login(self.editor)
        self.add_rows(2)
        self.check()
        self.add_rows(8)
        response = self.check()
        self.assertEqual(Statement.objects.count(), 10)
        self.assertContains(response, "Angola</option>")
        self.assertContains(
            response, "International Committee of the Red Cross (ICRC) — organisation</option>"
        )

    def test_a_statement_is_added_on_its_own_page_with_an_organisation_speaker(self):
        self.client.force_login(self.editor)
        url = reverse("admin:tracker_statement_add")
        self.assertContains(self.client.get(url), 'name="speaker"')
        response = self.client.post(
            url,
            {
                "meeting": str(self.w.meeting.pk),
                "topic": str(self.topic.pk),
                "mode": "oral",
                "position": "0",
                "speaker": f"organisation:{self.cmc.pk}",
                "summary": "Stressed the CCW protocol.",
                "source": str(self.w.source.pk),
                "reason": "From the summary",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Statement.objects.get().organisation, self.cmc)

    def test_reverting_a_statement_brings_its_old_speaker_back(self):
        self.client.force_login(self.editor)
        statement = self.statement(state=self.w.lebanon)
        old = statement.history.get()
        factory.edit_as(statement, None, "Theirs", state=None, organisation=self.icrc)
        url = f"/admin/tracker/statement/{statement.pk}/history/{old.history_id}/"
        page = self.client.get(url)
        self.assertContains(
            page, f'<option value="state:{self.w.lebanon.pk}" selected>Lebanon — State</option>', html=True
        )
        response = self.client.post(url, factory.admin_post_data(page, reason="The ICRC did not speak"))
        self.assertEqual(response.status_code, 302)
        statement.refresh_from_db()
        self.assertEqual((statement.state, statement.organisation), (self.w.lebanon, None))
