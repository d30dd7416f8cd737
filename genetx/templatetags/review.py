"""The review queue's counts on the admin index."""

from django import template

from genetx.models import Revision

register = template.Library()


@register.simple_tag
def review_counts(user) -> dict:
    """How many changes await review, how many of them the user wrote, and their rejected ones."""
    if not user.has_perm("genetx.view_revision"):
        return {}
    awaiting = Revision.objects.awaiting_review()
    return {
        "awaiting": awaiting.count(),
        "mine": awaiting.by(user).count(),
        "rejected": Revision.objects.filter(status=Revision.Status.REJECTED).by(user).count(),
    }
