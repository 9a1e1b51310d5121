"""/changes/, /states/<iso2>/history/ and /changes/feed/: the public change history."""

import datetime
from unittest import mock

import feedparser
from django.test import TestCase
from django.urls import reverse

from tests import factory
from tracker import views

D = datetime.date


class ChangeHistoryTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()
        cls.editor = factory.make_user("sam.editor")
        factory.edit_as(
            cls.w.lb, cls.editor, "Declaration text from the depositary", notes="Declares no stockpiles."
        )

    def test_the_change_log_lists_edits_newest_first_with_old_and_new_values(self):
        """The latest edit comes first: Lebanon's notes, empty before, with the reason."""
        response = self.client.get(reverse("change-list"))
        self.assertEqual(response.status_code, 200)
        first = response.context["changes"][0]
        self.assertEqual((first.kind, first.action), ("participation", "changed"))
        self.assertEqual(
            [(f.label, f.old, f.new) for f in first.fields], [("Notes", "", "Declares no stockpiles.")]
        )
        self.assertContains(response, "Reason: Declaration text from the depositary")
        self.assertContains(response, "Declares no stockpiles.")
        self.assertContains(response, '<th scope="col">Before</th><th scope="col">After</th>', html=False)

    def test_creations_and_deletions_are_listed_too(self):
        """Deleting a step leaves a 'deleted' entry with its last values on the State's history."""
        description = self.w.bill.description
        self.w.bill.delete()
        response = self.client.get(reverse("state-history", args=["au"]))
        first = response.context["changes"][0]
        self.assertEqual((first.kind, first.action), ("step", "deleted"))
        self.assertContains(response, "Value when deleted")
        self.assertContains(response, description)
        self.assertContains(response, "Created")

    def test_the_editor_is_shown_to_staff_only(self):
        """An anonymous reader never sees who edited; a staff member does."""
        anonymous = self.client.get(reverse("change-list"))
        self.assertNotContains(anonymous, "sam.editor")
        self.assertNotContains(self.client.get(reverse("state-history", args=["lb"])), "sam.editor")
        self.client.force_login(self.editor)
        self.assertContains(self.client.get(reverse("change-list")), "Edited by sam.editor")
        self.assertContains(self.client.get(reverse("state-history", args=["lb"])), "Edited by sam.editor")

    def test_a_non_staff_user_does_not_see_the_editor_either(self):
        """Being logged in is not enough: only staff see editors."""
        self.client.force_login(factory.make_user("reader", staff=False))
        self.assertNotContains(self.client.get(reverse("change-list")), "sam.editor")

    def test_a_state_history_holds_only_that_states_records(self):
        """Lebanon's history has its state, participation, obligations and assignment, not Austria's."""
        response = self.client.get(reverse("state-history", args=["lb"]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual({c.state_iso2 for c in response.context["changes"]}, {"lb"})
        self.assertContains(response, "<title>Changes to Lebanon's records")
        kinds = {c.kind for c in response.context["changes"]}
        self.assertTrue({"state", "participation", "obligation", "assignment"} <= kinds)

    def test_an_unknown_state_history_is_a_404_and_upper_case_redirects(self):
        """/states/zz/history/ is 404; /states/LB/history/ redirects to the lower-case address."""
        self.assertEqual(self.client.get("/states/zz/history/").status_code, 404)
        self.assertRedirects(self.client.get("/states/LB/history/"), "/states/lb/history/", status_code=301)

    def test_filters_by_state_kind_and_dates(self):
        """state=lb&kind=participation gives Lebanon's participation edits; a future start gives none."""
        response = self.client.get(reverse("change-list"), {"state": "LB", "kind": "participation"})
        changes = response.context["changes"]
        self.assertTrue(changes)
        self.assertEqual({(c.kind, c.state_iso2) for c in changes}, {("participation", "lb")})
        response = self.client.get(reverse("change-list"), {"start": "2999-01-01"})
        self.assertEqual(response.context["changes"], [])
        self.assertContains(response, "No change matches")

    def test_pages_go_back_with_a_cursor_and_no_page_numbers(self):
        """With more changes than a page, an 'Older changes' link carries a cursor to the next page."""
        with mock.patch.object(views, "CHANGES_PER_PAGE", 5):
            first = self.client.get(reverse("change-list"))
            older = first.context["older"]
            self.assertIsNotNone(older)
            self.assertContains(first, "Older changes")
            self.assertNotContains(first, "page=")
            second = self.client.get(reverse("change-list") + "?" + older.urlencode())
        ids_first = [(c.kind, c.history_id) for c in first.context["changes"]]
        ids_second = [(c.kind, c.history_id) for c in second.context["changes"]]
        self.assertEqual(len(ids_first), 5)
        self.assertTrue(ids_second)
        self.assertFalse(set(ids_first) & set(ids_second))
        self.assertLess(second.context["changes"][0].date, first.context["changes"][0].date)
        self.assertContains(second, "Back to the newest changes")

    def test_a_broken_cursor_is_ignored_with_a_message(self):
        """before=garbage shows the newest changes and says the link was not understood."""
        response = self.client.get(reverse("change-list"), {"before": "garbage!"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["changes"])
        self.assertContains(response, "were not understood and were ignored")

    def test_bad_filters_are_ignored_with_a_message(self):
        """A NUL byte, an unknown kind and year 0 are named and ignored."""
        response = self.client.get(
            reverse("change-list"), {"state": "\x00", "kind": "zzz", "start": "0000-01-01"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["ignored"]), 3)


class ChangeFeedTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()
        cls.editor = factory.make_user("sam.editor")
        factory.edit_as(
            cls.w.lb, cls.editor, "Declaration text from the depositary", notes="Declares no stockpiles."
        )

    def parse(self, **params):
        response = self.client.get(reverse("change-feed"), params)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("application/atom+xml"))
        return response, feedparser.parse(response.content)

    def test_it_is_an_atom_feed_of_the_changes(self):
        """feedparser reads it as Atom; the newest entry is Lebanon's edit with its reason and values."""
        response, feed = self.parse()
        self.assertEqual(feed.version, "atom10")
        self.assertFalse(feed.bozo)
        entry = feed.entries[0]
        self.assertIn("Lebanon", entry.title)
        self.assertIn("changed", entry.title)
        self.assertIn("Declaration text from the depositary", entry.summary)
        self.assertIn("Declares no stockpiles.", entry.summary)
        self.assertTrue(entry.link.startswith("http://testserver/states/lb/history/#change-participation-"))
        self.assertTrue(entry.id.startswith("tag:treaty-tracker,"))
        self.assertNotIn(b"sam.editor", response.content)

    def test_entry_ids_are_unique_and_stable(self):
        """Two requests give the same ids, none repeated."""
        _, first = self.parse()
        _, second = self.parse()
        ids = [entry.id for entry in first.entries]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertEqual(ids, [entry.id for entry in second.entries])

    def test_it_takes_the_change_log_filters(self):
        """?state=lb gives only Lebanon's records; ?kind=meeting only meetings."""
        _, feed = self.parse(state="lb")
        self.assertTrue(feed.entries)
        self.assertTrue(all("/states/lb/history/" in entry.link for entry in feed.entries))
        _, feed = self.parse(kind="meeting")
        self.assertEqual(len(feed.entries), 2)

    def test_bad_filters_are_refused_with_a_400(self):
        """A feed reader gets a 400 with the reason rather than a feed of something else."""
        response = self.client.get(reverse("change-feed"), {"start": "not-a-date"})
        self.assertEqual(response.status_code, 400)
        self.assertIn(b"From", response.content)
