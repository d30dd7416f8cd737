"""Keep Institution.programme_count true on every write path (genetx.counts says why
signals)."""

from .models import PROGRAMME_COUNT, Institution, Programme


def remember_institution(sender, instance, **kwargs) -> None:
    """post_init: the institution a stored programme belonged to, to recount it if that
    changes."""
    instance._stored_institution_id = instance.institution_id if instance.pk else None


def programme_written(sender, instance, **kwargs) -> None:
    """post_save and post_delete of a programme: its institution, and the one it left."""
    ids = {instance.institution_id, getattr(instance, "_stored_institution_id", None)} - {None}
    PROGRAMME_COUNT.recount(Institution.objects.filter(pk__in=ids))
    instance._stored_institution_id = instance.institution_id


def institution_saved(sender, instance, **kwargs) -> None:
    """post_save of an institution: save() wrote the count it read, which a programme
    published since may have changed."""
    PROGRAMME_COUNT.recount(Institution.objects.filter(pk=instance.pk))


def connect() -> None:
    from django.db.models.signals import post_delete, post_init, post_save

    post_init.connect(
        remember_institution, sender=Programme, dispatch_uid="genetx-programme-institution"
    )
    post_save.connect(programme_written, sender=Programme, dispatch_uid="genetx-count-programme")
    post_delete.connect(
        programme_written, sender=Programme, dispatch_uid="genetx-uncount-programme"
    )
    post_save.connect(
        institution_saved, sender=Institution, dispatch_uid="genetx-count-institution"
    )
