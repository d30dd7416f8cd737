"""Admin building blocks every GeneTx app shares.

GeneTxAdmin: history with revert, save on top, view on site, and a paginator that does not
count big tables. PublishableAdmin adds the publishing workflow: the status field, inline
forms, actions and deletes all check the publish permission on the server, whatever the
browser sends.
"""

import tablib
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ImportForm
from simple_history.admin import SimpleHistoryAdmin

from genetx.listing import FORMULA_STARTS, safe_cell
from genetx.models import Status
from genetx.publishing import (
    PUBLISHER_STATES,
    can_publish,
    may_set_status,
    status_refusal,
)
from genetx.services import (
    TransitionRefused,
    publishable_archive,
    publishable_publish,
    publishable_submit,
    publishable_unpublish,
)

admin.site.site_header = "GeneTx editors"
admin.site.site_title = "GeneTx editors"
admin.site.index_title = "Therapies, institutions and sources"

AUDIT_FIELDS = ("published_at", "created_at", "updated_at")
# Uploads bigger than this are refused before they are read: imports are edited by hand.
MAX_IMPORT_BYTES = 2 * 1024 * 1024


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


class PublishingFormMixin:
    """Refuses a status change the user may not make, with a message that says why.

    ``publishing_user`` is set on the form class per request (see publishing_form()). The
    change form compares with the status stored in the database, not the one on its
    instance: a history revert hands the form an old version of the record. Inline forms
    are built from rows just read from the database, so their initial status is the stored
    one and costs no query per row.
    """

    publishing_user = None
    initial_is_stored = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_status = self._read_stored_status()
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

    def clean_status(self):
        status = self.cleaned_data["status"]
        model = self._meta.model
        if not may_set_status(self.publishing_user, model, self.stored_status, status):
            raise ValidationError(
                status_refusal(model, self.stored_status, status), code="not_publisher"
            )
        if status == Status.PUBLISHED and self.instance.published_at is None:
            # Stamped here, not in save(): the database constraint that a published record
            # has a date is checked while the form validates.
            self.instance.published_at = timezone.now()
        return status


def publishing_form(form_class, user, *, initial_is_stored=False):
    """The form class with the status check bound to this user."""
    return type(
        form_class.__name__,
        (PublishingFormMixin, form_class),
        {
            "publishing_user": user,
            "initial_is_stored": initial_is_stored,
            "__module__": form_class.__module__,
        },
    )


class PublishingInlineFormSet(BaseInlineFormSet):
    """Refuses deleting a published or archived part without the publish permission."""

    publishing_user = None

    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            instance = form.instance
            if (
                instance.pk is not None
                and instance.status in PUBLISHER_STATES
                and not can_publish(self.publishing_user, self.model)
            ):
                raise ValidationError(
                    f"Only publishers may delete a published "
                    f"{self.model._meta.verbose_name}: “{instance}”."
                )


class GeneTxAdmin(SimpleHistoryAdmin):
    """History with revert, save buttons on top and a link to the public page."""

    save_on_top = True
    view_on_site = True
    paginator = EstimatedCountPaginator
    list_per_page = 50
    # Links typed without a scheme are https today; also silences Django 6.0's change of default.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class PublishableInline(admin.TabularInline):
    """An inline of publishable parts (a therapy's programmes or claims)."""

    formset = PublishingInlineFormSet
    extra = 0
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = publishing_form(self.form, request.user, initial_is_stored=True)
        formset = super().get_formset(request, obj, **kwargs)
        formset.publishing_user = request.user
        return formset


class PublishableAdmin(GeneTxAdmin):
    """The publishing workflow for a model with a status."""

    readonly_fields = AUDIT_FIELDS
    history_list_display = ["status"]
    actions = ["submit_for_review", "publish", "unpublish", "archive"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = publishing_form(kwargs.get("form", self.form), request.user)
        return super().get_form(request, obj, change, **kwargs)

    def has_publish_permission(self, request):
        return can_publish(request.user, self.model)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if allowed and obj is not None and obj.status in PUBLISHER_STATES:
            return can_publish(request.user, self.model)
        return allowed

    @admin.display(boolean=True, description="Public", ordering="status")
    def is_public(self, obj):
        return obj.status == Status.PUBLISHED

    # Actions -----------------------------------------------------------------------------

    @admin.action(description="Submit for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self.apply_transition(request, queryset, publishable_submit, "submitted for review")

    @admin.action(description="Publish", permissions=["publish"])
    def publish(self, request, queryset):
        self.apply_transition(request, queryset, publishable_publish, "published")

    @admin.action(description="Unpublish (back to draft)", permissions=["publish"])
    def unpublish(self, request, queryset):
        self.apply_transition(request, queryset, publishable_unpublish, "moved back to draft")

    @admin.action(description="Archive (withdraw from readers)", permissions=["publish"])
    def archive(self, request, queryset):
        self.apply_transition(request, queryset, publishable_archive, "archived")

    def apply_transition(self, request, queryset, service, done: str, summarise=None):
        """Run a service on each selected record; report what changed and what was refused.

        summarise(results) may add to the success message, e.g. ", with 2 claims".
        """
        results, refused = [], []
        for obj in queryset:
            try:
                results.append(service(obj=obj, user=request.user))
            except TransitionRefused as exc:
                refused.append(f"“{obj}”: {exc}")
            except ValidationError as exc:
                refused.append(f"“{obj}”: {validation_summary(exc)}")
            else:
                self.log_change(request, obj, capfirst(done))
        opts = self.model._meta
        message = f"{counted(len(results), opts.verbose_name, opts.verbose_name_plural)} {done}"
        if summarise and results:
            message += summarise(results)
        self.message_user(request, message + ".", messages.SUCCESS if results else messages.WARNING)
        if refused:
            self.message_user(
                request,
                f"{counted(len(refused), opts.verbose_name, opts.verbose_name_plural)} refused: "
                + "; ".join(refused),
                messages.WARNING,
            )


def counted(number: int, singular: str, plural: str) -> str:
    """ "1 claim", "2 claims": the count with the noun that agrees with it."""
    return f"{number} {singular if number == 1 else plural}"


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

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if not (upload.name or "").lower().endswith(".csv"):
            raise ValidationError("Choose a CSV file (.csv), for example one exported here.")
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                f"{MAX_IMPORT_BYTES // 1024 // 1024} MB. Split it into smaller files."
            )
        return upload


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
    """CSV import (with django-import-export's dry-run preview) and export."""

    import_form_class = CsvImportForm
    import_formats = [SafeCSV]
    export_formats = [SafeCSV]
