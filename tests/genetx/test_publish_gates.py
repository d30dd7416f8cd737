"""The publish gates: no public claim without a published source, by every route.

Routes: the services, the change form, the citation inline, the citation admin (change
and delete), the admin actions with their confirmation page, the therapy's inlines, the
regulatory decision form, and history revert. A refused change changes nothing.
"""

import pytest
from django.contrib.admin import helpers
from django.db import transaction
from django.urls import reverse

from genetx.models import Status
from genetx.publishing import gate_problems, publish_problems, withdraw_problems
from genetx.services import (
    GateRefused,
    publishable_archive,
    publishable_publish,
    publishable_unpublish,
)
from sources.models import Citation, Claim, Source
from tests.adminforms import form_data
from tests.factories import (
    make_claim,
    make_decision,
    make_institution,
    make_source,
    make_therapy,
)
from therapies.services import therapy_publish

pytestmark = pytest.mark.django_db

DRAFT = Status.DRAFT


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def changelist_url(model):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def run_action(client, model, action, objs, **extra):
    return client.post(
        changelist_url(model),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(o.pk) for o in objs], **extra},
        follow=True,
    )


def status_of(obj):
    return type(obj)._base_manager.values_list("status", flat=True).get(pk=obj.pk)


def attribution(reporter, **overrides):
    return make_source(
        kind="attribution", reported_by=reporter, container_title="The Lancet", **overrides
    )


# The rules -------------------------------------------------------------------------------


def test_claim_citing_a_published_source_may_be_published():
    claim = make_claim(status=DRAFT)
    assert publish_problems(claim) == []


def test_claim_citing_nothing_may_not_be_published_and_nothing_can_fix_it():
    claim = make_claim(status=DRAFT)
    claim.citations.all().delete()
    [problem] = publish_problems(claim)
    assert "cites no source" in str(problem) and problem.needs == ()
    assert claim.statement[:20] in str(problem)


def test_claim_citing_only_a_draft_source_needs_that_source():
    source = make_source(status=DRAFT)
    claim = make_claim(status=DRAFT, sources=[source])
    [problem] = publish_problems(claim)
    assert problem.needs == (source,)
    assert "none of its sources is published" in problem.message


def test_attribution_counts_only_when_its_reporting_source_is_published():
    reporter = make_source(status=DRAFT)
    claim = make_claim(status=DRAFT, sources=[attribution(reporter)])
    [problem] = publish_problems(claim)
    assert problem.needs == (reporter,)
    reporter.status = Status.PUBLISHED
    reporter.mark_published()
    reporter.save()
    assert publish_problems(claim) == []


def test_archived_source_is_never_offered_for_publishing():
    claim = make_claim(status=DRAFT, sources=[make_source(status=Status.ARCHIVED)])
    [problem] = publish_problems(claim)
    assert problem.needs == ()


def test_withdrawing_the_only_source_of_a_published_claim_is_a_problem():
    source = make_source()
    claim = make_claim(sources=[source])
    [problem] = withdraw_problems(source)
    assert problem.record == claim and problem.dependent


def test_withdrawing_a_source_is_fine_when_the_claim_has_another():
    source = make_source()
    make_claim(sources=[source, make_source()])
    assert withdraw_problems(source) == []


def test_withdrawing_the_reporter_of_the_only_attribution_is_a_problem():
    reporter = make_source()
    claim = make_claim(sources=[attribution(reporter)])
    assert [p.record for p in withdraw_problems(reporter)] == [claim]


def test_decision_of_a_published_therapy_needs_published_agency_and_source():
    agency = make_institution(kind="regulator", status=DRAFT)
    decision = make_decision(agency=agency, source=make_source(status=DRAFT))
    [problem] = gate_problems(decision)
    assert "agency" in problem.message and set(problem.needs) == {agency, decision.source}


# Services --------------------------------------------------------------------------------


def test_publish_refuses_a_claim_with_a_draft_source_and_offers_it(publisher):
    source = make_source(status=DRAFT)
    claim = make_claim(status=DRAFT, sources=[source])
    with pytest.raises(GateRefused) as refused:
        publishable_publish(obj=claim, user=publisher)
    assert refused.value.offer == [source]
    assert status_of(claim) == DRAFT and status_of(source) == DRAFT


