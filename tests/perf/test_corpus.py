"""tests/perf/corpus.py: the synthetic benchmark corpus, built at a tiny scale."""

import io

import pytest
from django.core.management import CommandError, call_command

from genetx.cache import content_version
from genetx.models import Status
from hospitals.models import Institution, Programme
from sources.models import Author, Citation, Claim, Source
from tests.perf.corpus import Command
from therapies.models import Condition, Modality, RegulatoryDecision, Therapy

pytestmark = pytest.mark.django_db

SCALE = 50


def build(**options):
    call_command(Command(), scale=SCALE, stdout=io.StringIO(), **options)


def snapshot():
    """The corpus by natural keys only, so two builds compare regardless of primary keys."""
    return {
        "therapies": sorted(
            (t.slug, t.summary, t.modality.slug, tuple(sorted(c.slug for c in t.conditions.all())))
            for t in Therapy.objects.select_related("modality").prefetch_related("conditions")
        ),
        "citations": sorted(Citation.objects.values_list("claim__slug", "source__key")),
        "programmes": sorted(
            Programme.objects.values_list("institution__slug", "therapy__slug", "role")
        ),
        "authors": sorted(Author.objects.values_list("source__key", "position", "family")),
    }


def test_corpus_has_the_proportional_counts():
    build()
    assert Therapy.objects.count() == SCALE
    assert Institution.objects.count() == 10
    assert Source.objects.count() == 3 * SCALE
    assert Claim.objects.count() == 4 * SCALE
    assert Citation.objects.count() == 10 * SCALE
    assert Programme.objects.count() == 2 * SCALE
    assert Condition.objects.count() == 5
    assert Modality.objects.count() == 3
    assert RegulatoryDecision.objects.count() == 5


def test_every_record_is_published_and_visibly_synthetic():
    build()
    for model in (Therapy, Institution, Source, Claim, Condition, Programme):
        assert not model.objects.exclude(status=Status.PUBLISHED).exists()
        assert not model.objects.filter(published_at__isnull=True).exists()
    names = Therapy.objects.values_list("name", flat=True)
    assert all(name.startswith("Synthetic therapy") for name in names)
    titles = Source.objects.values_list("title", flat=True)
    assert all(title.startswith("Synthetic source") for title in titles)


def test_every_claim_cites_at_least_one_source():
    build()
    assert not Claim.objects.filter(citations__isnull=True).exists()


def test_corpus_writes_no_history_rows():
    build()
    assert Therapy.history.count() == 0
    assert Citation.history.count() == 0


def test_same_seed_builds_the_same_corpus():
    build(seed=7)
    first = snapshot()
    build(seed=7, reset=True)
    assert snapshot() == first


def test_different_seed_builds_a_different_corpus():
    build(seed=7)
    first = snapshot()
    build(seed=8)
    assert snapshot() != first
    assert Therapy.objects.count() == SCALE


def test_running_twice_does_not_duplicate():
    build()
    build()
    assert Therapy.objects.count() == SCALE
    assert Citation.objects.count() == 10 * SCALE


def test_delete_removes_only_synthetic_records():
    from tests.factories import make_claim, make_therapy

    make_therapy(slug="real-therapy")
    make_claim(slug="real-claim")
    build()
    build(delete=True)
    assert list(Therapy.objects.values_list("slug", flat=True)) == ["real-therapy"]
    assert list(Claim.objects.values_list("slug", flat=True)) == ["real-claim"]
    assert Citation.objects.count() == 1


def test_building_invalidates_the_page_cache():
    before = content_version()
    build()
    assert content_version() != before


def test_scale_out_of_range_is_refused():
    with pytest.raises(CommandError, match="--scale"):
        call_command(Command(), scale=1)
