"""Small sets of records the API tests read: one of every type, linked as readers see them."""

import datetime

from genetx.models import Status
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


def build_small_world() -> dict:
    """A therapy with a condition, programme, decision, sources (one an attribution),
    figures where a newer one supersedes an older one, and a draft of each kind."""
    modality = make_modality(slug="car-t", name="CAR-T")
    parent = make_condition(slug="lymphoma", name="Lymphoma")
    condition = make_condition(slug="b-cell-lymphoma", parent=parent, is_rare=True)
    therapy = make_therapy(
        slug="ari0002h", name="ARI0002h", modality=modality, conditions=[condition]
    )
    hospital = make_institution(
        slug="clinic", name="Hospital Clínic", latitude=41.38, longitude=2.15
    )
    regulator = make_institution(slug="aemps", kind="regulator", name="AEMPS")
    programme = make_programme(institution=hospital, therapy=therapy, role="develops", since=2017)
    article = make_source(key="catala-2022", authors=[("Catalá", "Elena"), ("Barba", "Pere")])
    attribution = make_source(
        key="lancet-study", kind="attribution", container_title="The Lancet", reported_by=article
    )
    make_decision(therapy=therapy, agency=regulator, source=article, kind="hospital_exemption")
    newer = make_figure(
        value="85.5",
        unit="percent",
        slug="response-rate",
        therapy=therapy,
        programme=programme,
        sources=[article, attribution],
        measure="response",
        as_of=datetime.date(2024, 3, 1),
        as_of_precision="month",
        event_date=datetime.date(2024, 3, 1),
        event_date_precision="month",
    )
    make_figure(
        value=80,
        unit="percent",
        slug="older-response-rate",
        therapy=therapy,
        superseded_by=newer,
        review_status="superseded",
        measure="response",
        sources=[article],
    )
    make_claim(slug="about-condition", condition=condition, institution=hospital)
    make_trial(
        slug="trial-of-ari0002h",
        acronym="CARTBCMA-HCB-01",
        nct_number="NCT04309981",
        phase="phase_1_2",
        enrolment=73,
        enrolment_kind="actual",
        therapies=[therapy],
        conditions=[condition],
        sites=[hospital],
        sponsor=hospital,
        sources=[article, attribution],
    )
    hidden = {"status": Status.DRAFT, "published_at": None}
    make_therapy(slug="draft-therapy", **hidden)
    make_source(key="draft-source", **hidden)
    make_trial(slug="draft-trial", sources=[article], **hidden)
    return {"therapy": therapy, "condition": condition, "hospital": hospital, "claim": newer}