def test_publish_with_needed_publishes_the_sources_and_records_why(publisher):
    reporter = make_source(status=DRAFT)
    lancet = attribution(reporter, status=DRAFT)
    claim = make_claim(status=DRAFT, sources=[lancet])
    publishable_publish(obj=claim, user=publisher, with_needed=True)
    assert {status_of(claim), status_of(lancet), status_of(reporter)} == {Status.PUBLISHED}
    row = reporter.history.latest()
    assert row.history_user == publisher and row.history_change_reason.startswith(
        "Published with claim"
    )


def test_publish_refuses_a_claim_citing_nothing(publisher):
    claim = make_claim(status=DRAFT)
    claim.citations.all().delete()
    with pytest.raises(GateRefused, match="cites no source"):
        publishable_publish(obj=claim, user=publisher, with_needed=True)
    assert status_of(claim) == DRAFT


def test_publish_needing_a_source_refuses_a_user_who_may_not_publish_sources(publisher):
    from django.contrib.auth.models import Permission

    publisher.groups.first().permissions.remove(Permission.objects.get(codename="publish_source"))
    publisher = type(publisher).objects.get(pk=publisher.pk)  # drop the permission cache
    source = make_source(status=DRAFT)
    claim = make_claim(status=DRAFT, sources=[source])
    with pytest.raises(Exception, match="only publishers may publish sources"):
        publishable_publish(obj=claim, user=publisher, with_needed=True)
    assert status_of(claim) == DRAFT and status_of(source) == DRAFT


def test_failure_midway_changes_nothing(publisher):
    """The needed source is published first; the claim then fails to save: all rolls back."""
    source = make_source(status=DRAFT)
    claim = make_claim(status=DRAFT, sources=[source])
    Claim.objects.filter(pk=claim.pk).update(slug="not a slug!")  # full_clean refuses it
    rows = source.history.count()
    with pytest.raises(Exception, match="slug"):
        publishable_publish(obj=Claim.objects.get(pk=claim.pk), user=publisher, with_needed=True)
    assert status_of(source) == DRAFT and status_of(claim) == DRAFT
    assert source.history.count() == rows


def test_unpublishing_the_only_source_is_refused_listing_the_claims(publisher):
    source = make_source()
    claim = make_claim(sources=[source])
    with pytest.raises(GateRefused) as refused:
        publishable_unpublish(obj=source, user=publisher)
    assert claim.statement[:20] in str(refused.value)
    assert refused.value.offer == [claim]
    assert status_of(source) == Status.PUBLISHED and status_of(claim) == Status.PUBLISHED


def test_archiving_with_dependents_archives_the_claims_too(publisher):
    source = make_source()
    claim = make_claim(sources=[source])
    spared = make_claim(sources=[source, make_source()])
    publishable_archive(obj=source, user=publisher, with_dependents=True)
    assert status_of(source) == Status.ARCHIVED and status_of(claim) == Status.ARCHIVED
    assert status_of(spared) == Status.PUBLISHED
    assert "Archived with source" in claim.history.latest().history_change_reason


def test_unpublishing_an_agency_of_a_published_therapy_decision_is_refused(publisher):
    decision = make_decision()
    with pytest.raises(GateRefused, match="no longer see it"):
        publishable_unpublish(obj=decision.agency, user=publisher)
    assert status_of(decision.agency) == Status.PUBLISHED


def test_therapy_publish_offers_the_sources_its_claims_need(publisher):
    therapy = make_therapy(status=DRAFT)
    source = make_source(status=DRAFT)
    claim = make_claim(status=DRAFT, therapy=therapy, sources=[source])
    with pytest.raises(GateRefused) as refused:
        therapy_publish(therapy=therapy, user=publisher)
    assert refused.value.offer == [source]
    assert status_of(therapy) == DRAFT
    result = therapy_publish(therapy=therapy, user=publisher, with_needed=True)
    assert result.needed == 1 and status_of(claim) == Status.PUBLISHED


def test_therapy_publish_refuses_a_decision_with_a_draft_source(publisher):
    therapy = make_therapy(status=DRAFT)
    decision = make_decision(therapy=therapy, source=make_source(status=DRAFT))
    with pytest.raises(GateRefused) as refused:
        therapy_publish(therapy=therapy, user=publisher)
    assert refused.value.offer == [decision.source]


