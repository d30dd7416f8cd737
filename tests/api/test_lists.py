"""The API's lists: the public filters with several values, sorts, keyset pages, errors."""

import datetime

import pytest

from genetx.models import Status
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_institution,
    make_modality,
    make_programme,
    make_source,
    make_therapy,
)

pytestmark = pytest.mark.django_db


def get(client, url, status=200, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def slugs(body, field="slug"):
    return [row[field] for row in body["results"]]


def walk(client, url):
    """Every row of a list, following `next` to the end."""
    rows = []
    while url:
        body = get(client, url)
        rows += body["results"]
        url = body["next"]
    return rows


def test_therapy_list_shows_published_therapies_with_their_links(client):
    condition = make_condition(slug="dmd")
    make_therapy(slug="b-therapy", name="B", conditions=[condition])
    make_therapy(slug="a-therapy", name="A")
    make_therapy(slug="draft", name="C", status=Status.DRAFT, published_at=None)
    body = get(client, "/api/v1/therapies")
    assert slugs(body) == ["a-therapy", "b-therapy"]
    assert body["next"] is None
    row = body["results"][1]
    assert row["url"] == "http://testserver/api/v1/therapies/b-therapy"
    assert row["html_url"] == "http://testserver/therapies/b-therapy/"
    assert [c["slug"] for c in row["conditions"]] == ["dmd"]


def test_links_carry_the_requests_own_scheme_and_host_once_read(client, settings):
    # The origin is read once per response (genetx.api.schemas.absolute): every link of
    # the page still names the host and scheme the request came by.
    settings.ALLOWED_HOSTS = ["api.example.org"]
    condition = make_condition(slug="dmd")
    make_therapy(slug="one", conditions=[condition])
    make_therapy(slug="two", conditions=[condition])
    response = client.get("/api/v1/therapies", secure=True, headers={"host": "api.example.org"})
    links = [
        link
        for row in response.json()["results"]
        for link in (row["url"], row["html_url"], row["conditions"][0]["url"])
    ]
    assert len(links) == 6
    assert all(link.startswith("https://api.example.org/") for link in links), links
    assert "https://api.example.org/api/v1/conditions/dmd" in links


def test_repeated_filter_matches_any_of_its_values(client):
    car_t, aav, other = make_modality(slug="car-t"), make_modality(slug="aav"), make_modality()
    make_therapy(slug="one", modality=car_t, kind="product")
    make_therapy(slug="two", modality=aav, kind="approach")
    make_therapy(slug="three", modality=other, kind="product")
    assert slugs(get(client, "/api/v1/therapies?modality=car-t&modality=aav")) == ["one", "two"]
    assert slugs(get(client, "/api/v1/therapies?kind=product")) == ["one", "three"]
    both = "/api/v1/therapies?kind=product&modality=car-t&modality=aav"
    assert slugs(get(client, both)) == ["one"]


def test_filters_are_the_public_lists_filters(client):
    make_institution(slug="madrid", region="Community of Madrid")
    make_institution(slug="barcelona", city="Barcelona", region="Catalonia")
    assert slugs(get(client, "/api/v1/institutions?region=catalonia")) == ["barcelona"]
    make_condition(slug="rare-one", is_rare=True)
    make_condition(slug="common-one", is_rare=False)
    assert slugs(get(client, "/api/v1/conditions?rare=true")) == ["rare-one"]
    source = make_source(key="cited", issued=datetime.date(2021, 1, 1))
    make_claim(slug="citing", sources=[source])
    make_claim(slug="other")
    assert slugs(get(client, "/api/v1/claims?source=cited")) == ["citing"]
    assert slugs(get(client, "/api/v1/sources?year=2021"), "key") == ["cited"]


def test_unknown_slug_or_bad_value_is_a_400_naming_the_parameter(client):
    make_therapy()
    body = get(client, "/api/v1/therapies?condition=no-such-condition", status=400)
    assert list(body["errors"]) == ["condition"]
    body = get(client, "/api/v1/therapies?kind=medicine", status=400)
    assert list(body["errors"]) == ["kind"]
    body = get(client, "/api/v1/sources?year=1066", status=400)
    assert list(body["errors"]) == ["year"]
    body = get(client, "/api/v1/therapies?limit=101", status=400)
    assert list(body["errors"]) == ["limit"]
    body = get(client, "/api/v1/therapies?country=E%00", status=400)
    assert list(body["errors"]) == ["country"]


def test_a_draft_cannot_be_named_in_a_filter(client):
    make_condition(slug="hidden", status=Status.DRAFT, published_at=None)
    assert "condition" in get(client, "/api/v1/therapies?condition=hidden", status=400)["errors"]


def test_pages_follow_next_links_to_the_end_without_repeats(client):
    for n in range(7):
        make_therapy(slug=f"t-{n}", name=f"Same name {n % 2}")
    rows = walk(client, "/api/v1/therapies?limit=3")
    assert len(rows) == 7
    assert len({row["slug"] for row in rows}) == 7
    response = client.get("/api/v1/therapies?limit=3")
    assert response["Link"] == f'<{response.json()["next"]}>; rel="next"'


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/therapies?sort=newest&limit=2", "slug"),
        ("/api/v1/sources?sort=oldest&limit=2", "key"),
        ("/api/v1/sources?sort=cited&limit=2", "key"),
        ("/api/v1/claims?sort=newest&limit=2", "slug"),
        ("/api/v1/conditions?sort=therapies&limit=2", "slug"),
        ("/api/v1/institutions?sort=programmes&limit=2", "slug"),
        ("/api/v1/programmes?sort=since&limit=2", "id"),
        ("/api/v1/decisions?sort=oldest&limit=2", "id"),
    ],
)
def test_every_sort_pages_through_every_row_once_even_with_empty_values(client, url, field):
    condition = make_condition()
    institution = make_institution()
    for n in range(5):
        # Empty dates and equal counts: the keyset must still order every row.
        source = make_source(issued=None, issued_precision="") if n % 2 else make_source()
        therapy = make_therapy(conditions=[condition] if n % 2 else [])
        dated = {"event_date": datetime.date(2020, 1, 1), "event_date_precision": "day"}
        make_claim(sources=[source], **({} if n % 2 else dated))
        make_programme(institution=institution if n % 2 else make_institution(), since=None)
        make_decision(therapy=therapy, date=datetime.date(2020, 1, 1))
    rows = walk(client, url)
    one_page = get(client, url.replace("limit=2", "limit=100"))
    assert one_page["next"] is None
    assert [row[field] for row in rows] == [row[field] for row in one_page["results"]]
    assert len({row[field] for row in rows}) == len(rows)


