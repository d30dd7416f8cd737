"""Every publishable model refuses a published record without its publication date."""

import pytest
from django.db import IntegrityError, transaction

from tests.factories import (
    make_claim,
    make_condition,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
)

pytestmark = pytest.mark.django_db

BUILDERS = [make_condition, make_therapy, make_institution, make_programme, make_source, make_claim]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda build: build.__name__)
def test_published_without_published_at_is_refused(build):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(status="published", published_at=None)


@pytest.mark.parametrize("build", BUILDERS, ids=lambda build: build.__name__)
def test_an_unknown_status_is_refused(build):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(status="secret")


@pytest.mark.parametrize("build", BUILDERS, ids=lambda build: build.__name__)
def test_a_draft_needs_no_publication_date(build):
    assert build(status="draft").published_at is None


def test_republishing_keeps_the_first_publication_date():
    therapy = make_therapy(status="draft")
    therapy.mark_published()
    first = therapy.published_at
    therapy.save()
    therapy.status = "draft"
    therapy.mark_published()
    assert therapy.published_at == first
