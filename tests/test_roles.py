"""Roles: editors edit, reviewers read everything including history, and nobody reads the admin without a login."""

from django.contrib.auth.models import Group
from django.test import TestCase

from tests import factory


class RoleGroupsTestCase(TestCase):
    def test_the_migration_creates_the_role_groups(self):
        """The editors and reviewers groups exist on a freshly migrated database."""
        self.assertEqual(set(Group.objects.values_list("name", flat=True)) >= {"editors", "reviewers"}, True)

    def test_editors_may_not_delete_states_or_treaties_nor_touch_users(self):
        """Editors add and change everything, delete the rest, and have no user permissions."""
        perms = set(Group.objects.get(name="editors").permissions.values_list("codename", flat=True))
        self.assertTrue({"add_state", "change_state", "change_treaty", "delete_ratificationstep"} <= perms)
        self.assertTrue({"delete_extension", "delete_coordinatorassignment", "delete_participation"} <= perms)
        self.assertFalse({"delete_state", "delete_treaty"} & perms)
        self.assertFalse({p for p in perms if p.endswith("_user") or p.endswith("_group")})

    def test_reviewers_may_only_view(self):
        """Every reviewer permission is a view permission, the history tables and users included."""
        perms = set(Group.objects.get(name="reviewers").permissions.values_list("codename", flat=True))
        self.assertTrue(all(p.startswith("view_") for p in perms))
        self.assertTrue({"view_participation", "view_historicalparticipation", "view_user"} <= perms)


class AccessTestCase(TestCase):
    """Status codes of every kind of admin page, for each role."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])
        cls.reviewer = factory.make_user("rita", groups=["reviewers"])
        cls.outsider = factory.make_user("olga", staff=False, groups=["editors"])
        cls.root = factory.make_user("root", superuser=True)
        history_row = cls.w.lb.history.earliest()
        cls.urls = {
            "changelist": "/admin/tracker/participation/",
            "change": factory.admin_change_url(cls.w.lb),
            "add": "/admin/tracker/participation/add/",
            "delete step": factory.admin_change_url(cls.w.step, "delete"),
            "delete state": factory.admin_change_url(cls.w.lebanon, "delete"),
            "history": factory.admin_change_url(cls.w.lb, "history"),
            "revert": f"/admin/tracker/participation/{cls.w.lb.pk}/history/{history_row.history_id}/",
            "deleted": "/admin/tracker/participation/deleted/",
            "audit": "/admin/tracker/treaty/audit/",
            "audit csv": "/admin/tracker/treaty/audit/export.csv",
            "import": "/admin/tracker/participation/import/",
            "users": "/admin/auth/user/",
            "index": "/admin/",
        }

    def assertCodes(self, user, expected):
        if user is not None:
            self.client.force_login(user)
        for name, code in expected.items():
            with self.subTest(page=name):
                r = self.client.get(self.urls[name])
                self.assertEqual(r.status_code, code, name)
                if code == 302:
                    self.assertIn("/admin/login/", r["Location"])

    def test_anonymous_visitors_see_no_admin_page(self):
        """Every admin page sends a visitor without a login to the login page."""
        self.assertCodes(None, dict.fromkeys(self.urls, 302))

    def test_users_who_are_not_staff_see_no_admin_page(self):
        """A logged-in user without staff status is sent to the login page too, even in a group."""
        self.assertCodes(self.outsider, dict.fromkeys(self.urls, 302))

    def test_editors_edit_but_do_not_audit(self):
        """Editors reach lists, forms, history, revert and import; not the audit log, state deletion or users."""
        self.assertCodes(
            self.editor,
            {
                "index": 200,
                "changelist": 200,
                "change": 200,
                "add": 200,
                "delete step": 200,
                "delete state": 403,
                "history": 200,
                "revert": 200,
                "deleted": 200,
                "import": 200,
                "audit": 403,
                "audit csv": 403,
                "users": 403,
            },
        )

    def test_reviewers_read_everything_and_change_nothing(self):
        """Reviewers read lists, records, history, the audit log and users; no add, delete or import."""
        self.assertCodes(
            self.reviewer,
            {
                "index": 200,
                "changelist": 200,
                "change": 200,
                "history": 200,
                "revert": 200,
                "deleted": 200,
                "audit": 200,
                "audit csv": 200,
                "users": 200,
                "add": 403,
                "delete step": 403,
                "delete state": 403,
                "import": 403,
            },
        )

    def test_superusers_reach_everything(self):
        """A superuser reaches every page, state deletion and the audit log included."""
        self.assertCodes(self.root, dict.fromkeys(self.urls, 200))

    def test_a_reviewer_sees_a_read_only_record_with_its_editors(self):
        """The change page has no save button or reason box; the history names the editor."""
        self.client.force_login(self.reviewer)
        r = self.client.get(self.urls["change"])
        self.assertNotContains(r, 'name="_save"')
        self.assertNotContains(r, "Reason for this change")
        factory.edit_as(self.w.lb, self.editor, "Checked against the depositary list", notes="Checked")
        r = self.client.get(self.urls["history"])
        self.assertContains(r, "erin")
        self.assertContains(r, "Checked against the depositary list")

    def test_a_reviewer_cannot_post_a_change_or_a_revert(self):
        """Posting the change form or simple-history's revert form is forbidden to a reviewer."""
        self.client.force_login(self.reviewer)
        r = self.client.post(self.urls["change"], {"notes": "x", "reason": "y"})
        self.assertEqual(r.status_code, 403)
        r = self.client.post(self.urls["revert"], {"notes": "x", "reason": "y"})
        self.assertEqual(r.status_code, 403)
        r = self.client.post(self.urls["delete step"], {"post": "yes", "reason": "y"})
        self.assertEqual(r.status_code, 403)

    def test_the_admin_home_links_to_the_audit_log_and_the_import_by_role(self):
        """Reviewers see the audit log link, editors the import link."""
        self.client.force_login(self.reviewer)
        r = self.client.get("/admin/")
        self.assertContains(r, "/admin/tracker/treaty/audit/")
        self.assertNotContains(r, "/admin/tracker/participation/import/")
        self.client.force_login(self.editor)
        r = self.client.get("/admin/")
        self.assertNotContains(r, "/admin/tracker/treaty/audit/")
        self.assertContains(r, "/admin/tracker/participation/import/")

    def test_public_pages_need_no_login(self):
        """The public state list is readable by anyone."""
        self.assertEqual(self.client.get("/states/").status_code, 200)
