"""Keep Source.citation_count true on every write path (genetx.counts says why signals).

Bulk writes send no signals: the code that makes them (the benchmark corpus) recounts.
"""

from .models import CITATION_COUNT, Citation, Claim, Source


def claim_saved(sender, instance, **kwargs) -> None:
    """post_save of a claim: its status may have changed, so recount what it cites."""
    CITATION_COUNT.recount(Source.objects.filter(citations__claim=instance))


def connect() -> None:
    from django.db.models.signals import post_save

    CITATION_COUNT.follow(Citation, "source")
    post_save.connect(claim_saved, sender=Claim, dispatch_uid="genetx-count-claim")
