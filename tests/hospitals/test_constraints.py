"""The database and validation refuse bad institutions and programmes."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from hospitals.models import Institution
from tests.factories import make_institution, make_programme

pytestmark = pytest.mark.django_db


def institution_errors(**fields) -> dict[str, list[str]]:
    institution = Institution(name="Test", slug="test", kind="hospital", **fields)
    with pytest.raises(ValidationError) as caught:
        institution.full_clean()
    return caught.value.message_dict


@pytest.mark.parametrize(
    "ror_id", ["https://ror.org/05mc5tw50", "5mc5tw50", "05MC5TW50", "05mc5tw5", "05mc5iw50"]
)
def test_a_malformed_ror_id_gets_a_message_an_editor_understands(ror_id):
    assert (
        "Write a ROR id as its nine characters, for example 05mc5tw50 (without https://ror.org/)."
        in institution_errors(ror_id=ror_id)["ror_id"]
    )


@pytest.mark.parametrize("country", ["es", "ESP", "Spain"])
def test_a_malformed_country_gets_a_message_an_editor_understands(country):
    assert "two-letter ISO 3166 country code" in institution_errors(country=country)["country"][0]


def test_a_well_formed_institution_passes():
    Institution(
        name="Fine", slug="fine", kind="hospital", country="ES", ror_id="05mc5tw50"
    ).full_clean()


def test_a_ror_id_belongs_to_one_institution():
    make_institution(ror_id="05mc5tw50")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_institution(ror_id="05mc5tw50")


@pytest.mark.parametrize(
    "coordinates",
    [
        {"latitude": 91, "longitude": 0},
        {"latitude": 0, "longitude": -181},
        {"latitude": 40.4},
    ],
)
def test_coordinates_out_of_range_or_half_given_are_refused(coordinates):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_institution(**coordinates)


def test_an_unknown_institution_kind_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_institution(kind="club")


def test_an_institution_has_one_programme_per_therapy_and_role():
    programme = make_programme(role="develops")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_programme(
            institution=programme.institution, therapy=programme.therapy, role="develops"
        )
    other = make_programme(
        institution=programme.institution, therapy=programme.therapy, role="trial_site"
    )
    assert other.pk != programme.pk


@pytest.mark.parametrize("since", [1949, 2101])
def test_a_programme_start_year_out_of_range_is_refused(since):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_programme(since=since)


def test_an_unknown_programme_role_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_programme(role="sponsors")
