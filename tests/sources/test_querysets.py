"""What the source and claim QuerySet methods mean, and what they cost."""

import pytest

from sources.models import Claim, Source
from tests.factories import make_claim, make_figure, make_source

pytestmark = pytest.mark.django_db


def test_citing_is_the_claims_that_cite_the_source():
    source = make_source()
    first = make_claim(sources=[source])
    second = make_claim(sources=[make_source(), source])
    make_claim()
    assert set(Claim.objects.citing(source)) == {first, second}
    assert Claim.objects.citing(source).count() == 2


def test_needing_review_is_flagged_and_disputed_claims():
    flagged = make_claim(review_status="needs_review", review_note="Odd venue.")
    disputed = make_claim(review_status="disputed")
    make_claim(review_status="verified")
    make_claim(review_status="superseded")
    assert set(Claim.objects.needing_review()) == {flagged, disputed}


def test_current_leaves_out_superseded_figures_and_figures_keeps_numbers_only():
    newer = make_figure(value=2000, measure="requests")
    older = make_figure(value=1859, measure="requests", review_status="superseded")
    Claim.objects.filter(pk=older.pk).update(superseded_by=newer)
    words = make_claim()
    assert set(Claim.objects.current()) == {newer, words}
    assert set(Claim.objects.figures()) == {newer, older}


def test_cited_is_sources_that_some_claim_cites_listed_once():
    cited = make_source()
    make_claim(sources=[cited])
    make_claim(sources=[cited])
    make_source()
    assert list(Source.objects.cited()) == [cited]


def test_source_listing_is_published_sources_with_authors_in_three_queries(
    django_assert_num_queries,
):
    article = make_source(authors=[("Catalá", "E."), ("Iacoboni", "G."), ("Barba", "P.")])
    for _ in range(5):
        make_source(authors=[("Puerto", "G.")])
    make_source(status="draft")
    make_source(kind="attribution", reported_by=article, issued=None, issued_precision="")
    # Sources, their authors, and the authors of the sources that report attributions (the
    # list names the reporter of each attribution).
    with django_assert_num_queries(3):
        labels = [
            (s.short_label, s.reported_by, s.citation_count) for s in Source.objects.for_listing()
        ]
    assert len(labels) == 7
    assert ("Catalá et al. (2022)", None, 0) in labels


def test_about_therapy_and_institution_include_claims_through_programmes():
    from tests.factories import make_institution, make_programme, make_therapy

    therapy, institution = make_therapy(), make_institution()
    programme = make_programme(therapy=therapy, institution=institution)
    direct = make_claim(therapy=therapy)
    through = make_claim(programme=programme)
    at_institution = make_claim(institution=institution)
    make_claim(therapy=make_therapy())
    make_claim(programme=make_programme())
    assert set(Claim.objects.about_therapy(therapy)) == {direct, through}
    assert set(Claim.objects.about_institution(institution)) == {through, at_institution}
    assert list(Claim.objects.about_programme(programme)) == [through]
    # Named methods compose with the others: each claim once, published only.
    make_claim(therapy=therapy, programme=programme, status="draft")
    assert Claim.objects.published().about_therapy(therapy).count() == 2
