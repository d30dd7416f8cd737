"""Publishing workflow: draft -> in review -> published, back to draft, archived.

Each service checks the user's permission on the server, asks the publish gates
(genetx.publishing) what the change would break, validates the record with full_clean()
before saving, runs in one transaction and records the user (and why) on the history row.
A refused move raises TransitionRefused with a message an editor can act on, and changes
nothing: the gates are asked again after saving, inside the transaction, so a failure
midway rolls everything back.
"""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone, translation
from django.utils.translation import gettext

from genetx import notifications, revisions
from genetx.models import Publishable, Revision, RevisionStatus, StaleRecord, Status
from genetx.publishing import (
    Problem,
    can_publish,
    describe,
    describe_problems,
    needed_records,
    publish_problems,
    publish_refusals,
    record_key,
    withdraw_problems,
)


def history_name(record) -> str:
    """describe(record) for a history row's reason, which is stored: in the site's default
    language whatever the admin's language, like the rest of the history."""
    with translation.override(settings.LANGUAGE_CODE):
        return describe(record)


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
    obj._history_user = None if user is SCHEDULER else user
    if reason:
        obj._change_reason = reason
    obj.full_clean()
    obj.save()
    return obj


class Scheduler:
    """The scheduled command (publish_scheduled), acting on dates only a publisher may set.

    Passed as the user: it passes the permission check and leaves the history user empty
    (the row's reason says it was the schedule)."""

    def __str__(self) -> str:
        return "the schedule"


SCHEDULER = Scheduler()


def _check_gates(obj: Publishable) -> None:
    """Refuse (inside the caller's transaction) when a publish gate objects to obj as saved."""
    refusals = publish_refusals(obj)
    if refusals:
        raise TransitionRefused("; ".join(refusals))


