"""List exports (?format=csv, ?format=json) stream, hold at most EXPORT_MAX_ROWS rows each,
and link to the next page, so a big corpus never becomes one big response."""

import csv
import io
import json
import re

import pytest
from django.urls import reverse

from genetx.models import Status
from tests.factories import make_condition, make_modality, make_therapy

pytestmark = pytest.mark.django_db

THERAPY_LIST = reverse("therapies:therapy-list")
CAP = 5


@pytest.fixture
def corpus(settings):
    """12 published therapies (more than two pages at the cap) and a draft."""
    settings.EXPORT_MAX_ROWS = CAP
    modality = make_modality(slug="car-t", name="CAR-T")
    condition = make_condition(slug="all", name="ALL")
    # Equal names: pages must still neither repeat nor skip a row.
    for number in range(12):
        make_therapy(name=f"Therapy {number // 2:02}", modality=modality, conditions=[condition])
    make_therapy(name="Draft therapy", status=Status.DRAFT, modality=modality)


def next_link(response) -> str | None:
    match = re.search(r'<([^>]+)>; rel="next"', response.get("Link", ""))
    return match.group(1) if match else None


def test_csv_export_streams_one_capped_page_with_a_next_link(client, corpus):
    response = client.get(THERAPY_LIST, {"format": "csv", "sort": "name"})
    assert response.status_code == 200
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert len(rows) == CAP
    assert response["X-Total-Count"] == "12"
    assert next_link(response) == "http://testserver/therapies/?format=csv&sort=name&page=2"
    assert 'rel="prev' not in response["Link"]


def test_following_next_links_gives_every_published_row_once(client, corpus):
    url, names, pages = f"{THERAPY_LIST}?format=csv", [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        page_rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
        assert 0 < len(page_rows) <= CAP
        names += [row["url"] for row in page_rows]
        url, pages = next_link(response), pages + 1
    assert pages == 3
    assert len(names) == len(set(names)) == 12
    assert not any("draft" in name for name in names)


def test_json_export_says_the_total_and_links_both_ways(client, corpus):
    response = client.get(THERAPY_LIST, {"format": "json", "modality": "car-t", "page": "2"})
    data = json.loads(response.getvalue())
    assert (data["count"], data["page"], len(data["results"])) == (12, 2, CAP)
    assert data["next"].endswith("?format=json&modality=car-t&page=3")
    assert data["previous"].endswith("?format=json&modality=car-t&page=1")
    last = json.loads(client.get(data["next"]).getvalue())
    assert (len(last["results"]), last["next"]) == (2, None)
    assert response["Content-Disposition"] == 'attachment; filename="therapies-2.json"'


def test_every_export_page_runs_the_same_queries(client, corpus, django_assert_num_queries):
    """A count, one read of the page's rows and one of their conditions, at any page."""
    for page in ("1", "2", "3"):
        with django_assert_num_queries(3):
            response = client.get(THERAPY_LIST, {"format": "json", "page": page})
            assert len(json.loads(response.getvalue())["results"]) <= CAP


@pytest.mark.parametrize("page", ["4", "0", "last-but-one", "99999999999999999999"])
def test_an_export_page_past_the_end_or_malformed_is_404(client, corpus, page):
    assert client.get(THERAPY_LIST, {"format": "csv", "page": page}).status_code == 404


def test_an_empty_export_is_a_valid_file(client, settings):
    settings.EXPORT_MAX_ROWS = CAP
    data = json.loads(client.get(THERAPY_LIST, {"format": "json"}).getvalue())
    assert data == {"count": 0, "next": None, "previous": None, "page": 1, "results": []}
