# Joins the two first migrations of genetx written on separate branches (the editor roles and
# the search configuration); neither depends on the other.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("genetx", "0001_roles"),
        ("genetx", "0001_search"),
    ]

    operations = []
