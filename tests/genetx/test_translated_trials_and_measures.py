"""Trial titles and summaries and claims' measure names in English and Spanish: shown in
the page's language, falling back to English marked lang="en", edited side by side in the
admin and found by an editor's Spanish search term."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from tests.factories import make_figure, make_therapy, make_trial, make_user
from therapies.models import Trial

pytestmark = pytest.mark.django_db

TITLE = "[Single-arm pilot study of a therapy]"
TITLE_ES = "[Estudio piloto de un solo brazo de una terapia]"


def page(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_a_trial_shows_its_spanish_title_and_summary_on_spanish_pages(client):
    trial = make_trial(slug="pilot", acronym="PILOT", title=TITLE, summary="English summary.")
    trial.title_es = TITLE_ES
    trial.summary_es = "Resumen en español."
    trial.save()
    spanish = page(client, "/es/trials/pilot/")
    assert f'<p class="lede">{TITLE_ES}</p>' in spanish
    assert "<p>Resumen en español.</p>" in spanish
    assert TITLE not in spanish
    english = page(client, "/trials/pilot/")
    assert f'<p class="lede">{TITLE}</p>' in english and TITLE_ES not in english
    listing = page(client, "/es/trials/")
    assert f"<p>{TITLE_ES}</p>" in listing


def test_a_trial_without_spanish_falls_back_to_english_marked_lang_en(client):
    make_trial(slug="untranslated", acronym="", title=TITLE, summary="English summary.")
    spanish = page(client, "/es/trials/untranslated/")
    # Without an acronym the title is the page's heading.
    assert f'<h1 lang="en">{TITLE}</h1>' in spanish
    assert '<p lang="en">English summary.</p>' in spanish
    listing = page(client, "/es/trials/")
    assert f'<h2 lang="en"><a href="/es/trials/untranslated/">{TITLE}</a></h2>' in listing
    # English pages never mark their own language.
    assert 'lang="en"' not in page(client, "/trials/untranslated/").split("<main", 1)[1]


def test_the_trial_title_column_keeps_the_english_text():
    trial = make_trial(slug="kept", title=TITLE)
    with translation.override("es"):
        trial.title = TITLE_ES
        trial.save()
    row = Trial.objects.rewrite(False).values("title", "title_en", "title_es").get()
    assert row == {"title": TITLE, "title_en": TITLE, "title_es": TITLE_ES}


MEASURE = "Requests for CAR-T treatment by Spanish hospitals since 2018"
MEASURE_ES = "Solicitudes de tratamiento CAR-T de hospitales españoles desde 2018"


def test_a_measure_name_shows_in_spanish_and_in_the_spanish_facet(client):
    claim = make_figure(value=1859, slug="requests", measure="requests", measure_name=MEASURE)
    claim.measure_name_es = MEASURE_ES
    claim.save()
    detail = page(client, "/es/claims/requests/")
    assert f'?measure=requests">{MEASURE_ES}</a>' in detail
    response = client.get("/es/claims/")
    assert f"medida: {MEASURE_ES}" in response.content.decode()
    facet = next(f for f in response.context["facets"] if f.param == "measure")
    assert [(o.value, o.label) for o in facet.options] == [("requests", MEASURE_ES)]
    assert f'?measure=requests">{MEASURE}</a>' in page(client, "/claims/requests/")


def test_an_untranslated_measure_name_is_marked_english_not_its_spanish_sentence(client):
    make_figure(value=3, slug="untranslated", measure="m", measure_name=MEASURE)
    detail = page(client, "/es/claims/untranslated/")
    assert f'?measure=m" lang="en">{MEASURE}</a>' in detail
    listing = page(client, "/es/claims/")
    # "medida:" is the Spanish interface; only the measure's name is English.
    assert f'medida: <span lang="en">{MEASURE}</span>' in listing


def test_a_measure_has_one_spanish_name_too():
    first = make_figure(value=1, measure="requests", measure_name=MEASURE)
    first.measure_name_es = MEASURE_ES
    first.save()
    newer = make_figure(value=2, measure="requests", measure_name=MEASURE)
    newer.measure_name_es = "Otro nombre"
    with pytest.raises(ValidationError) as error:
        newer.full_clean()
    assert MEASURE_ES in error.value.message_dict["measure_name_es"][0]
    newer.measure_name_es = MEASURE_ES
    newer.full_clean()


# The admin ----------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    return client


def test_editors_see_the_spanish_title_and_measure_name_beside_the_english(staff_client):
    trial = make_trial(slug="pilot", title=TITLE)
    form = page(staff_client, reverse("admin:therapies_trial_change", args=[trial.pk]))
    assert form.index('name="title"') < form.index('name="title_es"')
    assert form.index('name="summary"') < form.index('name="summary_es"')
    assert 'name="title_en"' not in form
    claim = make_figure(value=1, measure="requests", measure_name=MEASURE)
    form = page(staff_client, reverse("admin:sources_claim_change", args=[claim.pk]))
    assert form.index('name="measure_name"') < form.index('name="measure_name_es"')
    assert 'name="measure_name_en"' not in form


def changelist(client, model: str, term: str) -> list[str]:
    response = client.get(reverse(f"admin:{model}_changelist"), {"q": term})
    assert response.status_code == 200
    return [str(obj) for obj in response.context["cl"].result_list]


def test_a_spanish_term_typed_in_the_admin_finds_the_record(staff_client):
    trial = make_trial(slug="pilot", acronym="PILOT", title=TITLE)
    trial.title_es = TITLE_ES
    trial.save()
    make_trial(slug="other", acronym="OTHER", title="Something else")
    assert changelist(staff_client, "therapies_trial", "estudio piloto") == [str(trial)]
    therapy = make_therapy(name="Gene therapy for haemophilia", slug="haemophilia")
    therapy.name_es = "Terapia génica para la hemofilia"
    therapy.save()
    assert changelist(staff_client, "therapies_therapy", "hemofilia") == [str(therapy)]
    claim = make_figure(value=1, slug="requests", measure="requests", measure_name=MEASURE)
    claim.measure_name_es = MEASURE_ES
    claim.statement_es = "Desde 2018, más de 1.859 solicitudes."
    claim.save()
    assert changelist(staff_client, "sources_claim", "hospitales españoles") == [str(claim)]
    assert changelist(staff_client, "sources_claim", "1.859 solicitudes") == [str(claim)]
    # English still finds it, and a term in neither language finds nothing.
    assert changelist(staff_client, "sources_claim", "Spanish hospitals") == [str(claim)]
    assert changelist(staff_client, "sources_claim", "ninguna parte") == []
    # An admin in Spanish finds the record by either language's words too.
    staff_client.cookies["django_language"] = "es"
    assert changelist(staff_client, "therapies_therapy", "haemophilia") == [str(therapy)]
    assert changelist(staff_client, "therapies_therapy", "hemofilia") == [str(therapy)]
    assert changelist(staff_client, "therapies_trial", "pilot study") == [str(trial)]


def test_the_admin_autocomplete_finds_a_record_by_its_spanish_name(staff_client):
    therapy = make_therapy(name="Gene therapy for haemophilia", slug="haemophilia")
    therapy.name_es = "Terapia génica para la hemofilia"
    therapy.save()
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "hemofilia",
            "app_label": "therapies",
            "model_name": "trial",
            "field_name": "therapies",
        },
    )
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(therapy.pk)]


def test_every_admin_search_over_a_translated_field_covers_spanish(rf):
    """No admin's search is English-only where the record has Spanish text."""
    from django.contrib import admin

    from genetx.translation_sync import translated_fields

    request = rf.get("/")
    checked = 0
    for model, model_admin in admin.site._registry.items():
        fields = model_admin.get_search_fields(request)
        for term in fields:
            name = term.lstrip("^=@").split("__")[-1]
            target = model
            for part in term.lstrip("^=@").split("__")[:-1]:
                target = target._meta.get_field(part).related_model
            if name in translated_fields(target):
                # Both columns: the admin may be in either language (its lookups on `name`
                # read the active language's column only).
                assert term + "_es" in fields and term + "_en" in fields, (model, term)
                checked += 1
    assert checked >= 10


