"""An institution's place line and country name, in the reader's language."""

from django.utils import translation

from hospitals import models
from hospitals.models import Institution, country_name, format_place


def test_a_country_is_named_in_the_active_language():
    assert country_name("ES") == "Spain"
    with translation.override("es"):
        assert country_name("ES") == "España"
        assert format_place("Barcelona", "Cataluña", "ES") == "Barcelona, Cataluña, España"
    assert country_name("ES") == "Spain"


def test_an_unknown_or_missing_code_is_shown_as_it_is():
    assert country_name("") == ""
    assert country_name("XX") == "XX"
    assert Institution(city="Madrid", region="", country="").place == "Madrid"


def test_a_name_is_looked_up_once_per_code_and_language():
    # django-countries finds and translates the name on each call: a condition page
    # listing 100 programmes asked 200 times (their place, tested then shown).
    models._country_name.cache_clear()
    for _ in range(200):
        country_name("FR")
    with translation.override("es"):
        assert country_name("FR") == "Francia"
    info = models._country_name.cache_info()
    assert (info.misses, info.hits) == (2, 199)
