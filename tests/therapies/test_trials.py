"""Clinical trials: registry numbers, constraints, publish gates, revisions and public pages."""

import datetime
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from genetx.models import Revision, RevisionStatus, Status
from genetx.publishing import withdraw_problems
from genetx.services import (
    GateRefused,
    TransitionRefused,
    publishable_publish,
    publishable_unpublish,
    revision_approve,
)
from tests.adminforms import form_data
from tests.factories import (
    make_condition,
    make_institution,
    make_source,
    make_therapy,
    make_trial,
)
from tests.pages_helpers import HOSTILE_VALUES, assert_no_reflected_markup, has_option
from therapies.models import Trial, TrialCitation, TrialSite

pytestmark = pytest.mark.django_db

TRIAL_LIST = reverse("therapies:trial-list")


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def json_ld(body: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', body, re.S)
    return json.loads(blocks[0])


# Registry numbers and constraints ----------------------------------------------------------


def unsaved(**fields) -> Trial:
    return Trial(
        **{"slug": "t", "title": "A trial", "nct_number": "NCT04309981"} | fields,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nct_number", "NCT0430998"),
        ("nct_number", "NCT043099811"),
        ("nct_number", "04309981"),
        ("nct_number", "NCTABCDEFGH"),
        ("eudract_number", "2019-003374-9"),
        ("eudract_number", "2019/003374/91"),
        ("eudract_number", "19-003374-91"),
        ("euct_number", "2023-503456-12"),
        ("euct_number", "2023-503456-12-0A"),
    ],
)
def test_malformed_registry_numbers_are_refused_with_a_message_per_field(field, value):
    with pytest.raises(ValidationError) as refused:
        unsaved(**{field: value}).full_clean()
    assert field in refused.value.message_dict
    assert "for example" in refused.value.message_dict[field][0]


def test_registry_numbers_are_normalised_as_editors_paste_them():
    trial = unsaved(
        nct_number=" nct 04309981 ",
        eudract_number="EudraCT 2019-003374-91",
        euct_number="EU CT: 2023-503456-12-00",
    )
    trial.full_clean()
    assert (trial.nct_number, trial.eudract_number, trial.euct_number) == (
        "NCT04309981",
        "2019-003374-91",
        "2023-503456-12-00",
    )


