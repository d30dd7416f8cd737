import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from genetx.models import Status
from tests.factories import make_claim, make_condition, make_institution, make_source, make_therapy

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
ATOM_NS = {"atom": "http://www.w3.org/2005/Atom"}


def sitemap_files(client) -> list[str]:
    """The sitemap files the index at /sitemap.xml names."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return [loc.text for loc in root.findall("sm:sitemap/sm:loc", SITEMAP_NS)]


def sitemap_urls(client) -> list[ET.Element]:
    urls = []
    for address in sitemap_files(client):
        response = client.get(address.removeprefix("http://testserver"))
        assert response.status_code == 200
        urls += ET.fromstring(response.content).findall("sm:url", SITEMAP_NS)
    return urls


def sitemap_locations(client):
    return [url.find("sm:loc", SITEMAP_NS).text for url in sitemap_urls(client)]


def test_sitemap_lists_every_list_page_and_the_timeline(client):
    locations = sitemap_locations(client)
    for name in (
        "home",
        "therapies:therapy-list",
        "therapies:condition-list",
        "hospitals:institution-list",
        "sources:source-list",
        "sources:claim-list",
        "timeline",
    ):
        assert f"http://testserver{reverse(name)}" in locations


def test_sitemap_lists_published_records_only(client):
    published = [
        make_therapy(),
        make_condition(),
        make_institution(),
        make_source(),
        make_claim(sources=[make_source()]),
    ]
    drafts = [
        make_therapy(status=Status.DRAFT),
        make_condition(status=Status.REVIEW),
        make_institution(status=Status.ARCHIVED),
        make_source(status=Status.DRAFT),
        make_claim(status=Status.DRAFT),
    ]
    locations = sitemap_locations(client)
    for record in published:
        assert f"http://testserver{record.get_absolute_url()}" in locations
    for record in drafts:
        assert f"http://testserver{record.get_absolute_url()}" not in locations


def test_sitemap_gives_each_record_its_last_change(client):
    therapy = make_therapy()
    for url in sitemap_urls(client):
        if url.find("sm:loc", SITEMAP_NS).text.endswith(therapy.get_absolute_url()):
            assert url.find("sm:lastmod", SITEMAP_NS).text == therapy.updated_at.date().isoformat()
            break
    else:
        pytest.fail("therapy not in the sitemap")


def test_the_sitemap_is_an_index_of_one_file_per_section_with_its_last_change(client):
    therapy = make_therapy()
    make_source()
    root = ET.fromstring(client.get("/sitemap.xml").content)
    entries = {
        entry.find("sm:loc", SITEMAP_NS).text: entry.find("sm:lastmod", SITEMAP_NS)
        for entry in root.findall("sm:sitemap", SITEMAP_NS)
    }
    assert "http://testserver/sitemap-pages.xml" in entries
    assert "http://testserver/sitemap-therapies.xml" in entries
    lastmod = entries["http://testserver/sitemap-therapies.xml"]
    assert lastmod is not None and lastmod.text.startswith(therapy.updated_at.date().isoformat())


def test_a_big_section_is_split_into_pages_that_each_list_records_once(client, monkeypatch):
    """Each file holds `limit` addresses (a record once per language); together the pages
    list every record in both languages exactly once, reading only their own records."""
    from genetx.sitemaps import PublishedSitemap

    monkeypatch.setattr(PublishedSitemap, "limit", 4)
    therapies = [make_therapy() for _ in range(5)]
    files = [f for f in sitemap_files(client) if "sitemap-therapies.xml" in f]
    assert files == [
        "http://testserver/sitemap-therapies.xml",
        *[f"http://testserver/sitemap-therapies.xml?p={n}" for n in (2, 3)],
    ]
    locations = sitemap_locations(client)
    for therapy in therapies:
        english = f"http://testserver{therapy.get_absolute_url()}"
        assert locations.count(english) == 1
        assert locations.count(english.replace("testserver/", "testserver/es/")) == 1
    assert client.get("/sitemap-therapies.xml?p=4").status_code == 404


@pytest.mark.parametrize(
    "url", ["/sitemap-nothing.xml", "/sitemap-therapies.xml?p=x", "/sitemap-therapies.xml?p=0"]
)
def test_an_unknown_sitemap_section_or_page_is_not_found(client, url):
    make_therapy()
    assert client.get(url).status_code == 404


def test_robots_txt_allows_all_but_the_admin_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Allow: /" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_robots_txt_does_not_reveal_a_relocated_admin_url(client, settings):
    settings.ADMIN_URL = "back-office-7f3a/"
    body = client.get("/robots.txt").content.decode()
    assert "back-office" not in body
    assert "Disallow" not in body
    assert "Sitemap: http://testserver/sitemap.xml" in body.splitlines()


def test_robots_txt_refuses_writes(client):
    assert client.post("/robots.txt").status_code == 405


def feed_entries(client):
    response = client.get("/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return root.findall("atom:entry", ATOM_NS)


def test_atom_feed_carries_recent_published_records_of_every_type(client):
    make_therapy(name="Feed therapy", summary="What it is.")
    make_condition(name="Feed condition")
    make_institution(name="Feed institution")
    make_source(title="Feed source")
    make_claim(statement="Feed claim.")
    entries = feed_entries(client)
    titles = {entry.find("atom:title", ATOM_NS).text for entry in entries}
    assert {
        "Therapy: Feed therapy",
        "Condition: Feed condition",
        "Institution: Feed institution",
        "Source: Feed source",
        "Claim: Feed claim.",
    } <= titles
    therapy_entry = next(
        e for e in entries if e.find("atom:title", ATOM_NS).text.startswith("Therapy")
    )
    assert therapy_entry.find("atom:updated", ATOM_NS) is not None
    assert therapy_entry.find("atom:published", ATOM_NS) is not None
    assert therapy_entry.find("atom:summary", ATOM_NS).text == "What it is."


def test_atom_feed_leaves_out_unpublished_records(client):
    make_therapy(name="Draft therapy", status=Status.DRAFT)
    make_claim(statement="Draft claim.", status=Status.DRAFT)
    titles = {entry.find("atom:title", ATOM_NS).text for entry in feed_entries(client)}
    assert not any("Draft" in title for title in titles)


def test_atom_feed_is_limited_to_the_most_recent_records(client):
    for _ in range(35):
        make_therapy()
    assert len(feed_entries(client)) == 30
