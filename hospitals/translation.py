"""What editors translate (genetx/translation_sync.py): reader-facing names and prose.

Institution names where they differ: La Paz University Hospital, Hospital Universitario La
Paz."""

from genetx.translation_sync import register

from .models import Institution, Programme

register(Institution, ("name", "summary"))
register(Programme, ("summary",))
