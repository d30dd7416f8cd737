"""manage.py backup / restore give back the same database, all or nothing."""

import datetime
import gzip
import json
import stat

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from genetx.backups import EXCLUDED, FORMAT
from genetx.models import Status
from hospitals.models import Institution
from sources.models import Claim, Source
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_figure,
    make_institution,
    make_modality,
    make_programme,
    make_source,
    make_therapy,
    make_user,
)
from therapies.models import Modality, Therapy
from therapies.services import therapy_publish

# Restores empty tables with TRUNCATE on PostgreSQL, which a test wrapped in a transaction
# that already wrote rows cannot do; these tests commit their data instead.
pytestmark = pytest.mark.django_db(transaction=True)


def build_database():
    """A bit of everything: every content model, users, groups, history, an admin log."""
    editors = Group.objects.create(name="Editors")
    editors.permissions.set(Permission.objects.filter(codename__startswith="change_"))
    user = make_user(groups=[editors], username="ada")
    parent = make_condition(name="Haemophilia")
    child = make_condition(name="Haemophilia A", parent=parent)
    therapy = make_therapy(conditions=[parent, child], inn="etranacogene dezaparvovec")
    make_therapy(status=Status.DRAFT)
    make_therapy(status=Status.ARCHIVED)
    institution = make_institution(name="Hospital Clínic de Barcelona")
    programme = make_programme(institution=institution, therapy=therapy)
    source = make_source(authors=[("Catalá", "A."), ("Ortiz-Maldonado", "V.")], doi="10.1/x")
    attribution = make_source(kind="attribution", reported_by=source, container_title="Lancet")
    old = make_figure(value=1859, unit="count", measure="requests", programme=programme)
    new = make_figure(value=2100, unit="count", measure="requests", sources=[source, attribution])
    old.superseded_by = new
    old.review_status = Claim.Review.SUPERSEDED
    old.save()
    make_claim(therapy=therapy, review_status="disputed", review_note="Figures differ.")
    make_decision(therapy=therapy)
    therapy.summary = "A revised summary."
    therapy.save()  # a second history row
    # History of records deleted since: the backup must still hold it.
    gone = make_therapy(modality=make_modality(name="Gone modality"))
    modality = gone.modality
    gone.delete()
    modality.delete()
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(Therapy),
        object_id=str(therapy.pk),
        object_repr=str(therapy),
        action_flag=ADDITION,
    )


def left_out(model) -> bool:
    """Whether backups leave this model out (EXCLUDED names apps and single models)."""
    return model._meta.app_label in EXCLUDED or model._meta.label in EXCLUDED


def snapshot() -> dict[str, str | list]:
    """Every backed-up table, serialised in pk order.

    Many-to-many link tables are compared by their pairs: a fixture stores the links with
    the records, so the link rows' own ids are renumbered on load and mean nothing.
    """
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if left_out(model):
            continue
        rows = model._base_manager.order_by("pk")
        if model._meta.auto_created:
            fields = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
            tables[model._meta.label] = sorted(rows.values_list(*fields))
        else:
            # The backup's own format: times to the microsecond, so none can be lost.
            tables[model._meta.label] = serializers.serialize(FORMAT, rows)
    return tables


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if not left_out(model)
    }


def test_backup_restored_into_an_emptied_database_is_identical(tmp_path):
    build_database()
    before_counts, before = row_counts(), snapshot()
    assert before_counts["therapies.HistoricalTherapy"] >= 5
    path = tmp_path / "genetx.json.gz"
    call_command("backup", str(path))

    call_command("flush", interactive=False, verbosity=0)
    assert not Therapy.objects.exists()
    call_command("restore", str(path), interactive=False)

    assert row_counts() == before_counts
    assert snapshot() == before


def test_restore_replaces_changes_made_after_the_backup(tmp_path):
    build_database()
    before = snapshot()
    path = tmp_path / "genetx.json"
    call_command("backup", str(path))
    Therapy.objects.filter(status=Status.DRAFT).delete()
    make_institution(name="Added after the backup")
    Source.objects.update(note="edited after the backup")

    call_command("restore", str(path), interactive=False)

    assert snapshot() == before
    assert not Institution.objects.filter(name="Added after the backup").exists()


def test_new_records_after_a_restore_get_fresh_ids(tmp_path):
    build_database()
    path = tmp_path / "genetx.json"
    call_command("backup", str(path))
    call_command("restore", str(path), interactive=False)
    highest = Therapy.objects.order_by("-pk").first().pk
    assert make_therapy().pk > highest


def test_backup_leaves_out_sessions_and_login_attempts(tmp_path, client):
    build_database()
    client.force_login(make_user(is_staff=True))
    path = tmp_path / "genetx.json"
    call_command("backup", str(path))
    labels = {row["model"] for row in json.loads(path.read_text())}
    assert "sessions.session" not in labels
    assert not any(label.startswith("axes.") for label in labels)
    assert {"therapies.therapy", "sources.claim", "auth.user", "admin.logentry"} <= labels


def test_backup_keeps_times_to_the_microsecond(tmp_path):
    therapy = make_therapy()
    Therapy.objects.filter(pk=therapy.pk).update(
        published_at=datetime.datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=datetime.UTC)
    )
    path = tmp_path / "genetx.json"
    call_command("backup", str(path))
    call_command("restore", str(path), interactive=False)
    therapy.refresh_from_db()
    assert therapy.published_at.microsecond == 589793


