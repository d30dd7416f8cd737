from django.core.management.base import BaseCommand, CommandError

from sources.models import Source


class Command(BaseCommand):
    help = (
        "Recount how many published claims cite each source (the number the source list "
        "shows and sorts by). Every save keeps it up to date; run this after writing rows "
        "in bulk outside Django (SQL, a restore of part of a table), or with --check to "
        "report sources whose count is out of step without changing them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only report: exit with an error when a count is out of step.",
        )

    def handle(self, *args, check=False, **options):
        if check:
            wrong = list(Source.objects.miscounted().order_by("key").values_list("key", flat=True))
            if wrong:
                raise CommandError(
                    f"{len(wrong)} source(s) with a wrong citation count: {', '.join(wrong[:20])}"
                    + (" ..." if len(wrong) > 20 else "")
                    + ". Run recount_citations to repair them."
                )
            self.stdout.write("Every source's citation count is right.")
            return
        fixed = Source.objects.recount_citations()
        self.stdout.write(f"Recounted citations: {fixed} source(s) corrected.")
