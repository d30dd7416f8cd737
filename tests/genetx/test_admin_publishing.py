"""The publishing workflow in the admin: who may move a record to which state, by any route."""

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from genetx.models import Status
from genetx.services import (
    TransitionRefused,
    publishable_publish,
    publishable_submit,
    publishable_unpublish,
)
from sources.models import Claim
from tests.adminforms import form_data
from tests.factories import make_claim, make_programme, make_therapy
from therapies.models import Therapy
from therapies.services import therapy_publish

pytestmark = pytest.mark.django_db


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def changelist_url(model):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def run_action(client, model, action, objs):
    return client.post(
        changelist_url(model),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objs]},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# The change form -------------------------------------------------------------------------


def test_editor_posting_published_on_the_change_form_is_refused(client, editor):
    therapy = make_therapy(status=Status.DRAFT)
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy))) | {"status": "published"}
    response = client.post(change_url(therapy), data)
    assert response.status_code == 200
    assert "Only publishers may publish therapies" in response.content.decode()
    therapy.refresh_from_db()
    assert therapy.status == Status.DRAFT and therapy.published_at is None


def test_editor_cannot_add_a_record_as_published(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:therapies_therapy_add"),
        {
            "name": "Sneaky",
            "slug": "sneaky",
            "kind": "product",
            "status": "published",
            "summary": "Not reviewed.",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
            "programmes-TOTAL_FORMS": "0",
            "programmes-INITIAL_FORMS": "0",
            "claims-TOTAL_FORMS": "0",
            "claims-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not Therapy.objects.filter(slug="sneaky").exists()


def test_editor_cannot_unpublish_on_the_change_form(client, editor):
    therapy = make_therapy()
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy))) | {"status": "draft"}
    response = client.post(change_url(therapy), data)
    assert "Only publishers may unpublish therapies" in response.content.decode()
    therapy.refresh_from_db()
    assert therapy.status == Status.PUBLISHED


def test_editor_is_offered_only_draft_and_review(client, editor):
    therapy = make_therapy(status=Status.DRAFT)
    client.force_login(editor)
    form = client.get(change_url(therapy)).context["adminform"].form
    assert [value for value, _ in form.fields["status"].widget.choices] == ["draft", "review"]


def test_editor_may_edit_and_submit_a_draft_on_the_change_form(client, editor):
    therapy = make_therapy(status=Status.DRAFT)
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy))) | {"status": "review", "summary": "New."}
    response = client.post(change_url(therapy), data)
    assert response.status_code == 302
    therapy.refresh_from_db()
    assert (therapy.status, therapy.summary) == (Status.REVIEW, "New.")


def test_publisher_publishing_on_the_change_form_stamps_published_at(client, publisher):
    therapy = make_therapy(status=Status.REVIEW)
    client.force_login(publisher)
    data = form_data(client.get(change_url(therapy))) | {"status": "published"}
    assert client.post(change_url(therapy), data).status_code == 302
    therapy.refresh_from_db()
    assert therapy.status == Status.PUBLISHED and therapy.published_at is not None


# Inline forms ------------------------------------------------------------------------------


def test_editor_publishing_a_claim_through_the_therapy_inline_is_refused(client, editor):
    therapy = make_therapy(status=Status.DRAFT)
    claim = make_claim(therapy=therapy, status=Status.DRAFT)
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data["claims-0-status"] = "published"
    response = client.post(change_url(therapy), data)
    assert response.status_code == 200
    assert "Only publishers may publish claims" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Status.DRAFT


def test_editor_deleting_a_published_programme_through_the_inline_is_refused(client, editor):
    therapy = make_therapy(status=Status.DRAFT)
    programme = make_programme(therapy=therapy)
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy)))
    data["programmes-0-DELETE"] = "on"
    response = client.post(change_url(therapy), data)
    assert response.status_code == 200
    assert "Only publishers may delete a published programme" in response.content.decode()
    assert type(programme).objects.filter(pk=programme.pk).exists()


# Actions -----------------------------------------------------------------------------------


def test_editor_posting_the_publish_action_changes_nothing(client, editor):
    therapy = make_therapy(status=Status.REVIEW)
    client.force_login(editor)
    response = run_action(client, Therapy, "publish", [therapy])
    assert "No action selected." in messages_of(response)
    therapy.refresh_from_db()
    assert therapy.status == Status.REVIEW