def test_pages_stay_stable_when_rows_are_added_between_requests(client):
    for n in range(6):
        make_therapy(slug=f"m-{n}", name=f"M {n}")
    first = get(client, "/api/v1/therapies?limit=3")
    # Rows sorting before and after the cursor appear meanwhile.
    make_therapy(slug="a-new", name="A new")
    make_therapy(slug="z-new", name="Z new")
    rest = walk(client, first["next"])
    assert slugs(first) == ["m-0", "m-1", "m-2"]
    assert [row["slug"] for row in rest] == ["m-3", "m-4", "m-5", "z-new"]


@pytest.mark.parametrize(
    "cursor",
    ["not-base64!", "eyJ4IjogMX0", "WyJuZXdlc3QiLFsiMjAyMCJdXQ", "W10", "WyJuYW1lIixbW10sMV1d"],
)
def test_a_forged_or_foreign_cursor_is_a_400(client, cursor):
    make_therapy()
    body = get(client, f"/api/v1/therapies?cursor={cursor}", status=400)
    assert list(body["errors"]) == ["cursor"]


def test_cursor_of_another_sort_is_refused(client):
    make_therapy()
    make_therapy()
    cursor = get(client, "/api/v1/therapies?limit=1&sort=newest")["next"].split("cursor=")[1]
    body = get(client, f"/api/v1/therapies?sort=name&cursor={cursor}", status=400)
    assert "another sort" in body["errors"]["cursor"][0]


def test_unknown_address_under_the_api_is_a_json_404(client):
    assert get(client, "/api/v1/no-such-list", status=404)["detail"] == "Not found."
    assert get(client, "/api/v1/therapies/no-such-therapy", status=404)["detail"] == "Not found."
    assert get(client, "/api/v1/therapies/id/999999", status=404)["detail"] == "Not found."
