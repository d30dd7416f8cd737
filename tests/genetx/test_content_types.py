"""The content-type registry: every public model is in it, and site-wide features read it."""

from django.apps import apps
from django.urls import reverse

from genetx import search
from genetx.content_types import CONTENT_TYPES, with_pages
from genetx.models import Publishable
from genetx.roles import role_permissions
from genetx.sitemaps import SITEMAPS


def test_every_publishable_model_is_registered():
    publishable = {model for model in apps.get_models() if issubclass(model, Publishable)}
    assert publishable == {content_type.model for content_type in CONTENT_TYPES}


def test_keys_are_unique_and_list_pages_resolve():
    keys = [content_type.key for content_type in CONTENT_TYPES]
    assert len(keys) == len(set(keys))
    for content_type in CONTENT_TYPES:
        if content_type.list_url:
            assert reverse(content_type.list_url)


def test_types_with_pages_have_a_sitemap_section_and_search_covers_them():
    for content_type in with_pages():
        assert content_type.key in SITEMAPS
        assert content_type.key in search.TYPES


def test_publishers_may_publish_every_registered_type():
    publisher = set(role_permissions()["Publisher"])
    for content_type in CONTENT_TYPES:
        assert (content_type.app_label, f"publish_{content_type.model_name}") in publisher
