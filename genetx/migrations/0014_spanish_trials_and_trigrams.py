"""Search reads the Spanish text of trials too (title_es, summary_es), and typo tolerance
covers the Spanish names and summaries as it does the English ones.

- The trials' stored search document (migration 0012) gets the Spanish columns with the
  same weights as the English ones, as 0013 did for the other types.
- Trigram indexes on the Spanish names and summaries, beside the English ones (0001,
  0007): `trigram_word_similar` on them (genetx/search.py) would otherwise read every row.

Nothing here runs on other databases.
"""

from importlib import import_module

from django.db import migrations

from genetx.migration_operations import postgresql_indexes, trigram_indexes

spanish_content = import_module("genetx.migrations.0013_search_spanish_content")

TRIAL = "therapies_trial"
BEFORE = {
    "A": ("acronym", "nct_number", "eudract_number", "euct_number", "title"),
    "B": ("summary",),
}
AFTER = {
    "A": ("acronym", "nct_number", "eudract_number", "euct_number", "title", "title_es"),
    "B": ("summary", "summary_es"),
}
TRIGRAMS = {
    "therapies_therapy": ("name_es", "summary_es"),
    "therapies_condition": ("name_es", "summary_es"),
    "hospitals_institution": ("name_es", "summary_es"),
}


def _trial_document(weights):
    return spanish_content._replace({TRIAL: weights})


class Migration(migrations.Migration):
    dependencies = [
        ("genetx", "0013_search_spanish_content"),
        ("therapies", "0009_trial_translations"),
    ]

    operations = [
        migrations.RunPython(_trial_document(AFTER), _trial_document(BEFORE)),
        postgresql_indexes(trigram_indexes(TRIGRAMS)),
    ]
