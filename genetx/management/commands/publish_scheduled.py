from django.core.management.base import BaseCommand

from genetx.publishing import describe
from genetx.scheduling import run_schedule


class Command(BaseCommand):
    help = (
        "Publish records whose go-live time has come and unpublish those whose expiry has "
        "passed, through the publish gates. Idempotent: run it every minute (cron or a "
        "systemd timer); two runs at once publish each record once."
    )

    def handle(self, *args, **options):
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
