"""The institution list and detail pages."""

import csv
import io
import json

import pytest
from django.urls import reverse

from genetx.models import Status
from hospitals.models import Institution
from tests.factories import (
    make_claim,
    make_decision,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
    make_user,
)
from tests.pages_helpers import (
    HOSTILE_VALUES,
    assert_no_reflected_markup,
    has_option,
    marker_targets,
    staff_with_change_permission,
)

pytestmark = pytest.mark.django_db

INSTITUTION_LIST = reverse("hospitals:institution-list")
PARAMS = ["q", "kind", "region", "city", "therapy", "sort", "page", "format"]


def test_institution_list_shows_published_with_counts_per_kind_and_city(client):
    make_institution(name="La Paz University Hospital", city="Madrid")
    make_institution(
        name="Sant Joan de Déu", kind="childrens_hospital", city="Barcelona", region="Catalonia"
    )
    make_institution(name="Draft hospital", status=Status.DRAFT, city="Sevilla")
    body = client.get(INSTITUTION_LIST).content.decode()
    assert "La Paz University Hospital" in body and "Sant Joan de Déu" in body
    assert "Draft hospital" not in body and "Sevilla" not in body
    assert has_option(body, "Barcelona", "Barcelona", 1)
    assert has_option(body, "childrens_hospital", "Children&#x27;s hospital", 1)


def test_institution_list_filters_by_region_city_kind_and_therapy(client):
    car_t = make_therapy(name="CAR-T", slug="car-t")
    clinic = make_institution(name="Hospital Clínic", city="Barcelona", region="Catalonia")
    make_programme(institution=clinic, therapy=car_t, role="develops")
    make_institution(name="La Paz", city="Madrid", kind="childrens_hospital")
    for params in (
        {"region": "Catalonia"},
        {"city": "barcelona"},
        {"therapy": "car-t"},
        {"kind": "hospital"},
    ):
        body = client.get(INSTITUTION_LIST, params).content.decode()
        assert "Hospital Clínic" in body, params
        assert "La Paz" not in body, params


def test_unknown_therapy_filter_is_a_form_error(client):
    response = client.get(INSTITUTION_LIST, {"therapy": "no-such-therapy"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_query_strings_never_give_500_or_reflect_markup(client, value):
    make_institution()
    for param in PARAMS:
        response = client.get(INSTITUTION_LIST, {param: value})
        assert response.status_code in {200, 400, 404}, (param, value)
        assert_no_reflected_markup(response)


def test_csv_export_has_published_rows_only(client):
    make_institution(name="@SUM(A1)", slug="at-sum")
    make_institution(name="Draft institution", status=Status.DRAFT)
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(INSTITUTION_LIST, {"format": "csv"}).getvalue().decode())
        )
    )
    assert [row["name"] for row in rows] == ["'@SUM(A1)"]


def test_json_export(client):
    make_institution(name="La Paz", city="Madrid")
    data = json.loads(client.get(INSTITUTION_LIST, {"format": "json"}).getvalue())
    assert data["results"][0]["city"] == "Madrid"


def test_institution_detail_shows_place_programmes_decisions_and_claims(client):
    fda = make_institution(
        name="U.S. Food and Drug Administration",
        kind="regulator",
        city="Silver Spring",
        region="Maryland",
        country="US",
        website="https://www.fda.gov/",
    )
    therapy = make_therapy(name="Elevidys")
    draft_therapy = make_therapy(name="Draft therapy", status=Status.DRAFT)
    make_decision(
        agency=fda,
        therapy=therapy,
        kind="accelerated_approval",
        source=make_source(title="FDA press announcement"),
    )
    make_decision(agency=fda, therapy=draft_therapy)
    make_programme(institution=fda, therapy=therapy, role="authorises")
    make_claim(institution=fda, statement="The FDA approved the first DMD gene therapy.")
    response = client.get(fda.get_absolute_url())
    body = response.content.decode()
    assert "Silver Spring, Maryland, United States of America" in body
    assert "Authorises treatment requests" in body
    assert f'href="{therapy.get_absolute_url()}"' in body
    assert "Draft therapy" not in body
    assert "accelerated approval of" in body
    assert "The FDA approved the first DMD gene therapy." in body
    assert marker_targets(body) == ["ref-1", "ref-2"]
    assert "FDA press announcement" in body
    assert '"@type": "GovernmentOrganization"' in body


def test_hospital_json_ld_type_and_programme_claims(client):
    la_paz = make_institution(name="La Paz", kind="hospital")
    programme = make_programme(institution=la_paz)
    make_claim(programme=programme, statement="La Paz implemented the therapy.")
    body = client.get(la_paz.get_absolute_url()).content.decode()
    assert '"@type": "Hospital"' in body
    assert "La Paz implemented the therapy." in body


def test_draft_institution_is_404_for_readers_and_previewable_by_staff(client):
    draft = make_institution(status=Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(make_user(is_staff=True))
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(staff_with_change_permission(Institution))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Draft — not public" in response.content.decode()


def test_institution_page_lists_the_first_programmes_and_says_how_many(client, settings):
    from hospitals.views import InstitutionDetailView

    hospital = make_institution(latitude=40.4, longitude=-3.7)
    for role in ("develops", "develops", "trial_site", "treats"):
        make_programme(institution=hospital, role=role)
    limit = InstitutionDetailView.programme_limit
    InstitutionDetailView.programme_limit = 2
    try:
        html = client.get(hospital.get_absolute_url()).content.decode()
    finally:
        InstitutionDetailView.programme_limit = limit
    assert "4 published programmes; the first 2 are listed." in html
    assert html.count('id="programme-') == 2
    # The map's list still names every role, not only the listed programmes'.
    assert ": develops, treats patients, trial site</li>" in html
