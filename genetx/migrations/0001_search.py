"""Site-wide search on PostgreSQL: extensions, an accent-free text search configuration,
and the GIN indexes the search queries use.

Everything PostgreSQL-specific is a no-op on other databases, so the same migrations apply
on SQLite (whose search is a simpler fallback, see genetx/search.py).
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations

CONFIG = "genetx_unaccent"

# The weighted documents, exactly as genetx.search builds them: an expression index is
# only used when the query's expression is the same. A test on PostgreSQL checks that the
# planner uses these indexes, so a change on one side without the other fails.
DOCUMENTS = {
    ("therapies", "Therapy"): {
        "A": ("name", "inn", "brand_name", "code"),
        "B": ("summary",),
        "C": ("mechanism",),
    },
    ("therapies", "Condition"): {"A": ("name", "orpha_code", "icd10_code"), "B": ("summary",)},
    ("hospitals", "Institution"): {"A": ("name",), "B": ("summary", "city", "region")},
    ("sources", "Source"): {
        "A": ("title", "original_title"),
        "B": ("container_title", "publisher"),
        "C": ("note",),
    },
    ("sources", "Claim"): {"A": ("statement",), "C": ("measure", "review_note")},
}
# The name each record is known by, for typo-tolerant trigram matching.
NAMES = {
    ("therapies", "Therapy"): "name",
    ("therapies", "Condition"): "name",
    ("hospitals", "Institution"): "name",
    ("sources", "Source"): "title",
}


def document(weights):
    vector = None
    for weight, fields in weights.items():
        part = SearchVector(*fields, weight=weight, config=CONFIG)
        vector = part if vector is None else vector + part
    return vector


def indexes(apps):
    for (app_label, model_name), weights in DOCUMENTS.items():
        model = apps.get_model(app_label, model_name)
        short = model_name.lower()[:12]
        yield model, GinIndex(document(weights), name=f"search_{short}_doc")
        if (app_label, model_name) in NAMES:
            field = NAMES[(app_label, model_name)]
            yield model, GinIndex(OpClass(field, name="gin_trgm_ops"), name=f"search_{short}_trgm")


def create_search_objects(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A copy of the English configuration that strips accents before stemming, so "deu"
    # finds "Déu" and "clinica" finds "Clínica".
    schema_editor.execute(
        f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.english)"
    )
    schema_editor.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem"
    )
    for model, index in indexes(apps):
        schema_editor.add_index(model, index)


def drop_search_objects(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model, index in indexes(apps):
        schema_editor.remove_index(model, index)
    schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")


class Migration(migrations.Migration):
    dependencies = [
        ("therapies", "0001_initial"),
        ("hospitals", "0002_initial"),
        ("sources", "0002_initial"),
    ]

    operations = [
        # Both are no-ops on databases other than PostgreSQL.
        UnaccentExtension(),
        TrigramExtension(),
        migrations.RunPython(create_search_objects, drop_search_objects),
    ]
