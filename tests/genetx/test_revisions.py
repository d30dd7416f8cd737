"""Drafts of live records: an editor's change to a published record waits for a publisher."""

import pytest
from django.urls import reverse

from genetx.models import Revision, RevisionStatus, Status
from genetx.services import TransitionRefused, revision_approve, revision_reject
from sources.models import Claim
from tests.adminforms import form_data
from tests.factories import (
    make_claim,
    make_condition,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
)
from therapies.models import Therapy

pytestmark = pytest.mark.django_db


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def revision_url(revision):
    return reverse("admin:genetx_revision_change", args=[revision.pk])


def messages_of(response) -> list[str]:
    """The messages shown on this page, newest first (earlier ones may still be queued)."""
    return [str(message) for message in response.context["messages"]][::-1]


def edit(client, obj, **changes):
    """Open the record's change form as the logged-in user and post it with changes."""
    data = form_data(client.get(change_url(obj))) | changes
    return client.post(change_url(obj), data, follow=True)


def test_editor_change_to_a_published_therapy_does_not_go_live(client, editor):
    therapy = make_therapy(summary="Live summary.")
    client.force_login(editor)
    response = edit(client, therapy, summary="Proposed summary.")
    assert response.status_code == 200
    assert "were saved as a draft" in messages_of(response)[0]
    therapy.refresh_from_db()
    assert therapy.summary == "Live summary." and therapy.status == Status.PUBLISHED
    revision = Revision.objects.get()
    assert revision.status == RevisionStatus.DRAFT
    assert revision.created_by == editor
    assert revision.data["changed"] == ["summary"]
    assert revision.data["fields"]["summary"] == "Proposed summary."
    assert revision.summary == "summary"
    # Readers still get the live text.
    client.logout()
    page = client.get(therapy.get_absolute_url()).content.decode()
    assert "Live summary." in page and "Proposed summary." not in page


def test_change_form_opens_on_the_latest_revision(client, editor):
    therapy = make_therapy(summary="Live summary.")
    client.force_login(editor)
    edit(client, therapy, summary="Proposed summary.")
    response = client.get(change_url(therapy))
    form = response.context["adminform"].form
    assert form["summary"].value() == "Proposed summary."
    assert "This form shows unpublished changes (draft)" in response.content.decode()
    # Saving again updates the same revision instead of starting another.
    edit(client, therapy, summary="Second try.", mechanism="How.")
    revision = Revision.objects.get()
    assert revision.data["fields"]["summary"] == "Second try."
    assert sorted(revision.data["changed"]) == ["mechanism", "summary"]


def test_status_in_review_on_a_live_record_submits_the_change(client, editor):
    therapy = make_therapy()
    client.force_login(editor)
    response = edit(client, therapy, summary="Proposed.", status="review")
    assert "were submitted for review" in messages_of(response)[0]
    therapy.refresh_from_db()
    assert therapy.status == Status.PUBLISHED
    revision = Revision.objects.get()
    assert revision.status == RevisionStatus.SUBMITTED and revision.submitted_at


def test_many_to_many_and_inline_changes_are_kept_in_the_revision(client, editor):
    old_condition, new_condition = make_condition(), make_condition()
    therapy = make_therapy(conditions=[old_condition])
    claim = make_claim(therapy=therapy, statement="Live statement.")
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data["conditions"] = [str(new_condition.pk)]
    data["claims-0-statement"] = "Proposed statement."
    response = client.post(change_url(therapy), data, follow=True)
    assert response.status_code == 200, response.content.decode()[:3000]
    claim.refresh_from_db()
    assert claim.statement == "Live statement."
    assert list(therapy.conditions.all()) == [old_condition]
    revision = Revision.objects.get()
    assert revision.data["m2m"]["conditions"] == [new_condition.pk]
    assert revision.data["children"]["claims"]["changed"][0]["pk"] == claim.pk
    # The form shows the proposal, parts included.
    response = client.get(change_url(therapy))
    form = response.context["adminform"].form
    assert [int(pk) for pk in form["conditions"].value()] == [new_condition.pk]
    claims = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "claims"
    )
    assert claims.formset.forms[0]["statement"].value() == "Proposed statement."


def submitted_revision(client, editor, therapy, **changes) -> Revision:
    client.force_login(editor)
    edit(client, therapy, status="review", **changes)
    client.logout()
    return Revision.objects.open().for_object(therapy).get()


