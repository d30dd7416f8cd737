"""What the institution QuerySet methods mean, and what they cost."""

import pytest

from hospitals.models import Institution
from tests.factories import make_institution, make_programme, make_therapy

pytestmark = pytest.mark.django_db


def test_offering_is_institutions_with_a_published_programme_for_the_therapy():
    therapy = make_therapy()
    develops = make_programme(therapy=therapy, role="develops").institution
    make_programme(therapy=therapy, role="treats", status="draft")
    make_programme(role="treats")
    assert list(Institution.objects.offering(therapy)) == [develops]


def test_offering_lists_an_institution_once_whatever_its_number_of_roles():
    therapy = make_therapy()
    institution = make_institution()
    make_programme(institution=institution, therapy=therapy, role="develops")
    make_programme(institution=institution, therapy=therapy, role="trial_site")
    assert list(Institution.objects.offering(therapy)) == [institution]


def test_offering_then_published_hides_draft_institutions():
    therapy = make_therapy()
    make_programme(institution=make_institution(status="draft"), therapy=therapy)
    assert Institution.objects.offering(therapy).exists()
    assert not Institution.objects.offering(therapy).published().exists()


def test_institution_listing_counts_published_programmes_in_one_query(django_assert_num_queries):
    institution = make_institution()
    make_programme(institution=institution)
    make_programme(institution=institution)
    make_programme(institution=institution, status="draft")
    make_institution(status="draft")
    with django_assert_num_queries(1):
        counts = {i.pk: i.programme_count for i in Institution.objects.for_listing()}
    assert counts == {institution.pk: 2}


def test_institution_detail_shows_published_programmes_of_published_therapies():
    institution = make_institution()
    shown = make_programme(institution=institution)
    make_programme(institution=institution, status="draft")
    make_programme(institution=institution, therapy=make_therapy(status="draft"))
    found = Institution.objects.for_detail().get(pk=institution.pk)
    assert list(found.programmes.all()) == [shown]
