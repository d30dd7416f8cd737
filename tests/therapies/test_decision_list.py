"""The regulatory decisions list: one queryset rule and one filter set, shared with the API."""

import datetime

import pytest
from django.urls import reverse

from genetx.models import Status
from tests.factories import make_decision, make_institution, make_source, make_therapy
from tests.pages_helpers import HOSTILE_VALUES, assert_no_reflected_markup, has_option

pytestmark = pytest.mark.django_db

DECISIONS = reverse("therapies:decision-list")


def world():
    fda = make_institution(name="FDA", slug="fda", kind="regulator", country="US")
    ema = make_institution(name="EMA", slug="ema", kind="regulator", country="")
    elevidys = make_therapy(name="Elevidys", slug="elevidys")
    other = make_therapy(name="Other", slug="other")
    make_decision(
        therapy=elevidys, agency=fda, kind="accelerated_approval", date=datetime.date(2023, 6, 22)
    )
    make_decision(therapy=other, agency=ema, kind="approval", date=datetime.date(2024, 1, 5))
    make_decision(therapy=other, agency=fda, kind="designation", date=datetime.date(2022, 3, 1))
    # Not shown: a draft therapy's decision, and a draft agency's.
    draft = make_therapy(name="Draft therapy", status=Status.DRAFT, published_at=None)
    make_decision(therapy=draft, agency=fda, indication="Secret indication")
    hidden_agency = make_institution(name="Hidden agency", status=Status.DRAFT, published_at=None)
    make_decision(therapy=elevidys, agency=hidden_agency, date=datetime.date(2021, 1, 1))
    return fda, ema, elevidys, other


def names(response) -> list[tuple[str, str]]:
    return [(d.therapy.slug, d.kind) for d in response.context["object_list"]]


def test_decision_list_shows_published_decisions_newest_first_with_facets(client):
    world()
    response = client.get(DECISIONS)
    body = response.content.decode()
    assert names(response) == [
        ("other", "approval"),
        ("elevidys", "accelerated_approval"),
        ("other", "designation"),
    ]
    assert "Draft therapy" not in body and "Secret indication" not in body
    assert "Hidden agency" not in body
    assert has_option(body, "fda", "FDA", 2)
    assert has_option(body, "ema", "EMA", 1)
    assert has_option(body, "2023", "2023", 1)
    assert has_option(body, "approval", "Approval", 1)
    assert has_option(body, "elevidys", "Elevidys", 1)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"agency": "fda"}, [("elevidys", "accelerated_approval"), ("other", "designation")]),
        ({"kind": ["approval", "designation"]}, [("other", "approval"), ("other", "designation")]),
        ({"year": "2023"}, [("elevidys", "accelerated_approval")]),
        ({"therapy": "other", "sort": "oldest"}, [("other", "designation"), ("other", "approval")]),
    ],
)
def test_decision_list_and_api_filter_alike(client, params, expected):
    world()
    assert names(client.get(DECISIONS, params)) == expected
    api = client.get(reverse("api:decisions"), params).json()["results"]
    assert [(row["therapy"]["slug"], row["kind"]) for row in api] == expected


def test_a_decision_cites_its_source_only_when_published(client):
    fda = make_institution(kind="regulator")
    make_decision(agency=fda, source=make_source(title="Press announcement"))
    make_decision(
        agency=fda,
        kind="designation",
        source=make_source(title="Unpublished memo", status=Status.DRAFT, published_at=None),
    )
    body = client.get(DECISIONS).content.decode()
    assert "Press announcement" in body and "Unpublished memo" not in body


@pytest.mark.parametrize("param", ["agency", "kind", "year", "therapy", "sort"])
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_bad_decision_filters_answer_without_a_500_or_markup(client, param, value):
    make_decision()
    response = client.get(DECISIONS, {param: value})
    assert response.status_code in (200, 400)
    assert_no_reflected_markup(response)


@pytest.mark.parametrize("size", [2, 20])
def test_decision_list_query_count_does_not_grow(client, django_assert_num_queries, size):
    agency = make_institution(kind="regulator")
    for number in range(size):
        make_decision(
            agency=agency,
            source=make_source(authors=[("Author", "A."), ("Other", "B.")]),
            date=datetime.date(2000, 1, 1) + datetime.timedelta(days=number),
        )
    # Count, page of decisions with therapy, agency and source, the sources' authors, then
    # one aggregate per facet (4).
    with django_assert_num_queries(7):
        assert client.get(DECISIONS, {"kind": "approval"}).status_code == 200


def test_decisions_of_one_day_each_appear_on_exactly_one_page(client):
    # 25 decisions of the same day over two pages of 20: ordered by date alone, the rows
    # that tie could be read in a different order for page 2 than for page 1.
    fda = make_institution(name="FDA", slug="fda", kind="regulator", country="US")
    made = {
        make_decision(agency=fda, therapy=make_therapy(slug=f"same-day-{n}")).pk for n in range(25)
    }
    shown = []
    for page in (1, 2):
        response = client.get(DECISIONS, {"page": page})
        shown += [decision.pk for decision in response.context["object_list"]]
    assert sorted(shown) == sorted(made)
    assert shown == sorted(made)
