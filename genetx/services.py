"""Publishing workflow: draft -> in review -> published, back to draft, archived.

Each service checks the user's permission on the server, asks the publish gates
(genetx.publishing) what the change would break, validates the record with full_clean()
before saving, runs in one transaction and records the user (and why) on the history row.
A refused move raises TransitionRefused with a message an editor can act on, and changes
nothing: the gates are asked again after saving, inside the transaction, so a failure
midway rolls everything back.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from genetx.models import Publishable, Status
from genetx.publishing import (
    Problem,
    can_publish,
    describe,
    describe_problems,
    needed_records,
    publish_problems,
    record_key,
    withdraw_problems,
)


class TransitionRefused(Exception):
    """A status change that is not allowed; str(exc) says why, for the editor."""


class GateRefused(TransitionRefused):
    """A change the publish gates refuse.

    ``offer`` holds what the editor may confirm to go ahead: for a publish, the draft
    records to publish with it; for an unpublish or archive, the published records that
    would go with it. Empty when no confirmation can help.
    """

    def __init__(self, problems: list[Problem], *, offer=()):
        self.problems = list(problems)
        self.offer = list(offer)
        super().__init__(describe_problems(self.problems))


def _save_status(
    *, obj: Publishable, user: AbstractBaseUser, status: str, reason: str = ""
) -> Publishable:
    obj.status = status
    if status == Status.PUBLISHED:
        obj.mark_published()
    # Records the acting user (and why) on the history row, also outside a request.
    obj._history_user = user
    if reason:
        obj._change_reason = reason
    obj.full_clean()
    obj.save()
    return obj


def _require_publisher(*, obj, user: AbstractBaseUser, action: str) -> None:
    if not can_publish(user, type(obj)):
        raise TransitionRefused(
            f"only publishers may {action} {type(obj)._meta.verbose_name_plural}"
        )


def _lock(obj: Publishable) -> None:
    """Lock the row and read its status again, so two publishers (or two runs of the
    scheduled command) at once act on what is stored, one after the other."""
    stored = type(obj)._base_manager.select_for_update().filter(pk=obj.pk)
    obj.status = stored.values_list("status", flat=True).get()


def plan_publication(*records: Publishable) -> tuple[list, list[Problem]]:
    """The unpublished records these need published with them, and what would still block.

    The records are published together (a therapy with its claims). Follows needs of
    needs (a claim needs an attribution, which needs its reporting source), each once.
    """
    needed: list = []
    together = {record_key(record) for record in records}
    while True:
        problems = [
            problem
            for record in [*records, *needed]
            for problem in publish_problems(record, together=together)
        ]
        new = [r for r in needed_records(problems) if record_key(r) not in together]
        if not new:
            return needed, [p for p in problems if not p.needs]
        needed += new
        together |= {record_key(r) for r in new}


def publish_together(
    *records: Publishable, user: AbstractBaseUser, with_needed: bool = False, reason: str = ""
) -> list:
    """Publish these records in one step, through the gates; returns the needed ones
    that were published with them. The caller holds the transaction."""
    for record in records:
        _require_publisher(obj=record, user=user, action="publish")
        _lock(record)
    needed, problems = plan_publication(*records)
    if problems:
        # Something no draft can fix (a claim citing nothing): refuse, listing it.
        raise GateRefused(problems)
    if needed and not with_needed:
        together = {record_key(record) for record in records}
        blocking = [p for r in records for p in publish_problems(r, together=together)]
        raise GateRefused(blocking, offer=needed)
    first = describe(records[0])
    for record in needed:
        _require_publisher(obj=record, user=user, action="publish")
        _lock(record)
        _save_status(
            obj=record, user=user, status=Status.PUBLISHED, reason=f"Published with {first}"
        )
    for record in records:
        _save_status(obj=record, user=user, status=Status.PUBLISHED, reason=reason)
    # Asked again on what is now stored: a concurrent change cannot slip past the gate.
    after = [problem for record in [*records, *needed] for problem in publish_problems(record)]
    if after:
        raise GateRefused(after)
    return needed


@transaction.atomic
def publishable_submit(*, obj: Publishable, user: AbstractBaseUser) -> Publishable:
    """Send a draft to review. Anyone who may change the record may submit it."""
    if obj.status != Status.DRAFT:
        raise TransitionRefused(f"it is {obj.get_status_display().lower()}, not a draft")
    return _save_status(obj=obj, user=user, status=Status.REVIEW)


@transaction.atomic
def publishable_publish(
    *, obj: Publishable, user: AbstractBaseUser, with_needed: bool = False, reason: str = ""
) -> Publishable:
    """Publish a draft or a record in review; published_at is kept from the first time.

    Refused (GateRefused) when the gates say readers would see it without its support.
    with_needed=True also publishes the draft records it needs (a claim's draft sources),
    each through the same gates and permissions.
    """
    _require_publisher(obj=obj, user=user, action="publish")
    _lock(obj)
    if obj.status == Status.PUBLISHED:
        raise TransitionRefused("it is already published")
    if obj.status == Status.ARCHIVED:
        raise TransitionRefused("it is archived; move it back to draft first")
    publish_together(obj, user=user, with_needed=with_needed, reason=reason)
    return obj


DONE = {"unpublish": "Unpublished", "archive": "Archived"}


def _withdraw(
    *,
    obj: Publishable,
    user: AbstractBaseUser,
    status: str,
    action: str,
    with_dependents: bool,
    reason: str,
) -> Publishable:
    _lock(obj)
    was_public = obj.status == Status.PUBLISHED
    dependents = withdraw_problems(obj) if was_public else []
    if dependents and not with_dependents:
        offer = [p.record for p in dependents if isinstance(p.record, Publishable)]
        raise GateRefused(dependents, offer=offer)
    for problem in dependents:
        record = problem.record
        if isinstance(record, Publishable) and record.status == Status.PUBLISHED:
            _require_publisher(obj=record, user=user, action=action)
            _save_status(
                obj=record,
                user=user,
                status=status,
                reason=f"{DONE[action]} with {describe(obj)}, its last published support",
            )
    _save_status(obj=obj, user=user, status=status, reason=reason)
    # Regulatory decisions cannot be unpublished themselves: once confirmed, readers no
    # longer see them (their pages show only decisions with a published agency and source).
    after = [p for p in withdraw_problems(obj, as_if=obj) if isinstance(p.record, Publishable)]
    if was_public and after:
        raise GateRefused(after)
    return obj


@transaction.atomic
def publishable_unpublish(
    *, obj: Publishable, user: AbstractBaseUser, with_dependents: bool = False, reason: str = ""
) -> Publishable:
    """Take a published, in-review or archived record back to draft.

    Refused (GateRefused, listing them) when published claims rely on it alone;
    with_dependents=True unpublishes those claims too.
    """
    _require_publisher(obj=obj, user=user, action="unpublish")
    if obj.status == Status.DRAFT:
        raise TransitionRefused("it is already a draft")
    return _withdraw(
        obj=obj,
        user=user,
        status=Status.DRAFT,
        action="unpublish",
        with_dependents=with_dependents,
        reason=reason,
    )


@transaction.atomic
def publishable_archive(
    *, obj: Publishable, user: AbstractBaseUser, with_dependents: bool = False, reason: str = ""
) -> Publishable:
    """Withdraw a record from readers while keeping it and its history.

    Refused like publishable_unpublish when published claims rely on it alone;
    with_dependents=True archives those claims too.
    """
    _require_publisher(obj=obj, user=user, action="archive")
    if obj.status == Status.ARCHIVED:
        raise TransitionRefused("it is already archived")
    return _withdraw(
        obj=obj,
        user=user,
        status=Status.ARCHIVED,
        action="archive",
        with_dependents=with_dependents,
        reason=reason,
    )
