"""Counts kept on rows (genetx.counts), so that lists sort by them from an index: how many
published claims cite a source, published therapies a condition has, published programmes
an institution runs. Every write path must keep them true."""

import io
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from genetx.counts import KEPT_COUNTS
from genetx.models import Revision, Status
from genetx.services import publishable_publish, publishable_unpublish, revision_approve
from hospitals.models import Institution, Programme
from sources.models import Citation, Claim, Source
from tests.adminforms import form_data
from tests.factories import (
    make_claim,
    make_condition,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
)
from therapies.models import Condition, Therapy

pytestmark = pytest.mark.django_db


def count(source) -> int:
    return Source.objects.values_list("citation_count", flat=True).get(pk=source.pk)


def all_true() -> bool:
    return not any(kept.miscounted(kept.model._base_manager.all()).exists() for kept in KEPT_COUNTS)


def test_only_published_claims_count_each_once():
    source = make_source()
    make_claim(sources=[source])
    make_claim(sources=[source, make_source()])
    make_claim(sources=[source], status="draft")
    assert count(source) == 2
    assert all_true()


def test_publishing_and_unpublishing_a_claim_moves_the_count(publisher):
    source = make_source()
    claim = make_claim(sources=[source], status="draft")
    assert count(source) == 0
    publishable_publish(obj=claim, user=publisher)
    assert count(source) == 1
    publishable_unpublish(obj=Claim.objects.get(pk=claim.pk), user=publisher)
    assert count(source) == 0


def test_moving_or_deleting_a_citation_recounts_both_sources():
    first, second = make_source(), make_source()
    claim = make_claim(sources=[first])
    citation = Citation.objects.get(claim=claim)
    citation.source = second
    citation.save()
    assert (count(first), count(second)) == (0, 1)
    Citation.objects.get(pk=citation.pk).delete()
    assert count(second) == 0


def test_deleting_a_claim_uncounts_its_sources():
    source = make_source()
    claim = make_claim(sources=[source])
    make_claim(sources=[source])
    claim.delete()
    assert count(source) == 1


@pytest.mark.parametrize(
    ("make_counted", "count_it", "field"),
    [
        (make_source, lambda source: make_claim(sources=[source]), "citation_count"),
        (make_condition, lambda condition: make_therapy(conditions=[condition]), "therapy_count"),
        (make_institution, lambda place: make_programme(institution=place), "programme_count"),
    ],
)
def test_saving_a_record_read_before_its_count_changed_keeps_the_new_count(
    make_counted, count_it, field
):
    """save() writes every column, the count it read included: the count is made again."""
    record = make_counted()
    stale = type(record).objects.get(pk=record.pk)
    count_it(record)
    stale.save()
    assert getattr(type(record).objects.get(pk=record.pk), field) == 1


def test_an_edit_of_a_published_claim_counts_when_it_goes_live(client, editor, publisher):
    """A citation moved to another source in a revision changes nothing until approved."""
    first, second = make_source(), make_source()
    claim = make_claim(sources=[first])
    client.force_login(editor)
    url = reverse("admin:sources_claim_change", args=[claim.pk])
    data = form_data(client.get(url)) | {"citations-0-source": str(second.pk), "status": "review"}
    assert client.post(url, data).status_code == 302
    assert (count(first), count(second)) == (1, 0)
    revision_approve(revision=Revision.objects.get(), user=publisher)
    assert (count(first), count(second)) == (0, 1)


def test_the_demo_is_loaded_with_true_counts():
    call_command("load_demo", stdout=io.StringIO())
    assert Source.objects.get(key="catala-2022").citation_count > 0
    assert Condition.objects.filter(therapy_count__gt=0).exists()
    assert Institution.objects.filter(programme_count__gt=0).exists()
    assert all_true()