def test_a_misspelt_spanish_name_is_found_like_a_misspelt_english_one(client):
    """Typo tolerance reads the Spanish names too (trigram indexes on PostgreSQL)."""
    from tests.factories import make_condition

    condition = make_condition(name="Duchenne muscular dystrophy", slug="dmd")
    condition.name_es = "Distrofia muscular de Duchenne"
    condition.save()
    make_condition(name="Haemophilia", slug="haemophilia")
    for path in ("/search/", "/es/search/"):
        response = client.get(path, {"q": "distrofja"})
        titles = [hit.title for group in response.context["groups"] for hit in group["hits"]]
        assert len(titles) == 1, (path, titles)


def test_a_trial_is_found_by_a_word_of_its_spanish_title(client):
    trial = make_trial(slug="embark", acronym="EMBARK", title="[Confirmatory phase 3 trial]")
    trial.title_es = "[Ensayo confirmatorio de fase 3]"
    trial.save()
    make_trial(slug="other", acronym="OTHER", title="Something else")
    for path in ("/search/", "/es/search/"):
        response = client.get(path, {"q": "confirmatorio"})
        titles = [hit.title for group in response.context["groups"] for hit in group["hits"]]
        assert len(titles) == 1 and "EMBARK" in titles[0], (path, titles)
