"""Every admin changelist, add and change page renders for each role; anonymous users log in."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import make_claim, make_condition, make_decision, make_programme, make_source

pytestmark = pytest.mark.django_db

MODELS = [
    "therapies.modality",
    "therapies.condition",
    "therapies.therapy",
    "therapies.regulatorydecision",
    "hospitals.institution",
    "hospitals.programme",
    "sources.source",
    "sources.author",
    "sources.claim",
    "sources.citation",
]


@pytest.fixture
def records():
    """One saved record of every content model, keyed by "app.model"."""
    decision = make_decision()
    source = make_source(authors=[("Catalá", "E."), ("Iacoboni", "G.")])
    claim = make_claim(sources=[source], therapy=decision.therapy)
    programme = make_programme(therapy=decision.therapy)
    return {
        "therapies.modality": decision.therapy.modality,
        "therapies.condition": make_condition(),
        "therapies.therapy": decision.therapy,
        "therapies.regulatorydecision": decision,
        "hospitals.institution": programme.institution,
        "hospitals.programme": programme,
        "sources.source": source,
        "sources.author": source.authors.first(),
        "sources.claim": claim,
        "sources.citation": claim.citations.first(),
    }


def admin_urls(model: str, obj) -> list[str]:
    app_label, model_name = model.split(".")
    prefix = f"admin:{app_label}_{model_name}"
    return [
        reverse(f"{prefix}_changelist"),
        reverse(f"{prefix}_add"),
        reverse(f"{prefix}_change", args=[obj.pk]),
        reverse(f"{prefix}_history", args=[obj.pk]),
    ]


@pytest.fixture(params=["superuser", "editor", "publisher"])
def staff(request, roles):
    if request.param == "superuser":
        return get_user_model().objects.create_superuser("root", password="pw-root")
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("model", MODELS)
def test_admin_pages_render_for_every_role(client, staff, records, model):
    client.force_login(staff)
    for url in admin_urls(model, records[model]):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


@pytest.mark.parametrize("model", MODELS)
def test_anonymous_user_is_sent_to_login(client, records, model):
    for url in admin_urls(model, records[model]):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_changelist_search_and_filters_render(admin_client, records):
    urls = [
        reverse("admin:sources_claim_changelist") + "?flag=open",
        reverse("admin:sources_source_changelist") + "?q=Catal%C3%A1",
        reverse("admin:therapies_therapy_changelist") + "?status__exact=draft",
        reverse("admin:hospitals_institution_changelist") + "?country=ES",
        reverse("admin:therapies_regulatorydecision_changelist") + "?date__year=2023",
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 200, url


def test_source_autocomplete_answers_with_author_year_labels(admin_client, records):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "sources",
            "model_name": "citation",
            "field_name": "source",
            "term": "Catal",
        },
    )
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Catalá & Iacoboni (2022)"]
