"""Review flags on claims: editable in the admin, and a filter for the open ones."""

import pytest
from django.urls import reverse

from genetx.models import Revision
from genetx.services import revision_approve
from sources.models import Claim
from tests.adminforms import form_data
from tests.factories import make_claim

pytestmark = pytest.mark.django_db


def test_needs_review_filter_lists_only_open_flags(admin_client):
    flagged = make_claim(review_status=Claim.Review.NEEDS_REVIEW, review_note="Check the year.")
    disputed = make_claim(review_status=Claim.Review.DISPUTED)
    make_claim(review_status=Claim.Review.VERIFIED)
    response = admin_client.get(reverse("admin:sources_claim_changelist") + "?flag=open")
    assert set(response.context["cl"].result_list) == {flagged, disputed}


def test_editor_flags_a_claim_for_review_with_a_note(client, editor, publisher):
    claim = make_claim()
    client.force_login(editor)
    url = reverse("admin:sources_claim_change", args=[claim.pk])
    data = form_data(client.get(url)) | {
        "review_status": "needs_review",
        "review_note": "The 2024 figure may be out of date.",
        "status": "review",
    }
    assert client.post(url, data).status_code == 302
    # The claim is published: the flag and note readers would see wait for a publisher.
    claim.refresh_from_db()
    assert claim.review_status == "verified"
    revision_approve(revision=Revision.objects.get(), user=publisher)
    claim.refresh_from_db()
    assert (claim.review_status, claim.review_note) == (
        "needs_review",
        "The 2024 figure may be out of date.",
    )
    assert Claim.objects.needing_review().get() == claim
