"""A large CSV import is checked and imported by the background worker, all or nothing,
with progress and each refused row (field and value) in the admin."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from genetx.models import ImportState
from tests.factories import make_condition, make_modality
from tests.therapies.test_admin_csv import HEADER, dry_run
from therapies.models import Therapy

# The worker commits as it goes: see tests/sources/test_background_import.py.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def large(settings, monkeypatch):
    make_modality(slug="car-t", name="CAR-T")
    make_condition(slug="all", name="Acute lymphoblastic leukaemia")
    settings.IMPORT_INLINE_ENTRIES = 3
    monkeypatch.setattr("genetx.tasks.CHECK_ROWS", 2)


def rows(count: int, bad_kind_at: int | None = None) -> str:
    return HEADER + "".join(
        f"t-{n},Therapy {n},{'medicine' if n == bad_kind_at else 'product'},car-t,all,,S.,\n"
        for n in range(1, count + 1)
    )


def queue(client, text):
    response = dry_run(client, text)
    assert response.status_code == 200
    assert "result" not in response.context  # no dry run in the request
    job = response.context["job"]
    assert (job.state, job.total) == (ImportState.PREVIEW, 5)
    response = client.post(
        reverse("admin:therapies_therapy_background_import"), {"job": str(job.token)}
    )
    assert response["Location"] == reverse("admin:genetx_importjob_change", args=[job.pk])
    job.refresh_from_db()
    assert job.state == ImportState.QUEUED
    assert not Therapy.objects.exists()
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    job.refresh_from_db()
    return job


def test_a_large_valid_csv_is_imported_by_the_worker(client, editor, large):
    client.force_login(editor)
    job = queue(client, rows(5))
    assert job.state == ImportState.DONE
    assert (job.processed, job.created_count, job.refused_count) == (5, 5, 0)
    assert Therapy.objects.count() == 5
    page = client.get(reverse("admin:genetx_importjob_change", args=[job.pk])).content.decode()
    assert "5 of 5 entries (100%)" in page


def test_a_large_csv_with_a_bad_row_saves_nothing_and_names_it(client, editor, large):
    client.force_login(editor)
    job = queue(client, rows(5, bad_kind_at=4))
    assert job.state == ImportState.DONE
    assert (job.created_count, job.refused_count) == (0, 1)
    assert not Therapy.objects.exists()
    [problem] = job.report
    assert (problem["row"], problem["field"], problem["value"]) == (4, "kind", "medicine")
    assert job.message.startswith("0 created, 0 updated, 1 refused. Nothing was saved")


def test_a_background_confirmation_needs_the_uploader(client, editor, publisher, large):
    client.force_login(publisher)
    job = dry_run(client, rows(5)).context["job"]
    client.force_login(editor)
    response = client.post(
        reverse("admin:therapies_therapy_background_import"), {"job": str(job.token)}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportState.PREVIEW
