"""The review queue in the admin: list, compare, approve, reject, submit, discard, preview.

Revisions are listed by Django's changelist (the queue); a revision's change page is the
compare view, whose buttons post back to it. Every route checks permission on the server:
viewing needs ``genetx.view_revision`` and the view permission of the revised model,
approving and rejecting the model's publish permission (checked again by the services),
submitting and discarding the author or a publisher.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import Resolver404, path, resolve, reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from genetx import revisions
from genetx.admin import validation_summary
from genetx.models import OPEN_REVISION_STATES, Revision, RevisionStatus
from genetx.publishing import can_publish
from genetx.services import (
    TransitionRefused,
    revision_approve,
    revision_discard,
    revision_reject,
    revision_submit,
    revision_unschedule,
)
from genetx.text import is_integer

# "could not be approved": the action named in a refusal, by the form's action value.
ACTION_PARTICIPLES = {
    "approve": _("approved"),
    "unschedule": _("unscheduled"),
    "reject": _("rejected"),
    "submit": _("submitted"),
    "discard": _("discarded"),
}


def _go_live_at(raw: str):
    """The optional go-live time from the approve form (a datetime-local value), aware.

    TransitionRefused with a plain message when it cannot be read or is not in the future.
    """
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None:
        raise TransitionRefused(
            gettext("“%(value)s” is not a date and time; use the picker or write 2026-12-01 09:00")
            % {"value": raw[:40]}
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value <= timezone.now():
        raise TransitionRefused(
            gettext(
                "the go-live time is not in the future; leave it empty to apply the changes now"
            )
        )
    return value


class QueueFilter(admin.SimpleListFilter):
    """Awaiting review by default; also everything open, or everything."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("awaiting", _("Awaiting review")),
            ("open", _("Open (drafts, awaiting review, rejected, scheduled)")),
            ("rejected", _("Rejected")),
            ("scheduled", _("Approved, scheduled")),
            ("decided", _("Approved or discarded")),
            ("all", _("All")),
        ]

    def value(self):
        return super().value() or "awaiting"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "awaiting":
            return queryset.awaiting_review()
        if value == "open":
            return queryset.open()
        if value == "rejected":
            return queryset.filter(status=RevisionStatus.REJECTED)
        if value == "scheduled":
            return queryset.filter(status=RevisionStatus.SCHEDULED).order_by("go_live_at")
        if value == "decided":
            return queryset.exclude(status__in=OPEN_REVISION_STATES)
        return queryset


