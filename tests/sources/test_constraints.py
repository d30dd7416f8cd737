"""The database, not only the forms, refuses bad references, claims and figures."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from sources.models import Claim, Source
from sources.validators import normalise_doi
from tests.factories import make_claim, make_figure, make_source

pytestmark = pytest.mark.django_db


def test_doi_links_and_prefixes_are_stored_as_the_bare_lower_case_doi():
    assert normalise_doi("https://doi.org/10.1016/J.MEDCLI.2021.10.005") == (
        "10.1016/j.medcli.2021.10.005"
    )
    assert normalise_doi(" http://dx.doi.org/10.X/ABC ") == "10.x/abc"
    assert normalise_doi("doi:10.1016/ABC") == "10.1016/abc"
    source = make_source(doi="https://doi.org/10.1016/S1470-2045(23)00222-X")
    source.refresh_from_db()
    assert source.doi == "10.1016/s1470-2045(23)00222-x"


def test_a_doi_pasted_as_a_link_passes_validation():
    source = Source(key="pasted", kind="journal_article", doi="https://doi.org/10.1016/J.X.1")
    source.full_clean()
    assert source.doi == "10.1016/j.x.1"


@pytest.mark.parametrize(
    "variant",
    [
        "10.1016/j.medcli.2021.10.005",
        "10.1016/J.MEDCLI.2021.10.005",
        "https://doi.org/10.1016/j.medcli.2021.10.005",
        "doi:10.1016/J.Medcli.2021.10.005",
    ],
)
def test_a_second_source_with_the_same_doi_is_refused(variant):
    make_source(doi="10.1016/j.medcli.2021.10.005")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_source(doi=variant)


def test_the_database_compares_dois_without_case_even_when_save_is_bypassed():
    make_source(doi="10.1016/abc")
    # bulk_create skips save() and its normalisation: the unique index on lower(doi) holds.
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.bulk_create([Source(key="bypass", kind="report", doi="10.1016/ABC")])


def test_sources_without_a_doi_do_not_collide():
    make_source(doi="")
    make_source(doi="")
    assert Source.objects.filter(doi="").count() == 2


def test_a_malformed_doi_gets_a_message_an_editor_understands():
    source = Source(key="bad-doi", kind="journal_article", doi="medcli.2021.10.005")
    with pytest.raises(ValidationError) as caught:
        source.full_clean()
    assert "is not a DOI. A DOI starts with 10." in caught.value.message_dict["doi"][0]


def test_the_database_refuses_a_doi_that_does_not_start_with_10():
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.bulk_create([Source(key="bypass", kind="report", doi="11.1/x")])


def test_deleting_a_cited_source_is_refused():
    source = make_source()
    make_claim(sources=[source])
    with pytest.raises(ProtectedError) as caught, transaction.atomic():
        source.delete()
    assert "Citation.source" in str(caught.value)
    assert Source.objects.filter(pk=source.pk).exists()


def test_deleting_a_source_nobody_cites_is_allowed():
    source = make_source()
    source.delete()
    assert not Source.objects.filter(pk=source.pk).exists()


def test_an_attribution_must_name_the_source_that_reports_it():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_source(kind="attribution", container_title="The Lancet")
    attribution = Source(key="lancet-study", kind="attribution", container_title="The Lancet")
    with pytest.raises(ValidationError) as caught:
        attribution.full_clean()
    assert caught.value.message_dict["reported_by"] == [
        "An attribution must name the source that makes it."
    ]


def test_an_issued_date_needs_its_precision_and_a_plausible_year():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_source(issued=datetime.date(2022, 1, 1), issued_precision="")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_source(issued=datetime.date(1700, 1, 1), issued_precision="year")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_source(issued=datetime.date(2101, 1, 1), issued_precision="year")


def test_an_unknown_source_kind_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_source(kind="blog")


def test_a_percentage_above_100_is_refused_by_the_database_and_the_form():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_figure(value=120, unit="percent")
    claim = Claim(slug="too-much", statement="More than all of them.", value=120, unit="percent")
    with pytest.raises(ValidationError) as caught:
        claim.full_clean()
    assert "A percentage must be between 0 and 100." in caught.value.message_dict["value"]


def test_a_count_above_100_is_fine():
    assert make_figure(value=1859, unit="count").value == 1859


def test_a_figure_without_a_unit_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_figure(value=5, unit="")
    claim = Claim(slug="no-unit", statement="Five.", value=5)
    with pytest.raises(ValidationError) as caught:
        claim.full_clean()
    assert caught.value.message_dict["unit"] == ["A figure needs a unit."]


def test_a_superseded_claim_must_have_superseded_status():
    newer = make_figure(value=2000, measure="requests")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_figure(value=1859, measure="requests", superseded_by=newer)
    older = Claim(slug="older", statement="Old.", superseded_by=newer)
    with pytest.raises(ValidationError) as caught:
        older.full_clean()
    assert "Superseded" in caught.value.message_dict["review_status"][0]


def test_a_claim_cannot_supersede_itself():
    claim = make_claim(review_status="superseded")
    claim.superseded_by = claim
    with pytest.raises(IntegrityError), transaction.atomic():
        claim.save()


def test_a_newer_figure_supersedes_an_older_one_without_deleting_it():
    older = make_figure(value=1859, measure="spain-car-t-requests", qualifier="more_than")
    newer = make_figure(value=2500, measure="spain-car-t-requests")
    older.superseded_by = newer
    older.review_status = Claim.Review.SUPERSEDED
    older.full_clean()
    older.save()
    current = Claim.objects.filter(measure="spain-car-t-requests").current()
    assert list(current) == [newer]
    assert list(newer.supersedes.all()) == [older]
    assert Claim.objects.filter(pk=older.pk).exists()


def test_deleting_the_newer_figure_returns_the_older_one_to_current():
    older = make_figure(value=1, measure="m", review_status="superseded")
    newer = make_figure(value=2, measure="m")
    Claim.objects.filter(pk=older.pk).update(superseded_by=newer)
    # The claim_superseded_status constraint only binds while superseded_by is set.
    newer.delete()
    older.refresh_from_db()
    assert older.superseded_by is None


@pytest.mark.parametrize("field", ["as_of", "event_date"])
def test_claim_dates_out_of_range_are_refused(field):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_claim(**{field: datetime.date(1799, 12, 31), f"{field}_precision": "day"})


def test_claim_dates_need_a_precision():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_claim(event_date=datetime.date(2018, 1, 1), event_date_precision="")


def test_full_clean_fills_a_missing_date_precision_with_day():
    claim = Claim(slug="dated", statement="Dated.", event_date=datetime.date(2023, 6, 22))
    claim.full_clean()
    assert claim.event_date_precision == "day"


def test_an_unknown_review_status_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_claim(review_status="maybe")


def test_a_claim_cites_a_source_only_once():
    source = make_source()
    claim = make_claim(sources=[source])
    with pytest.raises(IntegrityError), transaction.atomic():
        claim.citations.create(source=source, position=2)


def test_author_positions_are_unique_per_source_and_an_author_needs_a_name():
    source = make_source(authors=[("Catalá", "E.")])
    with pytest.raises(IntegrityError), transaction.atomic():
        source.authors.create(position=1, family="Iacoboni")
    with pytest.raises(IntegrityError), transaction.atomic():
        source.authors.create(position=2, given="G.")
