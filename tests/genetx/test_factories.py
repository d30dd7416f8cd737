import pytest

from tests.factories import make_claim, make_decision, make_programme, make_source

pytestmark = pytest.mark.django_db


def test_builders_make_published_records_that_cite_sources():
    source = make_source(authors=[("Catalá", "E."), ("Iacoboni", "G.")])
    claim = make_claim(sources=[source])
    assert claim.is_published and claim.published_at is not None
    assert [c.source for c in claim.citations.all()] == [source]
    assert [a.family for a in source.authors.all()] == ["Catalá", "Iacoboni"]
    assert make_programme().therapy.is_published
    assert make_decision().agency.kind == "regulator"
