# The admin's roles as groups (docs/admin.md, "Roles"). Superusers need no group.
#
# editors:   add, change and view every tracker record; delete any except States
#            and treaties; no access to users or groups.
# reviewers: view every tracker record, its history (with the editors' names) and
#            the users; change nothing. Viewing every history table also opens
#            the audit log.
#
# Permissions are normally created after all migrations have run; they are
# created here first so that the groups can be given them on a fresh database.

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRACKER_MODELS = (
    "source",
    "treaty",
    "state",
    "participation",
    "ratificationstep",
    "obligation",
    "extension",
    "meeting",
    "workinggroup",
    "coordinatorassignment",
)
NOT_DELETED_BY_EDITORS = ("state", "treaty")


def _editor_codenames():
    codenames = []
    for model in TRACKER_MODELS:
        codenames += [f"add_{model}", f"change_{model}", f"view_{model}"]
        if model not in NOT_DELETED_BY_EDITORS:
            codenames.append(f"delete_{model}")
    return codenames


def _reviewer_codenames():
    codenames = []
    for model in TRACKER_MODELS:
        codenames += [f"view_{model}", f"view_historical{model}"]
    return codenames


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(app_label, codenames):
        found = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        missing = set(codenames) - set(found.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for the role groups: {sorted(missing)}")
        return found

    editors, _ = Group.objects.get_or_create(name="editors")
    editors.permissions.set(permissions("tracker", _editor_codenames()))

    reviewers, _ = Group.objects.get_or_create(name="reviewers")
    reviewers.permissions.set(
        [*permissions("tracker", _reviewer_codenames()), *permissions("auth", ["view_user", "view_group"])]
    )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=("editors", "reviewers")).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0002_history_indexes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_groups, remove_groups),
    ]
