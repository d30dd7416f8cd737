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
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ImportForm
from simple_history.admin import SimpleHistoryAdmin

from genetx.imports import (
    MAX_IMPORT_BYTES,
    ImportFileError,
    check_entry_count,
    check_field_size,
    csv_problems,
    describe_problem,
    keep_for_confirmation,
)
from genetx.listing import FORMULA_STARTS, safe_cell
from genetx.models import ImportJob, ImportState, Status
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
)
from genetx.tasks import import_csv

admin.site.site_header = "GeneTx editors"
admin.site.site_title = "GeneTx editors"
admin.site.index_title = "Therapies, institutions and sources"

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


PUBLISH_HINT = (
    "Publish what it needs first, or select it in the list and use the Publish action, "
    "which offers to publish them together."
)
WITHDRAW_HINT = (
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


def publishing_form(form_class, user, *, initial_is_stored=False, checked_by_inline=False):
    """The form class with the status check and the publish gates bound to this user."""
    return type(
        form_class.__name__,
        (PublishingFormMixin, form_class),
        {
            "publishing_user": user,
            "initial_is_stored": initial_is_stored,
            "gate_checked_by_inline": checked_by_inline,
            "__module__": form_class.__module__,
        },
    )


def gated_form(form_class):
    """A form class for a record without a status (a regulatory decision) that asks the
    publish gates before it saves."""
    return type(
        form_class.__name__, (GateFormMixin, form_class), {"__module__": form_class.__module__}
    )


class GatedPartsFormSet(BaseInlineFormSet):
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
    # True when an inline on the change form checks the gates with the posted parts.
    gate_checked_by_inline = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        # History revert posts the record without its inlines: the form checks it whole.
        reverting = getattr(request.resolver_match, "url_name", "").endswith("_simple_history")
        kwargs["form"] = publishing_form(
            kwargs.get("form", self.form),
            request.user,
            checked_by_inline=self.gate_checked_by_inline and not reverting,
        )
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
        return self.apply_transition(
            request, queryset, publishable_publish, "published", option="with_needed"
        )

    @admin.action(description="Unpublish (back to draft)", permissions=["publish"])
    def unpublish(self, request, queryset):
        return self.apply_transition(
            request,
            queryset,
            publishable_unpublish,
            "moved back to draft",
            option="with_dependents",
        )

    @admin.action(description="Archive (withdraw from readers)", permissions=["publish"])
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
            message = f"{counted(len(results), opts.verbose_name, opts.verbose_name_plural)} {done}"
            if summarise and results:
                message += summarise(results)
            self.message_user(
                request, message + ".", messages.SUCCESS if results else messages.WARNING
            )
        if refused:
            self.message_user(
                request,
                f"{counted(len(refused), opts.verbose_name, opts.verbose_name_plural)} refused: "
                + "; ".join(refused),
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
            "title": "Publish what they need too?" if publishing else "Withdraw them too?",
            "publishing": publishing,
            "done": done,
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
        raw = upload.read(MAX_IMPORT_BYTES + 1)
        upload.seek(0)
        try:
            self.cleaned_data["csv_text"], self.cleaned_data["csv_rows"] = check_csv_limits(raw)
        except ImportFileError as exc:
            raise ValidationError(str(exc), code="refused") from exc
        return upload


def check_csv_limits(raw: bytes) -> tuple[str, int]:
    """The text and number of rows of a CSV upload, or ImportFileError if it is not UTF-8
    text, has too many rows or an oversized cell.

    Checked on the upload, before django-import-export builds its dataset and runs a dry
    run over every row.
    """
    if b"\x00" in raw:
        raise ImportFileError("The file is not text; a CSV file is plain text.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError("The file is not UTF-8 text; save it as UTF-8 CSV.") from exc
    rows = 0
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text))):
            for column, cell in enumerate(cells, start=1):
                check_field_size(cell, f"Column {column} of line {number + 1}")
            rows = number
    except csv.Error as exc:
        raise ImportFileError(f"The file could not be read as CSV: {exc}.") from exc
    check_entry_count(rows, "rows")
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
    """CSV import (with django-import-export's dry-run preview) and export."""

    import_form_class = CsvImportForm
    import_formats = [SafeCSV]
    export_formats = [SafeCSV]

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
        return super().import_action(request, **kwargs)

    def _background_confirmation(self, request, job):
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": "Import in the background",
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
                "The previewed file is no longer waiting for confirmation; upload it again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_import"))
        job = ImportJob.objects.get(token=request.POST["job"])
        import_csv.enqueue(job.pk)
        self.message_user(
            request,
            f"{job.file_name}: {job.total} rows are being checked and imported in the "
            "background. This page shows the progress and reloads itself until the import ends.",
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
            f"Import failed; nothing was saved. {counted(len(problems), 'problem', 'problems')}: "
            + "; ".join(describe_problem(problem) for problem in problems),
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

    @admin.display(description="Progress")
    def progress(self, obj):
        return f"{obj.processed:,} of {obj.total:,} entries ({obj.percent}%)"

    @admin.display(description="Refused rows")
    def refused_rows(self, obj):
        if not obj.report:
            return "None"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (p["row"], p.get("label", ""), p["field"], p.get("value", ""), p["message"])
                for p in obj.report
            ),
        )
        return format_html(
            "<table><thead><tr><th>Row</th><th>Key</th><th>Field</th><th>Value</th>"
            "<th>Problem</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )
