"""Facet values and chart bars named across a relation (a therapy's conditions and
modality) read in the page's language, falling back to English where a name has no
translation (genetx.translation_sync.in_shown_language)."""

import pytest

from tests.factories import make_condition, make_modality, make_therapy

pytestmark = pytest.mark.django_db


@pytest.fixture
def therapy():
    modality = make_modality(name_en="CAR-T cell therapy", name_es="Terapia con células CAR-T")
    translated = make_condition(name_en="Multiple myeloma", name_es="Mieloma múltiple")
    english_only = make_condition(name_en="Rare syndrome", name_es="")
    return make_therapy(modality=modality, conditions=[translated, english_only])


def facet_options(response, param):
    (facet,) = [f for f in response.context["facets"] if f.param == param]
    return [option.label for option in facet.options]


def test_a_spanish_list_names_its_facet_values_in_spanish(client, therapy):
    response = client.get("/es/therapies/")
    assert facet_options(response, "condition") == ["Mieloma múltiple", "Rare syndrome"]
    assert facet_options(response, "modality") == ["Terapia con células CAR-T"]
    page = response.content.decode()
    # The chart of modalities too; the untranslated condition falls back to English.
    assert page.count("Terapia con células CAR-T") >= 3  # row, facet, chart
    assert "CAR-T cell therapy" not in page


def test_an_english_list_keeps_english_names(client, therapy):
    response = client.get("/therapies/")
    assert facet_options(response, "condition") == ["Multiple myeloma", "Rare syndrome"]
    assert facet_options(response, "modality") == ["CAR-T cell therapy"]
    assert "Terapia con células CAR-T" not in response.content.decode()
