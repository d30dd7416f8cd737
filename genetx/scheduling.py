"""Scheduled publishing: go-live and expiry dates applied by `manage.py publish_scheduled`.

Records go live or expire; revisions of live records approved for a later time are applied.

Safe to run every minute, and twice at once: each record is claimed with a row lock
(skipped by a concurrent run on PostgreSQL), its status is read again under that lock, and
the date is cleared in the same transaction as the change, so a record is published or
expired once. Everything goes through the publish services, so the gates apply: a record
the gates refuse stays as it is, keeps its date, and is reported on every run until an
editor fixes it.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from genetx.models import Publishable, Revision, Status
from genetx.services import (
    SCHEDULER,
    TransitionRefused,
    publishable_publish,
    publishable_unpublish,
    revision_go_live,
)


@dataclass
class ScheduleReport:
    published: list = field(default_factory=list)
    expired: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (record, why) pairs


def scheduled_models() -> list[type[Publishable]]:
    from django.apps import apps

    return [
        model
        for model in apps.get_models()
        if issubclass(model, Publishable) and not model._meta.abstract
    ]


def _claim(model, pk, **due):
    """The record, locked, if it is still due; None when done or held by another run."""
    rows = model._base_manager.filter(pk=pk, **due)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return rows.first()


def run_schedule(*, now=None) -> ScheduleReport:
    """Publish what has gone live and unpublish what has expired, as of now."""
    now = now or timezone.now()
    report = ScheduleReport()
    for model in scheduled_models():
        pending = [Status.DRAFT, Status.REVIEW]
        due = {"status__in": pending, "go_live_at__lte": now}
        for pk in model._base_manager.filter(**due).values_list("pk", flat=True):
            _apply(model, pk, due, report, go_live=True)
        due = {"status": Status.PUBLISHED, "expires_at__lte": now}
        for pk in model._base_manager.filter(**due).values_list("pk", flat=True):
            _apply(model, pk, due, report, go_live=False)
    for revision in Revision.objects.due(now):
        try:
            live = revision_go_live(revision=revision, now=now)
        except (TransitionRefused, ValidationError) as exc:
            why = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            report.refused.append((revision, f"approved changes not applied: {why}"))
        else:
            if live is not None:
                report.published.append(live)
    return report


def _apply(model, pk, due, report, *, go_live: bool) -> None:
    try:
        with transaction.atomic():
            obj = _claim(model, pk, **due)
            if obj is None:
                return
            if go_live:
                when = obj.go_live_at
                obj.go_live_at = None
                publishable_publish(
                    obj=obj,
                    user=SCHEDULER,
                    reason=f"Published on schedule (go-live {when:%Y-%m-%d %H:%M} UTC)",
                )
                report.published.append(obj)
            else:
                when = obj.expires_at
                obj.expires_at = None
                publishable_unpublish(
                    obj=obj,
                    user=SCHEDULER,
                    reason=f"Unpublished on schedule (expiry {when:%Y-%m-%d %H:%M} UTC)",
                )
                report.expired.append(obj)
    except TransitionRefused as exc:
        if "already" in str(exc):  # another run got there first
            return
        report.refused.append((model._base_manager.get(pk=pk), str(exc)))