def test_a_trial_needs_at_least_one_registry_number():
    with pytest.raises(ValidationError) as refused:
        unsaved(nct_number="").full_clean()
    assert "at least one registry number" in refused.value.message_dict["nct_number"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Trial.objects.create(slug="none", title="No number")


def test_each_registry_number_is_unique_even_when_pasted_differently():
    make_trial(nct_number="NCT05096221", eudract_number="2019-003374-91")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_trial(nct_number="nct05096221")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_trial(eudract_number="EudraCT 2019-003374-91")
    # Empty numbers are not duplicates of each other.
    make_trial(nct_number="", euct_number="2023-503456-12-00")
    make_trial(nct_number="", euct_number="2023-503456-12-01")


@pytest.mark.parametrize(
    "update",
    [
        {"nct_number": "NCT123"},
        {"nct_number": "ABC04309981"},
        {"eudract_number": "2019_003374_91"},
        {"euct_number": "2023-503456-1200"},
        {"phase": "phase_5"},
        {"overall_status": "sleeping"},
        {"enrolment_kind": "actual", "enrolment": None},
        {"start_date_kind": "maybe"},
        {"completion_date": datetime.date(2019, 1, 1), "completion_date_precision": "day"},
        {"start_date": datetime.date(2020, 1, 1), "start_date_precision": ""},
        {"start_date": datetime.date(1700, 1, 1)},
    ],
)
def test_the_database_refuses_what_the_forms_would(update):
    """Writes that skip validation (QuerySet.update, raw SQL tools) meet the constraints."""
    trial = make_trial()
    with pytest.raises(IntegrityError), transaction.atomic():
        Trial.objects.filter(pk=trial.pk).update(**update)


def test_enrolment_and_dates_are_checked_with_messages():
    trial = unsaved(
        enrolment=None,
        enrolment_kind="actual",
        start_date=datetime.date(2021, 1, 1),
        completion_date=datetime.date(2020, 1, 1),
    )
    with pytest.raises(ValidationError) as refused:
        trial.full_clean()
    assert set(refused.value.message_dict) >= {"enrolment_kind", "completion_date"}


def test_a_site_and_a_citation_are_unique_per_trial():
    institution, source = make_institution(), make_source()
    trial = make_trial(sites=[institution], sources=[source])
    with pytest.raises(IntegrityError), transaction.atomic():
        TrialSite.objects.create(trial=trial, institution=institution)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrialCitation.objects.create(trial=trial, source=source, position=2)


def test_natural_keys_find_trials_and_their_parts():
    institution, source = make_institution(), make_source()
    trial = make_trial(sites=[institution], sources=[source])
    assert Trial.objects.get_by_natural_key(*trial.natural_key()) == trial
    site = trial.sites.get()
    assert TrialSite.objects.get_by_natural_key(*site.natural_key()) == site
    citation = trial.citations.get()
    assert TrialCitation.objects.get_by_natural_key(*citation.natural_key()) == citation


def test_an_approach_must_be_an_approach_and_not_itself():
    product = make_therapy(kind="product")
    other = make_therapy(kind="product", approach=None)
    other.approach = product
    with pytest.raises(ValidationError, match="not an approach"):
        other.full_clean()
    approach = make_therapy(kind="approach")
    approach.approach = approach
    with pytest.raises(ValidationError):
        approach.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(approach).objects.filter(pk=approach.pk).update(approach=approach)


# Publish gates -------------------------------------------------------------------------------


def test_a_trial_citing_no_published_source_cannot_be_published(publisher):
    draft_source = make_source(status=Status.DRAFT, published_at=None)
    trial = make_trial(sources=[draft_source], status=Status.DRAFT, published_at=None)
    with pytest.raises(GateRefused) as refused:
        publishable_publish(obj=trial, user=publisher)
    assert refused.value.offer == [draft_source]
    bare = make_trial(status=Status.DRAFT, published_at=None)
    bare.citations.all().delete()
    with pytest.raises(GateRefused, match="cites no source"):
        publishable_publish(obj=bare, user=publisher, with_needed=True)
    # Confirmed, the draft source is published with it.
    publishable_publish(obj=Trial.objects.get(pk=trial.pk), user=publisher, with_needed=True)
    draft_source.refresh_from_db()
    assert draft_source.status == Status.PUBLISHED


def test_unpublishing_the_only_source_of_a_published_trial_is_refused(publisher):
    source = make_source()
    trial = make_trial(sources=[source])
    problems = withdraw_problems(source)
    assert [problem.record for problem in problems] == [trial]
    with pytest.raises(GateRefused) as refused:
        publishable_unpublish(obj=source, user=publisher)
    assert refused.value.offer == [trial]
    # With another published source the trial keeps its support.
    TrialCitation.objects.create(trial=trial, source=make_source(), position=2)
    assert withdraw_problems(source) == []


def test_the_admin_form_refuses_a_published_trial_without_a_published_source(client, publisher):
    trial = make_trial(status=Status.DRAFT, published_at=None)
    draft = make_source(status=Status.DRAFT, published_at=None)
    trial.citations.update(source=draft)
    client.force_login(publisher)
    data = form_data(client.get(change_url(trial))) | {"status": "published"}
    response = client.post(change_url(trial), data)
    assert response.status_code == 200
    assert "none of its sources is published" in response.content.decode()
    trial.refresh_from_db()
    assert trial.status == Status.DRAFT


def test_the_publish_action_publishes_a_sourced_trial(client, publisher):
    trial = make_trial(status=Status.DRAFT, published_at=None)
    client.force_login(publisher)
    changelist = reverse("admin:therapies_trial_changelist")
    response = client.post(
        changelist, {"action": "publish", "_selected_action": [trial.pk]}, follow=True
    )
    assert response.status_code == 200
    trial.refresh_from_db()
    assert trial.status == Status.PUBLISHED and trial.published_at


# Revisions ---------------------------------------------------------------------------------


def test_an_editors_change_to_a_live_trial_and_its_parts_waits_for_approval(
    client, editor, publisher
):
    old_therapy, new_therapy = make_therapy(), make_therapy()
    old_site, new_site = make_institution(), make_institution()
    source, new_source = make_source(), make_source()
    trial = make_trial(
        title="Live title", therapies=[old_therapy], sites=[old_site], sources=[source]
    )
    client.force_login(editor)
    data = form_data(client.get(change_url(trial)))
    data |= {"title": "Proposed title", "therapies": [str(new_therapy.pk)], "status": "review"}
    data["sites-0-institution"] = str(new_site.pk)
    data["citations-TOTAL_FORMS"] = "2"
    data |= {
        "citations-1-position": "2",
        "citations-1-source": str(new_source.pk),
        "citations-1-locator": "Results",
    }
    response = client.post(change_url(trial), data, follow=True)
    assert response.status_code == 200
    trial.refresh_from_db()
    assert trial.title == "Live title"
    assert list(trial.therapies.all()) == [old_therapy]
    assert [s.institution for s in trial.sites.all()] == [old_site]
    revision = Revision.objects.open().for_object(trial).get()
    assert revision.status == RevisionStatus.SUBMITTED
    assert set(revision.data["children"]) == {"sites", "citations"}
    # Readers still see the live record.
    client.logout()
    assert "Proposed title" not in client.get(trial.get_absolute_url()).content.decode()
    revision_approve(revision=revision, user=publisher)
    trial.refresh_from_db()
    assert trial.title == "Proposed title"
    assert list(trial.therapies.all()) == [new_therapy]
    assert [s.institution for s in trial.sites.all()] == [new_site]
    assert [(c.source, c.locator) for c in trial.citations.order_by("position")] == [
        (source, ""),
        (new_source, "Results"),
    ]
    assert trial.history.order_by("-history_date").first().history_user == publisher


def test_an_editor_cannot_propose_removing_a_live_trials_last_source(client, editor):
    trial = make_trial()
    client.force_login(editor)
    data = form_data(client.get(change_url(trial))) | {"status": "review"}
    data["citations-0-DELETE"] = "on"
    response = client.post(change_url(trial), data)
    assert response.status_code == 200
    assert "it cites no source" in response.content.decode()
    assert not Revision.objects.exists()
    assert trial.citations.count() == 1


def test_approval_is_refused_when_the_trial_would_be_left_without_a_published_source(
    client, editor, publisher
):
    kept, removed = make_source(), make_source()
    trial = make_trial(sources=[removed, kept])
    client.force_login(editor)
    data = form_data(client.get(change_url(trial))) | {"status": "review"}
    data["citations-0-DELETE"] = "on"  # removes the first source, keeping the other
    assert client.post(change_url(trial), data).status_code == 302
    revision = Revision.objects.open().for_object(trial).get()
    # Meanwhile the kept source stops being public (a write that skips the gates).
    type(kept).objects.filter(pk=kept.pk).update(status=Status.DRAFT)
    with pytest.raises(TransitionRefused, match="none of its sources is published"):
        revision_approve(revision=revision, user=publisher)
    assert trial.citations.count() == 2
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SUBMITTED


# Public pages ------------------------------------------------------------------------------


def test_trial_list_shows_published_trials_with_facet_counts(client):
    spain, france = make_institution(country="ES"), make_institution(country="FR")
    condition, therapy = make_condition(name="Myeloma"), make_therapy(name="ARI")
    make_trial(acronym="ALPHA", phase="phase_3", sites=[spain], therapies=[therapy])
    make_trial(
        acronym="BETA",
        phase="phase_1_2",
        overall_status="recruiting",
        sites=[spain, france],
        conditions=[condition],
        sponsor=france,
    )
    make_trial(acronym="HIDDEN", phase="phase_3", status=Status.DRAFT, published_at=None)
    body = client.get(TRIAL_LIST).content.decode()
    assert "ALPHA" in body and "BETA" in body and "HIDDEN" not in body
    assert has_option(body, "phase_3", "Phase 3", 1)
    assert has_option(body, "phase_1_2", "Phase 1/2", 1)
    assert has_option(body, "recruiting", "Recruiting", 1)
    assert has_option(body, "ES", "Spain", 2)
    assert has_option(body, "FR", "France", 1)
    assert has_option(body, condition.slug, "Myeloma", 1)
    assert has_option(body, therapy.slug, "ARI", 1)
    assert has_option(body, france.slug, france.name, 1)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"phase": ["phase_3"]}, ["ALPHA"]),
        ({"phase": ["phase_3", "phase_1_2"]}, ["ALPHA", "BETA"]),
        ({"status": ["recruiting"]}, ["BETA"]),
        ({"country": ["FR"]}, ["BETA"]),
        ({"country": ["ES"], "phase": ["phase_3"]}, ["ALPHA"]),
        ({"q": "NCT0"}, ["ALPHA", "BETA"]),
        ({"q": "beta"}, ["BETA"]),
    ],
)
def test_trial_list_filters(client, params, expected):
    spain, france = make_institution(country="ES"), make_institution(country="FR")
    make_trial(acronym="ALPHA", phase="phase_3", sites=[spain])
    make_trial(acronym="BETA", phase="phase_1_2", overall_status="recruiting", sites=[france])
    response = client.get(TRIAL_LIST, params)
    assert response.status_code == 200
    shown = sorted(t.acronym for t in response.context["object_list"])
    assert shown == expected


