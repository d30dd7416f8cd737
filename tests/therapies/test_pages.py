"""The therapy and condition lists and detail pages, as readers and staff see them."""

import csv
import datetime
import io
import json

import pytest
from django.urls import reverse

from genetx.models import Status
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_figure,
    make_institution,
    make_modality,
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
from therapies.models import Condition, Therapy

pytestmark = pytest.mark.django_db

THERAPY_LIST = reverse("therapies:therapy-list")
CONDITION_LIST = reverse("therapies:condition-list")
LIST_PARAMS = {
    THERAPY_LIST: [
        "q",
        "modality",
        "condition",
        "category",
        "development",
        "kind",
        "country",
        "region",
        "sort",
        "page",
        "format",
    ],
    CONDITION_LIST: ["q", "category", "rare", "sort", "page", "format"],
}


def test_therapy_list_shows_published_therapies_and_hides_drafts(client):
    make_therapy(name="Published gene therapy")
    make_therapy(name="Secret draft therapy", status=Status.DRAFT)
    body = client.get(THERAPY_LIST).content.decode()
    assert "Published gene therapy" in body
    assert "Secret draft therapy" not in body


def test_therapy_list_counts_each_facet_value(client):
    car_t = make_modality(name="CAR-T", slug="car-t")
    aav = make_modality(name="AAV", slug="aav")
    for _ in range(3):
        make_therapy(modality=car_t)
    make_therapy(modality=aav)
    body = client.get(THERAPY_LIST).content.decode()
    assert has_option(body, "car-t", "CAR-T", 3)
    assert has_option(body, "aav", "AAV", 1)


def test_facet_counts_apply_the_other_filters(client):
    car_t = make_modality(name="CAR-T", slug="car-t")
    make_therapy(modality=car_t, kind="approach")
    make_therapy(modality=car_t, kind="product")
    body = client.get(THERAPY_LIST, {"kind": "approach"}).content.decode()
    assert has_option(body, "car-t", "CAR-T", 1)
    # The kind facet itself still offers the other kind, with its own count.
    assert has_option(body, "product", "Medicine or investigational product", 1)


def test_therapy_list_filters_by_modality_condition_and_country(client):
    car_t = make_modality(name="CAR-T", slug="car-t")
    myeloma = make_condition(name="Multiple myeloma", slug="multiple-myeloma")
    wanted = make_therapy(name="Wanted therapy", modality=car_t, conditions=[myeloma])
    make_therapy(name="Other therapy")
    make_programme(therapy=wanted, institution=make_institution(country="ES"))
    for params in ({"modality": "car-t"}, {"condition": "multiple-myeloma"}, {"country": "ES"}):
        body = client.get(THERAPY_LIST, params).content.decode()
        assert "Wanted therapy" in body, params
        assert "Other therapy" not in body, params


def test_country_filter_ignores_draft_programmes(client):
    therapy = make_therapy(name="Only a draft programme")
    make_programme(therapy=therapy, institution=make_institution(country="FR"), status=Status.DRAFT)
    body = client.get(THERAPY_LIST, {"country": "FR"}).content.decode()
    assert "Only a draft programme" not in body


def test_therapy_list_text_search(client):
    make_therapy(name="Elevidys", inn="delandistrogene moxeparvovec")
    make_therapy(name="Something else")
    body = client.get(THERAPY_LIST, {"q": "moxeparvovec"}).content.decode()
    assert "Elevidys" in body
    assert "Something else" not in body