# Admin: change form and inlines ----------------------------------------------------------


def test_change_form_refuses_publishing_a_claim_with_only_a_draft_source(client, publisher):
    source = make_source(status=DRAFT)
    claim = make_claim(status=DRAFT, sources=[source])
    client.force_login(publisher)
    data = form_data(client.get(change_url(claim))) | {"status": "published"}
    response = client.post(change_url(claim), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "none of its sources is published" in page and source.key[:6] in page
    assert status_of(claim) == DRAFT


def test_citation_inline_refuses_removing_the_last_published_source(client, publisher):
    claim = make_claim()
    client.force_login(publisher)
    data = form_data(client.get(change_url(claim)))
    data["citations-0-DELETE"] = "on"
    response = client.post(change_url(claim), data)
    assert response.status_code == 200
    assert "cites no source" in response.content.decode()
    assert claim.citations.count() == 1


def test_citation_inline_may_add_the_first_source_while_publishing(client, publisher):
    claim = make_claim(status=DRAFT)
    claim.citations.all().delete()
    source = make_source()
    client.force_login(publisher)
    data = form_data(client.get(change_url(claim))) | {
        "status": "published",
        "citations-0-source": str(source.pk),
        "citations-0-position": "1",
    }
    response = client.post(change_url(claim), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert status_of(claim) == Status.PUBLISHED


def test_source_form_refuses_unpublishing_the_only_source(client, publisher):
    source = make_source()
    claim = make_claim(sources=[source])
    client.force_login(publisher)
    data = form_data(client.get(change_url(source))) | {"status": "draft"}
    response = client.post(change_url(source), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "would have no published source left" in page
    assert claim.statement[:20] in page
    assert status_of(source) == Status.PUBLISHED


def test_therapy_inline_claim_cannot_be_published_without_sources(client, publisher):
    therapy = make_therapy()
    claim = make_claim(status=DRAFT, therapy=therapy)
    claim.citations.all().delete()
    client.force_login(publisher)
    data = form_data(client.get(change_url(therapy))) | {"claims-0-status": "published"}
    response = client.post(change_url(therapy), data)
    assert response.status_code == 200
    assert "cites no source" in response.content.decode()
    assert status_of(claim) == DRAFT


def test_decision_inline_on_a_published_therapy_needs_a_published_source(client, publisher):
    therapy = make_therapy()
    agency = make_institution(kind="regulator")
    draft = make_source(status=DRAFT)
    client.force_login(publisher)
    data = form_data(client.get(change_url(therapy))) | {
        "decisions-TOTAL_FORMS": "1",
        "decisions-0-agency": str(agency.pk),
        "decisions-0-kind": "approval",
        "decisions-0-date": "2023-06-22",
        "decisions-0-indication": "Children aged 4 to 5.",
        "decisions-0-source": str(draft.pk),
    }
    response = client.post(change_url(therapy), data)
    assert response.status_code == 200
    assert "needs a published agency and source" in response.content.decode()
    assert not therapy.decisions.exists()


def test_decision_form_refuses_a_draft_agency(client, publisher):
    decision = make_decision()
    draft_agency = make_institution(kind="regulator", status=DRAFT)
    client.force_login(publisher)
    data = form_data(client.get(change_url(decision))) | {"agency": str(draft_agency.pk)}
    response = client.post(change_url(decision), data)
    assert response.status_code == 200
    assert "needs a published agency and source" in response.content.decode()


def test_citation_admin_refuses_pointing_the_last_citation_at_a_draft(client, publisher):
    claim = make_claim()
    citation = claim.citations.get()
    draft = make_source(status=DRAFT)
    client.force_login(publisher)
    data = form_data(client.get(change_url(citation))) | {"source": str(draft.pk)}
    response = client.post(change_url(citation), data)
    assert response.status_code == 200
    assert "none of its sources is published" in response.content.decode()
    assert Citation.objects.get(pk=citation.pk).source_id != draft.pk


def test_citation_admin_refuses_deleting_the_last_citation(client, publisher):
    claim = make_claim()
    citation = claim.citations.get()
    client.force_login(publisher)
    url = reverse("admin:sources_citation_delete", args=[citation.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "cites no source" in response.content.decode()
    assert Citation.objects.filter(pk=citation.pk).exists()
    # The bulk delete action refuses the same way.
    response = run_action(client, Citation, "delete_selected", [citation], post="yes")
    assert Citation.objects.filter(pk=citation.pk).exists()


def test_history_revert_cannot_republish_a_claim_without_sources(client, publisher):
    claim = make_claim(status=DRAFT)
    claim.status = Status.PUBLISHED
    claim.mark_published()
    claim.save()  # a history row with status published
    Claim.objects.filter(pk=claim.pk).update(status=DRAFT)
    claim.citations.all().delete()
    published_row = claim.history.filter(status=Status.PUBLISHED).latest()
    client.force_login(publisher)
    url = reverse("admin:sources_claim_simple_history", args=[claim.pk, published_row.history_id])
    data = form_data(client.get(url))
    response = client.post(url, data)
    assert response.status_code == 200
    assert "cites no source" in response.content.decode()
    assert status_of(claim) == DRAFT


# Admin: actions and their confirmation ---------------------------------------------------


def test_publish_action_offers_the_needed_sources_then_publishes_together(client, publisher):
    source = make_source(status=DRAFT)
    claim = make_claim(status=DRAFT, sources=[source])
    client.force_login(publisher)
    response = run_action(client, Claim, "publish", [claim])
    page = response.content.decode()
    assert "Yes, publish them together" in page and str(source) in page
    assert status_of(claim) == DRAFT
    response = run_action(client, Claim, "publish", [claim], gate_confirmed="yes")
    assert status_of(claim) == Status.PUBLISHED and status_of(source) == Status.PUBLISHED
    assert "1 claim published." in [str(m) for m in response.context["messages"]]


def test_publish_action_refuses_a_claim_citing_nothing(client, publisher):
    claim = make_claim(status=DRAFT)
    claim.citations.all().delete()
    client.force_login(publisher)
    response = run_action(client, Claim, "publish", [claim])
    assert "cites no source" in response.content.decode()
    assert status_of(claim) == DRAFT


def test_unpublish_action_asks_before_taking_the_claims_with_it(client, publisher):
    source = make_source()
    claim = make_claim(sources=[source])
    client.force_login(publisher)
    response = run_action(client, Source, "unpublish", [source])
    assert "Yes, withdraw them too" in response.content.decode()
    assert status_of(source) == Status.PUBLISHED
    run_action(client, Source, "unpublish", [source], gate_confirmed="yes")
    assert status_of(source) == DRAFT and status_of(claim) == DRAFT


def test_therapy_publish_action_offers_what_its_claims_need(client, publisher):
    therapy = make_therapy(status=DRAFT)
    source = make_source(status=DRAFT)
    make_claim(status=DRAFT, therapy=therapy, sources=[source])
    client.force_login(publisher)
    from therapies.models import Therapy

    response = run_action(client, Therapy, "publish", [therapy])
    assert "Yes, publish them together" in response.content.decode()
    run_action(client, Therapy, "publish", [therapy], gate_confirmed="yes")
    assert status_of(therapy) == Status.PUBLISHED and status_of(source) == Status.PUBLISHED


# Two publishers at once ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publishing_a_claim_twice_in_a_row_publishes_once(publisher):
    claim = make_claim(status=DRAFT)
    publishable_publish(obj=claim, user=publisher)
    stale = Claim.objects.get(pk=claim.pk)
    stale.status = DRAFT  # a copy read before the first publish
    with pytest.raises(Exception, match="already published"), transaction.atomic():
        publishable_publish(obj=stale, user=publisher)
    assert claim.history.filter(status=Status.PUBLISHED).count() == 1


def test_publish_refusals_name_the_record_and_what_it_lacks():
    from genetx.publishing import publish_refusals

    claim = make_claim()
    claim.citations.all().delete()
    [message] = publish_refusals(claim)
    assert message.startswith("claim “Statement number") and "cites no source" in message
    source = make_source()
    make_claim(sources=[source])
    source.status = DRAFT
    assert "would have no published source left" in publish_refusals(source)[0]
