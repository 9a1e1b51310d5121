"""Give the role groups (0003_role_groups, docs/admin.md) the permissions of models added later.

Editors add, change, view and delete them; reviewers view them and their history.
"""

from django.contrib.auth.management import create_permissions


def assign(apps, models):
    """Give the editors and reviewers groups (where they exist) the permissions of ``models``."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    tracker = Permission.objects.filter(content_type__app_label="tracker")
    editors = [f"{action}_{model}" for model in models for action in ("add", "change", "delete", "view")]
    reviewers = [f"view_{model}" for model in models] + [f"view_historical{model}" for model in models]
    for name, codenames in (("editors", editors), ("reviewers", reviewers)):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*tracker.filter(codename__in=codenames))


def grant(models):
    """Return a RunPython function giving the groups the permissions of ``models`` (model names)."""

    def forwards(apps, schema_editor):
        # Permissions are normally created after all migrations have run: create them now.
        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        assign(apps, models)

    return forwards
