import datetime

from django.conf import settings
from django.core.management.base import BaseCommand

from genetx.api import opendata
from genetx.publishing import describe
from genetx.scheduling import run_schedule


class Command(BaseCommand):
    help = (
        "Publish records whose go-live time has come and unpublish those whose expiry has "
        "passed, through the publish gates; then rebuild today's open data dump if it "
        "published anything or content changed since the last dump. Idempotent: run it "
        "every minute (cron or a systemd timer); two runs at once publish each record once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--skip-open-data",
            action="store_true",
            help="Do not rebuild the open data dump (GENETX_OPEN_DATA_DIR) even when stale.",
        )

    def handle(self, *args, skip_open_data=False, **options):
        report = run_schedule()
        for obj in report.published:
            self.stdout.write(f"Published {describe(obj)}")
        for obj in report.expired:
            self.stdout.write(f"Unpublished (expired) {describe(obj)}")
        for obj, why in report.refused:
            self.stderr.write(f"Refused {describe(obj)}: {why}")
        if options["verbosity"] > 1 or report.refused:
            self.stdout.write(
                f"{len(report.published)} published, {len(report.expired)} expired, "
                f"{len(report.refused)} refused."
            )
        if not skip_open_data:
            self._refresh_open_data(report, verbose=options["verbosity"] > 1)

    def _refresh_open_data(self, report, *, verbose: bool) -> None:
        """Rebuild the dump here, in the scheduled command, never in a web request. The
        check is one row and one small file, so running it every minute costs nothing
        while content is unchanged."""
        directory = settings.OPEN_DATA_DIR
        changed = report.published or report.expired
        if not changed and opendata.is_current(directory):
            return
        today = datetime.datetime.now(datetime.UTC).date()
        try:
            counts, _ = opendata.export(directory, today, settings.OPEN_DATA_KEEP)
        except OSError as exc:
            # Publishing is done and stays done; the dump is retried on the next run.
            self.stderr.write(f"Could not write the open data dump into {directory}: {exc}")
            return
        if verbose:
            rows = sum(counts.values())
            self.stdout.write(f"Wrote the {today.isoformat()} open data dump ({rows} rows).")