def test_sort_orders_by_name_or_newest(client):
    make_therapy(name="Alpha", published_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    make_therapy(name="Zeta", published_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    by_name = client.get(THERAPY_LIST, {"sort": "name"}).content.decode()
    assert by_name.index(">Alpha<") < by_name.index(">Zeta<")
    newest = client.get(THERAPY_LIST, {"sort": "newest"}).content.decode()
    assert newest.index(">Zeta<") < newest.index(">Alpha<")


def test_invalid_filter_value_shows_the_form_error_with_400(client):
    make_therapy(name="Still here")
    response = client.get(THERAPY_LIST, {"modality": "no-such-modality"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Some filters could not be used" in body
    assert "Select a valid choice" in body
    assert "clear all filters" in body


def test_pagination_keeps_the_filters(client):
    car_t = make_modality(name="CAR-T", slug="car-t")
    for _ in range(25):
        make_therapy(modality=car_t)
    response = client.get(THERAPY_LIST, {"modality": "car-t"})
    body = response.content.decode()
    assert "page 1 of 2" in body
    assert 'href="?modality=car-t&amp;page=2"' in body
    second = client.get(THERAPY_LIST, {"modality": "car-t", "page": "2"})
    assert second.status_code == 200
    assert second.content.decode().count('class="card"') == 5


@pytest.mark.parametrize("page", ["abc", "0", "3", "-1", "99999999999999999999", "1.5"])
def test_bad_or_out_of_range_page_is_404(client, page):
    make_therapy()
    assert client.get(THERAPY_LIST, {"page": page}).status_code == 404


def test_overlong_search_is_cut_not_refused(client):
    make_therapy(name="x" * 10)
    response = client.get(THERAPY_LIST, {"q": "x" * 5000})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="' + "x" * 200 + '"' in body
    # The language switcher links to the same request in Spanish, query string and all.
    switcher = body.index('<nav class="language-switcher"')
    body = body[:switcher] + body[body.index("</nav>", switcher) :]
    assert "x" * 201 not in body


def test_empty_state_tells_the_reader_to_clear_filters(client):
    make_therapy(name="Unrelated")
    body = client.get(THERAPY_LIST, {"q": "nothing matches this"}).content.decode()
    assert "No therapies match" in body
    assert f'<a href="{THERAPY_LIST}">clear all filters</a>' in body


@pytest.mark.parametrize("url", list(LIST_PARAMS))
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_query_strings_never_give_500_or_reflect_markup(client, url, value):
    make_therapy(conditions=[make_condition()])
    for param in LIST_PARAMS[url]:
        response = client.get(url, {param: value})
        assert response.status_code in {200, 400, 404}, (param, value)
        assert_no_reflected_markup(response)


def test_csv_export_has_published_rows_only_and_defeats_formulas(client):
    make_therapy(name='=HYPERLINK("http://evil")', slug="formula")
    make_therapy(name="Plain therapy", slug="plain")
    make_therapy(name="Draft therapy", status=Status.DRAFT)
    response = client.get(THERAPY_LIST, {"format": "csv", "sort": "name"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    names = {row["name"] for row in rows}
    assert names == {'\'=HYPERLINK("http://evil")', "Plain therapy"}
    assert all(row["url"].startswith("http://testserver/therapies/") for row in rows)


def test_json_export_follows_the_filters(client):
    car_t = make_modality(name="CAR-T", slug="car-t")
    make_therapy(name="CAR-T product", modality=car_t)
    make_therapy(name="Other")
    make_therapy(name="Draft CAR-T", modality=car_t, status=Status.DRAFT)
    data = json.loads(client.get(THERAPY_LIST, {"format": "json", "modality": "car-t"}).getvalue())
    assert data["count"] == 1
    assert [row["name"] for row in data["results"]] == ["CAR-T product"]
    assert data["results"][0]["modality"] == "CAR-T"


def test_therapy_detail_shows_what_a_reader_needs(client):
    modality = make_modality(name="AAV gene addition", slug="aav")
    dmd = make_condition(name="Duchenne muscular dystrophy")
    hidden = make_condition(name="Hidden draft condition", status=Status.DRAFT)
    therapy = make_therapy(
        name="Elevidys",
        inn="delandistrogene moxeparvovec",
        brand_name="Elevidys",
        code="SRP-9001",
        development_status="approved",
        modality=modality,
        conditions=[dmd, hidden],
    )
    fda = make_institution(name="U.S. Food and Drug Administration", kind="regulator")
    press = make_source(title="FDA approves the first gene therapy for DMD")
    make_decision(therapy=therapy, agency=fda, source=press, kind="accelerated_approval")
    sjd = make_institution(name="Sant Joan de Déu Hospital")
    make_programme(therapy=therapy, institution=sjd, role="develops", since=2019)
    body = client.get(therapy.get_absolute_url()).content.decode()
    for text in (
        "Elevidys",
        "delandistrogene moxeparvovec",
        "SRP-9001",
        "Approved",
        "AAV gene addition",
        "Duchenne muscular dystrophy",
        "accelerated approval",
        "Sant Joan de Déu Hospital",
        "develops",
        "since 2019",
    ):
        assert text in body, text
    assert "Hidden draft condition" not in body
    assert f'href="{fda.get_absolute_url()}"' in body
    assert f'href="{dmd.get_absolute_url()}"' in body
    # The decision's source is reference [1].
    assert marker_targets(body) == ["ref-1"]
    assert 'id="ref-1"' in body and "FDA approves the first gene therapy for DMD" in body


def test_claim_markers_number_each_source_once_in_order_of_first_citation(client):
    therapy = make_therapy()
    first, second = make_source(title="First source"), make_source(title="Second source")
    make_claim(
        therapy=therapy,
        sources=[first, second],
        event_date=datetime.date(2024, 1, 1),
        event_date_precision="day",
    )
    make_claim(
        therapy=therapy,
        sources=[second],
        event_date=datetime.date(2020, 1, 1),
        event_date_precision="day",
    )
    body = client.get(therapy.get_absolute_url()).content.decode()
    assert marker_targets(body) == ["ref-1", "ref-2", "ref-2"]
    assert body.count('<li id="ref-') == 2
    assert body.index("First source") < body.index("Second source", body.index('id="ref-1"'))
    # Each reference links back to every marker citing it.
    assert 'href="#cite-2-1"' in body and 'href="#cite-2-2"' in body
    assert 'id="cite-2-2"' in body


def test_flagged_claim_says_so_with_the_note(client):
    therapy = make_therapy()
    make_claim(
        therapy=therapy,
        statement="An odd venue for this claim.",
        review_status="needs_review",
        review_note="The journal is about cardiology.",
    )
    body = client.get(therapy.get_absolute_url()).content.decode()
    assert "claim-flagged" in body
    assert "Needs review:" in body
    assert "The journal is about cardiology." in body


def test_superseded_figure_shows_the_newer_one_and_keeps_the_old_as_history(client):
    therapy = make_therapy()
    newer = make_figure(
        value=3000,
        therapy=therapy,
        measure="requests",
        as_of=datetime.date(2024, 1, 1),
        as_of_precision="year",
    )
    make_figure(
        value=1859,
        therapy=therapy,
        measure="requests",
        superseded_by=newer,
        review_status="superseded",
        qualifier="more_than",
        as_of=datetime.date(2023, 1, 1),
        as_of_precision="year",
    )
    body = client.get(therapy.get_absolute_url()).content.decode()
    assert "3,000" in body and "Figure as of 2024." in body
    history = body[body.index("Earlier figures") :]
    assert "more than 1,859" in history
    assert body.index("3,000") < body.index("more than 1,859")


def test_draft_therapy_is_404_for_readers_and_staff_without_permission(client):
    draft = make_therapy(status=Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(make_user(is_staff=True))
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_staff_with_change_permission_preview_a_draft_with_a_banner(client):
    draft = make_therapy(name="Work in progress", status=Status.DRAFT)
    client.force_login(staff_with_change_permission(Therapy))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert response.context["is_preview"] is True
    body = response.content.decode()
    assert "Draft — not public" in body
    assert '<meta name="robots" content="noindex">' in body
    assert "no-store" in response["Cache-Control"]


def test_published_therapy_has_no_preview_banner_even_for_staff(client):
    therapy = make_therapy()
    client.force_login(staff_with_change_permission(Therapy))
    assert "Draft — not public" not in client.get(therapy.get_absolute_url()).content.decode()


def test_therapy_json_ld_escapes_markup(client):
    therapy = make_therapy(name="</script><script>alert(1)</script>", kind="approach")
    response = client.get(therapy.get_absolute_url())
    body = response.content.decode()
    assert_no_reflected_markup(response)
    assert '"@type": "MedicalTherapy"' in body
    assert "\\u003C/script\\u003E" in body
    assert f'<link rel="canonical" href="http://testserver{therapy.get_absolute_url()}">' in body
    assert '<meta property="og:title"' in body


def test_condition_list_filters_by_category_and_rare(client):
    make_condition(name="Rare genetic", category="genetic", is_rare=True)
    make_condition(name="Common cancer", category="haematological_cancer", is_rare=False)
    body = client.get(CONDITION_LIST, {"rare": "true"}).content.decode()
    assert "Rare genetic" in body and "Common cancer" not in body
    body = client.get(CONDITION_LIST, {"category": "haematological_cancer"}).content.decode()
    assert "Common cancer" in body and "Rare genetic" not in body
    assert has_option(body, "haematological_cancer", "Haematological cancer", 1, checked=True)
    assert client.get(CONDITION_LIST, {"rare": "maybe"}).status_code == 400


def test_condition_detail_links_identifiers_family_therapies_institutions_and_claims(client):
    haemophilia = make_condition(name="Haemophilia", slug="haemophilia")
    haemophilia_a = make_condition(
        name="Haemophilia A", parent=haemophilia, orpha_code="ORPHA:98878", icd10_code="D66"
    )
    therapy = make_therapy(name="Factor gene therapy", conditions=[haemophilia_a])
    la_paz = make_institution(name="La Paz University Hospital")
    make_programme(therapy=therapy, institution=la_paz, role="implements")
    make_claim(condition=haemophilia, statement="Results are promising.")
    body = client.get(haemophilia.get_absolute_url()).content.decode()
    assert f'href="{haemophilia_a.get_absolute_url()}"' in body
    assert f'href="{therapy.get_absolute_url()}"' in body
    assert f'href="{la_paz.get_absolute_url()}"' in body
    assert "Results are promising." in body and marker_targets(body) == ["ref-1"]
    child = client.get(haemophilia_a.get_absolute_url()).content.decode()
    assert 'href="https://www.orpha.net/en/disease/detail/98878"' in child
    assert "D66" in child
    assert f'href="{haemophilia.get_absolute_url()}"' in child
    assert '"@type": "MedicalCondition"' in child


def test_draft_condition_is_404_and_previewable_by_staff(client):
    draft = make_condition(status=Status.REVIEW)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(staff_with_change_permission(Condition))
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "Draft — not public" in response.content.decode()


def test_draft_sources_and_agencies_stay_out_of_references(client):
    therapy = make_therapy()
    public = make_source(title="Public source")
    draft = make_source(title="Unpublished source", status=Status.DRAFT)
    make_claim(therapy=therapy, sources=[public, draft])
    make_decision(
        therapy=therapy, source=make_source(title="Draft press release", status=Status.DRAFT)
    )
    make_decision(
        therapy=therapy, agency=make_institution(name="Draft agency", status=Status.DRAFT)
    )
    body = client.get(therapy.get_absolute_url()).content.decode()
    assert "Public source" in body
    for hidden in ("Unpublished source", "Draft press release", "Draft agency"):
        assert hidden not in body, hidden
    assert marker_targets(body) == ["ref-1"]


def test_facet_lists_the_most_frequent_values_and_keeps_the_selected_one(client, monkeypatch):
    from therapies.filters import TherapyFilter

    condition_facet = next(f for f in TherapyFilter.facets if f.param == "condition")
    monkeypatch.setattr(condition_facet, "limit", 2)
    common = make_condition(name="Common condition", slug="common")
    frequent = make_condition(name="Frequent condition", slug="frequent")
    rare = make_condition(name="Rare condition", slug="rare")
    for _ in range(3):
        make_therapy(conditions=[common])
    for _ in range(2):
        make_therapy(conditions=[frequent])
    make_therapy(name="The rare one", conditions=[rare])

    unfiltered = client.get(THERAPY_LIST).content.decode()
    assert has_option(unfiltered, "common", "Common condition", 3)
    assert has_option(unfiltered, "frequent", "Frequent condition", 2)
    assert 'value="rare"' not in unfiltered

    response = client.get(THERAPY_LIST, {"condition": "rare", "page": "1"})
    body = response.content.decode()
    assert has_option(body, "rare", "Rare condition", 1, checked=True)
    assert has_option(body, "common", "Common condition", 3)
    assert [therapy.name for therapy in response.context["object_list"]] == ["The rare one"]


def test_selected_country_outside_the_facet_limit_keeps_its_count(client, monkeypatch):
    from therapies.filters import TherapyFilter

    country_facet = next(f for f in TherapyFilter.facets if f.param == "country")
    monkeypatch.setattr(country_facet, "limit", 1)
    for _ in range(2):
        make_programme(therapy=make_therapy(), institution=make_institution(country="ES"))
    make_programme(therapy=make_therapy(), institution=make_institution(country="FR"))
    response = client.get(THERAPY_LIST, {"country": "FR"})
    (facet,) = [f for f in response.context["facets"] if f.param == "country"]
    # Listed by the names readers see, France before Spain.
    assert [(o.value, o.label, o.count) for o in facet.options] == [
        ("FR", "France", 1),
        ("ES", "Spain", 2),
    ]
