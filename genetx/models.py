"""The publishing base every public content model shares."""

import datetime
import functools
import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# Dates outside this window are typing mistakes in this domain; the database refuses them.
EARLIEST_DATE = datetime.date(1800, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class DatePrecision(models.TextChoices):
    """How much of a date is known: sources and figures are often dated only by year."""

    YEAR = "year", _("Year")
    MONTH = "month", _("Month")
    DAY = "day", _("Day")


def per_row_count(rows, to_row: str, *, distinct: str = ""):
    """How many of `rows` point at each outer row through `to_row`, as an expression to
    annotate a list's rows with (0 for none).

    A correlated subquery: PostgreSQL runs it after the sort and LIMIT, for the rows a page
    shows, where a join and GROUP BY first counted for every row of the table (an
    institution list page: 148 ms at 100,000 therapies). Sorting by the count still counts
    every row, as it must. `distinct` counts distinct values of that field instead of rows.
    """
    counted = (
        rows.filter(**{to_row: OuterRef("pk")})
        .order_by()
        .values(to_row)
        .annotate(count=Count(distinct, distinct=True) if distinct else Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(counted), Value(0), output_field=IntegerField())


class ListedFromParent:
    """A record a condition page may list because it is recorded on the condition's
    parent: the page sets `rolled_up_from` to that parent (therapies/views.py).

    None unless set, so a template reads it as a plain attribute: a missing one sends
    Django's template engine through dir() on the record (to tell a failing property
    from an absent name), about 0.4 ms for each of a condition page's up to 200 rows.
    """

    rolled_up_from = None


class PublishableQuerySet(models.QuerySet):
    def published(self):
        """Records readers may see: status published."""
        return self.filter(status=Status.PUBLISHED)

    def in_review(self):
        """Records an editor has submitted and a publisher has not yet decided on."""
        return self.filter(status=Status.REVIEW)

    def visible_to(self, user):
        """Published records, plus every record for staff who may change this model.

        This is the one explicit branch through which staff preview drafts at their
        public URL; everyone else gets published records only.
        """
        opts = self.model._meta
        if (
            user.is_authenticated
            and user.is_staff
            and user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
        ):
            return self.all()
        return self.published()


class StaleRecord(Exception):
    """A save based on an out-of-date version of a record; nothing was written."""

    def __init__(self, obj):
        self.obj = obj
        super().__init__(
            f"{obj._meta.verbose_name} “{obj}” was changed by someone else since it was read"
        )


@functools.cache
def _choice_labels(field) -> dict:
    """A field's choices as {value: label}, the labels still lazy (translated when shown)."""
    return {make_hashable(value): label for value, label in field.flatchoices}


class ChoiceLabels:
    """get_<field>_display() from a mapping built once per field.

    Django's own builds a dict of every choice on each call, and hashing each lazy label
    translates it: a list of 100 programmes translated 100 x 5 role names to show 100.
    """

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        label = _choice_labels(field).get(make_hashable(value), value)
        return force_str(label, strings_only=True)


class Versioned(ChoiceLabels, models.Model):
    """A version number every save checks and raises, so no save overwrites a newer one.

    The check is one UPDATE (``... SET version = n + 1 WHERE pk = ... AND version = n``):
    it either claims the row, holding its lock until the transaction ends, or changes
    nothing, and the save is refused with StaleRecord. In save() rather than in the admin
    because every write path (forms, inlines, actions, imports, services, the shell) must be
    covered, as with the cache invalidation. Fixture loads (raw saves) and
    ``QuerySet.update()`` skip it.
    """

    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text=_("Raised by one on every save."),
        verbose_name=_("version"),
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding or self.pk is None:
            return super().save(*args, **kwargs)
        expected = self.version
        using = kwargs.get("using") or self._state.db
        with transaction.atomic(using=using):
            claimed = (
                type(self)
                ._base_manager.using(using)
                .filter(pk=self.pk, version=expected)
                .update(version=expected + 1)
            )
            if not claimed:
                raise StaleRecord(self)
            self.version = expected + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version"}
            return super().save(*args, **kwargs)


class Publishable(Versioned):
    status = models.CharField(
        max_length=16,
        choices=Status,
        default=Status.DRAFT,
        db_index=True,
        help_text=_("Draft and In review are visible to staff only; Published is public."),
        verbose_name=_("status"),
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set on first publication and kept when the record is republished."),
        verbose_name=_("published at"),
    )
    go_live_at = models.DateTimeField(
        _("go live at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "Publish automatically at this time (publishers only). The scheduled "
            "command publishes it through the same checks as the Publish button, then clears this."
        ),
    )
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "Take it back to draft automatically at this time (publishers only); "
            "refused, and reported, while published claims rely on it alone."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    # inherit=True gives every concrete subclass its own history table.
    history = HistoricalRecords(inherit=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="%(app_label)s_%(class)s_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(go_live_at__isnull=True)
                | Q(expires_at__isnull=True)
                | Q(expires_at__gt=F("go_live_at")),
                name="%(app_label)s_%(class)s_expires_after_go_live",
            ),
        ]

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def mark_published(self) -> None:
        """Set the status to published, stamping published_at the first time only."""
        self.status = Status.PUBLISHED
        if self.published_at is None:
            self.published_at = timezone.now()


def partial_date_constraints(field: str, precision_field: str) -> list[models.CheckConstraint]:
    """Constraints keeping a date and the precision it is known to together."""
    return [
        models.CheckConstraint(
            condition=Q(**{f"{precision_field}__in": [*DatePrecision.values, ""]}),
            name=f"%(app_label)s_%(class)s_{precision_field}_valid",
        ),
        models.CheckConstraint(
            condition=(
                Q(**{f"{field}__isnull": True}, **{precision_field: ""})
                | (Q(**{f"{field}__isnull": False}) & ~Q(**{precision_field: ""}))
            ),
            name=f"%(app_label)s_%(class)s_{field}_has_precision",
        ),
        models.CheckConstraint(
            condition=Q(**{f"{field}__isnull": True})
            | Q(**{f"{field}__gte": EARLIEST_DATE, f"{field}__lte": LATEST_DATE}),
            name=f"%(app_label)s_%(class)s_{field}_year_range",
        ),
    ]


class RevisionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting review")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Approved, scheduled")
    APPROVED = "approved", _("Approved")
    DISCARDED = "discarded", _("Discarded")


