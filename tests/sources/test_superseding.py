"""Superseding: only a published claim replaces a published one for readers."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from genetx.models import Status
from genetx.services import publishable_publish, publishable_unpublish
from sources.models import Claim
from tests.adminforms import form_data
from tests.factories import make_figure

pytestmark = pytest.mark.django_db


def supersede(old, new):
    old.superseded_by = new
    old.review_status = Claim.Review.SUPERSEDED
    old.full_clean()
    old.save()


def test_a_draft_successor_does_not_replace_a_published_figure(client):
    old = make_figure(value=1859, measure="requests", statement="Old count.")
    new = make_figure(value=2100, measure="requests", statement="New count.", status="draft")
    supersede(old, new)
    assert list(Claim.objects.published().current()) == [old]
    assert list(client.get(reverse("home")).context["figures"]) == [old]
    detail = client.get(old.get_absolute_url()).content.decode()
    assert "Superseded by" not in detail and "<dd>Verified</dd>" in detail


def test_the_successor_takes_effect_when_published_and_undoes_when_unpublished(client, publisher):
    old = make_figure(value=1859, measure="requests", statement="Old count.")
    new = make_figure(value=2100, measure="requests", statement="New count.", status="draft")
    supersede(old, new)
    publishable_publish(obj=new, user=publisher)
    assert list(Claim.objects.published().current()) == [new]
    assert list(Claim.objects.superseded()) == [old]
    assert list(client.get(reverse("home")).context["figures"]) == [new]
    assert "Superseded by a newer figure" in client.get(old.get_absolute_url()).content.decode()
    publishable_unpublish(obj=new, user=publisher)
    assert list(Claim.objects.published().current()) == [old]


def test_an_archived_claim_cannot_supersede(client):
    old = make_figure(value=1, measure="m")
    gone = make_figure(value=2, measure="m", status=Status.ARCHIVED)
    with pytest.raises(ValidationError) as refused:
        supersede(old, gone)
    message = " ".join(refused.value.message_dict["superseded_by"])
    assert "Only a published claim supersedes a published one" in message
    assert "takes effect when it is published, never before" in message


def test_two_claims_cannot_supersede_each_other():
    one = make_figure(value=1, measure="m")
    two = make_figure(value=2, measure="m")
    supersede(one, two)
    with pytest.raises(ValidationError, match="cannot replace each other"):
        supersede(two, one)


def test_admin_says_a_draft_successor_waits_for_publication(client, publisher):
    old = make_figure(value=1, measure="m")
    new = make_figure(value=2, measure="m", status="draft")
    client.force_login(publisher)
    url = reverse("admin:sources_claim_change", args=[old.pk])
    data = form_data(client.get(url)) | {
        "superseded_by": str(new.pk),
        "review_status": "superseded",
    }
    response = client.post(url, data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("does not replace" in m and "until it is" in m for m in messages)
