"""Admin building blocks every GeneTx app shares.

GeneTxAdmin: history with revert, save on top, view on site, and a paginator that does not
count big tables. PublishableAdmin adds the publishing workflow: the status field, inline
forms, actions and deletes all check the publish permission on the server, whatever the
browser sends.
"""

import csv
import io
import uuid

import tablib
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ConfirmImportForm, ImportForm
from simple_history.admin import SimpleHistoryAdmin

from genetx import revisions
from genetx.history import REASON_LENGTH, label_change
from genetx.imports import (
    ImportFileError,
    check_entry_count,
    check_field_size,
    csv_problems,
    describe_problem,
    keep_for_confirmation,
    read_bounded,
)
from genetx.listing import FORMULA_STARTS, safe_cell
from genetx.models import (
    ImportJob,
    ImportState,
    Revision,
    RevisionStatus,
    StaleRecord,
    Status,
    Versioned,
)
from genetx.publishing import (
    PUBLISHER_STATES,
    can_publish,
    describe,
    gate_problems,
    may_set_status,
    publish_problems,
    status_refusal,
    withdraw_problems,
)
from genetx.services import (
    GateRefused,
    TransitionRefused,
    publishable_archive,
    publishable_publish,
    publishable_submit,
    publishable_unpublish,
    revision_close_applied,
    revision_save,
)
from genetx.tasks import import_csv
from genetx.translation_sync import searched_in_every_language, stored_value, with_spanish


class GeneTxLoginForm(AdminAuthenticationForm):
    """The admin login, saying plainly when a valid account has no admin access.

    Django's own message ("enter the correct username and password for a staff account")
    reads as a wrong password. The right password for an account without a role gets this
    message instead; it is not a failed login, so it does not count toward the lockout.
    """

    def confirm_login_allowed(self, user):
        if user.is_active and not user.is_staff:
            raise ValidationError(
                _(
                    "Your password is right, but this account has no access to the editors' "
                    "admin yet. Ask an administrator to add you to the Editor or Publisher group."
                ),
                code="no_admin_access",
            )
        super().confirm_login_allowed(user)


admin.site.login_form = GeneTxLoginForm
admin.site.site_header = _("GeneTx editors")
admin.site.site_title = _("GeneTx editors")
admin.site.index_title = _("Therapies, institutions and sources")

AUDIT_FIELDS = ("published_at", "created_at", "updated_at")


class EstimatedCountPaginator(Paginator):
    """A paginator that estimates the size of a big unfiltered table on PostgreSQL.

    COUNT(*) reads the whole table on PostgreSQL; the planner's row estimate in pg_class
    is free and close enough for "page 1 of about 4,000". Small tables, filtered lists and
    other databases get the exact count.
    """

    exact_below = 10_000

    @cached_property
    def count(self):
        queryset = self.object_list
        if (
            isinstance(queryset, QuerySet)
            and not queryset.query.where
            and connections[queryset.db].vendor == "postgresql"
        ):
            with connections[queryset.db].cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            # reltuples is -1 for a table never analysed, and rough for small ones.
            if row and row[0] >= self.exact_below:
                return int(row[0])
        return super().count


SCHEDULE_FIELDS = ("go_live_at", "expires_at")


def when_saved(value, *, zone=True) -> str:
    """A moment in the admin: "14 Mar 2025 09:30 UTC", with the month in the admin's language."""
    return format_date(timezone.localtime(value), "d M Y H:i T" if zone else "d M Y H:i")


def changes_since(model, pk, seen_version: int) -> str:
    """Who saved the record after version seen_version, when, and what they changed."""
    history = model.history.filter(id=pk)
    newest = history.order_by("-history_date").select_related("history_user").first()
    seen = history.filter(version=seen_version).order_by("-history_date").first()
    if newest is None:
        return gettext("Someone else saved it after you opened it.")
    text = gettext("%(who)s saved it at %(when)s, after you opened it.") % {
        "who": newest.history_user or gettext("someone"),
        "when": when_saved(newest.history_date),
    }
    if seen is not None:
        changes = revisions.compare_values(
            model, revisions.field_values(seen), revisions.field_values(newest)
        )
        if changes:
            text += " " + gettext("Their changes: %(changes)s.") % {
                "changes": "; ".join(f"{capfirst(c.label)}: “{c.old}” → “{c.new}”" for c in changes)
            }
    return text