# A record has at most one open revision: the one its change form opens on.
# A scheduled revision is approved but not applied yet: it still holds the record's one
# open revision, so no second change can start beside it.
OPEN_REVISION_STATES = [
    RevisionStatus.DRAFT,
    RevisionStatus.SUBMITTED,
    RevisionStatus.REJECTED,
    RevisionStatus.SCHEDULED,
]


class RevisionQuerySet(models.QuerySet):
    def open(self):
        """Revisions not yet approved or discarded: drafts, submitted and rejected ones."""
        return self.filter(status__in=OPEN_REVISION_STATES)

    def due(self, now):
        """Approved revisions whose go-live time has come."""
        return self.filter(status=RevisionStatus.SCHEDULED, go_live_at__lte=now)

    def awaiting_review(self):
        """Revisions submitted for review and not yet decided."""
        return self.filter(status=RevisionStatus.SUBMITTED)

    def for_object(self, obj):
        """Revisions of this record, newest first."""
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=obj.pk,
        ).order_by("-updated_at")

    def by(self, user):
        """Revisions this user wrote."""
        return self.filter(created_by=user)

    def for_queue(self):
        """Each revision with its model and the people named in the review queue."""
        return self.select_related("content_type", "created_by", "updated_by", "decided_by")


class Revision(Versioned):
    """A proposed change to a published record, kept apart until a publisher approves it.

    ``data`` holds the record as the change form would have saved it, its many-to-many
    values and the changes to the parts edited with it (see genetx/revisions.py for the
    layout). ``base_version`` is the record's version the change was made on: approving
    refuses when the live record has moved on since.
    """

    Status = RevisionStatus

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("content type")
    )
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    object_repr = models.CharField(
        _("record"), max_length=300, help_text=_("The record's name when the revision was saved.")
    )
    status = models.CharField(
        max_length=12,
        choices=RevisionStatus,
        default=RevisionStatus.DRAFT,
        verbose_name=_("status"),
    )
    base_version = models.PositiveIntegerField(
        help_text=_("The live record's version this revision was made on."),
        verbose_name=_("base version"),
    )
    data = models.JSONField(encoder=DjangoJSONEncoder, verbose_name=_("data"))
    summary = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("One line: what the revision changes."),
        verbose_name=_("summary"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="revisions_created",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="revisions_updated",
        verbose_name=_("updated by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("submitted at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revisions_decided",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    comment = models.TextField(
        blank=True,
        help_text=_("The reviewer's comment, shown to the author on a rejection."),
        verbose_name=_("comment"),
    )
    go_live_at = models.DateTimeField(
        _("goes live at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "When an approved revision is applied to the live record "
            "(by publish_scheduled); empty once applied."
        ),
    )

    objects = RevisionQuerySet.as_manager()

    # Readers never see a pending revision, so saving one leaves the page cache alone.
    page_cache_exempt = True

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RevisionStatus.values), name="revision_status_valid"
            ),
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status__in=OPEN_REVISION_STATES),
                name="revision_one_open_per_record",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"Revision of {self.object_repr}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REVISION_STATES

    @property
    def model(self):
        return self.content_type.model_class()

    @property
    def model_label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def change_summary(self) -> str:
        """What the revision changes, in the active language. ``summary`` keeps the same
        line as it was saved, in the site's default language (it is searched and stored)."""
        from genetx.revisions import summarise

        if self.model is None:
            return self.summary
        try:
            return summarise(self.data, self.model)
        except (FieldDoesNotExist, LookupError, KeyError, TypeError):
            return self.summary  # the model changed since: the line as it was saved

    def live_object(self):
        """The live record, or None when it was deleted since."""
        return self.model._base_manager.filter(pk=self.object_id).first()