def _require_publisher(*, obj, user: AbstractBaseUser, action: str) -> None:
    if user is SCHEDULER:
        return
    if not can_publish(user, type(obj)):
        raise TransitionRefused(
            {
                "publish": gettext("only publishers may publish %(records)s"),
                "unpublish": gettext("only publishers may unpublish %(records)s"),
                "archive": gettext("only publishers may archive %(records)s"),
            }[action]
            % {"records": type(obj)._meta.verbose_name_plural}
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
    first = history_name(records[0])
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
        raise TransitionRefused(
            gettext("it is %(status)s, not a draft") % {"status": obj.get_status_display().lower()}
        )
    saved = _save_status(obj=obj, user=user, status=Status.REVIEW)
    notifications.notify_submitted(record=saved, author=user)
    return saved


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
        raise TransitionRefused(gettext("it is already published"))
    if obj.status == Status.ARCHIVED:
        raise TransitionRefused(gettext("it is archived; move it back to draft first"))
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
                reason=f"{DONE[action]} with {history_name(obj)}, its last published support",
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
        raise TransitionRefused(gettext("it is already a draft"))
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
        raise TransitionRefused(gettext("it is already archived"))
    return _withdraw(
        obj=obj,
        user=user,
        status=Status.ARCHIVED,
        action="archive",
        with_dependents=with_dependents,
        reason=reason,
    )


# Revisions of published records ----------------------------------------------------------------


def _open_revision(obj) -> Revision | None:
    return Revision.objects.open().for_object(obj).first()


@transaction.atomic
def revision_save(
    *,
    obj: Publishable,
    data: dict,
    user: AbstractBaseUser,
    base_version: int,
    revision_version: int | None = None,
    submit: bool = False,
) -> Revision:
    """Store a change to a published record as its open revision; the live row is untouched.

    Updates the record's open revision if it has one (``revision_version`` is the version
    of it the editor saw: a newer one is refused with StaleRecord), else starts one.
    ``submit`` also sends it for review.
    """
    revision = _open_revision(obj)
    if revision is None:
        revision = Revision(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=obj.pk,
            created_by=user,
        )
    elif revision_version is not None:
        # save() checks it in its UPDATE; a draft saved by someone else meanwhile wins.
        revision.version = revision_version
    revision.object_repr = str(obj)[:300]
    revision.data = data
    with translation.override(settings.LANGUAGE_CODE):
        # Stored (and searched) in the site's default language; the admin shows each
        # editor Revision.change_summary in theirs.
        revision.summary = revisions.summarise(data, type(obj))
    revision.base_version = base_version
    revision.updated_by = user
    if revision.status == RevisionStatus.REJECTED:
        # Editing a rejected revision answers the review; the comment stays until decided.
        revision.status = RevisionStatus.DRAFT
    elif revision.status == RevisionStatus.SCHEDULED:
        # The approval was for what the publisher read: a new edit needs a new review.
        revision.status = RevisionStatus.DRAFT
        revision.go_live_at = None
        revision.decided_by = None
        revision.decided_at = None
    revision.full_clean(exclude=["content_type", "created_by", "updated_by"])
    revision.save()
    if submit:
        revision_submit(revision=revision, user=user)
    return revision


@transaction.atomic
def revision_submit(*, revision: Revision, user: AbstractBaseUser) -> Revision:
    """Send a draft (or rejected, then revised) revision to the review queue."""
    if revision.status not in (RevisionStatus.DRAFT, RevisionStatus.REJECTED):
        raise TransitionRefused(
            gettext("it is %(status)s") % {"status": revision.get_status_display().lower()}
        )
    revision.status = RevisionStatus.SUBMITTED
    revision.submitted_at = timezone.now()
    revision.updated_by = user
    revision.save()
    notifications.notify_submitted(record=revision, author=user)
    return revision


def _decide(revision: Revision, user: AbstractBaseUser, action: str) -> Revision:
    """The revision, locked, when it may still be decided by this user."""
    if not can_publish(user, revision.model):
        raise TransitionRefused(
            {
                "approve": gettext("only publishers may approve changes to %(records)s"),
                "reject": gettext("only publishers may reject changes to %(records)s"),
            }[action]
            % {"records": revision.model._meta.verbose_name_plural}
        )
    locked = Revision.objects.select_for_update().filter(pk=revision.pk).first()
    if locked is None:
        raise TransitionRefused(gettext("the revision no longer exists"))
    if locked.status != RevisionStatus.SUBMITTED:
        status = locked.get_status_display().lower()
        if locked.decided_by:
            raise TransitionRefused(
                gettext("it is %(status)s by %(who)s, not awaiting review")
                % {"status": status, "who": locked.decided_by}
            )
        raise TransitionRefused(
            gettext("it is %(status)s, not awaiting review") % {"status": status}
        )
    return locked


@transaction.atomic
def revision_approve(*, revision: Revision, user: AbstractBaseUser, go_live_at=None) -> Revision:
    """Apply a submitted revision to the live record and its parts, in one transaction.

    Refused, with nothing applied, when the record was deleted or changed since the
    revision was made, when a part it changes was changed or deleted meanwhile, when the
    result no longer validates (ValidationError) or when a publish gate refuses it.

    With a future ``go_live_at`` the revision is checked the same way now (applied inside
    a savepoint, then rolled back) and scheduled: publish_scheduled applies it then, and
    checks it again, since the live record may have moved on by that time.
    """
    revision = _decide(revision, user, "approve")
    if go_live_at is not None and go_live_at > timezone.now():
        checked = transaction.savepoint()
        try:
            _apply_revision(revision, user, _approval_reason(revision))
        finally:
            transaction.savepoint_rollback(checked)
        revision.status = RevisionStatus.SCHEDULED
        revision.go_live_at = go_live_at
    else:
        _apply_revision(revision, user, _approval_reason(revision))
        revision.status = RevisionStatus.APPROVED
    revision.decided_by = user
    revision.decided_at = timezone.now()
    revision.save()
    notifications.notify_decided(revision=revision)
    return revision


def _approval_reason(revision: Revision) -> str:
    return f"Approved revision #{revision.pk} by {revision.created_by or 'a deleted user'}"


@transaction.atomic
def revision_unschedule(*, revision: Revision, user: AbstractBaseUser) -> Revision:
    """Take a scheduled revision back to the review queue, unapplied."""
    if not can_publish(user, revision.model):
        raise TransitionRefused(gettext("only publishers may change a schedule"))
    locked = Revision.objects.select_for_update().filter(pk=revision.pk).first()
    if locked is None or locked.status != RevisionStatus.SCHEDULED:
        raise TransitionRefused(gettext("it is not scheduled (it may have gone live meanwhile)"))
    locked.status = RevisionStatus.SUBMITTED
    locked.go_live_at = None
    locked.decided_by = None
    locked.decided_at = None
    locked.updated_by = user
    locked.save()
    return locked


def revision_go_live(*, revision: Revision, now) -> Revision | None:
    """Apply a scheduled revision whose time has come (publish_scheduled calls this).

    Returns None when another run applied it first or it is no longer scheduled. A
    conflict or gate refusal raises (TransitionRefused, ValidationError) with nothing
    applied; the revision stays scheduled and is reported on every run until a publisher
    unschedules or discards it.
    """
    with transaction.atomic():
        rows = Revision.objects.due(now).filter(pk=revision.pk)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        else:
            rows = rows.select_for_update()
        locked = rows.first()
        if locked is None:
            return None
        when = locked.go_live_at
        reason = f"{_approval_reason(locked)}, applied on schedule ({when:%Y-%m-%d %H:%M} UTC)"
        live = _apply_revision(locked, locked.decided_by, reason)
        locked.status = RevisionStatus.APPROVED
        locked.go_live_at = None
        locked.save()
        return live


def _apply_revision(revision: Revision, user, reason: str):
    """Write the revision into the live record and its parts; returns the live record."""
    model = revision.model
    live = model._base_manager.select_for_update().filter(pk=revision.object_id).first()
    if live is None:
        raise TransitionRefused(
            gettext("the %(kind)s “%(record)s” was deleted since this revision was written")
            % {"kind": model._meta.verbose_name, "record": revision.object_repr}
        )
    if live.version != revision.base_version:
        latest = live.history.order_by("-history_date").select_related("history_user").first()
        who = latest.history_user if latest else None
        then = gettext(
            "open the record, check its draft against the live version and save it again, "
            "then approve"
        )
        if who:
            message = gettext(
                "the live %(kind)s was changed by %(who)s since this revision was written; %(then)s"
            )
        else:
            message = gettext(
                "the live %(kind)s was changed since this revision was written; %(then)s"
            )
        raise TransitionRefused(
            message % {"kind": model._meta.verbose_name, "who": who, "then": then}
        )
    data = revision.data
    revisions.set_values(live, data.get("fields", {}), data.get("changed", []))
    live._history_user = user
    live._change_reason = reason
    live.full_clean()
    try:
        live.save()
    except StaleRecord as exc:
        raise TransitionRefused(str(exc)) from exc
    for name in data.get("m2m_changed", []):
        getattr(live, name).set(data["m2m"].get(name, []))
    parts = []
    for group in data.get("children", {}).values():
        parts += _apply_children(group, live, user, reason)
    # The publish gates judge what is now stored, record and parts together, inside this
    # transaction: a refusal rolls the whole approval back.
    for obj in [live, *parts]:
        if isinstance(obj, Publishable) and obj.status == Status.PUBLISHED:
            _check_gates(obj)
    return live


def _apply_children(group: dict, parent, user, reason: str) -> list:
    """Apply one inline's changes: deletions, changed parts (version-checked), new parts.

    New and changed parts that are drafts or in review are published with the record, as
    the therapy "Publish" action does; archived ones stay archived.
    """
    model = revisions.child_model(group)
    label = model._meta.verbose_name
    saved = []
    for obj in model._base_manager.filter(pk__in=group.get("deleted", [])):
        obj._history_user = user
        try:
            obj.delete()
        except ProtectedError as exc:
            raise TransitionRefused(
                gettext(
                    "the %(kind)s “%(record)s” cannot be deleted while other records point to it"
                )
                % {"kind": label, "record": obj}
            ) from exc
    for row in group.get("changed", []):
        obj = model._base_manager.select_for_update().filter(pk=row["pk"]).first()
        if obj is None:
            raise TransitionRefused(
                gettext("a %(kind)s this revision changes was deleted since it was written")
                % {"kind": label}
            )
        if obj.version != row["version"]:
            raise TransitionRefused(
                gettext("the %(kind)s “%(record)s” was changed since this revision was written")
                % {"kind": label, "record": obj}
            )
        revisions.set_values(obj, row["fields"], [f.name for f in revisions.revised_fields(model)])
        saved.append(_save_part(obj, user, reason))
    for obj in revisions.new_children(group, parent):
        saved.append(_save_part(obj, user, reason))
    return saved


def _save_part(obj, user, reason: str):
    if isinstance(obj, Publishable) and obj.status in (Status.DRAFT, Status.REVIEW):
        obj.mark_published()
    obj._history_user = user
    obj._change_reason = reason
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def revision_reject(*, revision: Revision, user: AbstractBaseUser, comment: str) -> Revision:
    """Send a submitted revision back to its author with a comment; the live row is untouched."""
    comment = comment.strip()
    if not comment:
        raise TransitionRefused(gettext("write a comment telling the author what to change"))
    revision = _decide(revision, user, "reject")
    revision.status = RevisionStatus.REJECTED
    revision.comment = comment
    revision.decided_by = user
    revision.decided_at = timezone.now()
    revision.save()
    notifications.notify_decided(revision=revision)
    return revision


@transaction.atomic
def revision_discard(*, revision: Revision, user: AbstractBaseUser) -> Revision:
    """Drop an open revision: its author, or a publisher, withdraws the proposed change."""
    if not revision.is_open:
        raise TransitionRefused(
            gettext("it is %(status)s") % {"status": revision.get_status_display().lower()}
        )
    if revision.created_by_id != user.pk and not can_publish(user, revision.model):
        raise TransitionRefused(gettext("only its author or a publisher may discard a revision"))
    revision.status = RevisionStatus.DISCARDED
    revision.updated_by = user
    revision.save()
    return revision


@transaction.atomic
def revision_close_applied(*, revision: Revision, user: AbstractBaseUser) -> Revision:
    """Close an open revision a publisher applied by saving the record's form directly."""
    revision.status = RevisionStatus.APPROVED
    revision.decided_by = user
    revision.decided_at = timezone.now()
    revision.comment = "Applied by the publisher saving the record."
    revision.save()
    notifications.notify_decided(revision=revision)
    return revision
