"""Each list and detail page runs a fixed number of queries, however many rows it shows.

Every page is measured on a small world, then again after ten times the rows (one world
for the module, tests/growth.py); both measurements must equal the page's budget.
"""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse

from hospitals.views import InstitutionDetailView
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_figure,
    make_institution,
    make_modality,
    make_programme,
    make_source,
    make_therapy,
    make_trial,
)
from tests.growth import measure_growth
from therapies.models import TrialCitation, TrialSite
from therapies.views import ConditionDetailView

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


class World:
    """A therapy, condition, institution, source and claim at the centre of growing data."""

    def __init__(self):
        self.modality = make_modality(slug="car-t", name="CAR-T")
        self.condition = make_condition(slug="focus-condition")
        self.therapy = make_therapy(
            slug="focus-therapy", modality=self.modality, conditions=[self.condition]
        )
        self.institution = make_institution(slug="focus-institution", kind="regulator")
        self.source = make_source(key="focus-source", authors=[("Catalá", "E."), ("Barba", "P.")])
        self.claim = make_figure(
            value=2000,
            slug="focus-claim",
            therapy=self.therapy,
            sources=[self.source],
            measure="requests",
        )
        self.trial = make_trial(
            slug="focus-trial",
            therapies=[self.therapy],
            conditions=[self.condition],
            sites=[self.institution],
            sources=[self.source],
        )

    def grow(self, k: int) -> None:
        """Add k more of every related row around the focus records."""
        for _ in range(k):
            n = next(_serial)
            child = make_condition(parent=self.condition)
            other = make_therapy(modality=self.modality, conditions=[child, self.condition])
            self.therapy.conditions.add(child)
            other_source = make_source(
                authors=[(f"Author{n}", "A."), ("Second", "B.")], institution=self.institution
            )
            attribution = make_source(
                kind="attribution", container_title="The Lancet", reported_by=other_source
            )
            make_programme(institution=self.institution, therapy=other)
            # Placed institutions, so the maps of the therapy and institution list draw
            # a marker for each (Barcelona, at city level, as the demo).
            place = {"latitude": Decimal("41.38879"), "longitude": Decimal("2.15899")}
            make_programme(therapy=self.therapy, institution=make_institution(**place))
            make_decision(
                therapy=self.therapy,
                agency=self.institution,
                source=other_source,
                date=datetime.date(2000, 1, 1) + datetime.timedelta(days=n),
            )
            make_claim(
                therapy=self.therapy,
                condition=self.condition,
                institution=self.institution,
                sources=[self.source, other_source, attribution],
                review_status="needs_review",
                review_note="Check.",
            )
            make_figure(
                value=n,
                therapy=self.therapy,
                measure="requests",
                superseded_by=self.claim,
                review_status="superseded",
                sources=[other_source],
            )
            site = make_institution(country="FR" if n % 2 else "ES")
            make_trial(
                therapies=[self.therapy, other],
                conditions=[self.condition, child],
                sites=[self.institution, site],
                sponsor=site,
                sources=[self.source, other_source, attribution],
                phase="phase_3" if n % 2 else "phase_1_2",
                overall_status="recruiting",
            )
            TrialSite.objects.create(trial=self.trial, institution=site)
            TrialCitation.objects.create(trial=self.trial, source=other_source, position=n + 1)
            self.trial.therapies.add(other)
            # A product of the focus therapy, as if it were an approach.
            make_therapy(approach=self.therapy, modality=self.modality)


# Page: (its URL in the world, the queries it may run). A list runs the count, the ids of
# the page's rows, then (its rows not yet drawn in this content version, as here) the rows
# and their prefetches, and one aggregate per facet; a filtered list also checks the
# chosen related value (modality) exists, once. A detail page runs the record,
# its prefetches and one query per section.
PAGES = {
    # Lists with charts add one aggregate per chart: therapies by modality and by status,
    # claims' sources by kind.
    "therapy-list": (lambda w: reverse("therapies:therapy-list"), 14),
    "therapy-list-filtered": (
        lambda w: reverse("therapies:therapy-list") + "?modality=car-t&country=ES&sort=name",
        15,
    ),
    "therapy-detail": (lambda w: w.therapy.get_absolute_url(), 12),
    # Each row keeps its therapy count (genetx.counts): no count is made for the page.
    "condition-list": (lambda w: reverse("therapies:condition-list"), 5),
    # Its therapies are one-line mentions (for_mentions): no conditions prefetched for them.
    # Its therapies and programmes are more than the page lists (CAPPED): a count of each.
    "condition-detail": (lambda w: w.condition.get_absolute_url(), 11),
    # The map adds two: the filtered institutions' places, then their roles.
    "institution-list": (lambda w: reverse("hospitals:institution-list"), 10),
    # Its programmes are more than it lists (CAPPED): their count, and every role for the map.
    "institution-detail": (lambda w: w.institution.get_absolute_url(), 12),
    "source-list": (lambda w: reverse("sources:source-list"), 9),
    # The first citing claims and, since only the first are listed, a count of all of them;
    # the first trials citing it.
    "source-detail": (lambda w: w.source.get_absolute_url(), 10),
    "claim-list-by-source": (
        lambda w: reverse("sources:claim-list") + "?source=focus-source",
        9,
    ),
    "source-bibtex": (
        lambda w: reverse("sources:source-bibtex", kwargs={"key": "focus-source"}),
        2,
    ),
    "claim-list": (lambda w: reverse("sources:claim-list"), 10),
    "claim-detail": (lambda w: w.claim.get_absolute_url(), 7),
    # Trials: count, page, therapies, conditions, and the six facets; a filtered list checks
    # the chosen therapy and condition exist.
    "trial-list": (lambda w: reverse("therapies:trial-list"), 11),
    "trial-list-filtered": (
        lambda w: (
            reverse("therapies:trial-list")
            + "?phase=phase_3&phase=phase_1_2&country=ES&country=FR&therapy=focus-therapy"
            + "&condition=focus-condition&status=recruiting"
        ),
        13,
    ),
    "trial-detail": (lambda w: w.trial.get_absolute_url(), 6),
    "trial-csv": (lambda w: reverse("therapies:trial-list") + "?format=csv", 4),
    # Exports count the matching rows (for the total and the next page) and read one page.
    "therapy-csv": (lambda w: reverse("therapies:therapy-list") + "?format=csv", 3),
    "claim-json": (lambda w: reverse("sources:claim-list") + "?format=json", 6),
}


def grown(world, stage: str) -> None:
    world.grow(2 if stage == "small" else 18)


# Detail pages list the first related rows and count the rest only when there are more
# (genetx.pages.first_and_count): the limits are lowered so the small world already has
# more, and a page runs the same queries before and after growth.
CAPPED = [
    (ConditionDetailView, "related_limit"),
    (InstitutionDetailView, "programme_limit"),
]


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """Every page measured on one small world, then after ten times the rows
    (tests/growth.py): one world for the module, not one per page. Exports are read to
    their end, since they stream and run their queries as they are read."""
    urls = {page: url_of for page, (url_of, _) in PAGES.items()}
    with pytest.MonkeyPatch.context() as patch:
        for view, limit in CAPPED:
            patch.setattr(view, limit, 1)
        return measure_growth(django_db_blocker, World, grown, urls)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_query_count_does_not_grow_with_rows(measured, page):
    _, budget = PAGES[page]
    small, large = measured[page]
    assert (small.status, large.status) == (200, 200), (small.body[:2000], large.body[:2000])
    assert (len(small.queries), len(large.queries)) == (budget, budget), (
        f"small world: {small}\n\nafter growth: {large}"
    )
