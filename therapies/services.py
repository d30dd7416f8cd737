"""Writes that span a therapy and the records that hang off it."""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from genetx.models import Status
from genetx.services import TransitionRefused, publish_together

from .models import Therapy


@dataclass(frozen=True)
class TherapyPublication:
    therapy: Therapy
    programmes: int
    claims: int
    needed: int = 0


@transaction.atomic
def therapy_publish(
    *, therapy: Therapy, user: AbstractBaseUser, with_needed: bool = False
) -> TherapyPublication:
    """Publish a therapy with its draft and in-review programmes and claims.

    Archived programmes and claims stay archived: someone withdrew them on purpose. The
    publish gates see them as one step, so a claim may rely on the therapy's other parts;
    with_needed=True also publishes the draft sources (and agencies) they need. Raises
    TransitionRefused (and publishes nothing) when the therapy or any part is refused.
    """
    if therapy.status == Status.PUBLISHED:
        raise TransitionRefused(gettext("it is already published"))
    if therapy.status == Status.ARCHIVED:
        raise TransitionRefused(gettext("it is archived; move it back to draft first"))
    pending = [Status.DRAFT, Status.REVIEW]
    programmes = list(therapy.programmes.filter(status__in=pending))
    claims = list(therapy.claims.filter(status__in=pending))
    needed = publish_together(therapy, *programmes, *claims, user=user, with_needed=with_needed)
    return TherapyPublication(
        therapy=therapy, programmes=len(programmes), claims=len(claims), needed=len(needed)
    )
