"""What editors translate (genetx/translation_sync.py): the claims' statements and the
names of their measures.

Source titles stay in their original language (Source has original_title for that) and
quotes are never translated."""

from genetx.translation_sync import register

from .models import Claim

register(Claim, ("statement", "measure_name"))