def test_the_command_reports_and_repairs_counts_written_behind_djangos_back():
    source = make_source(key="drifted")
    make_claim(sources=[source])
    condition = make_condition(slug="drifted-too")
    make_therapy(conditions=[condition])
    Source.objects.filter(pk=source.pk).update(citation_count=7)  # as raw SQL would
    Condition.objects.filter(pk=condition.pk).update(therapy_count=0)
    with pytest.raises(CommandError) as refused:
        call_command("recount", "--check", stdout=io.StringIO())
    assert "sources.source.citation_count of drifted" in str(refused.value)
    assert "therapies.condition.therapy_count of drifted-too" in str(refused.value)
    assert count(source) == 7  # --check changes nothing
    out = io.StringIO()
    call_command("recount", stdout=out)
    assert "sources.source.citation_count: 1 corrected." in out.getvalue()
    assert "therapies.condition.therapy_count: 1 corrected." in out.getvalue()
    assert count(source) == 1
    call_command("recount", "--check", stdout=out)
    assert "Every kept count is right." in out.getvalue()


def test_the_list_sorts_by_the_stored_count(client):
    rarely, often = make_source(title="Rarely cited"), make_source(title="Often cited")
    make_claim(sources=[rarely])
    for _ in range(3):
        make_claim(sources=[often])
    response = client.get("/sources/?sort=cited")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Often cited") < html.index("Rarely cited")
    assert "cited by 3 claims" in html


@pytest.mark.django_db(transaction=True)
def test_two_claims_published_at_once_are_both_counted():
    """Each recount locks the source row first: the second waits for the first to commit,
    then counts both claims (without the lock its count missed the other's claim)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite runs one writer at a time")
    source = make_source()
    claims = [make_claim(sources=[source], status="draft") for _ in range(2)]
    first_counted, second_started = threading.Event(), threading.Event()

    def publish(claim, before_commit):
        try:
            with transaction.atomic():
                claim.status, claim.published_at = Status.PUBLISHED, timezone.now()
                claim.save()
                before_commit()
        finally:
            connections.close_all()

    def hold():
        first_counted.set()
        second_started.wait(timeout=10)

    first = threading.Thread(target=publish, args=(claims[0], hold))
    first.start()
    first_counted.wait(timeout=10)
    second = threading.Thread(target=publish, args=(claims[1], lambda: None))
    second.start()
    with connection.cursor() as cursor:  # until the second waits for the first's lock
        for _ in range(200):
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
    second_started.set()
    first.join()
    second.join()
    assert count(source) == 2


# Therapies of a condition -------------------------------------------------------------


def therapies_of(condition) -> int:
    return Condition.objects.values_list("therapy_count", flat=True).get(pk=condition.pk)


def test_linking_unlinking_and_clearing_conditions_recount_them(publisher):
    first, second = make_condition(), make_condition()
    therapy = make_therapy(conditions=[first])
    assert (therapies_of(first), therapies_of(second)) == (1, 0)
    therapy.conditions.add(second)
    assert therapies_of(second) == 1
    therapy.conditions.remove(first)
    assert therapies_of(first) == 0
    second.therapies.add(make_therapy())  # from the condition's side
    assert therapies_of(second) == 2
    therapy.conditions.clear()
    assert therapies_of(second) == 1
    make_therapy(conditions=[first], status="draft")
    assert therapies_of(first) == 0  # drafts are not counted
    assert all_true()


def test_publishing_unpublishing_and_deleting_a_therapy_recount_its_conditions(publisher):
    condition = make_condition()
    therapy = make_therapy(conditions=[condition], status="draft")
    publishable_publish(obj=therapy, user=publisher)
    assert therapies_of(condition) == 1
    publishable_unpublish(obj=Therapy.objects.get(pk=therapy.pk), user=publisher)
    assert therapies_of(condition) == 0
    other = make_therapy(conditions=[condition])
    assert therapies_of(condition) == 1
    other.delete()
    assert therapies_of(condition) == 0


# Programmes of an institution ---------------------------------------------------------


def programmes_of(institution) -> int:
    return Institution.objects.values_list("programme_count", flat=True).get(pk=institution.pk)


def test_programmes_are_counted_where_they_are_and_when_published():
    first, second = make_institution(), make_institution()
    programme = make_programme(institution=first)
    make_programme(institution=first, status="draft")
    assert programmes_of(first) == 1
    moved = Programme.objects.get(pk=programme.pk)
    moved.institution = second
    moved.save()
    assert (programmes_of(first), programmes_of(second)) == (0, 1)
    Programme.objects.get(pk=programme.pk).delete()
    assert programmes_of(second) == 0
    assert all_true()
