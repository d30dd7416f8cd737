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


def test_a_lists_facet_checkboxes_are_drawn_once_per_filter_combination(client, monkeypatch):
    """The same HTML as drawn afresh; another filter combination or language, or a save,
    draws its own; a page number or sort reuses it (the counts do not depend on them)."""
    from genetx import cache

    make_therapy(slug="one", name="One")
    make_therapy(slug="two", name="Two")
    drawn = []
    original = cache.per_version

    def spy(name, parts, compute):
        return original(name, parts, lambda: drawn.append((name, parts)) or compute())

    monkeypatch.setattr(cache, "per_version", spy)

    def facets_drawn(url):
        before = len(drawn)
        body = client.get(url).content.decode()
        return [d for d in drawn[before:] if d[0] == "fragment:facet-choices"], body

    new, first = facets_drawn("/therapies/")
    assert len(new) == 1
    assert facets_drawn("/therapies/")[0] == []
    assert facets_drawn("/therapies/?sort=newest")[0] == []
    monkeypatch.setattr(cache, "_bump_pending", True)  # renders every time, as before
    assert facets_drawn("/therapies/")[1] == first
    monkeypatch.setattr(cache, "_bump_pending", False)
    assert len(facets_drawn("/therapies/?development=approved")[0]) == 1
    assert len(facets_drawn("/es/therapies/")[0]) == 1
    make_therapy(slug="three", name="Three")
    new, body = facets_drawn("/therapies/")
    assert len(new) == 1 and body != first
