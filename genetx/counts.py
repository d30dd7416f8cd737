"""Counts kept on a row: how many published claims cite a source, published therapies a
condition has, published programmes an institution runs.

Each is a column, so a list sorts by it from an index: counted when a page asked, "most
cited first" grouped every citation of the site before sorting (10.7 s at 300,000 sources,
past the statement timeout), "most therapies first" every link (0.66 s at 100,000
therapies). Each app's signals module recounts the rows a save or delete touches (signals,
for the reason genetx.cache gives: every write path must be covered); `manage.py recount`
repairs rows written outside Django and reports with --check.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction

from .models import per_row_count


@dataclass(frozen=True)
class KeptCount:
    """`field` on `model` holds how many `counted()` rows point at the row through
    `to_row` (distinct values of `distinct`, when given)."""

    model: type[models.Model]
    field: str
    counted: Callable[[], models.QuerySet]
    to_row: str
    distinct: str = ""

    def expression(self):
        """The count made now, as an expression on a row of `model`."""
        return per_row_count(self.counted(), self.to_row, distinct=self.distinct)

    def miscounted(self, rows: models.QuerySet) -> models.QuerySet:
        """Those of `rows` whose stored count differs from a count made now."""
        return rows.exclude(**{self.field: self.expression()})

    def recount(self, rows: models.QuerySet) -> int:
        """Store the count made now on each of `rows`; how many changed.

        The rows are locked first, in id order, so that two writes touching one row at once
        (two claims citing a source published together) wait for each other, and the second
        counts both: without the lock, each counted without the other's uncommitted row.
        """
        with transaction.atomic(using=rows.db):
            list(rows.order_by("pk").select_for_update(of=("self",)).values_list("pk"))
            stored = self.model._base_manager.using(rows.db).filter(pk__in=rows.values("pk"))
            return self.miscounted(stored).update(**{self.field: self.expression()})

    # Receivers the apps' signals modules connect ------------------------------------------

    def row_saved(self, sender, instance, **kwargs) -> None:
        """post_save of a counted row: save() wrote the count it read, which a write
        elsewhere since may have changed."""
        self.recount(self.model._base_manager.filter(pk=instance.pk))

    def follow(self, child, fk: str) -> None:
        """Recount when a `child` row pointing at counted rows through `fk` is saved,
        deleted, or moved to another row (a citation to another source)."""
        from django.db.models.signals import post_delete, post_init, post_save

        attname = child._meta.get_field(fk).attname
        stored = f"_genetx_stored_{attname}"

        def remember(sender, instance, **kwargs):
            setattr(instance, stored, getattr(instance, attname) if instance.pk else None)

        def written(sender, instance, **kwargs):
            ids = {getattr(instance, attname), getattr(instance, stored, None)} - {None}
            self.recount(self.model._base_manager.filter(pk__in=ids))
            setattr(instance, stored, getattr(instance, attname))

        uid = f"genetx-count-{self.field}-{child._meta.label_lower}"
        post_init.connect(remember, sender=child, weak=False, dispatch_uid=f"{uid}-init")
        post_save.connect(written, sender=child, weak=False, dispatch_uid=f"{uid}-save")
        post_delete.connect(written, sender=child, weak=False, dispatch_uid=f"{uid}-delete")
        post_save.connect(self.row_saved, sender=self.model, weak=False, dispatch_uid=f"{uid}-row")


# Every kept count, filled by the apps' models modules (the recount command reads it).
KEPT_COUNTS: list[KeptCount] = []


def keep_count(**kwargs) -> KeptCount:
    count = KeptCount(**kwargs)
    KEPT_COUNTS.append(count)
    return count


def is_kept_count(model_field) -> bool:
    """Whether this field is a kept count (revisions and the demo files leave them out)."""
    return any(
        count.model is model_field.model and count.field == model_field.name
        for count in KEPT_COUNTS
    )


def recount_all() -> dict[KeptCount, int]:
    """Recount every kept count on every row: {count: rows corrected}."""
    return {count: count.recount(count.model._base_manager.all()) for count in KEPT_COUNTS}
