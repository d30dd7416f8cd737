"""Trigram indexes on summaries (PostgreSQL only), for typo tolerance beyond names.

Search forgives a misspelt word of a summary as it does one of a name ("duchene" finds a
therapy whose summary, not name, says Duchenne): `trigram_word_similar` on the summary,
which without an index would read every row.
"""

from django.db import migrations

from genetx.migration_operations import postgresql_indexes, trigram_indexes

COLUMNS = {
    "therapies_therapy": ("summary",),
    "therapies_condition": ("summary",),
    "hospitals_institution": ("summary",),
    "sources_source": ("note",),
}


class Migration(migrations.Migration):
    dependencies = [
        ("genetx", "0006_roles_review"),
        ("therapies", "0002_publish_permissions"),
        ("hospitals", "0004_institution_coordinates_help"),
        ("sources", "0007_source_pmid"),
    ]

    operations = [postgresql_indexes(trigram_indexes(COLUMNS))]
