"""{% per_version %}: a template fragment rendered once per content version.

Charts and maps are drawn as SVG by template loops over hundreds of bars, markers and
shapes: at 10,000 therapies they were most of the home page's and the institution list's
rendering time, repeated on every uncached request although their data changes only with
content. Wrapped in this tag, a fragment is rendered once per content version, language and
set of inputs (genetx.cache.per_version), then served from the cache.

    {% per_version "chart" chart %}...{% endper_version %}

The name and the values after it must determine everything the fragment shows: the
fragment is rendered with the page's context, but is kept under those values alone, so a
fragment must not read anything else (a user, a request, a CSRF token).
"""

import functools

from django import template
from django.utils.functional import Promise

from genetx import cache

register = template.Library()


class PerVersionNode(template.Node):
    def __init__(self, name: str, parts, nodelist):
        self.name = name
        self.parts = parts
        self.nodelist = nodelist

    def render(self, context):
        # A lazy translation's repr names its address, not its text: keyed by text.
        parts = tuple(
            str(value) if isinstance(value, Promise) else value
            for value in (part.resolve(context) for part in self.parts)
        )
        draw = functools.partial(self.nodelist.render, context)
        return cache.per_version(f"fragment:{self.name}", parts, draw)


@register.tag
def per_version(parser, token):
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError(
            f"{bits[0]} takes a quoted name and at least one value the fragment shows."
        )
    name = bits[1]
    if not (name[0] == name[-1] and name[0] in {'"', "'"}):
        raise template.TemplateSyntaxError(f"{bits[0]}'s name must be quoted.")
    nodelist = parser.parse(("endper_version",))
    parser.delete_first_token()
    return PerVersionNode(name[1:-1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)
