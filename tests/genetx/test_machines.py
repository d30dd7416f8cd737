import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from genetx.models import Status
from tests.factories import make_claim, make_condition, make_institution, make_source, make_therapy

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
ATOM_NS = {"atom": "http://www.w3.org/2005/Atom"}


def sitemap_locations(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return [loc.text for loc in root.findall("sm:url/sm:loc", SITEMAP_NS)]


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
    root = ET.fromstring(client.get("/sitemap.xml").content)
    for url in root.findall("sm:url", SITEMAP_NS):
        if url.find("sm:loc", SITEMAP_NS).text.endswith(therapy.get_absolute_url()):
            assert url.find("sm:lastmod", SITEMAP_NS).text == therapy.updated_at.date().isoformat()
            break
    else:
        pytest.fail("therapy not in the sitemap")


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
