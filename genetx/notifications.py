"""Email about the review workflow: publishers hear of submissions, authors of decisions.

Mail goes out through Django's email framework (EMAIL_URL in the settings) only after the
transaction that saved the revision commits, and a failure to send is logged, never raised:
a mail server that is down must not lose an editor's work or a publisher's decision.

Mail is written in settings.EMAIL_LANGUAGE (GENETX_EMAIL_LANGUAGE, the site's default
language unless set), not in the language of the admin page that caused it: the sender's
choice of admin language says nothing about the recipients'.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

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
    with translation.override(settings.EMAIL_LANGUAGE):
        subject, body, model = submitted_message(record=record, author=author)
    _after_commit(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, publishers_of(model, exclude=author))]
    )


def submitted_message(*, record, author) -> tuple[str, str, type]:
    """The subject and body telling publishers about a submission, in the active
    language, and the model whose publishers receive it."""
    from genetx.models import Revision

    if isinstance(record, Revision):
        model, name = record.model, record.object_repr
        link = _absolute(reverse("admin:genetx_revision_change", args=[record.pk]))
        body = gettext(
            "Changes to the published %(kind)s “%(record)s” were submitted for review by "
            "%(author)s.\nWhat changed: %(summary)s\n"
        ) % {
            "kind": model._meta.verbose_name,
            "record": name,
            "author": author,
            "summary": record.change_summary,
        }
    else:
        model, name = type(record), str(record)
        opts = model._meta
        link = _absolute(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
        )
        body = gettext(
            "The new %(kind)s “%(record)s” was submitted for review by %(author)s.\n"
        ) % {"kind": opts.verbose_name, "record": name, "author": author}
    body += "\n" + gettext("Review: %(link)s") % {"link": link} + "\n"
    subject = gettext("[GeneTx] Review: %(record)s") % {"record": name}
    return subject, body, model


def notify_decided(*, revision) -> None:
    """Tell the author a publisher approved or rejected their revision."""
    author = revision.created_by
    if author is None or not author.email:
        return
    with translation.override(settings.EMAIL_LANGUAGE):
        subject, body = decided_message(revision=revision)
    _after_commit([(subject, body, settings.DEFAULT_FROM_EMAIL, [author.email])])


def decided_message(*, revision) -> tuple[str, str]:
    """The subject and body telling an author of a publisher's decision, in the active
    language."""
    link = _absolute(reverse("admin:genetx_revision_change", args=[revision.pk]))
    values = {"who": revision.decided_by, "record": revision.object_repr}
    if revision.status == revision.Status.REJECTED:
        subject = gettext("[GeneTx] Your changes to %(record)s were rejected") % values
        body = gettext("%(who)s rejected your changes to “%(record)s”.") % values + "\n"
        if revision.comment:
            body += "\n" + gettext("Their comment:") + f"\n{revision.comment}\n"
    elif revision.status == revision.Status.SCHEDULED:
        subject = gettext("[GeneTx] Your changes to %(record)s were approved, scheduled") % values
        body = (
            gettext(
                "%(who)s approved your changes to “%(record)s”; they go live at the time "
                "the publisher set."
            )
            % values
            + "\n"
        )
    else:
        subject = gettext("[GeneTx] Your changes to %(record)s were approved") % values
        body = gettext("%(who)s approved your changes to “%(record)s”.") % values + "\n"
    body += "\n" + gettext("See: %(link)s") % {"link": link} + "\n"
    return subject, body
