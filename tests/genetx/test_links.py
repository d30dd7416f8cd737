"""genetx.links.record_url: reverse() remembered per language and URL configuration."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from genetx.links import _reverse, record_url


def test_the_same_url_as_reverse_in_each_language():
    for language in ("en", "es"):
        with translation.override(language):
            expected = reverse("therapies:therapy-detail", kwargs={"slug": "kymriah"})
            assert record_url("therapies:therapy-detail", slug="kymriah") == expected
            assert record_url("therapies:therapy-detail", slug="kymriah") == expected
    with translation.override("es"):
        assert record_url("therapies:therapy-detail", slug="kymriah").startswith("/es/")


def test_remembered_once():
    _reverse.cache_clear()
    record_url("sources:source-detail", key="catala-2022")
    record_url("sources:source-detail", key="catala-2022")
    info = _reverse.cache_info()
    assert (info.hits, info.misses) == (1, 1)


@override_settings(FORCE_SCRIPT_NAME="/genetx/")
def test_a_changed_script_name_is_not_served_old_urls():
    from django.urls import set_script_prefix

    set_script_prefix("/genetx/")
    try:
        assert record_url("therapies:therapy-detail", slug="a").startswith("/genetx/")
    finally:
        set_script_prefix("/")
    assert record_url("therapies:therapy-detail", slug="a") == "/therapies/a/"


def test_a_value_the_route_refuses_still_fails_loudly():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        record_url("therapies:therapy-detail", slug="not a slug/")
