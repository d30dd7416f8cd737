"""{% per_version %}: charts and maps drawn once per content version, language and inputs."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation
from django.utils.translation import gettext_lazy

from tests.factories import make_therapy

pytestmark = pytest.mark.django_db

COUNTING = Template(
    '{% load fragments %}{% per_version "test" value %}{{ value }}:{{ counter.next }}'
    "{% endper_version %}"
)


class Counter:
    def __init__(self):
        self.renders = 0

    @property
    def next(self):
        self.renders += 1
        return self.renders


def render(value, counter, template=COUNTING):
    return template.render(Context({"value": value, "counter": counter}))


def test_a_fragment_is_rendered_once_per_content_version():
    counter = Counter()
    assert render("a", counter) == "a:1"
    assert render("a", counter) == "a:1"  # kept: the fragment was not rendered again
    assert counter.renders == 1
    make_therapy(slug="new")
    assert render("a", counter) == "a:2"  # any content change draws it afresh


def test_other_inputs_or_another_language_are_another_fragment():
    counter = Counter()
    assert render("a", counter) == "a:1"
    assert render("b", counter) == "b:2"
    with translation.override("es"):
        assert render("a", counter) == "a:3"


def test_lazy_translations_are_keyed_by_their_text():
    counter = Counter()
    render(gettext_lazy("Therapies"), counter)
    render(gettext_lazy("Therapies"), counter)
    assert counter.renders == 1


def test_with_the_cache_unable_to_say_what_changed_it_renders_every_time(monkeypatch):
    from genetx import cache

    counter = Counter()
    monkeypatch.setattr(cache, "_bump_pending", True)  # a change not stored yet (an outage)
    render("a", counter)
    render("a", counter)
    assert counter.renders == 2


@pytest.mark.parametrize(
    "source",
    [
        "{% load fragments %}{% per_version %}x{% endper_version %}",
        '{% load fragments %}{% per_version "name" %}x{% endper_version %}',
        "{% load fragments %}{% per_version name value %}x{% endper_version %}",
    ],
)
def test_a_fragment_needs_a_quoted_name_and_its_inputs(source):
    with pytest.raises(TemplateSyntaxError):
        Template(source)


def test_the_home_page_draws_its_charts_once(client, monkeypatch):
    from genetx import cache

    make_therapy(slug="one")
    drawn = []
    original = cache.per_version

    def spy(name, parts, compute):
        return original(name, parts, lambda: drawn.append(name) or compute())

    monkeypatch.setattr(cache, "per_version", spy)
    first = client.get("/")
    after_first = len(drawn)
    again = client.get("/")
    assert "fragment:chart" in drawn
    assert len(drawn) == after_first  # the second request drew nothing
    assert again.content == first.content
