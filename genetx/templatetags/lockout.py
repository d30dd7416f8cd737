"""Template filters for the login lockout page."""

import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timeuntil

register = template.Library()


@register.filter
def lockout_duration(delta: datetime.timedelta) -> str:
    """A cool-off period in words: "30 minutes", "1 hour"."""
    now = timezone.now()
    return timeuntil(now + delta, now)