def test_publisher_approves_a_revision_in_one_go(client, editor, publisher):
    condition = make_condition()
    therapy = make_therapy(summary="Live summary.")
    claim = make_claim(therapy=therapy, statement="Live statement.")
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data |= {"summary": "New summary.", "status": "review", "conditions": [str(condition.pk)]}
    data["claims-0-statement"] = "New statement."
    client.post(change_url(therapy), data)
    revision = Revision.objects.get()
    client.force_login(publisher)
    response = client.post(revision_url(revision), {"action": "approve"}, follow=True)
    assert "were approved" in messages_of(response)[0]
    therapy.refresh_from_db()
    claim.refresh_from_db()
    assert therapy.summary == "New summary."
    assert list(therapy.conditions.all()) == [condition]
    assert claim.statement == "New statement."
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.APPROVED and revision.decided_by == publisher
    latest = therapy.history.order_by("-history_date").first()
    assert latest.history_user == publisher
    assert latest.history_change_reason == f"Approved revision #{revision.pk} by edna"
    client.logout()
    assert "New summary." in client.get(therapy.get_absolute_url()).content.decode()


def test_approving_publishes_the_parts_the_revision_adds(client, editor, publisher):
    therapy = make_therapy()
    institution = make_institution()
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data |= {
        "status": "review",
        "programmes-TOTAL_FORMS": "1",
        "programmes-0-institution": str(institution.pk),
        "programmes-0-role": "treats",
        "programmes-0-status": "draft",
    }
    response = client.post(change_url(therapy), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert not therapy.programmes.exists()
    revision = Revision.objects.get()
    revision_approve(revision=revision, user=publisher)
    programme = therapy.programmes.get()
    assert programme.status == Status.PUBLISHED and programme.institution == institution


def test_reject_needs_a_comment_and_the_author_sees_it(client, editor, publisher):
    therapy = make_therapy()
    revision = submitted_revision(client, editor, therapy, summary="Too bold.")
    client.force_login(publisher)
    response = client.post(
        revision_url(revision), {"action": "reject", "comment": " "}, follow=True
    )
    assert "write a comment" in messages_of(response)[0]
    client.post(revision_url(revision), {"action": "reject", "comment": "Cite a source."})
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.REJECTED and revision.comment == "Cite a source."
    client.force_login(editor)
    page = client.get(change_url(therapy)).content.decode()
    assert "Rejected by pablo: “Cite a source.”" in page


def test_rejecting_twice_is_refused(editor, publisher, client):
    revision = submitted_revision(client, editor, make_therapy(), summary="X.")
    revision_reject(revision=revision, user=publisher, comment="No.")
    with pytest.raises(TransitionRefused, match="it is rejected by pablo, not awaiting review"):
        revision_reject(revision=revision, user=publisher, comment="Still no.")


def test_approving_when_the_live_record_changed_meanwhile_is_refused(client, editor, publisher):
    therapy = make_therapy(summary="Live.")
    revision = submitted_revision(client, editor, therapy, summary="Proposed.")
    live = Therapy.objects.get(pk=therapy.pk)
    live.mechanism = "Changed by someone else."
    live.save()
    client.force_login(publisher)
    response = client.post(revision_url(revision), {"action": "approve"}, follow=True)
    assert "the live therapy was changed" in messages_of(response)[0]
    live.refresh_from_db()
    assert live.summary == "Live." and live.mechanism == "Changed by someone else."
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SUBMITTED


def test_approving_a_revision_of_a_deleted_record_is_refused(client, editor, publisher):
    therapy = make_therapy()
    revision = submitted_revision(client, editor, therapy, summary="Proposed.")
    Therapy.objects.filter(pk=therapy.pk).delete()
    with pytest.raises(TransitionRefused, match="was deleted since this revision was written"):
        revision_approve(revision=revision, user=publisher)
    client.force_login(publisher)
    page = client.get(revision_url(revision)).content.decode()
    assert "The record was deleted after this revision was written" in page


def test_a_revision_that_no_longer_validates_is_refused_and_nothing_applied(
    client, editor, publisher
):
    therapy = make_therapy(slug="original-slug")
    claim = make_claim(therapy=therapy, statement="Live statement.")
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data |= {"slug": "wanted-slug", "status": "review"}
    data["claims-0-statement"] = "Proposed statement."
    client.post(change_url(therapy), data)
    revision = Revision.objects.get()
    # Meanwhile someone else takes the slug for another record.
    make_therapy(slug="wanted-slug")
    client.force_login(publisher)
    response = client.post(revision_url(revision), {"action": "approve"}, follow=True)
    assert (
        "no longer validates (slug: Therapy with this Slug already exists.)"
        in messages_of(response)[0]
    )
    therapy.refresh_from_db()
    claim.refresh_from_db()
    assert therapy.slug == "original-slug" and claim.statement == "Live statement."


def test_editor_may_not_approve_or_reject(client, editor):
    revision = submitted_revision(client, editor, make_therapy(), summary="Mine.")
    client.force_login(editor)
    for action in ("approve", "reject"):
        response = client.post(
            revision_url(revision), {"action": action, "comment": "ok"}, follow=True
        )
        assert "only publishers may" in messages_of(response)[0]
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SUBMITTED


def test_a_programme_change_made_on_its_own_page_is_a_revision_too(client, editor):
    programme = make_programme(summary="Live.")
    client.force_login(editor)
    edit(client, programme, summary="Proposed.")
    programme.refresh_from_db()
    assert programme.summary == "Live."
    assert Revision.objects.get().object_id == programme.pk


def test_publisher_can_save_a_draft_of_a_live_record(client, publisher):
    therapy = make_therapy(summary="Live.")
    client.force_login(publisher)
    response = edit(client, therapy, summary="Draft.", _save_draft="Save draft")
    assert "were saved as a draft" in messages_of(response)[0]
    therapy.refresh_from_db()
    assert therapy.summary == "Live."


def test_publisher_saving_directly_applies_and_closes_the_open_revision(client, editor, publisher):
    therapy = make_therapy(summary="Live.")
    client.force_login(editor)
    edit(client, therapy, summary="Proposed.")
    client.force_login(publisher)
    response = edit(client, therapy)
    assert response.status_code == 200
    therapy.refresh_from_db()
    assert therapy.summary == "Proposed."
    assert Revision.objects.get().status == RevisionStatus.APPROVED


def test_changelist_shows_records_with_unpublished_changes(client, editor):
    therapy = make_therapy()
    client.force_login(editor)
    edit(client, therapy, summary="Proposed.")
    page = client.get(reverse("admin:therapies_therapy_changelist")).content.decode()
    assert "Unpublished changes" in page and "by edna," in page


def test_claims_of_a_live_therapy_stay_live_when_deleted_in_a_revision(client, editor):
    therapy = make_therapy()
    claim = make_claim(therapy=therapy)
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data["claims-0-DELETE"] = "on"
    response = client.post(change_url(therapy), data)
    assert response.status_code == 302
    assert Claim.objects.filter(pk=claim.pk).exists()
    assert Revision.objects.get().data["children"]["claims"]["deleted"] == [claim.pk]
    # The form no longer shows the claim the revision deletes.
    response = client.get(change_url(therapy))
    claims = next(
        f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "claims"
    )
    assert claims.formset.forms == []


def test_a_decision_of_a_published_therapy_is_read_only_to_editors_on_its_own_page(
    client, editor, publisher
):
    from tests.factories import make_decision

    decision = make_decision()
    url = change_url(decision)
    client.force_login(editor)
    page = client.get(url)
    assert page.status_code == 200 and not page.context["has_change_permission"]
    data = {"therapy": decision.therapy_id, "agency": decision.agency_id, "kind": decision.kind}
    assert client.post(url, data).status_code == 403
    client.force_login(publisher)
    assert client.get(url).context["has_change_permission"]


def test_an_editor_cannot_add_a_citation_to_a_published_claim_on_its_own_page(client, editor):
    claim = make_claim()
    source = make_source()
    client.force_login(editor)
    response = client.post(
        reverse("admin:sources_citation_add"),
        {"claim": claim.pk, "source": source.pk, "position": 2, "locator": "", "quote": ""},
    )
    assert response.status_code == 200
    assert "is published: change its citations on its own page" in response.content.decode()


def test_readers_cached_page_keeps_the_live_text_until_approval(
    client, editor, publisher, settings
):
    settings.PAGE_CACHE_ENABLED = True
    therapy = make_therapy(summary="Live summary.")
    url = therapy.get_absolute_url()
    reader = type(client)()
    assert "Live summary." in reader.get(url).content.decode()
    client.force_login(editor)
    edit(client, therapy, summary="Proposed summary.", status="review")
    # Saving the revision left the cached page alone, and it is still the live text.
    page = reader.get(url)
    assert "Live summary." in page.content.decode() and "Proposed summary." not in (
        page.content.decode()
    )
    revision_approve(revision=Revision.objects.get(), user=publisher)
    assert "Proposed summary." in reader.get(url).content.decode()
