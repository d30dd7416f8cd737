"""Keep Condition.therapy_count true on every write path (genetx.counts says why signals)."""

from .models import THERAPY_COUNT, Condition, Therapy

Link = Therapy.conditions.through


def links_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """m2m_changed of a therapy's conditions, from either side."""
    if action == "pre_clear" and not reverse:
        # After a clear the links are gone: remember which conditions they named.
        instance._cleared_conditions = list(instance.conditions.values_list("pk", flat=True))
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if reverse:  # condition.therapies.add(...): that condition
        conditions = [instance.pk]
    elif action == "post_clear":
        conditions = getattr(instance, "_cleared_conditions", [])
    else:
        conditions = pk_set or []
    THERAPY_COUNT.recount(Condition.objects.filter(pk__in=conditions))


def therapy_deleting(sender, instance, **kwargs) -> None:
    """pre_delete of a therapy: its links go with it, without a signal of their own (Django
    sends none for an automatic through table), so remember its conditions."""
    instance._linked_conditions = list(instance.conditions.values_list("pk", flat=True))


def therapy_deleted(sender, instance, **kwargs) -> None:
    THERAPY_COUNT.recount(Condition.objects.filter(pk__in=instance._linked_conditions))


def therapy_saved(sender, instance, **kwargs) -> None:
    """post_save of a therapy: its status may have changed, so recount its conditions."""
    THERAPY_COUNT.recount(Condition.objects.filter(therapies=instance))


def connect() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

    m2m_changed.connect(links_changed, sender=Link, dispatch_uid="genetx-count-links")
    pre_delete.connect(therapy_deleting, sender=Therapy, dispatch_uid="genetx-uncount-therapy")
    post_delete.connect(therapy_deleted, sender=Therapy, dispatch_uid="genetx-uncounted-therapy")
    post_save.connect(therapy_saved, sender=Therapy, dispatch_uid="genetx-count-therapy")
    post_save.connect(
        THERAPY_COUNT.row_saved, sender=Condition, weak=False, dispatch_uid="genetx-count-condition"
    )
