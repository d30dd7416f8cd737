"""Create the Editor and Publisher groups.

Permissions are normally created after all migrations have run (post_migrate); this
migration creates them first so the groups can be given them on a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from genetx.roles import ensure_roles


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), strict=False
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editor", "Publisher"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("genetx", "0001_search"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("therapies", "0002_publish_permissions"),
        ("hospitals", "0003_publish_permissions"),
        ("sources", "0003_publish_permissions"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
