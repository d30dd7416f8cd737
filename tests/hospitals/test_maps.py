"""Maps of institutions: markers, links, the text list, filters, coordinates."""

import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.functional import empty

from genetx.maps import BASEMAP, MapPoint, basemap, institution_map
from genetx.models import Status
from tests.factories import make_institution, make_programme, make_therapy

pytestmark = pytest.mark.django_db

INSTITUTION_LIST = reverse("hospitals:institution-list")
MADRID = {"latitude": Decimal("40.41650"), "longitude": Decimal("-3.70256")}
BARCELONA = {"latitude": Decimal("41.38879"), "longitude": Decimal("2.15899")}
LAS_PALMAS = {"latitude": Decimal("28.09973"), "longitude": Decimal("-15.41343")}
PALMA = {"latitude": Decimal("39.56939"), "longitude": Decimal("2.65024")}
BOSTON = {"latitude": Decimal("42.35843"), "longitude": Decimal("-71.05977")}


def markers(body: str) -> list[tuple[str, str]]:
    """(href, accessible name) of every map marker link on a page."""
    return re.findall(r'<a href="([^"]+)" aria-label="([^"]+)"><title>', body)


def test_institution_list_map_has_one_labelled_link_per_placed_institution(client):
    la_paz = make_institution(name="La Paz University Hospital", **MADRID)
    clinic = make_institution(name="Hospital Clínic", city="Barcelona", **BARCELONA)
    make_programme(institution=la_paz, role="implements")
    make_programme(institution=clinic, role="develops")
    make_institution(name="Draft hospital", status=Status.DRAFT, **MADRID)
    body = client.get(INSTITUTION_LIST).content.decode()
    found = dict(markers(body))
    assert set(found) == {la_paz.get_absolute_url(), clinic.get_absolute_url()}
    assert found[la_paz.get_absolute_url()].startswith("La Paz University Hospital, Madrid")
    assert found[la_paz.get_absolute_url()].endswith(": implements")
    assert 'class="marker role-develops"' in body and 'class="marker role-implements"' in body
    # The text list beside the map says the same in words.
    assert "Hospital Clínic</a>, Barcelona, Community of Madrid, Spain: develops" in body
    assert "Draft hospital" not in body


def test_map_respects_the_list_filters(client):
    make_institution(name="Regulator", kind="regulator", **MADRID)
    make_institution(name="Hospital", kind="hospital", **BARCELONA)
    body = client.get(INSTITUTION_LIST, {"kind": "regulator"}).content.decode()
    assert [name.split(",")[0] for _, name in markers(body)] == ["Regulator"]


def test_map_covers_every_filtered_institution_not_only_the_page(client):
    for n in range(25):
        make_institution(name=f"Hospital {n:02d}", **MADRID)
    body = client.get(INSTITUTION_LIST).content.decode()
    assert len(markers(body)) == 25


def test_the_list_map_is_drawn_once_per_filter_combination_and_content_version(client):
    """The institution list's map fragment is keyed by the filters, not by its points: a
    second request shows the same map without reading the points, a save redraws it, and
    other filters draw their own."""
    make_institution(name="Regulator", kind="regulator", **MADRID)
    first = client.get(INSTITUTION_LIST).content.decode()
    again = client.get(INSTITUTION_LIST)
    assert again.content.decode() == first
    assert again.context["map"]._wrapped is empty
    make_institution(name="Hospital", kind="hospital", **BARCELONA)
    assert len(markers(client.get(INSTITUTION_LIST).content.decode())) == 2
    body = client.get(INSTITUTION_LIST, {"kind": "hospital"}).content.decode()
    assert [name.split(",")[0] for _, name in markers(body)] == ["Hospital"]


def test_empty_database_lists_no_map_and_no_error(client):
    response = client.get(INSTITUTION_LIST)
    assert response.status_code == 200
    assert "<svg" not in response.content.decode()


def test_institutions_without_coordinates_are_listed_not_drawn(client):
    make_institution(name="Somewhere hospital", latitude=None, longitude=None)
    body = client.get(INSTITUTION_LIST).content.decode()
    assert markers(body) == []
    assert "no map position recorded" in body