def test_trial_list_filters_by_therapy_condition_and_sponsor(client):
    therapy, condition, sponsor = make_therapy(), make_condition(), make_institution()
    make_trial(acronym="MATCH", therapies=[therapy], conditions=[condition], sponsor=sponsor)
    make_trial(acronym="OTHER")
    for params in ({"therapy": therapy.slug}, {"condition": condition.slug}):
        shown = client.get(TRIAL_LIST, params).context["object_list"]
        assert [t.acronym for t in shown] == ["MATCH"]
    shown = client.get(TRIAL_LIST, {"sponsor": sponsor.slug}).context["object_list"]
    assert [t.acronym for t in shown] == ["MATCH"]


def test_a_site_at_an_unpublished_institution_counts_for_no_country(client):
    hidden = make_institution(country="FR", status=Status.DRAFT, published_at=None)
    make_trial(sites=[hidden])
    body = client.get(TRIAL_LIST).content.decode()
    assert 'value="FR"' not in body
    assert list(client.get(TRIAL_LIST, {"country": "FR"}).context["object_list"]) == []


@pytest.mark.parametrize("param", ["phase", "status", "country", "therapy", "sponsor", "sort"])
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_bad_trial_filters_answer_400_without_markup(client, param, value):
    make_trial()
    response = client.get(TRIAL_LIST, {param: value})
    assert response.status_code in (200, 400)
    assert_no_reflected_markup(response)


