"""Keep Source.citation_count true on every write path (genetx.counts says why signals).

Bulk writes send no signals: the code that makes them (the benchmark corpus) recounts.
"""

from .models import CITATION_COUNT, Citation, Claim, Source


def remember_source(sender, instance, **kwargs) -> None:
    """post_init: the source a stored citation pointed at, to recount it if that changes."""
    instance._stored_source_id = instance.source_id if instance.pk else None


def citation_written(sender, instance, **kwargs) -> None:
    """post_save and post_delete of a citation: its source, and the one it left."""
    sources = {instance.source_id, getattr(instance, "_stored_source_id", None)} - {None}
    CITATION_COUNT.recount(Source.objects.filter(pk__in=sources))
    instance._stored_source_id = instance.source_id


def claim_saved(sender, instance, **kwargs) -> None:
    """post_save of a claim: its status may have changed, so recount what it cites."""
    CITATION_COUNT.recount(Source.objects.filter(citations__claim=instance))


def source_saved(sender, instance, **kwargs) -> None:
    """post_save of a source: save() wrote the count it read, which a claim published
    since may have changed."""
    CITATION_COUNT.recount(Source.objects.filter(pk=instance.pk))


def connect() -> None:
    from django.db.models.signals import post_delete, post_init, post_save

    post_init.connect(remember_source, sender=Citation, dispatch_uid="genetx-citation-source")
    post_save.connect(citation_written, sender=Citation, dispatch_uid="genetx-count-citation")
    post_delete.connect(citation_written, sender=Citation, dispatch_uid="genetx-uncount-citation")
    post_save.connect(claim_saved, sender=Claim, dispatch_uid="genetx-count-claim")
    post_save.connect(source_saved, sender=Source, dispatch_uid="genetx-count-source")
