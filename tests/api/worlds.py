"""Small sets of records the API tests read: one of every type, linked as readers see them."""

import datetime

from django.db import connection
from django.utils import timezone

from genetx.cache import bump_content_version
from genetx.models import Status
from hospitals.models import Institution, Programme
from sources.models import Author, Citation, Claim, Source
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
from therapies.models import (
    Condition,
    Modality,
    RegulatoryDecision,
    Therapy,
    Trial,
    TrialCitation,
    TrialSite,
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
    decision = make_decision(
        therapy=therapy, agency=regulator, source=article, kind="hospital_exemption"
    )
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
    return {
        "therapy": therapy,
        "condition": condition,
        "hospital": hospital,
        "claim": newer,
        "programme": programme,
        "decision": decision,
    }


def grow_in_bulk(world: dict, size: int) -> None:
    """`size` more rows in every table the API reads, written with bulk_create, around the
    records of build_small_world(): each focus record gains size // 100 related rows
    (claims, programmes, decisions, conditions, attributions), so both the tables and what
    one detail shows grow with `size`."""
    therapy, condition, hospital = world["therapy"], world["condition"], world["hospital"]
    related = size // 100
    now = timezone.now()
    live = {"status": Status.PUBLISHED, "published_at": now}
    batch = 1000

    def save(model, rows):
        return model.objects.bulk_create(rows, batch_size=batch)

    modalities = save(
        Modality,
        [
            Modality(name=f"Bulk modality {n}", slug=f"bulk-m-{n}", delivery="in_vivo")
            for n in range(10)
        ],
    )
    conditions = save(
        Condition,
        [
            Condition(
                name=f"Bulk condition {n}",
                slug=f"bulk-c-{n}",
                category="genetic",
                parent=condition if n < related else None,
                **live,
            )
            for n in range(size)
        ],
    )
    therapies = save(
        Therapy,
        [
            Therapy(
                name=f"Bulk therapy {n}",
                slug=f"bulk-t-{n}",
                summary=f"Bulk summary {n}.",
                modality=modalities[n % len(modalities)],
                **live,
            )
            for n in range(size)
        ],
    )
    links = Therapy.conditions.through
    save(
        links,
        [
            links(therapy_id=t.pk, condition_id=(condition if n < related else conditions[n]).pk)
            for n, t in enumerate(therapies)
        ]
        + [links(therapy_id=therapy.pk, condition_id=c.pk) for c in conditions[:related]],
    )
    institutions = save(
        Institution,
        [
            Institution(
                name=f"Bulk institution {n}",
                slug=f"bulk-i-{n}",
                kind="regulator" if n % 10 == 0 else "hospital",
                city="Madrid",
                country="ES",
                **live,
            )
            for n in range(size)
        ],
    )
    programmes = save(
        Programme,
        [
            Programme(
                institution=hospital if n < related else institutions[n],
                therapy=therapies[n],
                role="treats",
                since=2000 + n % 25,
                **live,
            )
            for n in range(size)
        ]
        + [
            Programme(institution=institutions[n], therapy=therapy, role="develops", **live)
            for n in range(related)
        ],
    )
    sources = save(
        Source,
        [
            Source(
                key=f"bulk-s-{n}",
                kind="journal_article",
                title=f"Bulk study {n}",
                container_title="Journal of Tests",
                issued=datetime.date(2000 + n % 25, 1, 1),
                issued_precision="year",
                **live,
            )
            for n in range(size)
        ],
    )
    attributions = save(
        Source,
        [
            Source(
                key=f"bulk-a-{n}",
                kind="attribution",
                container_title="The Lancet",
                # Dated after every other source, so the first page of the newest holds them.
                issued=datetime.date(2025, 1, 1),
                issued_precision="year",
                reported_by=sources[n],
                **live,
            )
            for n in range(related)
        ],
    )
    save(
        Author,
        [
            Author(source=s, position=position, family=f"Family{n}", given="A.")
            for n, s in enumerate(sources)
            for position in (1, 2)
        ],
    )
    about = [{"therapy": therapy, "condition": condition, "institution": hospital}] * related
    claims = save(
        Claim,
        [
            Claim(
                slug=f"bulk-claim-{n}",
                statement=f"Bulk statement {n}.",
                programme=programmes[n] if n < related else None,
                # Half the focus claims are older figures the small world's newer one
                # replaced, so the lists prefetch what supersedes them.
                superseded_by=world["claim"] if n < related // 2 else None,
                review_status="superseded" if n < related // 2 else "verified",
                # The focus claims (citing attributions, in programmes) are the newest and
                # the oldest events, so the first page of the claims list (newest first)
                # and of the timeline (oldest first) show every kind of link.
                event_date=datetime.date(
                    (1990 if n % 2 else 2025) if n < related else 2000 + n % 25, 1, 1
                ),
                event_date_precision="year",
                **(about[n] if n < related else {"therapy": therapies[n]}),
                **live,
            )
            for n in range(size)
        ],
    )
    save(
        Citation,
        [
            Citation(claim=claim, source=source, position=position)
            for n, claim in enumerate(claims)
            for position, source in enumerate(
                (sources[n], attributions[n] if n < related else sources[(n + 1) % size]),
                start=1,
            )
        ],
    )
    save(
        RegulatoryDecision,
        [
            RegulatoryDecision(
                therapy=therapy if n < related else therapies[n],
                agency=institutions[n - n % 10],
                kind="approval",
                date=datetime.date(2000, 1, 1) + datetime.timedelta(days=n),
                indication="Adults.",
                source=sources[n],
            )
            for n in range(size)
        ],
    )
    trials = save(
        Trial,
        [
            Trial(
                slug=f"bulk-trial-{n}",
                title=f"Bulk trial {n}",
                nct_number=f"NCT{90000000 + n:08d}",
                phase="phase_3" if n % 2 else "phase_1_2",
                start_date=datetime.date(2000 + n % 25, 1, 1),
                start_date_precision="year",
                completion_date=datetime.date(2026, 1, 1),
                completion_date_precision="year",
                sponsor=hospital if n < related else institutions[n],
                **live,
            )
            for n in range(size)
        ],
    )
    trial_therapies = Trial.therapies.through
    save(
        trial_therapies,
        [
            trial_therapies(trial_id=t.pk, therapy_id=(therapy if n < related else therapies[n]).pk)
            for n, t in enumerate(trials)
        ],
    )
    trial_conditions = Trial.conditions.through
    save(
        trial_conditions,
        [
            trial_conditions(trial_id=t.pk, condition_id=conditions[n].pk)
            for n, t in enumerate(trials)
        ],
    )
    save(
        TrialSite,
        [
            TrialSite(trial=t, institution=hospital if n < related else institutions[n])
            for n, t in enumerate(trials)
        ],
    )
    save(
        TrialCitation,
        [
            TrialCitation(trial=t, source=source, position=position)
            for n, t in enumerate(trials)
            for position, source in enumerate(
                (sources[n], attributions[n] if n < related else sources[(n + 1) % size]),
                start=1,
            )
        ],
    )
    # bulk_create sends no signals: tell the page cache, as every bulk write must.
    bump_content_version()
    if connection.vendor == "postgresql":
        # Right after a bulk load the planner still believes the tables nearly empty and
        # picks nested loops that take minutes (autovacuum would analyze them in production).
        tables = [Modality, Condition, Therapy, Therapy.conditions.through, Institution]
        tables += [Programme, Source, Author, Claim, Citation, RegulatoryDecision]
        tables += [Trial, trial_therapies, trial_conditions, TrialSite, TrialCitation]
        with connection.cursor() as cursor:
            for model in tables:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
