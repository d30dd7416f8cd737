"""Writes that span a therapy and the records that hang off it."""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from genetx.models import Status
from genetx.services import publishable_publish

from .models import Therapy


@dataclass(frozen=True)
class TherapyPublication:
    therapy: Therapy
    programmes: int
    claims: int


@transaction.atomic
def therapy_publish(*, therapy: Therapy, user: AbstractBaseUser) -> TherapyPublication:
    """Publish a therapy with its draft and in-review programmes and claims.

    Archived programmes and claims stay archived: someone withdrew them on purpose. Raises
    TransitionRefused (and publishes nothing) when the therapy or any part is refused.
    """
    publishable_publish(obj=therapy, user=user)
    pending = [Status.DRAFT, Status.REVIEW]
    programmes = list(therapy.programmes.filter(status__in=pending))
    claims = list(therapy.claims.filter(status__in=pending))
    for part in [*programmes, *claims]:
        publishable_publish(obj=part, user=user)
    return TherapyPublication(therapy=therapy, programmes=len(programmes), claims=len(claims))
