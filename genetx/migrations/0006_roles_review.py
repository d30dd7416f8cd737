"""Give both roles the review queue (genetx.view_revision), now that revisions exist."""

from importlib import import_module

from django.db import migrations

# The same function as the first roles migration: create permissions, then reset the groups.
create_roles = import_module("genetx.migrations.0002_roles").create_roles


class Migration(migrations.Migration):
    dependencies = [("genetx", "0005_revision")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