def test_trial_exports_list_the_filtered_trials(client):
    make_trial(acronym="ALPHA", phase="phase_3", enrolment=125, enrolment_kind="actual")
    csv_body = client.get(TRIAL_LIST, {"format": "csv"}).getvalue().decode()
    assert "ALPHA" in csv_body and "Phase 3" in csv_body and "125" in csv_body
    data = json.loads(client.get(TRIAL_LIST, {"format": "json"}).getvalue())
    assert data["results"][0]["acronym"] == "ALPHA"


def test_trial_page_links_the_registries_and_describes_a_medical_trial(client):
    condition = make_condition(name="Duchenne muscular dystrophy")
    sponsor, site = make_institution(name="Sponsor Inc."), make_institution(name="Site Hospital")
    source = make_source(title="EU register record")
    trial = make_trial(
        acronym="EMBARK",
        title="A confirmatory trial",
        nct_number="NCT05096221",
        eudract_number="2019-003374-91",
        phase="phase_3",
        overall_status="completed",
        enrolment=125,
        enrolment_kind="actual",
        conditions=[condition],
        sponsor=sponsor,
        sites=[site],
        sources=[source],
    )
    response = client.get(trial.get_absolute_url())
    body = response.content.decode()
    assert 'href="https://clinicaltrials.gov/study/NCT05096221"' in body
    assert "clinicaltrialsregister.eu/ctr-search/search?query=2019-003374-91" in body
    assert "125 participants (actual)" in body
    assert "Site Hospital" in body and "Sponsor Inc." in body
    assert "EU register record" in body  # the reference list
    data = json_ld(body)
    assert data["@type"] == "MedicalTrial"
    assert data["alternateName"] == "EMBARK"
    assert data["phase"] == "Phase 3"
    assert data["status"] == "https://schema.org/Completed"
    assert data["sponsor"]["name"] == "Sponsor Inc."
    assert {i["value"] for i in data["identifier"]} == {"NCT05096221", "2019-003374-91"}
    assert data["healthCondition"][0]["name"] == "Duchenne muscular dystrophy"


