import datetime
import json
import re

import pytest
from django.template.loader import get_template
from django.urls import reverse
from django.utils.functional import empty

from genetx.models import Status
from tests.factories import (
    make_claim,
    make_condition,
    make_figure,
    make_institution,
    make_modality,
    make_source,
    make_therapy,
)

pytestmark = pytest.mark.django_db


def get_home(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def test_home_says_what_genetx_is(client):
    response = get_home(client)
    assert "evidence-linked knowledge base" in response.content.decode()


def test_key_figure_shows_value_as_of_date_and_numbered_source_link(client):
    source = make_source(title="Figures of the year", authors=[("Puerto", "G.")])
    make_figure(
        value=1859,
        qualifier="more_than",
        statement="Requests for CAR-T treatment in Spain.",
        as_of=datetime.date(2024, 3, 1),
        as_of_precision="month",
        sources=[source],
    )
    html = get_home(client).content.decode()
    assert "more than 1,859" in html
    assert "March 2024" in html
    assert 'href="#figure-ref-1"' in html
    assert 'id="figure-ref-1"' in html
    assert source.get_absolute_url() in html


def test_figures_citing_the_same_source_share_its_number(client):
    source = make_source()
    make_figure(value=1, sources=[source], as_of=datetime.date(2024, 1, 1), as_of_precision="day")
    make_figure(value=2, sources=[source], as_of=datetime.date(2023, 1, 1), as_of_precision="day")
    response = get_home(client)
    assert response.context["figure_references"] == [(1, source)]
    assert 'id="figure-ref-2"' not in response.content.decode()


def test_superseded_and_draft_figures_are_not_key_figures(client):
    newer = make_figure(value=300, statement="The newer figure.")
    make_figure(
        value=200,
        statement="The superseded figure.",
        superseded_by=newer,
        review_status="superseded",
    )
    make_figure(value=100, statement="The draft figure.", status=Status.DRAFT)
    figures = get_home(client).context["figures"]
    assert [claim.statement for claim in figures] == ["The newer figure."]


def test_a_claim_without_a_figure_is_not_a_key_figure(client):
    make_claim(statement="A statement without a number.")
    response = get_home(client)
    assert response.context["figures"] == []


def test_draft_source_of_a_figure_is_not_listed(client):
    draft = make_source(title="Unpublished source title", status=Status.DRAFT)
    make_figure(value=5, sources=[draft])
    html = get_home(client).content.decode()
    assert "Unpublished source title" not in html


def test_latest_updates_list_published_records_of_every_type(client):
    make_therapy(name="Published therapy")
    make_condition(name="Published condition")
    make_institution(name="Published institution")
    make_source(title="Published source")
    make_claim(statement="Published claim.")
    make_therapy(name="Draft therapy", status=Status.DRAFT)
    updates = get_home(client).context["updates"]
    titles = {update.title for update in updates}
    assert {"Published therapy", "Published condition", "Published institution"} <= titles
    assert {"Published source", "Published claim."} <= titles
    assert "Draft therapy" not in titles


def test_latest_updates_are_newest_first_and_limited(client):
    for _ in range(12):
        make_therapy()
    updates = get_home(client).context["updates"]
    assert len(updates) == 8
    stamps = [update.updated_at for update in updates]
    assert stamps == sorted(stamps, reverse=True)


def test_entry_points_count_published_therapies_by_condition_and_modality(client):
    condition = make_condition(name="Haemophilia")
    modality = make_modality(name="AAV gene addition")
    make_therapy(conditions=[condition], modality=modality)
    make_therapy(conditions=[condition], modality=modality)
    make_therapy(conditions=[condition], modality=modality, status=Status.DRAFT)
    make_condition(name="Draft condition", status=Status.DRAFT)
    response = get_home(client)
    html = response.content.decode()
    assert [(c.name, c.therapy_count) for c in response.context["conditions"]] == [
        ("Haemophilia", 2)
    ]
    assert [(m.name, m.therapy_count) for m in response.context["modalities"]] == [
        ("AAV gene addition", 2)
    ]
    assert condition.get_absolute_url() in html
    assert modality.get_absolute_url() in html
    assert "Draft condition" not in html


def test_modality_without_published_therapies_is_not_an_entry_point(client):
    make_modality(name="Unused modality")
    assert "Unused modality" not in get_home(client).content.decode()


def test_empty_site_explains_that_nothing_is_published(client):
    html = get_home(client).content.decode()
    assert "No figures have been published yet." in html
    assert "Nothing has been published yet." in html


# The site-wide skeleton every page shares ------------------------------------------------


def test_navigation_links_every_section_and_a_labelled_search(client):
    html = get_home(client).content.decode()
    for name in (
        "therapies:therapy-list",
        "therapies:condition-list",
        "hospitals:institution-list",
        "sources:source-list",
        "timeline",
        "search",
    ):
        assert f'href="{reverse(name)}"' in html
    assert '<label for="site-search-q">Search</label>' in html
    assert 'aria-current="page">Home</a>' in html


def test_canonical_url_drops_the_query_string(client):
    # Parameters the timeline does not read are redirected away first.
    response = client.get(reverse("timeline") + "?utm_source=x&page=2", follow=True)
    assert response.redirect_chain == [(reverse("timeline"), 301)]
    html = response.content.decode()
    assert '<link rel="canonical" href="http://testserver/timeline/">' in html
    assert '<meta property="og:url" content="http://testserver/timeline/">' in html


def test_pages_announce_open_graph_defaults_and_the_atom_feed(client):
    html = get_home(client).content.decode()
    assert '<meta property="og:type" content="website">' in html
    assert '<meta property="og:site_name" content="GeneTx">' in html
    assert (
        f'<link rel="alternate" type="application/atom+xml" title="GeneTx: latest updates" '
        f'href="{reverse("feed")}">'
    ) in html


def test_unknown_address_shows_the_custom_not_found_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'action="/search/"' in html


@pytest.mark.parametrize(
    ("template", "heading"),
    [("500.html", "Something went wrong"), ("503.html", "Temporarily unavailable")],
)
def test_error_pages_render_without_request_or_database(
    django_assert_num_queries, template, heading
):
    with django_assert_num_queries(0):
        html = get_template(template).render({})
    assert heading in html
    assert "<html" in html and "/static/css/site.css" in html


@pytest.mark.parametrize("kind", ["list", "detail", "home", "search", "timeline"])
def test_every_page_has_one_canonical_link_and_one_open_graph_title(client, kind):
    therapy = make_therapy(name="Canonical therapy")
    url = {
        "list": reverse("therapies:therapy-list") + "?page=1",
        "detail": therapy.get_absolute_url(),
        "home": reverse("home"),
        "search": reverse("search") + "?q=canonical",
        "timeline": reverse("timeline"),
    }[kind]
    html = client.get(url).content.decode()
    assert html.count('rel="canonical"') == 1
    assert html.count('property="og:title"') == 1
    assert html.count('property="og:url"') == 1
    assert f'<link rel="canonical" href="http://testserver{url.split("?")[0]}">' in html


def test_condition_without_published_therapies_is_not_an_entry_point(client):
    make_condition(name="Condition without therapies")
    assert list(get_home(client).context["conditions"]) == []


def test_a_failing_page_shows_the_custom_server_error_page(client, settings):
    settings.ROOT_URLCONF = "tests.genetx.error_urls"
    client.raise_request_exception = False
    response = client.get("/fail/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_home_describes_the_site_and_its_search_for_search_engines(client):
    html = get_home(client).content.decode()
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block)
    assert data["@type"] == "WebSite"
    assert data["potentialAction"]["target"] == "http://testserver/search/?q={search_term_string}"


def test_entry_points_list_the_conditions_with_most_therapies_and_link_to_all(client, monkeypatch):
    from genetx.views import HomeView

    monkeypatch.setattr(HomeView, "condition_limit", 2)
    few = make_condition(name="A condition with one therapy")
    many = make_condition(name="Z condition with three therapies")
    some = make_condition(name="M condition with two therapies")
    make_therapy(conditions=[few])
    for _ in range(3):
        make_therapy(conditions=[many])
    for _ in range(2):
        make_therapy(conditions=[some])
    response = get_home(client)
    assert [c.name for c in response.context["conditions"]] == [
        "Z condition with three therapies",
        "M condition with two therapies",
    ]
    html = response.content.decode()
    assert f'href="{reverse("therapies:condition-list")}?sort=therapies"' in html


def test_every_page_has_a_favicon_and_claims_in_the_main_navigation(client):
    html = client.get(reverse("sources:claim-list")).content.decode()
    assert 'rel="icon" href="/static/img/favicon.svg"' in html
    assert 'aria-current="page">Claims</a>' in html


def test_the_home_page_lists_the_modalities_with_most_therapies_by_name(client):
    """Like conditions, modalities must not make the page grow with the corpus: the twelve
    with most therapies, in name order, then a way to all of them."""
    for n in range(13):
        modality = make_modality(name=f"Modality {n:02d}")
        for _ in range(1 if n == 0 else 2):
            make_therapy(modality=modality)
    response = get_home(client)
    shown = [modality.name for modality in response.context["modalities"]]
    assert shown == [f"Modality {n:02d}" for n in range(1, 13)]
    assert "All modalities, in the therapy list" in response.content.decode()
    assert (
        "Modality 00"
        not in response.content.decode().split("by-modality-heading")[1].split("</section>")[0]
    )


def test_the_lists_rendered_once_per_content_version_change_with_a_save(client):
    """Figures, updates, conditions and modalities are drawn once per content version
    ({% per_version %} fragments): the next request shows the same HTML without reading
    them again, and a save shows the new record at once."""
    make_therapy(name="First therapy")
    first = get_home(client).content.decode()
    assert "First therapy" in first
    again = get_home(client)
    assert again.content.decode() == first
    # The lists were not read: the fragments came from the cache.
    assert again.context["updates"]._wrapped is empty
    make_therapy(name="Second therapy")
    assert "Second therapy" in get_home(client).content.decode()
