"""Approved changes to a live record that go live later: checked at approval, applied by
publish_scheduled at their time, refused (and reported) if the record moved on meanwhile."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from genetx.models import Revision, RevisionStatus
from tests.adminforms import form_data
from tests.factories import make_therapy

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
LATER = "2026-03-02T09:00"
AT_LATER = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def change_url(obj):
    return reverse("admin:therapies_therapy_change", args=[obj.pk])


def compare_url(revision):
    return reverse("admin:genetx_revision_change", args=[revision.pk])


def propose(client, editor, therapy, **changes) -> Revision:
    client.force_login(editor)
    data = form_data(client.get(change_url(therapy))) | changes | {"status": "review"}
    assert client.post(change_url(therapy), data).status_code == 302
    return Revision.objects.open().for_object(therapy).get()


def scheduled_change(client, editor, publisher) -> tuple:
    """A therapy whose summary change an editor proposed and a publisher approved for LATER."""
    therapy = make_therapy(slug="ari", summary="Old summary.")
    revision = propose(client, editor, therapy, summary="New summary.")
    client.force_login(publisher)
    client.post(compare_url(revision), {"action": "approve", "go_live_at": LATER})
    return therapy, revision


def run_schedule() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("publish_scheduled", "--skip-open-data", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def summary_of(therapy) -> str:
    return type(therapy).objects.values_list("summary", flat=True).get(pk=therapy.pk)


@time_machine.travel(NOON, tick=False)
def test_approved_for_later_the_change_waits_then_goes_live_once(client, editor, publisher):
    therapy = make_therapy(slug="ari", summary="Old summary.")
    revision = propose(client, editor, therapy, summary="New summary.")

    client.force_login(publisher)
    response = client.post(
        compare_url(revision), {"action": "approve", "go_live_at": LATER}, follow=True
    )
    assert "go live on 02 Mar 2026 at 09:00" in response.content.decode()
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SCHEDULED
    assert revision.go_live_at == AT_LATER
    assert revision.decided_by == publisher
    assert summary_of(therapy) == "Old summary."  # checked, not applied
    page = client.get(compare_url(revision)).content.decode()
    assert 'id="schedule"' in page and "unschedule-form" in page

    assert run_schedule() == ("", "")  # not yet
    assert summary_of(therapy) == "Old summary."

    with time_machine.travel(AT_LATER, tick=False):
        out, err = run_schedule()
        assert "Published therapy" in out and err == ""
        assert summary_of(therapy) == "New summary."
        revision.refresh_from_db()
        assert (revision.status, revision.go_live_at) == (RevisionStatus.APPROVED, None)
        latest = therapy.history.order_by("-history_date").first()
        assert "applied on schedule (2026-03-02 09:00 UTC)" in latest.history_change_reason
        assert latest.history_user == publisher
        assert run_schedule() == ("", "")  # applied once


@time_machine.travel(NOON, tick=False)
def test_a_record_changed_meanwhile_is_refused_at_go_live_and_reported(client, editor, publisher):
    therapy, revision = scheduled_change(client, editor, publisher)
    # Someone with publish rights changes the live record directly in the meantime.
    therapy.refresh_from_db()
    therapy.name = "Renamed live"
    therapy.save()

    with time_machine.travel(AT_LATER, tick=False):
        out, err = run_schedule()
        assert "approved changes not applied" in err and "was changed" in err
        assert summary_of(therapy) == "Old summary."
        revision.refresh_from_db()
        assert revision.status == RevisionStatus.SCHEDULED  # reported until someone acts
        assert "approved changes not applied" in run_schedule()[1]


@time_machine.travel(NOON, tick=False)
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tomorrow-ish", "is not a date and time"),
        ("2026-02-30T09:00", "is not a date and time"),
        ("2026-03-01T11:00", "not in the future"),
        ("x" * 5000, "is not a date and time"),
    ],
)
def test_a_bad_go_live_time_is_refused_with_a_message_and_nothing_changes(
    client, editor, publisher, value, message
):
    therapy = make_therapy(slug="ari", summary="Old summary.")
    revision = propose(client, editor, therapy, summary="New summary.")
    client.force_login(publisher)
    response = client.post(
        compare_url(revision), {"action": "approve", "go_live_at": value}, follow=True
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SUBMITTED
    assert summary_of(therapy) == "Old summary."


@time_machine.travel(NOON, tick=False)
def test_cancelling_the_schedule_returns_it_to_review(client, editor, publisher):
    therapy, revision = scheduled_change(client, editor, publisher)

    client.force_login(editor)  # an editor may not cancel a publisher's schedule
    client.post(compare_url(revision), {"action": "unschedule"})
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.SCHEDULED

    client.force_login(publisher)
    client.post(compare_url(revision), {"action": "unschedule"})
    revision.refresh_from_db()
    assert (revision.status, revision.go_live_at) == (RevisionStatus.SUBMITTED, None)
    with time_machine.travel(AT_LATER, tick=False):
        run_schedule()
    assert summary_of(therapy) == "Old summary."


@time_machine.travel(NOON, tick=False)
def test_editing_a_scheduled_revision_voids_the_approval(client, editor, publisher):
    therapy, revision = scheduled_change(client, editor, publisher)

    client.force_login(editor)
    data = form_data(client.get(change_url(therapy))) | {"summary": "Other summary."}
    assert client.post(change_url(therapy), data).status_code == 302
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.DRAFT
    assert (revision.go_live_at, revision.decided_by) == (None, None)
    with time_machine.travel(AT_LATER, tick=False):
        run_schedule()
    assert summary_of(therapy) == "Old summary."