class VersionedFormMixin:
    """Carries the version of the record the form was opened on and refuses a stale save.

    The hidden ``seen_version`` is compared with the stored version while the form
    validates, so an out-of-date save is refused with a message saying who changed what;
    the form keeps the user's values and now carries the current version, so saving again
    applies them on top. The save itself checks the version again in its UPDATE
    (Versioned.save), which catches a save that slips in between.
    """

    revert = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("seen_version")
        if field is not None and self.instance.pk is not None:
            field.initial = self._stored_version() if self.revert else self.instance.version

    def _stored_version(self):
        return (
            self._meta.model._base_manager.filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if seen is None or self.instance.pk is None:
            return cleaned
        current = self._stored_version()
        if current is None:
            raise ValidationError(
                _("This record was deleted by someone else after you opened it."), code="deleted"
            )
        if current != seen:
            self.data = self.data.copy()
            self.data[self.add_prefix("seen_version")] = str(current)
            self._take_their_values(seen)
            raise ValidationError(
                gettext(
                    "Not saved: this record changed since you opened it. %(changes)s The form "
                    "now shows their values, with the fields you changed kept as you wrote "
                    "them: check it and save again to apply your changes on top."
                )
                % {"changes": changes_since(self._meta.model, self.instance.pk, seen)},
                code="stale",
            )
        # The save's own check compares with what this user saw, not what was read now.
        self.instance.version = seen
        return cleaned

    def _take_their_values(self, seen: int) -> None:
        """Put the stored values in the re-shown form wherever this user changed nothing.

        Compared with the version the user opened (from history): a field they left alone
        shows the other person's value, a field they edited keeps their value, so saving
        again re-applies their change without undoing the other one.
        """
        model = self._meta.model
        if not hasattr(model, "history"):
            return
        opened = (
            model.history.filter(id=self.instance.pk, version=seen)
            .order_by("-history_date")
            .first()
        )
        stored = model._base_manager.filter(pk=self.instance.pk).first()
        if opened is None or stored is None:
            return
        for name, form_field in self.fields.items():
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if (
                not model_field.concrete
                or model_field.many_to_many
                or name not in self.cleaned_data
            ):
                continue
            mine = self.cleaned_data[name]
            mine = getattr(mine, "pk", mine)
            if not revisions.same_value(mine, stored_value(opened, model_field)):
                continue  # this user changed it: keep their value
            theirs = stored_value(stored, model_field)
            key = self.add_prefix(name)
            if isinstance(form_field, forms.BooleanField):
                if theirs:
                    self.data[key] = "on"
                else:
                    self.data.pop(key, None)
            else:
                self.data[key] = "" if theirs is None else str(theirs)


def versioned_form(form_class, model, *, revert=False):
    """The form class with the hidden version field and its check."""
    if not issubclass(model, Versioned):
        return form_class
    return type(
        form_class.__name__,
        (VersionedFormMixin, form_class),
        {
            "seen_version": forms.IntegerField(widget=forms.HiddenInput, required=False),
            "revert": revert,
            "__module__": form_class.__module__,
        },
    )


PUBLISH_HINT = _(
    "Publish what it needs first, or select it in the list and use the Publish action, "
    "which offers to publish them together."
)
WITHDRAW_HINT = _(
    "Keep it published, give those records another published source first, or use the "
    "Unpublish or Archive action in the list, which offers to withdraw them too."
)


def gate_errors(problems) -> list[ValidationError]:
    """The publish gates' problems as form errors an editor can act on."""
    errors = []
    for problem in problems:
        hint = WITHDRAW_HINT if problem.dependent else PUBLISH_HINT if problem.needs else ""
        errors.append(ValidationError(f"{problem} {hint}".strip(), code="publish_gate"))
    return errors


class GateFormMixin:
    """Asks the publish gates about the record as the form would save it.

    Runs after the model's own validation has put the posted values on the instance.
    ``gate_checked_by_inline`` is set when an inline formset on the same page checks the
    record with its posted parts (a claim with its citations), since only it sees them.
    """

    gate_checked_by_inline = False

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        for error in gate_errors(self.gate_problems()):
            self.add_error(None, error)

    def gate_problems(self):
        instance = self.instance
        stored = getattr(self, "stored_status", None)
        status = getattr(instance, "status", None)
        if status is None:  # not publishable: a regulatory decision
            return gate_problems(instance)
        problems = []
        if status == Status.PUBLISHED and not self.gate_checked_by_inline:
            problems += publish_problems(instance)
        if stored == Status.PUBLISHED and instance.pk is not None:
            problems += withdraw_problems(instance, as_if=instance)
        return problems


class PublishingFormMixin(GateFormMixin):
    """Refuses a status change the user may not make, with a message that says why.

    ``publishing_user`` is set on the form class per request (see publishing_form()). The
    change form compares with the status stored in the database, not the one on its
    instance: a history revert hands the form an old version of the record. Inline forms
    are built from rows just read from the database, so their initial status is the stored
    one and costs no query per row.
    """

    publishing_user = None
    initial_is_stored = False
    # Set when this save becomes a revision of a published record instead of a live save.
    as_revision = False
    submit_revision = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_status = self._read_stored_status()
        if not can_publish(self.publishing_user, self._meta.model):
            # Scheduling publication is publishing: editors see the dates, cannot set them
            # (a disabled field keeps its stored value whatever is posted).
            for name in SCHEDULE_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
        if "seen_revision" in self.fields:
            self.fields["seen_revision"].initial = revision_token(
                getattr(self.instance, "_revision", None)
            )
        field = self.fields.get("status")
        if field is not None and not can_publish(self.publishing_user, self._meta.model):
            # Offer editors only the states they may choose; clean_status() still checks
            # whatever is posted.
            field.widget.choices = [
                (value, label)
                for value, label in field.choices
                if value in (Status.DRAFT, Status.REVIEW, self.stored_status)
            ]

    def _read_stored_status(self):
        if self.instance.pk is None:
            return None
        if self.initial_is_stored:
            return self.initial.get("status")
        model = self._meta.model
        return (
            model._base_manager.filter(pk=self.instance.pk).values_list("status", flat=True).first()
        )

    def clean(self):
        cleaned = super().clean()
        # The record's own form (not an inline row) checks that nobody saved unpublished
        # changes after it was opened: a draft would otherwise be replaced, or a
        # publisher's direct save would close a revision they never saw.
        if not self.initial_is_stored and self.instance.pk is not None:
            current = Revision.objects.open().for_object(self.instance).first()
            if revision_token(current) != cleaned.get("seen_revision", ""):
                self.data = self.data.copy()
                self.data[self.add_prefix("seen_revision")] = revision_token(current)
                if current is None:
                    raise ValidationError(
                        _(
                            "Not saved: the unpublished changes you opened were approved, "
                            "rejected or discarded meanwhile. Your values are kept in the "
                            "form: check them against the record and save again."
                        ),
                        code="stale_revision",
                    )
                raise ValidationError(
                    gettext(
                        "Not saved: someone saved newer unpublished changes to this record "
                        "after you opened it (%(who)s, %(when)s: %(summary)s). Your values "
                        "are kept in the form: check them and save again to replace theirs."
                    )
                    % {
                        "who": current.updated_by or gettext("a deleted user"),
                        "when": when_saved(current.updated_at),
                        "summary": current.change_summary,
                    },
                    code="stale_revision",
                )
        return cleaned

    def clean_status(self):
        status = self.cleaned_data["status"]
        model = self._meta.model
        if self.as_revision and status in (self.stored_status, Status.REVIEW):
            # A revision never changes the status; "In review" on a live record means
            # "send my changes for review".
            self.submit_revision = self.submit_revision or status == Status.REVIEW
            return self.stored_status
        if not may_set_status(self.publishing_user, model, self.stored_status, status):
            raise ValidationError(
                status_refusal(model, self.stored_status, status), code="not_publisher"
            )
        if status == Status.PUBLISHED and self.instance.published_at is None:
            # Stamped here, not in save(): the database constraint that a published record
            # has a date is checked while the form validates.
            self.instance.published_at = timezone.now()
        return status


def revision_token(revision) -> str:
    """Which open revision, at which version, a form was opened on ("" for none)."""
    return f"{revision.pk}:{revision.version}" if revision is not None else ""


def publishing_form(
    form_class, user, *, initial_is_stored=False, checked_by_inline=False, as_revision=False
):
    """The form class with the status check and the publish gates bound to this user."""
    return type(
        form_class.__name__,
        (PublishingFormMixin, form_class),
        {
            "seen_revision": forms.CharField(widget=forms.HiddenInput, required=False),
            "publishing_user": user,
            "initial_is_stored": initial_is_stored,
            "as_revision": as_revision,
            "gate_checked_by_inline": checked_by_inline,
            "__module__": form_class.__module__,
        },
    )


class RevisionAwareInlineFormSet(BaseInlineFormSet):
    """An inline whose changes can be kept in a revision of the record it belongs to.

    Opened on a revision, it shows the parts as the revision left them: changed values,
    added parts as extra forms, deleted parts left out.
    """

    revisable = True

    def __init__(self, *args, revision_group=None, as_revision=False, **kwargs):
        self.revision_group = revision_group or {}
        self.as_revision = as_revision
        new = self.revision_group.get("new", [])
        if new and kwargs.get("data") is None:
            kwargs["initial"] = [row["fields"] for row in new]
            self.extra = max(self.extra, len(new))
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            rows = list(super().get_queryset())
            if self.revision_group:
                deleted = set(self.revision_group.get("deleted", []))
                changed = {row["pk"]: row for row in self.revision_group.get("changed", [])}
                rows = [obj for obj in rows if obj.pk not in deleted]
                for obj in rows:
                    if obj.pk in changed:
                        names = [f.name for f in revisions.revised_fields(self.model)]
                        revisions.set_values(obj, changed[obj.pk]["fields"], names)
            self._queryset = rows
        return self._queryset


def gated_form(form_class):
    """A form class for a record without a status (a regulatory decision) that asks the
    publish gates before it saves."""
    return type(
        form_class.__name__, (GateFormMixin, form_class), {"__module__": form_class.__module__}
    )


class GatedPartsFormSet(RevisionAwareInlineFormSet):
    """An inline of the parts the publish gates read (a claim's citations, a therapy's
    decisions): checks the parent as it will be saved, with the posted parts."""

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.status != Status.PUBLISHED:
            return
        deleted = set(map(id, self.deleted_forms))
        parts = [
            form.instance
            for form in self.forms
            if id(form) not in deleted
            and all(getattr(form.instance, f"{name}_id") is not None for name in self.gate_fields)
        ]
        problems = self.parts_problems(parts)
        if problems:
            raise ValidationError(gate_errors(problems))

    # The parts' foreign keys that must be filled for a row to count (empty extra rows).
    gate_fields: tuple = ()

    def parts_problems(self, parts):
        """The gate problems of self.instance with these parts; subclasses say how."""
        raise NotImplementedError


class CitationsGateFormSet(GatedPartsFormSet):
    """A published record (a claim, a trial) keeps at least one citation of a published
    source: the inline of its citations, whatever model holds them."""

    gate_fields = ("source",)

    def parts_problems(self, parts):
        return publish_problems(self.instance, cited_sources=[part.source for part in parts])


class PublishingInlineFormSet(RevisionAwareInlineFormSet):
    """Refuses deleting a published or archived part without the publish permission.

    Within a revision the deletion is only proposed, and a publisher decides on it.
    """

    publishing_user = None

    def clean(self):
        super().clean()
        if self.as_revision:
            return
        for form in self.deleted_forms:
            instance = form.instance
            if (
                instance.pk is not None
                and instance.status in PUBLISHER_STATES
                and not can_publish(self.publishing_user, self.model)
            ):
                raise ValidationError(
                    gettext("Only publishers may delete a published %(kind)s: “%(record)s”.")
                    % {"kind": self.model._meta.verbose_name, "record": instance}
                )


class GeneTxAdmin(SimpleHistoryAdmin):
    """History with revert, save buttons on top and a link to the public page.

    Every change form has an optional "reason for this change", stored on the history rows
    the save writes (the record's and its inline parts'). Reverting to an older version
    restores its many-to-many values (a therapy's conditions) as they were then.
    """

    save_on_top = True
    view_on_site = True
    paginator = EstimatedCountPaginator
    list_per_page = 50
    # Links typed without a scheme are https today; also silences Django 6.0's change of default.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_form(self, request, obj=None, change=False, **kwargs):
        revert = getattr(request, "_genetx_revert", False)
        base = versioned_form(kwargs.get("form", self.form), self.model, revert=revert)
        attrs = {
            "__module__": base.__module__,
            "change_reason": forms.CharField(
                label=_("Reason for this change"),
                required=False,
                max_length=REASON_LENGTH,
                help_text=_("Optional. Shown in the record's history and in the audit log."),
            ),
        }
        initial = self._reverted_m2m(request)
        if initial:
            attrs["__init__"] = _with_initial(base, initial)
        kwargs["form"] = type(base.__name__, (base,), attrs)
        return super().get_form(request, obj, change, **kwargs)

    def get_search_fields(self, request):
        # A Spanish word an editor types finds the record (and the autocomplete, which
        # searches the same fields): each translated field is searched in both languages.
        return searched_in_every_language(super().get_search_fields(request), self.model)

    def get_fieldsets(self, request, obj=None):
        fieldsets = with_spanish(super().get_fieldsets(request, obj), self.model)
        fieldsets = with_seen_version(fieldsets, self.model, obj)
        if "change_reason" in flatten_fieldsets(fieldsets):
            return fieldsets
        return [*fieldsets, (pgettext_lazy("fieldset", "Change"), {"fields": ["change_reason"]})]

    def save_model(self, request, obj, form, change):
        label_change(obj, text=form.cleaned_data.get("change_reason", ""))
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        text = form.cleaned_data.get("change_reason", "")
        for inline_form in formset.forms:
            label_change(inline_form.instance, text=text)
        super().save_formset(request, form, formset, change)

    def _reverted_m2m(self, request) -> dict:
        """On a history revert page: the many-to-many values of the version shown."""
        match = request.resolver_match
        if match is None or not match.url_name.endswith("_simple_history"):
            return {}
        # simple-history's URL passes the object and version ids positionally.
        version_id = match.kwargs.get("version_id") or (match.args[1:2] or [None])[0]
        version = self.model.history.filter(history_id=version_id).first()
        if version is None:
            return {}
        return {
            field.name: [
                getattr(row, f"{field.m2m_reverse_field_name()}_id")
                for row in getattr(version, field.name).all()
            ]
            for field in version._history_m2m_fields
        }

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleRecord as exc:
            # Someone saved between this form's check and its save: nothing was written.
            self.message_user(
                request,
                gettext("Not saved: %(reason)s. Reopen it to see their change.") % {"reason": exc},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A revert starts from the current version: the user chose to replace it.
        request._genetx_revert = True
        return super().history_form_view(request, object_id, version_id, extra_context)


def _with_initial(form_class, values: dict):
    def __init__(self, *args, **kwargs):
        kwargs["initial"] = {**values, **(kwargs.get("initial") or {})}
        form_class.__init__(self, *args, **kwargs)

    return __init__


class PartOfPublishedForm(forms.ModelForm):
    """Refuses, for someone who may not publish, a part whose record is published.

    ``parent_field`` is set per admin (see PartAdmin). Changes to such parts go through the
    record's own page, where they become a revision awaiting review.
    """

    parent_field = ""
    publishing_user = None

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get(self.parent_field) or getattr(self.instance, self.parent_field, None)
        if (
            parent is not None
            and getattr(parent, "status", None) == Status.PUBLISHED
            and not can_publish(self.publishing_user, type(parent))
        ):
            raise ValidationError(
                gettext(
                    "The %(kind)s “%(record)s” is published: change its %(parts)s on its own "
                    "page, where your change is kept for a publisher to review."
                )
                % {
                    "kind": type(parent)._meta.verbose_name,
                    "record": parent,
                    "parts": self._meta.model._meta.verbose_name_plural,
                },
                code="published_parent",
            )
        return cleaned


class PartAdmin:
    """For the admin of a part (a decision, author or citation) edited with its record.

    An editor may not change or delete, on the part's own page, a part of a published
    record (that would go live at once); they edit it on the record's page instead.
    """

    parent_field = ""

    def _parent_is_live_for(self, request, obj) -> bool:
        parent = getattr(obj, self.parent_field, None) if obj is not None else None
        return (
            parent is not None
            and getattr(parent, "status", None) == Status.PUBLISHED
            and not can_publish(request.user, type(parent))
        )

    def has_change_permission(self, request, obj=None):
        if self._parent_is_live_for(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._parent_is_live_for(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.get("form", self.form)
        kwargs["form"] = type(
            base.__name__,
            (PartOfPublishedForm, base),
            {
                "parent_field": self.parent_field,
                "publishing_user": request.user,
                "__module__": base.__module__,
            },
        )
        return super().get_form(request, obj, change, **kwargs)


def with_seen_version(fieldsets, model, obj, also=()):
    """The fieldsets plus the hidden seen_version field, on a change form of a versioned model.

    ``also`` names more hidden fields to render (seen_revision on publishable records).
    """
    if obj is None or not issubclass(model, Versioned) or not fieldsets:
        return fieldsets
    (name, options), *rest = fieldsets
    fields = list(options.get("fields", []))
    for field_name in ["seen_version", *also]:
        if field_name not in fields:
            fields.append(field_name)
    return [(name, {**options, "fields": fields}), *rest]


class GeneTxInline(admin.TabularInline):
    """An inline edited with its record: version-checked, and kept in the record's revision."""

    formset = RevisionAwareInlineFormSet
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = versioned_form(kwargs.get("form", self.form), self.model)
        return super().get_formset(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = with_spanish(super().get_fieldsets(request, obj), self.model)
        # Every row of an inline may be a stored one, so each carries its version.
        return with_seen_version(fieldsets, self.model, object())


class CitationsInline(GeneTxInline):
    """The inline of a record's citations (a claim's, a trial's), in citation order, with
    the publish gate on its sources; subclasses name the model and its fields."""

    formset = CitationsGateFormSet
    extra = 1
    autocomplete_fields = ["source"]
    ordering = ["position"]


class PublishableInline(GeneTxInline):
    """An inline of publishable parts (a therapy's programmes or claims)."""

    formset = PublishingInlineFormSet
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = publishing_form(self.form, request.user, initial_is_stored=True)
        formset = super().get_formset(request, obj, **kwargs)
        formset.publishing_user = request.user
        return formset


class PublishableAdmin(GeneTxAdmin):
    """The publishing workflow for a model with a status."""

    readonly_fields = AUDIT_FIELDS
    history_list_display = ["status", "version"]
    actions = ["submit_for_review", "publish", "unpublish", "archive"]
    # True when an inline on the change form checks the gates with the posted parts.
    gate_checked_by_inline = False

    change_form_template = "admin/genetx/publishable_change_form.html"

    # Revisions of published records -----------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Only the change form opens a record on its open revision; history, delete and
        # the other views read the live row.
        request._genetx_change_view = True
        return super().change_view(request, object_id, form_url, extra_context)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None or not getattr(request, "_genetx_change_view", False):
            return obj
        live = obj
        revision = (
            Revision.objects.open().for_object(live).select_related("created_by").first()
            if live.status == Status.PUBLISHED
            else None
        )
        if revision is not None:
            obj = revisions.materialize(revision.data, live)
        obj._revision = revision
        obj._stored_status = live.status
        return obj

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        fieldsets = with_seen_version(fieldsets, self.model, obj, also=["seen_revision"])
        return self._with_schedule(fieldsets)

    def as_revision(self, request, obj) -> bool:
        """Whether saving this form keeps the change as a revision instead of going live.

        Always for a published record edited by someone who may not publish; for a
        publisher, when they press "Save draft" or "Submit for review".
        """
        if obj is None or obj.pk is None:
            return False
        if getattr(obj, "_stored_status", obj.status) != Status.PUBLISHED:
            return False
        if not can_publish(request.user, self.model):
            return True
        return request.method == "POST" and (
            "_save_draft" in request.POST or "_submit_revision" in request.POST
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        # History revert posts the record without its inlines: the form checks it whole.
        reverting = getattr(request.resolver_match, "url_name", "").endswith("_simple_history")
        kwargs["form"] = publishing_form(
            kwargs.get("form", self.form),
            request.user,
            checked_by_inline=self.gate_checked_by_inline and not reverting,
            as_revision=self.as_revision(request, obj),
        )
        return super().get_form(request, obj, change, **kwargs)

    def _with_schedule(self, fieldsets):
        """The fieldsets with the go-live and expiry times, before the change reason."""
        if set(SCHEDULE_FIELDS) & set(flatten_fieldsets(fieldsets)):
            return fieldsets
        schedule = (
            _("Schedule"),
            {
                "fields": [SCHEDULE_FIELDS],
                "description": _(
                    "Publishers may set a time for this record to go live or to expire; "
                    "manage.py publish_scheduled applies it through the same checks as the "
                    "Publish and Unpublish actions."
                ),
            },
        )
        return [*fieldsets[:-1], schedule, fieldsets[-1]]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if issubclass(inline.formset, RevisionAwareInlineFormSet):
            revision = getattr(obj, "_revision", None)
            if revision is not None:
                kwargs["revision_group"] = revision.data.get("children", {}).get(prefix)
            kwargs["as_revision"] = self.as_revision(request, obj)
        return kwargs

    def save_model(self, request, obj, form, change):
        if form.as_revision:
            return  # the live row stays as it is; save_related() stores the revision
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        previous = getattr(form.instance, "_revision", None)
        if not form.as_revision:
            super().save_related(request, form, formsets, change)
            if previous is not None:
                # A publisher saved the record as the form showed it, revision included.
                revision_close_applied(revision=previous, user=request.user)
            return
        live = self.model._base_manager.get(pk=form.instance.pk)
        data = revisions.capture(
            form=form,
            formsets=formsets,
            live=live,
            previous=previous.data if previous is not None else None,
        )
        request._genetx_revision = revision_save(
            obj=live,
            data=data,
            user=request.user,
            base_version=form.cleaned_data.get("seen_version") or live.version,
            revision_version=previous.version if previous is not None else None,
            submit=form.submit_revision or "_submit_revision" in request.POST,
        )

    def construct_change_message(self, request, form, formsets, add=False):
        revision = getattr(request, "_genetx_revision", None)
        if revision is not None:
            return f"Saved unpublished changes (revision #{revision.pk}): {revision.summary}"
        return super().construct_change_message(request, form, formsets, add)

    def response_change(self, request, obj):
        revision = getattr(request, "_genetx_revision", None)
        if revision is None:
            return super().response_change(request, obj)
        if revision.status == RevisionStatus.SUBMITTED:
            message = gettext(
                "Your changes to “%(record)s” were submitted for review. Readers still see "
                "the published version until a publisher approves them."
            ) % {"record": obj}
        else:
            message = gettext(
                "Your changes to “%(record)s” were saved as a draft. Readers still see the "
                "published version; submit the draft for review when it is ready."
            ) % {"record": obj}
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(request.path)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        revision = getattr(obj, "_revision", None)
        context["revision"] = revision
        context["offer_revision_buttons"] = (
            obj is not None
            and getattr(obj, "_stored_status", None) == Status.PUBLISHED
            and self.has_change_permission(request, obj)
        )
        if revision is not None:
            context["revision_stale"] = (
                revision.base_version
                != self.model._base_manager.filter(pk=obj.pk)
                .values_list("version", flat=True)
                .first()
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self.model._base_manager.filter(pk=object_id).first()
        if (
            request.method == "POST"
            and obj is not None
            and obj.status == Status.PUBLISHED
            and not can_publish(request.user, self.model)
        ):
            self.message_user(
                request,
                gettext(
                    "Only publishers may revert a published record. Make the change on the "
                    "record's page instead: it is kept as a draft for review."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        return super().history_form_view(request, object_id, version_id, extra_context)

    # The changelist says which records have unpublished changes, by whom and when.

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        opts = self.model._meta
        # The content type by name inside the subquery: no lookup query of its own.
        open_revisions = Revision.objects.open().filter(
            content_type__app_label=opts.app_label,
            content_type__model=opts.model_name,
            object_id=OuterRef("pk"),
        )
        return queryset.annotate(
            pending_by=Subquery(open_revisions.values("updated_by__username")[:1]),
            pending_at=Subquery(open_revisions.values("updated_at")[:1]),
            has_pending=Exists(open_revisions),
        )

    def get_list_display(self, request):
        return [*super().get_list_display(request), "unpublished_changes"]

    @admin.display(description=_("Unpublished changes"), ordering="pending_at")
    def unpublished_changes(self, obj):
        if not getattr(obj, "has_pending", False):
            return "—"
        return gettext("by %(who)s, %(when)s") % {
            "who": obj.pending_by or gettext("a deleted user"),
            "when": when_saved(obj.pending_at, zone=False),
        }

    def has_publish_permission(self, request):
        return can_publish(request.user, self.model)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if allowed and obj is not None and obj.status in PUBLISHER_STATES:
            return can_publish(request.user, self.model)
        return allowed

    @admin.display(boolean=True, description=_("Public"), ordering="status")
    def is_public(self, obj):
        return obj.status == Status.PUBLISHED

    # Actions -----------------------------------------------------------------------------

    @admin.action(description=_("Submit for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        self.apply_transition(request, queryset, publishable_submit, "submitted for review")

    @admin.action(description=_("Publish"), permissions=["publish"])
    def publish(self, request, queryset):
        return self.apply_transition(
            request, queryset, publishable_publish, "published", option="with_needed"
        )

    @admin.action(description=_("Unpublish (back to draft)"), permissions=["publish"])
    def unpublish(self, request, queryset):
        return self.apply_transition(
            request,
            queryset,
            publishable_unpublish,
            "moved back to draft",
            option="with_dependents",
        )

    @admin.action(description=_("Archive (withdraw from readers)"), permissions=["publish"])
    def archive(self, request, queryset):
        return self.apply_transition(
            request, queryset, publishable_archive, "archived", option="with_dependents"
        )

    def apply_transition(
        self, request, queryset, service, done: str, summarise=None, *, option=None
    ):
        """Run a service on each selected record; report what changed and what was refused.

        When the publish gates offer a way through (publish the draft sources a claim
        needs; unpublish the claims that rely on a source), the records concerned are left
        unchanged and a confirmation page lists exactly what would change with them;
        confirming posts the action again with the option set. summarise(results) may add
        to the success message, e.g. ", with 2 claims".
        """
        confirmed = option is not None and request.POST.get("gate_confirmed") == "yes"
        results, refused, offers = [], [], []
        for obj in queryset:
            try:
                if confirmed:
                    result = service(obj=obj, user=request.user, **{option: True})
                else:
                    result = service(obj=obj, user=request.user)
            except GateRefused as exc:
                if exc.offer and not confirmed:
                    offers.append((obj, exc))
                else:
                    refused.append(f"“{obj}”: {exc}")
            except TransitionRefused as exc:
                refused.append(f"“{obj}”: {exc}")
            except ValidationError as exc:
                refused.append(f"“{obj}”: {validation_summary(exc)}")
            else:
                results.append(result)
                self.log_change(request, obj, capfirst(done))
        opts = self.model._meta
        if results or not offers:
            message = TRANSITION_DONE[done] % {
                "count": len(results),
                "records": counted_records(len(results), opts),
            }
            if summarise and results:
                message += summarise(results)
            self.message_user(
                request, message + ".", messages.SUCCESS if results else messages.WARNING
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(records)s refused: %(reasons)s",
                    "%(records)s refused: %(reasons)s",
                    len(refused),
                )
                % {"records": counted_records(len(refused), opts), "reasons": "; ".join(refused)},
                messages.WARNING,
            )
        if offers:
            return self.confirm_gate(request, offers, option, done)
        return None

    def confirm_gate(self, request, offers, option, done):
        """The page asking to publish (or withdraw) the listed records together."""
        opts = self.model._meta
        publishing = option == "with_needed"
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": gettext("Publish what they need too?")
            if publishing
            else gettext("Withdraw them too?"),
            "publishing": publishing,
            "done": TRANSITION_LABELS.get(done, done),
            "action": request.POST.get("action", ""),
            "offers": [
                {
                    "record": obj,
                    "problems": exc.problems,
                    "offer": [
                        {"label": describe(record), "admin_url": admin_change_url(record)}
                        for record in exc.offer
                    ],
                }
                for obj, exc in offers
            ],
            "selected": [obj.pk for obj, _ in offers],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/genetx/confirm_gate.html", context)


def admin_change_url(record) -> str:
    opts = record._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    except NoReverseMatch:
        return ""


def counted(number: int, singular: str, plural: str) -> str:
    """ "1 claim", "2 claims": the count with the noun that agrees with it."""
    return f"{number} {singular if number == 1 else plural}"


def counted_records(number: int, opts) -> str:
    """ "1 claim", "2 claims" in the admin's language, from the model's verbose names."""
    return counted(number, str(opts.verbose_name), str(opts.verbose_name_plural))


# What apply_transition() did, per `done` (the English word kept in the admin's log): whole
# sentences, so a translation can put the verb first ("Se publicaron 2 afirmaciones").
TRANSITION_DONE = {
    "submitted for review": ngettext_lazy(
        "%(records)s submitted for review", "%(records)s submitted for review", "count"
    ),
    "published": ngettext_lazy("%(records)s published", "%(records)s published", "count"),
    "moved back to draft": ngettext_lazy(
        "%(records)s moved back to draft", "%(records)s moved back to draft", "count"
    ),
    "archived": ngettext_lazy("%(records)s archived", "%(records)s archived", "count"),
}
# The same, as a label on the confirmation page ("Withdrawn with it (moved back to draft)").
TRANSITION_LABELS = {
    "submitted for review": _("submitted for review"),
    "published": _("published"),
    "moved back to draft": _("moved back to draft"),
    "archived": _("archived"),
}


def validation_summary(error: ValidationError) -> str:
    """A ValidationError as one line naming each field: "doi: is not a DOI"."""
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages_)}" if field != "__all__" else " ".join(messages_)
            for field, messages_ in error.message_dict.items()
        )
    return " ".join(error.messages)


class ReadOnlyInline(admin.TabularInline):
    """An inline that lists related rows without letting anyone add, change or delete."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CsvImportForm(ImportForm):
    """django-import-export's upload form with a size cap and a file type check."""

    erase_blank_cells = forms.BooleanField(
        required=False,
        label=_("Blank cells erase values"),
        help_text=_("Off: an empty cell leaves the stored value as it is. On: it clears it."),
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if not (upload.name or "").lower().endswith(".csv"):
            raise ValidationError(_("Choose a CSV file (.csv), for example one exported here."))
        try:
            raw = read_bounded(upload)
            self.cleaned_data["csv_text"], self.cleaned_data["csv_rows"] = check_csv_limits(raw)
        except ImportFileError as exc:
            raise ValidationError(str(exc), code="refused") from exc
        return upload


class CsvConfirmImportForm(ConfirmImportForm):
    """Carries the "blank cells erase values" choice from the preview to the confirmed import."""

    erase_blank_cells = forms.BooleanField(required=False, widget=forms.HiddenInput)


def check_csv_limits(raw: bytes) -> tuple[str, int]:
    """The text and number of rows of a CSV upload, or ImportFileError if it is not UTF-8
    text, has too many rows or an oversized cell.

    Checked on the upload, before django-import-export builds its dataset and runs a dry
    run over every row.
    """
    if b"\x00" in raw:
        raise ImportFileError(gettext("The file is not text; a CSV file is plain text."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(gettext("The file is not UTF-8 text; save it as UTF-8 CSV.")) from exc
    rows = 0
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text))):
            for column, cell in enumerate(cells, start=1):
                check_field_size(
                    cell,
                    gettext("Column %(column)d of line %(line)d")
                    % {"column": column, "line": number + 1},
                )
            rows = number
    except csv.Error as exc:
        raise ImportFileError(
            gettext("The file could not be read as CSV: %(reason)s.") % {"reason": exc}
        ) from exc
    check_entry_count(rows, gettext("rows"))
    return text, rows


class SafeCSV(CSV):
    """CSV whose cells a spreadsheet shows as text, never runs as formulas.

    A cell starting with =, +, -, @, tab or carriage return gets a leading quote on export,
    as on the public exports (django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT
    only drops a leading "=", which leaves +, - and @ formulas live and changes the value).
    Import takes the quote off again, so an exported file imports back unchanged.
    """

    def export_data(self, dataset, **kwargs):
        safe = tablib.Dataset(headers=dataset.headers)
        for row in dataset:
            safe.append([safe_cell(cell) for cell in row])
        return super().export_data(safe, **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        dataset = super().create_dataset(in_stream, **kwargs)
        restored = tablib.Dataset(headers=dataset.headers)
        for row in dataset:
            restored.append([_unquote_formula(cell) for cell in row])
        return restored


def _unquote_formula(cell):
    if isinstance(cell, str) and cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


class CsvImportExportMixin(ImportExportMixin):
    """CSV import (with django-import-export's dry-run preview) and export.

    The resources are RevisionAwareResource: blank cells keep stored values unless the
    editor ticks "Blank cells erase values", and an editor's changes to published records
    become revisions awaiting review; the preview says which rows those are.
    """

    import_form_class = CsvImportForm
    confirm_form_class = CsvConfirmImportForm
    import_formats = [SafeCSV]
    export_formats = [SafeCSV]

    def get_import_resource_kwargs(self, request, **kwargs):
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        form = kwargs.get("form")
        if form is not None and hasattr(form, "cleaned_data"):
            resource_kwargs["erase_blank"] = bool(form.cleaned_data.get("erase_blank_cells"))
        return resource_kwargs

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            # Called without a form when the confirmed post is read back.
            initial["erase_blank_cells"] = import_form.cleaned_data.get("erase_blank_cells")
        return initial

    def get_import_data_kwargs(self, **kwargs):
        # Keep each row's instance so the preview can say which rows become revisions.
        return {**super().get_import_data_kwargs(**kwargs), "retain_instance_in_row_result": True}

    def add_success_message(self, result, request):
        super().add_success_message(result, request)
        revised = [
            str(row.instance)
            for row in result.rows
            if getattr(getattr(row, "instance", None), "_genetx_as_revision", False)
        ]
        if revised:
            self.message_user(
                request,
                ngettext(
                    "%(count)d change to published records was submitted for review instead "
                    "of going live: %(records)s.",
                    "%(count)d changes to published records were submitted for review instead "
                    "of going live: %(records)s.",
                    len(revised),
                )
                % {"count": len(revised), "records": ", ".join(revised)},
                messages.WARNING,
            )

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "import/background/",
                self.admin_site.admin_view(self.background_import_view),
                name=f"{opts.app_label}_{opts.model_name}_background_import",
            ),
            *super().get_urls(),
        ]

    def import_action(self, request, **kwargs):
        """Small files: django-import-export's dry run and confirmation, in the request.

        A file of more than IMPORT_INLINE_ENTRIES rows would keep the request busy for
        minutes: it is kept in the database and, once confirmed, checked and imported by
        the background worker (genetx.tasks.import_csv), all or nothing as here.
        """
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_import_form(request)
            if form.is_valid() and form.cleaned_data["csv_rows"] > settings.IMPORT_INLINE_ENTRIES:
                resource = self.choose_import_resource_class(form, request)
                job = keep_for_confirmation(
                    target=f"{resource.__module__}.{resource.__qualname__}",
                    file_name=form.cleaned_data["import_file"].name,
                    file_format="csv",
                    text=form.cleaned_data["csv_text"],
                    user=request.user,
                    total=form.cleaned_data["csv_rows"],
                )
                return self._background_confirmation(request, job)
            if form.is_bound and "import_file" in form.cleaned_data:
                # django-import-export reads the upload again for its dry run.
                form.cleaned_data["import_file"].seek(0)
        response = super().import_action(request, **kwargs)
        result = getattr(response, "context_data", {}).get("result")
        if result is not None:
            live = [
                gettext("line %(number)d: %(record)s") % {"number": number, "record": row.instance}
                for number, row in enumerate(result.rows, start=1)
                if getattr(getattr(row, "instance", None), "_genetx_as_revision", False)
            ]
            if live:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d row changes published records and will be kept as changes "
                        "awaiting review, not published: %(rows)s. The table shows each old "
                        "and new value.",
                        "%(count)d rows change published records and will be kept as changes "
                        "awaiting review, not published: %(rows)s. The table shows each old "
                        "and new value.",
                        len(live),
                    )
                    % {"count": len(live), "rows": "; ".join(live)},
                    messages.WARNING,
                )
        return response

    def _background_confirmation(self, request, job):
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": gettext("Import in the background"),
            "job": job,
            "inline_limit": settings.IMPORT_INLINE_ENTRIES,
            "action": reverse(f"admin:{opts.app_label}_{opts.model_name}_background_import"),
        }
        return TemplateResponse(request, "admin/import_background.html", context)

    def background_import_view(self, request):
        """Queue a previewed large CSV for the worker; answers at once."""
        if request.method != "POST" or not self.has_import_permission(request):
            raise PermissionDenied
        queued = ImportJob.objects.filter(
            token=request.POST.get("job") if _is_uuid(request.POST.get("job")) else None,
            state=ImportState.PREVIEW,
            user=request.user,
        ).update(state=ImportState.QUEUED)
        opts = self.model._meta
        if not queued:
            self.message_user(
                request,
                gettext(
                    "The previewed file is no longer waiting for confirmation; upload it again."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        job = ImportJob.objects.get(token=request.POST["job"])
        import_csv.enqueue(job.pk)
        self.message_user(
            request,
            ngettext(
                "%(file)s: %(count)d row is being checked and imported in the background. This "
                "page shows the progress and reloads itself until the import ends.",
                "%(file)s: %(count)d rows are being checked and imported in the background. "
                "This page shows the progress and reloads itself until the import ends.",
                job.total,
            )
            % {"file": job.file_name, "count": job.total},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:genetx_importjob_change", args=[job.pk]))

    def process_dataset(self, dataset, form, request, **kwargs):
        result = super().process_dataset(dataset, form, request, **kwargs)
        # The column names, so a refused row's report can give the value it had.
        result.dataset_headers = list(dataset.headers or [])
        return result

    def process_result(self, result, request):
        """After a confirmed import: counts only when it was saved, else what went wrong.

        A confirmed import is one transaction (IMPORT_EXPORT_USE_TRANSACTIONS), so a row
        that fails when saved (the database refuses it, or the data changed since the
        dry run) leaves nothing saved; django-import-export's own message would still count
        the rows before it as "new".
        """
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        problems = csv_problems(result, getattr(result, "dataset_headers", []))
        self.message_user(
            request,
            ngettext(
                "Import failed; nothing was saved. %(count)d problem: %(problems)s",
                "Import failed; nothing was saved. %(count)d problems: %(problems)s",
                len(problems),
            )
            % {
                "count": len(problems),
                "problems": "; ".join(describe_problem(problem) for problem in problems),
            },
            messages.ERROR,
        )
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Imports and their progress, read-only: each editor sees their own, superusers all."""

    list_display = [
        "file_name",
        "target",
        "user",
        "state",
        "progress",
        "created_count",
        "updated_count",
        "refused_count",
        "created_at",
    ]
    list_filter = ["state", "target"]
    list_select_related = ["user"]
    fields = [
        "file_name",
        "target",
        "user",
        "state",
        "progress",
        "message",
        ("created_count", "updated_count", "refused_count"),
        ("created_at", "started_at", "finished_at"),
        "refused_rows",
    ]
    readonly_fields = [
        name for item in fields for name in (item if isinstance(item, tuple) else (item,))
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).defer("content")
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if not (request.user.is_active and request.user.is_staff):
            return False
        return obj is None or request.user.is_superuser or obj.user_id == request.user.pk

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting the record of a running import does not undo what it saved; it lets an
        # editor clear a job whose worker was stopped midway (its saved parts stay saved).
        return self.has_view_permission(request, obj)

    @admin.display(description=_("Progress"))
    def progress(self, obj):
        return gettext("%(done)s of %(total)s entries (%(percent)s%%)") % {
            "done": number_format(obj.processed, force_grouping=True),
            "total": number_format(obj.total, force_grouping=True),
            "percent": obj.percent,
        }

    @admin.display(description=_("Refused rows"))
    def refused_rows(self, obj):
        if not obj.report:
            return gettext("None")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (p["row"], p.get("label", ""), p["field"], p.get("value", ""), p["message"])
                for p in obj.report
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            gettext("Row"),
            gettext("Key"),
            gettext("Field"),
            gettext("Value"),
            gettext("Problem"),
            rows,
        )


# The review queue registers itself; imported last because it uses the pieces above.
from genetx import review  # noqa: E402, F401
