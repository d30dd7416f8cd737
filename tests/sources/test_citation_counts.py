"""Source.citation_count: how many published claims cite a source, kept on the row so the
source list can sort by it from an index. Every write path must keep it true."""

import io
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from genetx.models import Revision, Status
from genetx.services import publishable_publish, publishable_unpublish, revision_approve
from sources.models import Citation, Claim, Source
from tests.adminforms import form_data
from tests.factories import make_claim, make_source

pytestmark = pytest.mark.django_db


def count(source) -> int:
    return Source.objects.values_list("citation_count", flat=True).get(pk=source.pk)


def test_only_published_claims_count_each_once():
    source = make_source()
    make_claim(sources=[source])
    make_claim(sources=[source, make_source()])
    make_claim(sources=[source], status="draft")
    assert count(source) == 2
    assert not Source.objects.miscounted().exists()


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


def test_saving_a_source_read_before_a_claim_was_published_keeps_the_new_count():
    """save() writes every column, the count it read included: the count is made again."""
    source = make_source()
    stale = Source.objects.get(pk=source.pk)
    make_claim(sources=[source])
    stale.title = "A corrected title"
    stale.save()
    assert count(source) == 1


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
    cited = Source.objects.get(key="catala-2022")
    assert cited.citation_count > 0
    assert not Source.objects.miscounted().exists()


def test_the_command_reports_and_repairs_a_count_written_behind_djangos_back():
    source = make_source(key="drifted")
    make_claim(sources=[source])
    Source.objects.filter(pk=source.pk).update(citation_count=7)  # as raw SQL would
    with pytest.raises(CommandError, match="1 source\\(s\\) with a wrong citation count: drifted"):
        call_command("recount_citations", "--check", stdout=io.StringIO())
    assert count(source) == 7  # --check changes nothing
    out = io.StringIO()
    call_command("recount_citations", stdout=out)
    assert "1 source(s) corrected" in out.getvalue()
    assert count(source) == 1
    call_command("recount_citations", "--check", stdout=out)
    assert "right" in out.getvalue()


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
