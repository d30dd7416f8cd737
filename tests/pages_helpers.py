"""Helpers the page tests share: hostile query strings, staff with a change permission."""

import re

from django.contrib.auth.models import Permission

from tests.factories import make_user

# Values a list must survive: no 500, no reflected markup.
HOSTILE_VALUES = [
    "abc",
    "99999999999999999999999999",
    "-1",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "1; DROP TABLE therapies_therapy",
    "\x00",
    "a\x00b",
    "%",
    "é" * 300,
]


def staff_with_change_permission(model):
    """A staff user holding the change permission for this model, as editors do."""
    user = make_user(is_staff=True)
    opts = model._meta
    user.user_permissions.add(
        Permission.objects.get(
            codename=f"change_{opts.model_name}", content_type__app_label=opts.app_label
        )
    )
    return user


def assert_no_reflected_markup(response):
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    # The only script elements on a page are JSON-LD data blocks.
    for tag in re.findall(r"<script[^>]*>", body):
        assert 'type="application/ld+json"' in tag


def marker_targets(body: str) -> list[str]:
    """The reference anchors the page's [n] markers link to, in page order."""
    return re.findall(r'<sup class="ref-marker" id="[^"]+"><a href="#(ref-\d+)"', body)


def has_option(body: str, value: str, label: str, count: int, *, checked: bool = False) -> bool:
    """Whether a list's filter form offers this facet value as a checkbox with its count."""
    pattern = (
        r'<input type="checkbox" id="[^"]+" name="[^"]+" value="{value}"{checked}>'
        r'<label for="[^"]+">{label} <span class="count">\({count}\)</span></label>'
    ).format(
        value=re.escape(value),
        checked=" checked" if checked else "",
        label=re.escape(label),
        count=count,
    )
    return re.search(pattern, body) is not None
