"""Small builders for test data: make_<model>(**overrides) saves and returns one record.

Each builder gives unique defaults (a counter in names and slugs), so tests state only what
they care about. Records are published unless a test says otherwise, since most tests are
about what readers see.
"""

import datetime
import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from genetx.models import Status
from hospitals.models import Institution, Programme
from sources.models import Author, Citation, Claim, Source
from therapies.models import (
    Condition,
    Modality,
    RegulatoryDecision,
    Therapy,
    Trial,
    TrialCitation,
    TrialSite,
)

_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def _publishing(overrides: dict) -> dict:
    """Default to published, stamping published_at as the database requires."""
    overrides.setdefault("status", Status.PUBLISHED)
    if overrides["status"] == Status.PUBLISHED:
        overrides.setdefault("published_at", timezone.now())
    return overrides


def make_modality(**overrides) -> Modality:
    n = _n()
    fields = {"name": f"Modality {n}", "slug": f"modality-{n}", "delivery": "in_vivo"}
    return Modality.objects.create(**(fields | overrides))


def make_condition(**overrides) -> Condition:
    n = _n()
    fields = {"name": f"Condition {n}", "slug": f"condition-{n}", "category": "genetic"}
    return Condition.objects.create(**_publishing(fields | overrides))


def make_therapy(*, conditions=(), **overrides) -> Therapy:
    n = _n()
    fields = {"name": f"Therapy {n}", "slug": f"therapy-{n}", "summary": f"Summary of {n}."}
    if "modality" not in overrides:
        fields["modality"] = make_modality()
    therapy = Therapy.objects.create(**_publishing(fields | overrides))
    therapy.conditions.set(conditions)
    return therapy


def make_institution(**overrides) -> Institution:
    n = _n()
    fields = {
        "name": f"Institution {n}",
        "slug": f"institution-{n}",
        "kind": "hospital",
        "city": "Madrid",
        "region": "Community of Madrid",
        "country": "ES",
    }
    return Institution.objects.create(**_publishing(fields | overrides))


def make_programme(**overrides) -> Programme:
    fields = {"role": "treats"}
    if "institution" not in overrides:
        fields["institution"] = make_institution()
    if "therapy" not in overrides:
        fields["therapy"] = make_therapy()
    return Programme.objects.create(**_publishing(fields | overrides))


def make_source(*, authors=(), **overrides) -> Source:
    """A source; authors is a list of (family, given) pairs in order."""
    n = _n()
    fields = {
        "key": f"source-{n}",
        "kind": "journal_article",
        "title": f"Study number {n}",
        "container_title": "Journal of Tests",
        "issued": datetime.date(2022, 1, 1),
        "issued_precision": "year",
    }
    source = Source.objects.create(**_publishing(fields | overrides))
    for position, (family, given) in enumerate(authors, start=1):
        Author.objects.create(source=source, position=position, family=family, given=given)
    return source


def make_claim(*, sources=(), **overrides) -> Claim:
    """A claim citing each given source (a fresh one when none is given)."""
    n = _n()
    fields = {"slug": f"claim-{n}", "statement": f"Statement number {n}."}
    claim = Claim.objects.create(**_publishing(fields | overrides))
    for position, source in enumerate(sources or [make_source()], start=1):
        Citation.objects.create(claim=claim, source=source, position=position)
    return claim


def make_figure(*, value, unit="count", **overrides) -> Claim:
    return make_claim(value=Decimal(str(value)), unit=unit, **overrides)


def make_decision(**overrides) -> RegulatoryDecision:
    fields = {
        "kind": "approval",
        "date": datetime.date(2023, 6, 22),
        "indication": "Adults with the condition.",
    }
    if "therapy" not in overrides:
        fields["therapy"] = make_therapy()
    if "agency" not in overrides:
        fields["agency"] = make_institution(kind="regulator", city="", region="", country="US")
    if "source" not in overrides:
        fields["source"] = make_source()
    return RegulatoryDecision.objects.create(**(fields | overrides))


def make_trial(*, sources=(), therapies=(), conditions=(), sites=(), **overrides) -> Trial:
    """A trial citing each given source (a fresh published one when none is given), with
    these therapies, conditions and site institutions."""
    n = _n()
    fields = {
        "slug": f"trial-{n}",
        "title": f"A study of therapy number {n}",
        "nct_number": f"NCT{n:08d}",
        "start_date": datetime.date(2020, 5, 27),
        "start_date_precision": "day",
    }
    trial = Trial.objects.create(**_publishing(fields | overrides))
    for position, source in enumerate(sources or [make_source()], start=1):
        TrialCitation.objects.create(trial=trial, source=source, position=position)
    trial.therapies.set(therapies)
    trial.conditions.set(conditions)
    for institution in sites:
        TrialSite.objects.create(trial=trial, institution=institution)
    return trial


def make_user(*, groups=(), **overrides):
    """A user with a known password ("pw-" + username); staff when given groups."""
    n = _n()
    username = overrides.pop("username", f"user{n}")
    user = get_user_model().objects.create_user(
        username=username,
        password=f"pw-{username}",
        is_staff=bool(groups) or overrides.pop("is_staff", False),
        **overrides,
    )
    for group in groups:
        user.groups.add(group)
    return user
