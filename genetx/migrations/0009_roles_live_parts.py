"""Editors may no longer change or delete a modality: it has no draft state, so any change
to it was live at once. Publishers keep both."""

from importlib import import_module

from django.db import migrations

# The same function as the first roles migration: create permissions, then reset the groups.
create_roles = import_module("genetx.migrations.0002_roles").create_roles


class Migration(migrations.Migration):
    dependencies = [("genetx", "0008_content_change")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