def test_trial_references_download_as_bibtex_and_ris(client):
    trial = make_trial(sources=[make_source(title="The registry record")])
    bib = client.get(reverse("therapies:trial-references-bib", kwargs={"slug": trial.slug}))
    assert bib.status_code == 200 and "The registry record" in bib.content.decode()
    ris = client.get(reverse("therapies:trial-references-ris", kwargs={"slug": trial.slug}))
    assert ris.status_code == 200 and "TY  - " in ris.content.decode()
    draft = make_trial(status=Status.DRAFT, published_at=None)
    url = reverse("therapies:trial-references-bib", kwargs={"slug": draft.slug})
    assert client.get(url).status_code == 404


def test_trial_page_hides_unpublished_links(client):
    sponsor = make_institution(name="Draft sponsor", status=Status.DRAFT, published_at=None)
    therapy = make_therapy(name="Draft therapy", status=Status.DRAFT, published_at=None)
    draft_source = make_source(title="Draft source", status=Status.DRAFT, published_at=None)
    trial = make_trial(sponsor=sponsor, therapies=[therapy], sources=[make_source(), draft_source])
    body = client.get(trial.get_absolute_url()).content.decode()
    for text in ("Draft sponsor", "Draft therapy", "Draft source"):
        assert text not in body


def test_a_draft_trial_is_a_404_for_readers(client):
    trial = make_trial(status=Status.DRAFT, published_at=None)
    assert client.get(trial.get_absolute_url()).status_code == 404


def test_therapy_condition_and_institution_pages_list_their_trials(client):
    condition, institution = make_condition(), make_institution()
    therapy = make_therapy(conditions=[condition])
    trial = make_trial(
        acronym="LINKED", therapies=[therapy], conditions=[condition], sites=[institution]
    )
    make_trial(acronym="DRAFTED", therapies=[therapy], status=Status.DRAFT, published_at=None)
    for page in (therapy, condition, institution):
        body = client.get(page.get_absolute_url()).content.decode()
        assert trial.get_absolute_url() in body, page
        assert "DRAFTED" not in body


# Domain links --------------------------------------------------------------------------------


