from collections import defaultdict

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from genetx.history import DEMO_LOADED, DEMO_RESET

DEMO_DIR = settings.BASE_DIR / "fixtures"


def changed_since_loaded(model, pk) -> bool:
    """Whether someone changed this record after the demo loader last wrote it.

    The loader labels every history row it writes; any later row (an editor's save, an
    import, a publish) means the record is someone's work now. A record with no history
    at all was loaded before history was kept and never edited.
    """
    history = getattr(model, "history", None)
    if history is None:
        return False
    latest = history.filter(**{model._meta.pk.attname: pk}).order_by("-history_date").first()
    if latest is None:
        return False
    return (latest.history_change_reason or "") not in (DEMO_LOADED, DEMO_RESET)


def differs(obj, latest) -> bool:
    """Whether the record as loaded differs from its latest history row."""
    if latest is None:
        return True
    return any(
        getattr(obj, field.attname) != getattr(latest, field.attname)
        for field in obj._meta.concrete_fields
        if hasattr(latest, field.attname)
    )


def record_history(objs, reason: str, *, update: bool) -> None:
    """History rows for records the loader wrote (raw saves write none), with the
    many-to-many values each row should remember (a therapy's conditions)."""
    by_model = defaultdict(list)
    for obj in objs:
        if hasattr(type(obj), "history"):
            by_model[type(obj)].append(obj)
    for model, records in by_model.items():
        rows = model.history.bulk_history_create(
            records, update=update, default_change_reason=reason
        )
        for row, obj in zip(rows, records, strict=True):
            for field in getattr(row, "_history_m2m_fields", []):
                m2m_model = getattr(row, field.name).model
                through = getattr(obj, field.name).through
                names = [f.name for f in through._meta.fields]
                m2m_model.objects.bulk_create(
                    m2m_model(history=row, **{name: getattr(link, name) for name in names})
                    for link in through.objects.filter(**{field.m2m_field_name(): obj})
                )


class Command(BaseCommand):
    help = (
        "Load the demo content built from the source article (every JSON file in fixtures/). "
        "Records carry natural keys, so loading twice updates them instead of duplicating. "
        "Records an editor changed since they were loaded are skipped and listed; --reset "
        "restores them. Every record written gets a history row saying so."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also restore demo records changed since they were loaded (recorded in "
            "their history).",
        )

    @transaction.atomic
    def handle(self, *args, reset=False, **options):
        files = sorted(DEMO_DIR.glob("*.json"))
        if not files:
            self.stdout.write("No demo fixtures found in fixtures/; nothing to load.")
            return
        created, updated, restored, skipped, deferred = [], [], [], [], []
        # Natural-key references may point forward across files, as in one loaddata call;
        # constraint checks wait until everything is in.
        with connection.constraint_checks_disabled():
            for path in files:
                with path.open(encoding="utf-8") as stream:
                    for item in serializers.deserialize(
                        "json", stream, handle_forward_references=True
                    ):
                        obj, model = item.object, type(item.object)
                        exists = (
                            obj.pk is not None and model._base_manager.filter(pk=obj.pk).exists()
                        )
                        if exists and changed_since_loaded(model, obj.pk):
                            if not reset:
                                skipped.append(obj)
                                continue
                            target = restored
                        else:
                            target = updated if exists else created
                        # Raw save, as loaddata does; the history rows are written below.
                        obj.skip_history_when_saving = True
                        item.save()
                        del obj.skip_history_when_saving
                        if item.deferred_fields:
                            deferred.append(item)
                        target.append(obj)
            for item in deferred:
                item.save_deferred_fields()
        connection.check_constraints()
        record_history(created, DEMO_LOADED, update=False)
        record_history(
            [obj for obj in updated if differs(obj, _latest(obj))], DEMO_LOADED, update=True
        )
        record_history(restored, DEMO_RESET, update=True)
        self.report(created, updated, restored, skipped, options["verbosity"])

    def report(self, created, updated, restored, skipped, verbosity):
        if verbosity:
            self.stdout.write(
                f"Demo loaded: {len(created)} created, {len(updated)} updated, "
                f"{len(restored)} restored, {len(skipped)} skipped."
            )
        for obj in restored:
            self.stdout.write(f"Restored {_name(obj)}")
        if skipped:
            self.stdout.write(
                "Skipped, because they were changed since they were loaded "
                "(run load_demo --reset to restore them):"
            )
            for obj in skipped:
                self.stdout.write(f"  {_name(obj)}")


def _latest(obj):
    history = getattr(type(obj), "history", None)
    if history is None:
        return None
    return history.filter(**{obj._meta.pk.attname: obj.pk}).order_by("-history_date").first()


def _name(obj) -> str:
    """The record by its natural key, which stays the same whatever an editor changed."""
    key = " / ".join(map(str, obj.natural_key())) if hasattr(obj, "natural_key") else obj.pk
    return f"{obj._meta.verbose_name} {key}"
