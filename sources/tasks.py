"""Background work for sources: large BibTeX and RIS imports (run by `manage.py db_worker`)."""

from django_tasks import task

from genetx.imports import Progress, chunks, run_job

from .importing import parse, sources_import

# Sources saved per transaction: the progress editors see moves in steps of this size.
CHUNK_ENTRIES = 100


@task()
def import_sources(job_id: int) -> None:
    run_job(job_id, _import)


def _import(job):
    rows = parse(job.file_format, job.content)
    for chunk in chunks(rows, CHUNK_ENTRIES):
        result = sources_import(rows=chunk, user=job.user)
        yield Progress(
            processed=len(chunk),
            created=result.created,
            updated=result.updated,
            refused=[problem for planned in result.refused for problem in planned.problems],
        )
