"""What editors translate (genetx/translation_sync.py): reader-facing names and prose."""

import warnings

from genetx.translation_sync import register

from .models import Condition, Modality, RegulatoryDecision, Therapy, Trial

# modeltranslation copies the therapy list's named index for each language and renames
# the copies itself, warning every time the project starts; the names it picks are fine.
warnings.filterwarnings("ignore", message="Index name .* exceeds 30 characters")

register(Therapy, ("name", "summary", "mechanism"))
register(Condition, ("name", "summary"), unique=("name",))
register(Modality, ("name", "description"), unique=("name",))
register(RegulatoryDecision, ("indication",))
# A trial's registry title is translated for readers (the registry's own stays in English,
# the original column), and so is the summary written for them.
register(Trial, ("title", "summary"))
