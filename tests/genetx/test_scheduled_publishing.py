"""Scheduled publishing: publish_scheduled applies go-live and expiry dates through the gates."""

import datetime
import io
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from genetx.models import Status
from sources.models import Claim, Source
from tests.adminforms import form_data
from tests.factories import make_claim, make_source

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


def run() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("publish_scheduled", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def status_of(obj):
    return type(obj)._base_manager.values_list("status", flat=True).get(pk=obj.pk)


@time_machine.travel(NOON, tick=False)
def test_a_record_goes_live_at_its_time_once_and_history_says_so():
    claim = make_claim(status="draft", go_live_at=NOON + datetime.timedelta(minutes=5))
    assert run() == ("", "")
    assert status_of(claim) == Status.DRAFT
    with time_machine.travel(NOON + datetime.timedelta(minutes=5), tick=False):
        out, _ = run()
        assert "Published claim" in out
        again, _ = run()  # idempotent: nothing left to do
        assert again == ""
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED and claim.go_live_at is None
    assert claim.published_at == NOON + datetime.timedelta(minutes=5)
    row = claim.history.latest()
    assert row.history_user is None
    assert row.history_change_reason == "Published on schedule (go-live 2026-03-01 12:05 UTC)"
    assert claim.history.filter(status=Status.PUBLISHED).count() == 1


@time_machine.travel(NOON, tick=False)
def test_going_live_obeys_the_gates_and_is_reported_until_fixed():
    draft_source = make_source(status="draft")
    claim = make_claim(status="draft", sources=[draft_source], go_live_at=NOON)
    out, err = run()
    assert "Refused claim" in err and "none of its sources is published" in err
    claim.refresh_from_db()
    assert claim.status == Status.DRAFT and claim.go_live_at == NOON  # kept: retried later
    Source.objects.filter(pk=draft_source.pk).update(status="published", published_at=NOON)
    run()
    assert status_of(claim) == Status.PUBLISHED


@time_machine.travel(NOON, tick=False)
def test_a_record_expires_back_to_draft():
    claim = make_claim(expires_at=NOON - datetime.timedelta(seconds=1))
    out, _ = run()
    assert "Unpublished (expired) claim" in out
    claim.refresh_from_db()
    assert claim.status == Status.DRAFT and claim.expires_at is None
    assert claim.history.latest().history_change_reason.startswith("Unpublished on schedule")


@time_machine.travel(NOON, tick=False)
def test_expiry_of_the_only_source_of_a_published_claim_is_refused():
    source = make_source(expires_at=NOON)
    claim = make_claim(sources=[source])
    _, err = run()
    assert "Refused source" in err and claim.statement[:20] in err
    assert status_of(source) == Status.PUBLISHED and status_of(claim) == Status.PUBLISHED


def test_expiry_must_follow_go_live():
    from django.core.exceptions import ValidationError

    claim = make_claim()
    claim.go_live_at, claim.expires_at = NOON, NOON - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="expires_after_go_live"):
        claim.full_clean()


def test_editors_cannot_schedule_publication(client, editor):
    claim = make_claim(status="draft")
    client.force_login(editor)
    url = reverse("admin:sources_claim_change", args=[claim.pk])
    data = form_data(client.get(url)) | {"go_live_at_0": "2026-03-01", "go_live_at_1": "12:00"}
    client.post(url, data)
    assert Claim.objects.get(pk=claim.pk).go_live_at is None


def test_publishers_schedule_in_the_change_form(client, publisher):
    claim = make_claim(status="draft")
    client.force_login(publisher)
    url = reverse("admin:sources_claim_change", args=[claim.pk])
    data = form_data(client.get(url)) | {"go_live_at_0": "2026-03-01", "go_live_at_1": "12:00"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).go_live_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_publish_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) need PostgreSQL; SQLite runs one writer at a time")
    claims = [make_claim(status="draft", go_live_at=timezone.now()) for _ in range(5)]
    barrier = threading.Barrier(2)
    outputs = []

    def worker():
        try:
            barrier.wait()
            outputs.append(run()[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(out.count("Published claim") for out in outputs) == 5
    for claim in claims:
        assert claim.history.filter(status=Status.PUBLISHED).count() == 1
