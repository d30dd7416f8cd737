"""Email about the review workflow: publishers hear of submissions, authors of decisions.

Mail goes out through Django's email framework (EMAIL_URL in the settings) only after the
transaction that saved the revision commits, and a failure to send is logged, never raised:
a mail server that is down must not lose an editor's work or a publisher's decision.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse

from genetx.publishing import publish_permission

logger = logging.getLogger(__name__)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send(messages: list[tuple[str, str, str, list[str]]]) -> None:
    messages = [message for message in messages if message[3]]
    if not messages:
        return
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        # Logged with its traceback for the operator; the saved work stays saved.
        logger.exception("Could not send %d review notification(s)", len(messages))


def _after_commit(messages) -> None:
    transaction.on_commit(lambda: _send(messages), robust=True)


def publishers_of(model, *, exclude=None) -> list[str]:
    """Email addresses of active users who may publish this model."""
    users = get_user_model().objects.with_perm(
        publish_permission(model),
        is_active=True,
        backend="django.contrib.auth.backends.ModelBackend",
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return sorted({email for email in users.values_list("email", flat=True) if email})


def notify_submitted(*, record, author) -> None:
    """Tell publishers a revision (or a new draft record) awaits their review."""
    from genetx.models import Revision

    if isinstance(record, Revision):
        model, name = record.model, record.object_repr
        what = f"Changes to the published {model._meta.verbose_name} “{name}”"
        link = _absolute(reverse("admin:genetx_revision_change", args=[record.pk]))
        detail = f"What changed: {record.summary}\n"
    else:
        model, name = type(record), str(record)
        what = f"The new {model._meta.verbose_name} “{name}”"
        opts = model._meta
        link = _absolute(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
        )
        detail = ""
    body = (
        f"{what} {'were' if isinstance(record, Revision) else 'was'} submitted for review "
        f"by {author}.\n{detail}\nReview: {link}\n"
    )
    _after_commit(
        [
            (
                f"[GeneTx] Review: {name}",
                body,
                settings.DEFAULT_FROM_EMAIL,
                publishers_of(model, exclude=author),
            )
        ]
    )


def notify_decided(*, revision) -> None:
    """Tell the author a publisher approved or rejected their revision."""
    author = revision.created_by
    if author is None or not author.email:
        return
    link = _absolute(reverse("admin:genetx_revision_change", args=[revision.pk]))
    verdict = revision.get_status_display().lower()
    body = f"{revision.decided_by} {verdict} your changes to “{revision.object_repr}”.\n"
    if revision.comment and revision.status == revision.Status.REJECTED:
        body += f"\nTheir comment:\n{revision.comment}\n"
    body += f"\nSee: {link}\n"
    _after_commit(
        [
            (
                f"[GeneTx] Your changes to {revision.object_repr} were {verdict}",
                body,
                settings.DEFAULT_FROM_EMAIL,
                [author.email],
            )
        ]
    )