def test_editor_is_not_offered_publishing_actions(client, editor):
    client.force_login(editor)
    response = client.get(changelist_url(Claim))
    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "submit_for_review" in actions
    assert not {"publish", "unpublish", "archive"} & set(actions)


def test_editor_submits_drafts_and_is_told_which_were_refused(client, editor):
    draft = make_claim(status=Status.DRAFT)
    published = make_claim(statement="Already out.")
    client.force_login(editor)
    response = run_action(client, Claim, "submit_for_review", [draft, published])
    assert messages_of(response) == [
        "1 claim submitted for review.",
        "1 claim refused: “Already out.”: it is published, not a draft",
    ]
    draft.refresh_from_db()
    assert draft.status == Status.REVIEW


def test_publisher_publish_action_publishes_the_therapy_with_its_parts(client, publisher):
    therapy = make_therapy(status=Status.REVIEW)
    make_programme(therapy=therapy, status=Status.DRAFT)
    make_claim(therapy=therapy, status=Status.REVIEW)
    archived = make_claim(therapy=therapy, status=Status.ARCHIVED)
    client.force_login(publisher)
    response = run_action(client, Therapy, "publish", [therapy])
    assert messages_of(response) == ["1 therapy published, with 1 programmes and 1 claims."]
    assert therapy.programmes.get().status == Status.PUBLISHED
    assert set(therapy.claims.values_list("status", flat=True)) == {"published", "archived"}
    archived.refresh_from_db()
    assert archived.status == Status.ARCHIVED


def test_publisher_unpublish_action_keeps_the_first_publication_date(client, publisher):
    claim = make_claim()
    first_published = claim.published_at
    client.force_login(publisher)
    response = run_action(client, Claim, "unpublish", [claim])
    assert messages_of(response) == ["1 claim moved back to draft."]
    run_action(client, Claim, "publish", [Claim.objects.get(pk=claim.pk)])
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED and claim.published_at == first_published


# Deleting ----------------------------------------------------------------------------------


def test_editor_cannot_delete_a_published_record(client, editor):
    therapy = make_therapy()
    client.force_login(editor)
    delete_url = reverse("admin:therapies_therapy_delete", args=[therapy.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Therapy.objects.filter(pk=therapy.pk).exists()


def test_editor_may_delete_a_draft(client, editor):
    therapy = make_therapy(status=Status.DRAFT)
    client.force_login(editor)
    delete_url = reverse("admin:therapies_therapy_delete", args=[therapy.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Therapy.objects.filter(pk=therapy.pk).exists()


def test_editor_bulk_delete_of_published_records_is_refused(client, editor):
    therapy = make_therapy()
    client.force_login(editor)
    response = client.post(
        changelist_url(Therapy),
        {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [therapy.pk], "post": "yes"},
    )
    assert response.status_code in {200, 403}
    assert Therapy.objects.filter(pk=therapy.pk).exists()


# Services ----------------------------------------------------------------------------------


def test_services_refuse_an_editor_on_the_server(editor):
    claim = make_claim(status=Status.REVIEW)
    with pytest.raises(TransitionRefused, match="only publishers may publish claims"):
        publishable_publish(obj=claim, user=editor)
    with pytest.raises(TransitionRefused):
        publishable_unpublish(obj=make_claim(), user=editor)
    with pytest.raises(TransitionRefused):
        therapy_publish(therapy=make_therapy(status=Status.REVIEW), user=editor)


def test_therapy_publish_publishes_nothing_when_a_part_is_invalid(publisher):
    therapy = make_therapy(status=Status.REVIEW)
    # An invalid value slipped in past the form (a bulk update); publishing must stop.
    bad = make_claim(therapy=therapy, status=Status.DRAFT)
    Claim.objects.filter(pk=bad.pk).update(measure="Not A Slug!")
    with pytest.raises(Exception, match="measure"):
        therapy_publish(therapy=therapy, user=publisher)
    therapy.refresh_from_db()
    assert therapy.status == Status.REVIEW


def test_submit_records_the_user_on_the_history_row(editor):
    claim = make_claim(status=Status.DRAFT)
    publishable_submit(obj=claim, user=editor)
    latest = claim.history.latest()
    assert (latest.status, latest.history_user) == ("review", editor)
