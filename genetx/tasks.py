"""Background work shared by every app: large CSV imports (run by `manage.py db_worker`)."""

import tablib
from django.utils.module_loading import import_string
from django_tasks import task

from genetx.imports import Progress, chunks, csv_problems, run_job

# Rows checked per step: the progress editors see moves in steps of this size.
CHECK_ROWS = 200


@task()
def import_csv(job_id: int) -> None:
    run_job(job_id, _import_csv)


def _import_csv(job):
    """Check every row (dry runs, part by part, with progress), then save the whole file
    in one transaction, or nothing if any row was refused: as the admin's CSV import."""
    from genetx.admin import SafeCSV

    resource = import_string(job.target)()
    dataset = SafeCSV().create_dataset(job.content)
    headers = list(dataset.headers or [])
    problems = []
    for start, part in enumerate(chunks(list(dataset), CHECK_ROWS)):
        result = resource.import_data(
            tablib.Dataset(*part, headers=headers),
            dry_run=True,
            raise_errors=False,
            use_transactions=True,
            user=job.user,
        )
        problems += csv_problems(result, headers, first_row=start * CHECK_ROWS + 1)
        yield Progress(processed=len(part))
    if problems:
        job.message = "Nothing was saved: correct the refused rows in the file and import it again."
        yield Progress(refused=problems)
        return
    result = resource.import_data(
        dataset, dry_run=False, raise_errors=False, use_transactions=True, user=job.user
    )
    problems = csv_problems(result, headers)
    if problems:
        job.message = "Nothing was saved: a row failed when saved (see the refused rows)."
        yield Progress(refused=problems)
        return
    yield Progress(created=result.totals["new"], updated=result.totals["update"])
