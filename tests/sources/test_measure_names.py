"""Readers see a measure's name, not its key (spain-car-t-requests), wherever it shows."""

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_figure

pytestmark = pytest.mark.django_db

KEY = "spain-car-t-requests"
NAME = "Requests for CAR-T treatment by Spanish hospitals since 2018"


@pytest.fixture
def figure():
    return make_figure(value=1859, slug="requests", measure=KEY, measure_name=NAME)


def test_claim_page_and_list_name_the_measure(client, figure):
    detail = client.get(figure.get_absolute_url()).content.decode()
    assert f'?measure={KEY}">{NAME}</a>' in detail
    listing = client.get("/claims/").content.decode()
    assert f"measure: {NAME}" in listing


def test_measure_facet_lists_names_and_filters_by_key(client, figure):
    make_figure(value=3, measure="unnamed-measure")
    response = client.get("/claims/")
    facet = next(f for f in response.context["facets"] if f.param == "measure")
    assert {(o.value, o.label) for o in facet.options} == {
        (KEY, NAME),
        ("unnamed-measure", "unnamed-measure"),  # no name yet: its key, not a blank
    }
    filtered = client.get(f"/claims/?measure={KEY}")
    assert [item.claim.slug for item in filtered.context["claims"]] == ["requests"]


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_exports_carry_the_measure_name_beside_its_key(client, figure):
    rows = list(csv.DictReader(io.StringIO(body(client.get("/claims/?format=csv")))))
    assert (rows[0]["measure"], rows[0]["measure_name"]) == (KEY, NAME)
    exported = json.loads(body(client.get("/claims/?format=json")))
    assert exported["results"][0]["measure_name"] == NAME
    api = client.get("/api/v1/claims/requests").json()
    assert (api["measure"], api["measure_name"]) == (KEY, NAME)


def test_search_finds_a_claim_by_its_measure_name(client, figure):
    response = client.get("/claims/?q=spanish+hospitals+since")
    assert [item.claim.slug for item in response.context["claims"]] == ["requests"]


def test_figures_of_one_measure_share_one_name(figure):
    newer = make_figure(value=2000, measure=KEY, measure_name="Another name")
    with pytest.raises(ValidationError) as error:
        newer.full_clean()
    assert NAME in error.value.message_dict["measure_name"][0]
    newer.measure_name = NAME
    newer.full_clean()


def test_a_name_needs_a_measure_key():
    claim = make_figure(value=1, measure="", measure_name="A name")
    with pytest.raises(ValidationError) as error:
        claim.full_clean()
    assert "measure" in error.value.message_dict
