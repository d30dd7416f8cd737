"""Template helpers for evidence pages: JSON-LD blocks, references."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# The same escapes as Django's json_script: no "<", ">" or "&" can end the script element.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def ld_json(value):
    """A schema.org description as a non-executing <script type="application/ld+json">."""
    if not value:
        return ""
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    # Safe: every character that could close the element or start markup is escaped above.
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.filter
def apa(source):
    """A source's APA 7 reference as escaped HTML (see sources.citations)."""
    from sources.citations import apa_html

    return apa_html(source)


@register.filter
def reference_items(references):
    """The numbered references' list items (see sources.references)."""
    from sources.references import reference_items_html

    return reference_items_html(references)


@register.filter
def markers(markers):
    """A statement's reference markers [1][2] (see sources.references)."""
    from sources.references import markers_html

    return markers_html(markers)