class ImportState(models.TextChoices):
    PREVIEW = "preview", _("Previewed, waiting for confirmation")
    QUEUED = "queued", _("Queued for the background worker")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded import file, from preview to the end of its import, and what happened.

    The file's text lives here, in the database, between the preview and the confirmation,
    so any app server can confirm what another previewed, and a background worker can
    import it. `processed` out of `total` is the progress editors see in the admin;
    `report` lists every refused row with its field, value and message.
    """

    State = ImportState

    token = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("token")
    )
    target = models.CharField(
        max_length=100,
        help_text=_("What the file imports into: a model label or CSV resource."),
        verbose_name=_("target"),
    )
    file_name = models.CharField(max_length=255, verbose_name=_("file name"))
    file_format = models.CharField(max_length=10, verbose_name=_("file format"))
    content = models.TextField(
        help_text=_("The uploaded file's text, kept until it is imported."),
        verbose_name=_("content"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("user"),
    )
    state = models.CharField(
        max_length=10, choices=ImportState, default=ImportState.PREVIEW, verbose_name=_("state")
    )
    total = models.PositiveIntegerField(
        default=0, help_text=_("Entries in the file."), verbose_name=_("total")
    )
    processed = models.PositiveIntegerField(
        default=0, help_text=_("Entries handled so far."), verbose_name=_("processed")
    )
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    refused_count = models.PositiveIntegerField(_("refused"), default=0)
    report = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Refused rows: row, label, field, value, message."),
        verbose_name=_("report"),
    )
    message = models.TextField(
        blank=True, help_text=_("The outcome in one sentence."), verbose_name=_("message")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ImportState.values),
                name="importjob_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(processed__lte=models.F("total")), name="importjob_progress_in_range"
            ),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.get_state_display().lower()})"

    @property
    def percent(self) -> int:
        return round(100 * self.processed / self.total) if self.total else 0


class ContentChange(models.Model):
    """A count of committed content changes, in one row written on the primary database.

    A read replica holds every change the primary has committed when its copy of the count
    is at least the primary's: genetx.routers lets a replica serve a public page only then,
    so a page never shows content older than the last change (or gets cached as if it were
    current).
    """

    seq = models.BigIntegerField(
        default=0, help_text=_("Content changes committed so far."), verbose_name=_("seq")
    )
    changed_at = models.DateTimeField(
        null=True, help_text=_("When the last one was committed."), verbose_name=_("changed at")
    )

    class Meta:
        verbose_name = _("content change counter")

    def __str__(self):
        return f"content change {self.seq}"