def test_an_approach_lists_its_products_and_their_trials(client):
    approach = make_therapy(name="CAR-T therapy", kind="approach")
    product = make_therapy(name="ARI0002h", approach=approach)
    make_therapy(name="Draft product", approach=approach, status=Status.DRAFT, published_at=None)
    trial = make_trial(acronym="CARTBCMA-HCB-01", therapies=[product])
    body = client.get(approach.get_absolute_url()).content.decode()
    assert "Products of this approach" in body
    assert product.get_absolute_url() in body and "Draft product" not in body
    assert trial.get_absolute_url() in body
    product_page = client.get(product.get_absolute_url()).content.decode()
    assert f'<dt>Approach</dt><dd><a href="{approach.get_absolute_url()}">' in product_page


def test_a_sub_condition_shows_what_is_recorded_on_its_parent(client):
    haemophilia = make_condition(name="Haemophilia")
    haemophilia_a = make_condition(name="Haemophilia A", parent=haemophilia)
    therapy = make_therapy(name="Parent gene therapy", conditions=[haemophilia])
    own = make_therapy(name="Own therapy", conditions=[haemophilia_a])
    trial = make_trial(acronym="PARENT-TRIAL", conditions=[haemophilia])
    from tests.factories import make_programme

    programme = make_programme(therapy=therapy)
    body = client.get(haemophilia_a.get_absolute_url()).content.decode()
    assert "No published therapy" not in body
    assert therapy.get_absolute_url() in body and own.get_absolute_url() in body
    assert trial.get_absolute_url() in body
    assert programme.institution.get_absolute_url() in body
    assert body.count("recorded on <a") == 3  # the therapy, its programme and the trial
    assert "Own therapy" in body
    # The parent's page is unchanged: its own records are not marked.
    parent_body = client.get(haemophilia.get_absolute_url()).content.decode()
    assert "recorded on <a" not in parent_body


def test_a_sub_condition_of_an_unpublished_parent_rolls_nothing_up(client):
    hidden = make_condition(name="Hidden parent", status=Status.DRAFT, published_at=None)
    child = make_condition(parent=hidden)
    make_therapy(name="Therapy of the hidden parent", conditions=[hidden])
    body = client.get(child.get_absolute_url()).content.decode()
    assert "Therapy of the hidden parent" not in body
    assert "No published therapy" in body


def test_an_institution_page_lists_the_sources_it_published(client):
    publisher = make_institution(name="Sermes CRO", kind="publisher")
    article = make_source(title="Gene Therapies: Revolutionizing", institution=publisher)
    make_source(title="Draft report", institution=publisher, status=Status.DRAFT, published_at=None)
    body = client.get(publisher.get_absolute_url()).content.decode()
    assert "Sources it published" in body
    assert article.get_absolute_url() in body and "Draft report" not in body


# Search ------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["NCT04309981", "nct04309981", "CARTBCMA-HCB-01", "CARTBCMA"])
def test_search_finds_a_trial_by_registry_number_or_acronym(client, query):
    trial = make_trial(acronym="CARTBCMA-HCB-01", nct_number="NCT04309981", title="A pilot")
    make_trial(acronym="OTHER", title="Unrelated")
    response = client.get(reverse("search"), {"q": query, "type": "trials"})
    assert [hit.url for hit in response.context["hits"]] == [trial.get_absolute_url()]


def test_a_source_page_lists_the_published_trials_citing_it(client):
    """Every source page lists what cites it: trials too, drafts never."""
    source = make_source(key="ctgov-nct04309981")
    make_trial(slug="cartbcma", acronym="CARTBCMA-HCB-01", sources=[source])
    make_trial(slug="hidden", acronym="HIDDEN-TRIAL", sources=[source], status="draft")
    body = client.get(reverse("sources:source-detail", args=[source.key])).content.decode()
    assert "Clinical trials citing this source" in body
    assert 'href="/trials/cartbcma/"' in body and "CARTBCMA-HCB-01" in body
    assert "HIDDEN-TRIAL" not in body and "/trials/hidden/" not in body
    spanish = client.get("/es" + reverse("sources:source-detail", args=[source.key]))
    assert "Ensayos clínicos que citan esta fuente" in spanish.content.decode()
