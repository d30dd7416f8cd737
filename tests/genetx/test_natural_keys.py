"""Every fixture-held model round-trips through its natural key, and so do the demo files."""

import datetime
import io
import json

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from genetx.management.commands.dump_demo import DEMO_FILES
from hospitals.models import Institution
from sources.models import Claim, Source
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_figure,
    make_programme,
    make_source,
    make_therapy,
    make_trial,
)
from therapies.models import Therapy

pytestmark = pytest.mark.django_db

DEMO_LABELS = [label for labels in DEMO_FILES.values() for label in labels]


def build_one_of_everything():
    parent = make_condition(slug="haemophilia")
    child = make_condition(slug="haemophilia-a", parent=parent)
    approach = make_therapy(slug="gene-therapy-approach", kind="approach")
    therapy = make_therapy(conditions=[parent, child], approach=approach)
    programme = make_programme(therapy=therapy, role="implements")
    article = make_source(
        key="article",
        authors=[("Puerto", "G."), ("Catalá", "E.")],
        institution=programme.institution,
    )
    attribution = make_source(
        key="lancet-study",
        kind="attribution",
        reported_by=article,
        issued=None,
        issued_precision="",
    )
    newer = make_figure(value=2000, measure="requests", sources=[article])
    make_figure(
        value=1859,
        measure="requests",
        review_status="superseded",
        superseded_by=newer,
        sources=[article, attribution],
        institution=programme.institution,
        programme=programme,
        therapy=therapy,
    )
    make_decision(therapy=therapy, source=article)
    make_trial(
        therapies=[therapy],
        conditions=[child],
        sites=[programme.institution],
        sponsor=programme.institution,
        sources=[article],
    )


def to_milliseconds(value):
    # JSON fixtures keep timestamps to the millisecond; finer digits are not content.
    if isinstance(value, datetime.datetime):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def content_rows() -> dict[str, list[tuple]]:
    """Every row of every demo model, by primary key, with all its column values."""
    return {
        label: [
            tuple(map(to_milliseconds, row))
            for row in apps.get_model(label).objects.order_by("pk").values_list()
        ]
        for label in DEMO_LABELS
    }


def test_every_demo_model_finds_each_record_by_its_natural_key():
    build_one_of_everything()
    checked = 0
    for label in DEMO_LABELS:
        model = apps.get_model(label)
        for record in model.objects.all():
            assert model.objects.get_by_natural_key(*record.natural_key()) == record
            checked += 1
    assert checked >= 15


def test_every_model_with_history_is_in_the_demo_files():
    with_history = {
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model in apps.get_models()
        # Historical many-to-many rows (HistoricalTherapy_conditions) point at their
        # version through a "history" field; they are history, not content.
        if hasattr(model, "history")
        and not model.__name__.startswith("Historical")
        and model._meta.app_label in {"therapies", "hospitals", "sources"}
    }
    assert with_history == set(DEMO_LABELS)


def test_dump_with_natural_keys_then_load_updates_the_same_rows(tmp_path):
    build_one_of_everything()
    before = content_rows()
    links = list(Therapy.conditions.through.objects.order_by("pk").values_list())
    call_command("dump_demo", output_dir=tmp_path, stdout=io.StringIO())
    files = [tmp_path / name for name in DEMO_FILES]
    for path in files:
        assert '"pk"' not in path.read_text()
    call_command("loaddata", *map(str, files), verbosity=0)
    assert content_rows() == before
    assert list(Therapy.conditions.through.objects.order_by("pk").values_list()) == links


def test_loading_an_edited_dump_changes_the_record_in_place(tmp_path):
    build_one_of_everything()
    claim_pk = Claim.objects.get(value=2000).pk
    call_command("dump_demo", output_dir=tmp_path, stdout=io.StringIO())
    path = tmp_path / "30-sources.json"
    records = json.loads(path.read_text())
    for record in records:
        if record["model"] == "sources.claim" and record["fields"]["value"] == "2000.00":
            record["fields"]["statement"] = "Edited in the dump."
    path.write_text(json.dumps(records))
    call_command("loaddata", *[str(tmp_path / name) for name in DEMO_FILES], verbosity=0)
    assert Claim.objects.get(pk=claim_pk).statement == "Edited in the dump."
    assert Claim.objects.count() == 2


def test_the_committed_demo_files_are_exactly_what_dump_demo_writes(tmp_path):
    call_command("load_demo", verbosity=0)
    call_command("dump_demo", output_dir=tmp_path, stdout=io.StringIO())
    for name in DEMO_FILES:
        committed = (settings.BASE_DIR / "fixtures" / name).read_text(encoding="utf-8")
        assert (tmp_path / name).read_text(encoding="utf-8") == committed, name
    assert sorted(p.name for p in (settings.BASE_DIR / "fixtures").glob("*.json")) == sorted(
        DEMO_FILES
    )


def test_natural_keys_are_readable_slugs_not_numbers():
    build_one_of_everything()
    assert Source.objects.get(key="lancet-study").natural_key() == ("lancet-study",)
    institution = Institution.objects.first()
    assert institution.natural_key() == (institution.slug,)
    assert make_claim(slug="c2").natural_key() == ("c2",)
