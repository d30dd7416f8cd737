"""Large BibTeX/RIS imports leave the request: a background worker (django-tasks' database
backend, `manage.py db_worker`) imports them, with progress and a per-row report in the
admin. The worker here is the real one, run in batch mode over the real queue."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from genetx.models import ImportJob, ImportState
from sources.models import Source
from tests.sources.test_admin_import import IMPORT_URL, preview

# The worker commits as it goes and checks its connection between tasks, which a test
# wrapped in one transaction cannot allow.
pytestmark = pytest.mark.django_db(transaction=True)


def bibtex(count: int, bad_year_at: int | None = None) -> str:
    return "".join(
        f"@article{{entry-{n},\n  author = {{Author{n}, A.}},\n  title = {{Title {n}}},\n"
        f"  journal = {{Journal}},\n  year = {{{'soon' if n == bad_year_at else 2020}}}\n}}\n"
        for n in range(1, count + 1)
    )


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


@pytest.fixture
def small_inline_limit(settings, monkeypatch):
    settings.IMPORT_INLINE_ENTRIES = 3
    # Two sources per transaction, so progress moves in several steps.
    monkeypatch.setattr("sources.tasks.CHUNK_ENTRIES", 2)


def test_a_large_file_is_confirmed_at_once_and_imported_by_the_worker(
    client, editor, small_inline_limit
):
    client.force_login(editor)
    response = preview(client, "big.bib", bibtex(5, bad_year_at=4))
    assert response.context["background_rows"] == 5
    assert "plan" not in response.context
    token = response.context["confirm_form"]["job"].value()

    response = client.post(reverse(IMPORT_URL), {"job": token, "confirm": "1"})
    job = ImportJob.objects.get(token=token)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:genetx_importjob_change", args=[job.pk])
    # The request only queued the work.
    assert job.state == ImportState.QUEUED
    assert not Source.objects.exists()
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    run_worker()

    job.refresh_from_db()
    assert job.state == ImportState.DONE
    assert (job.processed, job.total) == (5, 5)
    # Counts are what the database holds.
    assert (job.created_count, job.updated_count, job.refused_count) == (4, 0, 1)
    assert Source.objects.count() == 4
    assert job.report == [
        {
            "row": 4,
            "label": "entry-4",
            "field": "issued",
            "value": "soon",
            "message": "the year 'soon' is not a four-digit year.",
        }
    ]
    assert job.content == ""


def test_the_admin_shows_progress_and_each_refused_row(client, editor, small_inline_limit):
    client.force_login(editor)
    token = preview(client, "big.bib", bibtex(5, bad_year_at=2)).context["confirm_form"]
    client.post(reverse(IMPORT_URL), {"job": token["job"].value(), "confirm": "1"})
    job = ImportJob.objects.get()
    page = client.get(reverse("admin:genetx_importjob_change", args=[job.pk])).content.decode()
    assert "0 of 5 entries (0%)" in page and "Queued for the background worker" in page
    assert '<meta http-equiv="refresh" content="5">' in page
    run_worker()
    page = client.get(reverse("admin:genetx_importjob_change", args=[job.pk])).content.decode()
    assert "5 of 5 entries (100%)" in page
    assert 'http-equiv="refresh"' not in page
    assert "<td>2</td><td>entry-2</td><td>issued</td><td>soon</td>" in page
    listing = client.get(reverse("admin:genetx_importjob_changelist")).content.decode()
    assert "big.bib" in listing


def test_editors_see_only_their_own_imports(client, editor, publisher, small_inline_limit):
    client.force_login(publisher)
    preview(client, "theirs.bib", bibtex(5))
    job = ImportJob.objects.get()
    client.force_login(editor)
    assert (
        "theirs.bib"
        not in client.get(reverse("admin:genetx_importjob_changelist")).content.decode()
    )
    response = client.get(reverse("admin:genetx_importjob_change", args=[job.pk]))
    assert response.status_code in {302, 403, 404}


def test_a_job_is_run_once_even_if_queued_twice(client, editor, small_inline_limit):
    from sources.tasks import import_sources

    client.force_login(editor)
    token = preview(client, "big.bib", bibtex(4)).context["confirm_form"]["job"].value()
    client.post(reverse(IMPORT_URL), {"job": token, "confirm": "1"})
    import_sources.enqueue(ImportJob.objects.get().pk)
    run_worker()
    job = ImportJob.objects.get()
    assert (job.state, job.created_count, Source.objects.count()) == (ImportState.DONE, 4, 4)
