"""Which language a piece of content is shown in, for screen readers.

A Spanish page shows a record's English text where its Spanish one is empty
(django-modeltranslation's fallback); the element holding it must then say lang="en", or a
screen reader would read English with a Spanish voice.
"""

from django import template
from django.conf import settings
from django.utils.html import conditional_escape, format_html
from django.utils.translation import get_language
from modeltranslation.utils import build_localized_fieldname, resolution_order

from genetx.translation_sync import translated_fields

register = template.Library()


def shown_language(record, field: str) -> str:
    """The language the record's field is shown in on this page."""
    current = get_language() or settings.LANGUAGE_CODE
    if record is None or field not in translated_fields(record):
        return current
    for language in resolution_order(current):
        if getattr(record, build_localized_fieldname(field, language), None):
            return language
    return current


@register.simple_tag
def lang_attr(record, field):
    """` lang="en"` when the field falls back to another language than the page's, else
    nothing: <h1{% lang_attr therapy "name" %}>."""
    shown = shown_language(record, field)
    if shown == (get_language() or settings.LANGUAGE_CODE):
        return ""
    return format_html(' lang="{}"', shown)


@register.simple_tag
def in_shown_language(record, field, text):
    """`text` (the field's value, or what stands for it) wrapped in <span lang="en"> when
    the field falls back to another language than the page's, else `text` escaped: for a
    value inside a translated sentence, whose other words are in the page's language.
    {% in_shown_language claim "measure_name" claim.measure_label as measure %}"""
    shown = shown_language(record, field)
    if not getattr(record, field, None) or shown == (get_language() or settings.LANGUAGE_CODE):
        return conditional_escape(text)
    return format_html('<span lang="{}">{}</span>', shown, text)
