"""Multi-select facets: values of one facet combine with OR, facets with AND."""

import pytest
from django.urls import reverse

from genetx.listing import MAX_FACET_VALUES
from tests.factories import (
    make_condition,
    make_institution,
    make_modality,
    make_programme,
    make_source,
    make_therapy,
)
from tests.pages_helpers import HOSTILE_VALUES, assert_no_reflected_markup, has_option

pytestmark = pytest.mark.django_db

THERAPY_LIST = reverse("therapies:therapy-list")


def names(response) -> list[str]:
    return sorted(item.name for item in response.context["object_list"])


@pytest.fixture
def therapies():
    car_t = make_modality(name="CAR-T", slug="car-t")
    aav = make_modality(name="AAV", slug="aav")
    lenti = make_modality(name="Lentiviral", slug="lenti")
    myeloma = make_condition(name="Myeloma", slug="myeloma")
    dmd = make_condition(name="DMD", slug="dmd")
    make_therapy(name="A", modality=car_t, conditions=[myeloma])
    make_therapy(name="B", modality=aav, conditions=[dmd])
    make_therapy(name="C", modality=lenti, conditions=[myeloma])
    make_therapy(name="D", modality=car_t, conditions=[dmd])


def test_values_of_one_facet_combine_with_or(client, therapies):
    response = client.get(THERAPY_LIST + "?modality=car-t&modality=aav")
    assert names(response) == ["A", "B", "D"]


def test_facets_combine_with_and(client, therapies):
    response = client.get(THERAPY_LIST + "?modality=car-t&modality=aav&condition=myeloma")
    assert names(response) == ["A"]


def test_counts_of_a_facet_ignore_its_own_values_but_apply_the_others(client, therapies):
    body = client.get(THERAPY_LIST + "?modality=car-t&condition=myeloma").content.decode()
    # Modality counts apply the condition only: adding AAV would add nothing, lentiviral one.
    assert has_option(body, "car-t", "CAR-T", 1, checked=True)
    assert has_option(body, "lenti", "Lentiviral", 1)
    # Condition counts apply the modality only.
    assert has_option(body, "myeloma", "Myeloma", 1, checked=True)
    assert has_option(body, "dmd", "DMD", 1)


def test_each_chosen_value_is_a_chip_that_removes_only_itself(client, therapies):
    response = client.get(THERAPY_LIST + "?modality=car-t&modality=aav&condition=dmd&page=1")
    chips = {(chip.title, chip.label): chip.remove_url for chip in response.context["chips"]}
    # Parameters come in the page cache's canonical order (genetx.cache): by name, each
    # name's values as chosen.
    assert chips == {
        ("Modality", "CAR-T"): "?condition=dmd&modality=aav",
        ("Modality", "AAV"): "?condition=dmd&modality=car-t",
        ("Condition", "DMD"): "?modality=car-t&modality=aav",
    }
    body = response.content.decode()
    assert 'href="?condition=dmd&amp;modality=aav"' in body
    assert names(client.get(THERAPY_LIST + "?modality=aav&condition=dmd")) == ["B"]


def test_pagination_links_keep_every_chosen_value(client):
    car_t = make_modality(name="CAR-T", slug="car-t")
    aav = make_modality(name="AAV", slug="aav")
    for n in range(25):
        make_therapy(name=f"T{n:02d}", modality=car_t if n % 2 else aav)
    body = client.get(THERAPY_LIST + "?modality=car-t&modality=aav").content.decode()
    assert 'href="?modality=car-t&amp;modality=aav&amp;page=2"' in body


def test_text_facets_take_several_places_case_insensitively(client):
    make_institution(name="Madrid hospital", city="Madrid")
    make_institution(name="Barcelona hospital", city="Barcelona")
    make_institution(name="Sevilla hospital", city="Sevilla")
    response = client.get(reverse("hospitals:institution-list") + "?city=madrid&city=BARCELONA")
    assert names(response) == ["Barcelona hospital", "Madrid hospital"]


def test_therapies_in_several_countries(client):
    for country in ("ES", "FR", "US"):
        make_programme(
            therapy=make_therapy(name=f"In {country}"),
            institution=make_institution(country=country),
        )
    response = client.get(THERAPY_LIST + "?country=ES&country=US")
    assert names(response) == ["In ES", "In US"]


def test_several_years_of_sources(client):
    import datetime

    for year in (2021, 2022, 2023):
        make_source(title=f"From {year}", issued=datetime.date(year, 1, 1))
    response = client.get(reverse("sources:source-list") + "?year=2021&year=2023")
    titles = sorted(source.title for source in response.context["object_list"])
    assert titles == ["From 2021", "From 2023"]


def test_one_bad_value_among_good_ones_is_a_clear_400(client, therapies):
    response = client.get(THERAPY_LIST + "?modality=car-t&modality=nope")
    assert response.status_code == 400
    body = response.content.decode()
    assert "nope is not one of the available choices" in body
    # The values sent stay in the form to correct, one box each.
    assert 'value="car-t"' in body and 'value="nope"' in body


def test_too_many_values_of_one_facet_are_refused(client, therapies):
    query = "&".join(f"region=r{n}" for n in range(MAX_FACET_VALUES + 1))
    response = client.get(f"{THERAPY_LIST}?{query}")
    assert response.status_code == 400
    assert f"Choose at most {MAX_FACET_VALUES} values." in response.content.decode()


@pytest.mark.parametrize(
    "path, query, english, spanish",
    [
        (
            THERAPY_LIST,
            "&".join(f"region=r{n}" for n in range(MAX_FACET_VALUES + 1)),
            f"Choose at most {MAX_FACET_VALUES} values.",
            f"Elija como máximo {MAX_FACET_VALUES} valores.",
        ),
        (
            THERAPY_LIST,
            "region=" + "x" * 121,
            "at most 120 characters",
            "como máximo 120 caracteres",
        ),
        (
            THERAPY_LIST,
            "region=a%00b",
            "Null characters are not allowed.",
            "No se admiten caracteres nulos.",
        ),
        ("/sources/", "year=1066", "Enter years from", "Indique años de"),
    ],
    ids=["too-many", "too-long", "null", "year"],
)
def test_a_refused_filter_value_is_explained_in_the_pages_language(
    client, therapies, path, query, english, spanish
):
    response = client.get(f"/es{path}?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert spanish in body and english not in body


@pytest.mark.parametrize("value", HOSTILE_VALUES)
@pytest.mark.parametrize(
    "path,param",
    [
        ("therapies:therapy-list", "modality"),
        ("therapies:therapy-list", "region"),
        ("therapies:therapy-list", "development"),
        ("therapies:condition-list", "rare"),
        ("hospitals:institution-list", "city"),
        ("sources:source-list", "year"),
        ("sources:claim-list", "measure"),
    ],
)
def test_hostile_values_among_good_ones_never_fail_the_server(client, path, param, value):
    good = {"modality": "car-t", "development": "approved", "rare": "true", "year": "2022"}
    response = client.get(reverse(path), {param: [good.get(param, "Madrid"), value, value]})
    assert response.status_code in {200, 400}
    assert_no_reflected_markup(response)


def test_repeated_value_counts_once(client, therapies):
    response = client.get(THERAPY_LIST + "?modality=car-t&modality=car-t&modality=CAR-T")
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        assert len(response.context["chips"]) == 1
