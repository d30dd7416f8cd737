from django.core.management.base import BaseCommand, CommandError

from genetx.counts import KEPT_COUNTS, recount_all


class Command(BaseCommand):
    help = (
        "Recount the counts kept on rows (published claims citing each source, published "
        "therapies of each condition, published programmes of each institution: what the "
        "lists show and sort by). Every save keeps them up to date; run this after writing "
        "rows outside Django (SQL, a restore of part of a table), or with --check to report "
        "counts out of step without changing them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only report: exit with an error when a count is out of step.",
        )

    def handle(self, *args, check=False, **options):
        if not check:
            for count, fixed in recount_all().items():
                self.stdout.write(f"{_name(count)}: {fixed} corrected.")
            return
        wrong = []
        for count in KEPT_COUNTS:
            rows = count.miscounted(count.model._base_manager.order_by("pk"))
            keys = [_label(row) for row in rows[:20]]
            if keys:
                wrong.append(f"{_name(count)} of {', '.join(keys)}")
        if wrong:
            raise CommandError(
                "Counts out of step: " + "; ".join(wrong) + ". Run recount to repair them."
            )
        self.stdout.write("Every kept count is right.")


def _name(count) -> str:
    return f"{count.model._meta.label_lower}.{count.field}"


def _label(row) -> str:
    return str(getattr(row, "key", None) or getattr(row, "slug", None) or row.pk)