def test_backup_file_is_compressed_and_private(tmp_path):
    build_database()
    path = tmp_path / "genetx.json.gz"
    call_command("backup", str(path))
    rows = json.loads(gzip.decompress(path.read_bytes()))
    assert any(row["model"] == "therapies.therapy" for row in rows)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["genetx.json.gz"]


def test_a_damaged_backup_file_changes_nothing(tmp_path):
    build_database()
    before = snapshot()
    path = tmp_path / "genetx.json"
    call_command("backup", str(path))
    path.write_text(path.read_text()[: len(path.read_text()) // 2])

    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("restore", str(path), interactive=False)

    assert snapshot() == before


def _cut_in_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flip_a_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


@pytest.mark.parametrize(
    ("name", "damage", "message"),
    [
        ("genetx.json.gz", _cut_in_half, "damaged or was cut short"),
        ("genetx.json.gz", _flip_a_byte, "damaged or was cut short"),
        ("genetx.json.gz", lambda data: b"", "the file is empty"),
        ("genetx.json", lambda data: b"\x89PNG\r\n\x1a\n" + data[:100], "not complete JSON"),
        ("genetx.json", lambda data: b"[]", "not a whole-database backup"),
        ("genetx.json", lambda data: b'{"model": "therapies.therapy"}', "not a backup written"),
    ],
    ids=["truncated-gzip", "corrupt-gzip", "empty-gzip", "binary", "empty-list", "not-a-list"],
)
def test_a_truncated_or_corrupt_backup_is_refused_clearly_and_changes_nothing(
    tmp_path, name, damage, message
):
    build_database()
    before = snapshot()
    path = tmp_path / name
    call_command("backup", str(path))
    path.write_bytes(damage(path.read_bytes()))

    with pytest.raises(CommandError, match="nothing was changed") as error:
        call_command("restore", str(path), interactive=False)

    assert message in str(error.value)
    assert snapshot() == before


def test_one_apps_dumpdata_is_not_taken_for_a_backup(tmp_path):
    """Restoring it would empty every other table; it is refused before anything is deleted."""
    build_database()
    before = snapshot()
    path = tmp_path / "therapies.json"
    call_command("dumpdata", "therapies", output=str(path), verbosity=0)

    with pytest.raises(CommandError, match="not a whole-database backup"):
        call_command("restore", str(path), interactive=False)

    assert snapshot() == before


def test_a_backup_failing_on_its_last_row_changes_nothing(tmp_path):
    build_database()
    before = snapshot()
    path = tmp_path / "genetx.json"
    call_command("backup", str(path))
    rows = json.loads(path.read_text())
    # A row the database refuses (an unknown status), after every other row has loaded.
    bad = next(row for row in rows if row["model"] == "therapies.modality")
    rows.append({**bad, "pk": 999_999, "fields": {**bad["fields"], "delivery": "teleport"}})
    path.write_text(json.dumps(rows))

    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("restore", str(path), interactive=False)

    assert snapshot() == before
    assert not Modality.objects.filter(pk=999_999).exists()


def test_restore_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", str(tmp_path / "nope.json"), interactive=False)


def test_demo_content_survives_backup_and_restore(tmp_path):
    call_command("load_demo", verbosity=0)
    assert Therapy.objects.exists() and Claim.objects.exists()
    before_counts, before = row_counts(), snapshot()
    path = tmp_path / "demo.json.gz"
    call_command("backup", str(path))
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(path), interactive=False)
    assert row_counts() == before_counts
    assert snapshot() == before


# Services that change several rows commit all of them or none. These run with real commits
# (transaction=True), so a half-done publish could not hide inside the test's transaction.


def test_a_publish_failing_midway_leaves_nothing_half_written():
    publisher = make_user(is_staff=True, is_superuser=True)
    therapy = make_therapy(status=Status.REVIEW, published_at=None)
    programme = make_programme(therapy=therapy, status=Status.DRAFT, published_at=None)
    other = make_claim(therapy=therapy, status=Status.DRAFT, published_at=None)
    broken = make_claim(therapy=therapy, status=Status.DRAFT, published_at=None)
    # A value that slipped past the forms (a bulk update): this claim fails validation
    # after the therapy and its programme have been saved as published.
    Claim.objects.filter(pk=broken.pk).update(statement="")
    history_rows = row_counts()

    with pytest.raises(ValidationError):
        therapy_publish(therapy=therapy, user=publisher)

    for obj in (therapy, programme, other, broken):
        obj.refresh_from_db()
        assert obj.published_at is None, obj
    assert therapy.status == Status.REVIEW
    assert programme.status == other.status == Status.DRAFT
    assert row_counts() == history_rows


def test_a_publish_that_succeeds_commits_every_part():
    publisher = make_user(is_staff=True, is_superuser=True)
    therapy = make_therapy(status=Status.REVIEW, published_at=None)
    programme = make_programme(therapy=therapy, status=Status.DRAFT, published_at=None)
    claim = make_claim(therapy=therapy, status=Status.REVIEW, published_at=None)
    therapy_publish(therapy=therapy, user=publisher)
    for obj in (therapy, programme, claim):
        obj.refresh_from_db()
        assert obj.status == Status.PUBLISHED and obj.published_at is not None
