"""Keep Source.citation_count true on every write path.

Signals rather than calls in the admin or the services, for the reason genetx.cache gives
for the page cache: a citation or a claim's status changes through forms, inlines, actions,
revisions going live, imports, fixtures and the shell. Bulk writes send no signals: the
code that makes them (the benchmark corpus) calls Source.objects.recount_citations().
"""

from .models import Citation, Claim, Source


def remember_source(sender, instance, **kwargs) -> None:
    """post_init: the source a stored citation pointed at, to recount it if that changes."""
    instance._stored_source_id = instance.source_id if instance.pk else None


def citation_written(sender, instance, raw=False, **kwargs) -> None:
    """post_save and post_delete of a citation: its source, and the one it left."""
    sources = {instance.source_id, getattr(instance, "_stored_source_id", None)} - {None}
    Source.objects.filter(pk__in=sources).recount_citations()
    instance._stored_source_id = instance.source_id


def claim_saved(sender, instance, raw=False, **kwargs) -> None:
    """post_save of a claim: its status may have changed, so recount what it cites."""
    Source.objects.filter(citations__claim=instance).recount_citations()


def source_saved(sender, instance, raw=False, **kwargs) -> None:
    """post_save of a source: save() wrote the count it read, which a claim published
    since may have changed."""
    Source.objects.filter(pk=instance.pk).recount_citations()


def connect() -> None:
    from django.db.models.signals import post_delete, post_init, post_save

    post_init.connect(remember_source, sender=Citation, dispatch_uid="genetx-citation-source")
    post_save.connect(citation_written, sender=Citation, dispatch_uid="genetx-count-citation")
    post_delete.connect(citation_written, sender=Citation, dispatch_uid="genetx-uncount-citation")
    post_save.connect(claim_saved, sender=Claim, dispatch_uid="genetx-count-claim")
    post_save.connect(source_saved, sender=Source, dispatch_uid="genetx-count-source")
