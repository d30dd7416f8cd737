"""Publishing workflow: draft -> in review -> published, back to draft, archived.

Each service checks the user's permission on the server, validates the record with
full_clean() before saving, runs in a transaction and records the user on the history row.
A refused move raises TransitionRefused with a message an editor can act on.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from genetx.models import Publishable, Status
from genetx.publishing import can_publish


class TransitionRefused(Exception):
    """A status change that is not allowed; str(exc) says why, for the editor."""


def _save_status(*, obj: Publishable, user: AbstractBaseUser, status: str) -> Publishable:
    obj.status = status
    if status == Status.PUBLISHED:
        obj.mark_published()
    # Records the acting user on the history row, also outside a request.
    obj._history_user = user
    obj.full_clean()
    obj.save()
    return obj


def _require_publisher(*, obj: Publishable, user: AbstractBaseUser, action: str) -> None:
    if not can_publish(user, type(obj)):
        raise TransitionRefused(
            f"only publishers may {action} {type(obj)._meta.verbose_name_plural}"
        )


@transaction.atomic
def publishable_submit(*, obj: Publishable, user: AbstractBaseUser) -> Publishable:
    """Send a draft to review. Anyone who may change the record may submit it."""
    if obj.status != Status.DRAFT:
        raise TransitionRefused(f"it is {obj.get_status_display().lower()}, not a draft")
    return _save_status(obj=obj, user=user, status=Status.REVIEW)


@transaction.atomic
def publishable_publish(*, obj: Publishable, user: AbstractBaseUser) -> Publishable:
    """Publish a draft or a record in review; published_at is kept from the first time."""
    _require_publisher(obj=obj, user=user, action="publish")
    if obj.status == Status.PUBLISHED:
        raise TransitionRefused("it is already published")
    if obj.status == Status.ARCHIVED:
        raise TransitionRefused("it is archived; move it back to draft first")
    return _save_status(obj=obj, user=user, status=Status.PUBLISHED)


@transaction.atomic
def publishable_unpublish(*, obj: Publishable, user: AbstractBaseUser) -> Publishable:
    """Take a published, in-review or archived record back to draft."""
    _require_publisher(obj=obj, user=user, action="unpublish")
    if obj.status == Status.DRAFT:
        raise TransitionRefused("it is already a draft")
    return _save_status(obj=obj, user=user, status=Status.DRAFT)


@transaction.atomic
def publishable_archive(*, obj: Publishable, user: AbstractBaseUser) -> Publishable:
    """Withdraw a record from readers while keeping it and its history."""
    _require_publisher(obj=obj, user=user, action="archive")
    if obj.status == Status.ARCHIVED:
        raise TransitionRefused("it is already archived")
    return _save_status(obj=obj, user=user, status=Status.ARCHIVED)