def test_islands_go_on_spain_map_and_abroad_on_the_world_view(client):
    make_institution(name="Las Palmas hospital", **LAS_PALMAS)
    make_institution(name="Palma hospital", **PALMA)
    make_institution(name="Boston company", kind="company", country="US", **BOSTON)
    body = client.get(INSTITUTION_LIST).content.decode()
    figures = body[body.index('class="map-section"') : body.index('class="map-legend"')]
    spain, world = figures.split('class="map map-world"')
    assert "Las Palmas hospital" in spain and "Palma hospital" in spain
    assert "Boston company" in world and "Boston company" not in spain


def test_markers_at_one_place_are_fanned_out_not_stacked():
    points = [
        MapPoint(f"H{n}", f"/h{n}/", "Barcelona", BARCELONA["latitude"], BARCELONA["longitude"])
        for n in range(3)
    ]
    spots = {(m.x, m.y) for m in institution_map(points).views[0].markers}
    assert len(spots) == 3


def test_therapy_page_maps_its_institutions_by_role(client):
    therapy = make_therapy(name="ARI0002h")
    make_programme(
        therapy=therapy, role="develops", institution=make_institution(name="Clínic", **BARCELONA)
    )
    make_programme(
        therapy=therapy,
        role="trial_site",
        institution=make_institution(name="Hidden", status=Status.DRAFT, **MADRID),
    )
    body = client.get(therapy.get_absolute_url()).content.decode()
    names = [name for _, name in markers(body)]
    assert names == ["Clínic, Madrid, Community of Madrid, Spain: develops"]


def test_institution_page_shows_its_place_only_when_known(client):
    placed = make_institution(**MADRID)
    unplaced = make_institution(latitude=None, longitude=None)
    assert len(markers(client.get(placed.get_absolute_url()).content.decode())) == 1
    assert "<svg" not in client.get(unplaced.get_absolute_url()).content.decode()


def test_map_adds_no_query_per_institution(client, django_assert_num_queries):
    for _ in range(2):
        make_programme(institution=make_institution(**MADRID))
    with django_assert_num_queries(10) as small:
        client.get(INSTITUTION_LIST)
    for _ in range(20):
        make_programme(institution=make_institution(**BARCELONA), role="develops")
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(INSTITUTION_LIST)


def test_one_coordinate_without_the_other_is_a_clear_form_error():
    institution = make_institution()
    institution.latitude = Decimal("40.1")
    with pytest.raises(ValidationError) as error:
        institution.full_clean()
    assert "Give both latitude and longitude" in str(error.value)
    institution.latitude, institution.longitude = Decimal("91"), Decimal("0")
    with pytest.raises(ValidationError) as error:
        institution.full_clean()
    assert "latitude" in error.value.message_dict


@pytest.mark.parametrize(
    "fields",
    [
        {"latitude": Decimal("90.5"), "longitude": Decimal("0")},
        {"latitude": Decimal("0"), "longitude": Decimal("-180.5")},
        {"latitude": Decimal("10"), "longitude": None},
    ],
)
def test_database_refuses_impossible_coordinates(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_institution(**fields)


def test_basemap_is_small_and_names_its_provenance_and_licence():
    data = basemap()
    assert "Natural Earth" in data["provenance"] and "world-atlas" in data["provenance"]
    assert "public domain" in data["licence"]
    assert BASEMAP.stat().st_size < 100_000
    assert {"spain", "world"} <= set(data["views"])
    frames = {frame["name"] for frame in data["views"]["spain"]["frames"]}
    assert frames == {"peninsula", "canaries"}
    # Spain's shapes reach the Balearic (east of 1°E) and Canary frames.
    json.dumps(data)
    # Every path is valid SVG path data: moves, then at least two relative lines, closed.
    number = r"-?\d+(?:\.\d)?"
    ring = rf"M{number} {number}l{number} {number}(?: {number} {number})+z"
    for view in data["views"].values():
        for shape in view["shapes"]:
            assert re.fullmatch(rf"(?:{ring})+", shape["d"]), shape["name"]
    spain = [s for s in data["views"]["spain"]["shapes"] if s["id"] == "724"]
    assert {s["frame"] for s in spain} == {"peninsula", "canaries"}