class MineFilter(admin.SimpleListFilter):
    """Revisions I wrote ("my drafts"), or everyone's."""

    title = _("whose")
    parameter_name = "whose"

    def lookups(self, request, model_admin):
        return [("mine", _("Mine"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.by(request.user)
        return queryset


def _may_view_target(user, revision) -> bool:
    opts = revision.model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = [
        "record",
        "kind",
        "status",
        "changes",
        "created_by",
        "updated_at",
        "submitted_at",
    ]
    list_filter = [QueueFilter, MineFilter, "content_type"]
    list_select_related = ["content_type", "created_by"]
    search_fields = ["object_repr", "summary"]
    list_per_page = 50
    # The queue reads few columns; counting every revision for "N total" is not needed.
    show_full_result_count = False
    change_form_template = "admin/genetx/revision_compare.html"
    change_list_template = "admin/genetx/revision_change_list.html"

    def changelist_view(self, request, extra_context=None):
        # New records submitted for review wait in their own lists (status "In review"):
        # one count per content type, linking there.
        from genetx.content_types import CONTENT_TYPES

        new_records = []
        for content_type in CONTENT_TYPES:
            opts = content_type.model._meta
            if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
                continue
            count = content_type.model.objects.in_review().count()
            if count:
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                new_records.append((content_type.label, count, f"{url}?status__exact=review"))
        extra_context = {**(extra_context or {}), "new_in_review": new_records}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False  # revisions come from saving a published record's form

    def has_change_permission(self, request, obj=None):
        return False  # decided through the compare view's buttons, never edited

    def has_delete_permission(self, request, obj=None):
        return False  # discarded, so the record of what was proposed stays

    def get_queryset(self, request):
        return super().get_queryset(request).for_queue()

    @admin.display(description=_("Record"), ordering="object_repr")
    def record(self, obj):
        return obj.object_repr

    @admin.display(description=_("Changes"), ordering="summary")
    def changes(self, obj):
        return obj.change_summary

    @admin.display(description=_("Kind"), ordering="content_type")
    def kind(self, obj):
        return obj.content_type.name

    def get_urls(self):
        return [
            path(
                "<int:revision_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="genetx_revision_preview",
            ),
            path(
                "history/<str:app_label>/<str:model_name>/<int:object_id>/<int:old>/<int:new>/",
                self.admin_site.admin_view(self.history_compare_view),
                name="genetx_revision_history_compare",
            ),
            *super().get_urls(),
        ]

    def _revision(self, request, revision_id) -> Revision:
        if not self.has_view_permission(request):
            raise PermissionDenied
        revision = (
            Revision.objects.for_queue().filter(pk=revision_id).first()
            if is_integer(str(revision_id))
            else None
        )
        if revision is None or revision.model is None:
            raise Http404(gettext("No such revision."))
        if not _may_view_target(request.user, revision):
            raise PermissionDenied
        return revision

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The compare view: what approving would change, with the decision buttons."""
        revision = self._revision(request, object_id)
        if request.method == "POST":
            return self._decide(request, revision)
        live = revision.live_object()
        field_changes, child_changes = (
            revisions.compare_revision(revision.data, live) if live is not None else ([], [])
        )
        is_publisher = can_publish(request.user, revision.model)
        is_author = revision.created_by_id == request.user.pk
        opts = revision.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Changes to %(record)s") % {"record": revision.object_repr},
            "revision": revision,
            "live": live,
            "live_changed": live is not None and live.version != revision.base_version,
            "field_changes": field_changes,
            "child_changes": child_changes,
            "record_url": reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[live.pk]
            )
            if live is not None
            else "",
            "preview_url": reverse("admin:genetx_revision_preview", args=[revision.pk])
            if live is not None
            else "",
            "may_decide": is_publisher and revision.status == RevisionStatus.SUBMITTED,
            "may_submit": (is_author or is_publisher)
            and revision.status in (RevisionStatus.DRAFT, RevisionStatus.REJECTED),
            "may_discard": (is_author or is_publisher) and revision.is_open,
            "may_unschedule": is_publisher and revision.status == RevisionStatus.SCHEDULED,
            "time_zone": settings.TIME_ZONE,
        }
        return TemplateResponse(request, self.change_form_template, context)

    def _decide(self, request, revision):
        user = request.user
        action = request.POST.get("action", "")
        try:
            if action == "approve":
                go_live_at = _go_live_at(request.POST.get("go_live_at", ""))
                revision = revision_approve(revision=revision, user=user, go_live_at=go_live_at)
                if revision.status == RevisionStatus.SCHEDULED:
                    when = timezone.localtime(revision.go_live_at)
                    done = gettext(
                        "The changes to “%(record)s” were approved: they go live on %(day)s at "
                        "%(time)s %(zone)s."
                    ) % {
                        "record": revision.object_repr,
                        "day": format_date(when, "d M Y"),
                        "time": format_date(when, "H:i"),
                        "zone": format_date(when, "T"),
                    }
                else:
                    done = gettext(
                        "The changes to “%(record)s” were approved: the live record now shows "
                        "these changes."
                    ) % {"record": revision.object_repr}
            elif action == "unschedule":
                revision_unschedule(revision=revision, user=user)
                done = gettext(
                    "The changes to “%(record)s” were taken off the schedule and are awaiting "
                    "review again."
                ) % {"record": revision.object_repr}
            elif action == "reject":
                revision_reject(
                    revision=revision, user=user, comment=request.POST.get("comment", "")
                )
                done = gettext(
                    "The changes to “%(record)s” were rejected; the author sees your comment."
                ) % {"record": revision.object_repr}
            elif action == "submit":
                if revision.created_by_id != user.pk and not can_publish(user, revision.model):
                    raise PermissionDenied
                revision_submit(revision=revision, user=user)
                done = gettext("The changes to “%(record)s” were submitted for review.") % {
                    "record": revision.object_repr
                }
            elif action == "discard":
                revision_discard(revision=revision, user=user)
                done = gettext(
                    "The changes to “%(record)s” were discarded; the live record is unchanged."
                ) % {"record": revision.object_repr}
            else:
                self.message_user(
                    request,
                    gettext("Choose approve, reject, submit, discard or cancel the schedule."),
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.path)
        except TransitionRefused as exc:
            self.message_user(
                request,
                gettext(
                    "Nothing was changed: the revision of “%(record)s” could not be %(action)s: "
                    "%(reason)s."
                )
                % {
                    "record": revision.object_repr,
                    "action": ACTION_PARTICIPLES[action],
                    "reason": exc,
                },
                messages.ERROR,
            )
        except ValidationError as exc:
            self.message_user(
                request,
                gettext(
                    "Nothing was changed: the revision of “%(record)s” no longer validates "
                    "(%(problems)s). Open the record, correct the draft and submit it again."
                )
                % {"record": revision.object_repr, "problems": validation_summary(exc)},
                messages.ERROR,
            )
        else:
            self.message_user(request, done)
            if action == "approve":
                return HttpResponseRedirect(reverse("admin:genetx_revision_changelist"))
        return HttpResponseRedirect(request.path)

    def preview_view(self, request, revision_id):
        """The public page of the record as it will look once the revision is approved."""
        revision = self._revision(request, revision_id)
        live = revision.live_object()
        if live is None:
            raise Http404(gettext("The record of this revision was deleted."))
        try:
            match = resolve(live.get_absolute_url())
        except Resolver404 as exc:
            raise Http404(gettext("This kind of record has no page of its own.")) from exc
        view_class = getattr(match.func, "view_class", None)
        if view_class is None or not hasattr(view_class, "revision_preview"):
            raise Http404(gettext("This kind of record has no page to preview."))
        preview = revisions.preview_object(revision.data, live)
        return view_class.as_view(revision_preview=preview)(request, *match.args, **match.kwargs)

    def history_compare_view(self, request, app_label, model_name, object_id, old, new):
        """Field-by-field differences between two history versions of one record."""
        from django.apps import apps

        try:
            model = apps.get_model(app_label, model_name)
        except LookupError as exc:
            raise Http404 from exc
        if not hasattr(model, "history") or not request.user.has_perm(
            f"{app_label}.view_{model_name}"
        ):
            raise PermissionDenied
        rows = {
            row.history_id: row
            for row in model.history.filter(id=object_id, history_id__in=[old, new])
        }
        if old not in rows or new not in rows:
            raise Http404(gettext("No such versions of this record."))
        changes = revisions.compare_values(
            model, revisions.field_values(rows[old]), revisions.field_values(rows[new])
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": model._meta,
            "title": gettext("Compare versions of %(record)s") % {"record": rows[new].instance},
            "old": rows[old],
            "new": rows[new],
            "field_changes": changes,
            "record_url": reverse(f"admin:{app_label}_{model_name}_change", args=[object_id]),
        }
        return TemplateResponse(request, "admin/genetx/history_compare.html", context)
