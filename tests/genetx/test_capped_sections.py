"""Related lists on detail pages are capped and say how many there are, so a page stays
the same size as the tables grow: therapies, programmes and trials on a condition page
(its own first, then what is recorded on its parent), trials on therapy and institution
pages. The limits are lowered here so a handful of rows exceeds them."""

import pytest

from hospitals.views import InstitutionDetailView
from tests.factories import (
    make_condition,
    make_institution,
    make_programme,
    make_therapy,
    make_trial,
)
from therapies.views import ConditionDetailView, TherapyDetailView

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(ConditionDetailView, "related_limit", 3)
    monkeypatch.setattr(ConditionDetailView, "trial_limit", 2)
    monkeypatch.setattr(TherapyDetailView, "trial_limit", 2)
    monkeypatch.setattr(InstitutionDetailView, "trial_limit", 2)


def _page(client, record):
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    return response


def test_a_condition_page_lists_the_first_therapies_and_programmes_and_counts_all(
    client, small_limits
):
    condition = make_condition(name="Common condition")
    therapies = [make_therapy(name=f"Therapy {n:02d}", conditions=[condition]) for n in range(5)]
    for therapy in therapies:
        make_programme(therapy=therapy)
    response = _page(client, condition)
    body = response.content.decode()
    assert len(response.context["therapies"]) == 3
    assert response.context["therapy_count"] == 5
    assert "5 published therapies; the first 3 are listed." in body
    assert f"?condition={condition.slug}" in body
    assert len(response.context["programmes"]) == 3
    assert "5 published programmes; the first 3 are listed." in body
    # What the page lists is what its JSON-LD names.
    assert len(response.context["json_ld"]["possibleTreatment"]) == 3


def test_a_condition_page_within_its_limits_says_no_count(client, small_limits):
    condition = make_condition()
    make_programme(therapy=make_therapy(conditions=[condition]))
    body = _page(client, condition).content.decode()
    assert "are listed." not in body


def test_the_roll_up_from_the_parent_fills_what_the_limit_leaves_and_is_counted(
    client, small_limits
):
    parent = make_condition(name="Haemophilia")
    child = make_condition(name="Haemophilia A", parent=parent)
    own = [make_therapy(name=f"Own {n}", conditions=[child]) for n in range(2)]
    inherited = [make_therapy(name=f"Parent's {n}", conditions=[parent]) for n in range(3)]
    response = _page(client, child)
    shown = response.context["therapies"]
    # The condition's own therapies first, then the parent's up to the limit.
    assert [t.pk for t in shown[:2]] == [t.pk for t in own]
    assert len(shown) == 3 and shown[2].rolled_up_from == parent
    assert response.context["therapy_count"] == len(own) + len(inherited)
    assert "5 published therapies; the first 3 are listed." in response.content.decode()


def test_a_condition_page_caps_its_own_and_rolled_up_trials(client, small_limits):
    parent = make_condition()
    child = make_condition(parent=parent)
    make_trial(conditions=[child])
    make_trial(conditions=[parent])
    make_trial(conditions=[parent])
    # A trial on both is the child's own, never counted twice.
    make_trial(conditions=[child, parent])
    response = _page(client, child)
    trials = response.context["trials"]
    assert len(trials) == 2
    assert not any(getattr(trial, "rolled_up_from", None) for trial in trials)
    assert response.context["trial_count"] == 4
    assert "4 published trials; the first 2 are listed." in response.content.decode()


def test_therapy_and_institution_pages_cap_their_trials(client, small_limits):
    therapy = make_therapy()
    institution = make_institution()
    for _ in range(3):
        make_trial(therapies=[therapy], sites=[institution])
    for record in (therapy, institution):
        response = _page(client, record)
        assert len(response.context["trials"]) == 2
        assert response.context["trial_count"] == 3
        assert "3 published trials; the first 2 are listed." in response.content.decode()


def test_the_first_trials_are_the_latest_started(client, small_limits):
    import datetime

    therapy = make_therapy()
    old = make_trial(therapies=[therapy], start_date=datetime.date(2015, 1, 1))
    newer = [
        make_trial(therapies=[therapy], start_date=datetime.date(2020 + n, 1, 1)) for n in range(2)
    ]
    shown = _page(client, therapy).context["trials"]
    assert old not in shown and set(shown) == set(newer)


# The rest of a capped list: each "N published ...; the first M are listed" links to a list
# filtered to the record, which pages through all of them.


def _listed(client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return {record.slug for record in response.context["object_list"]}


def test_an_institution_pages_programmes_continue_in_the_therapy_list(client, monkeypatch):
    from hospitals.views import InstitutionDetailView

    monkeypatch.setattr(InstitutionDetailView, "programme_limit", 2)
    hospital = make_institution(name="Busy hospital")
    there = [make_therapy(name=f"Applied {n}") for n in range(3)]
    for therapy in there:
        make_programme(institution=hospital, therapy=therapy)
    # Not the rest of this page: a programme elsewhere, a draft programme here, and a
    # draft therapy with a published programme here.
    make_programme(therapy=make_therapy(name="Elsewhere"))
    make_programme(institution=hospital, status="draft", therapy=make_therapy(name="Planned"))
    make_programme(institution=hospital, therapy=make_therapy(name="Hidden", status="draft"))

    body = _page(client, hospital).content.decode()
    assert "3 published programmes; the first 2 are listed." in body
    link = f"/therapies/?institution={hospital.slug}"
    assert f'href="{link}"' in body
    assert _listed(client, link) == {therapy.slug for therapy in there}
    # The list's facet names the institution, so a reader sees what the list is filtered to.
    html = client.get(link).content.decode()
    assert "Busy hospital" in html


def test_a_condition_pages_programmes_continue_in_the_institution_list(client, small_limits):
    condition = make_condition(name="Common condition")
    hospitals = [make_institution(name=f"Site {n}") for n in range(5)]
    for hospital in hospitals:
        make_programme(institution=hospital, therapy=make_therapy(conditions=[condition]))
    # Not the rest of this page: a programme of a therapy for another condition, a draft
    # programme, and a programme of a draft therapy.
    make_programme(therapy=make_therapy(conditions=[make_condition()]))
    make_programme(status="draft", therapy=make_therapy(conditions=[condition]))
    make_programme(therapy=make_therapy(conditions=[condition], status="draft"))

    body = _page(client, condition).content.decode()
    assert "5 published programmes; the first 3 are listed." in body
    link = f"/institutions/?condition={condition.slug}"
    assert f'href="{link}"' in body
    assert _listed(client, link) == {hospital.slug for hospital in hospitals}
    assert "Common condition" in client.get(link).content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/therapies/?institution=no-such-institution",
        "/institutions/?condition=no-such-condition",
    ],
)
def test_a_filter_naming_no_published_record_is_refused_with_a_message(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
