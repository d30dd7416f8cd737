from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from genetx.admin import (
    CitationsInline,
    GeneTxAdmin,
    GeneTxInline,
    PartAdmin,
    PublishableAdmin,
    ReadOnlyInline,
    gated_form,
)
from genetx.data_health import health_filter
from genetx.imports import keep_for_confirmation
from genetx.models import ImportJob, ImportState
from genetx.publishing import citations_removal_problems

from .citations import bibtex_file, ris_entry, ris_records
from .importing import ImportFileError, parse, plan_import, read_upload, sources_import
from .models import Author, Citation, Claim, Source
from .tasks import import_sources
from .validators import DOI_PATTERN, normalise_doi

SOURCES_TARGET = "sources.source"


class SourceImportForm(forms.Form):
    file = forms.FileField(
        label=_("BibTeX or RIS file"),
        help_text=_("A .bib or .ris file exported from a reference manager, UTF-8, at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".bib,.ris"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            file_format, text = read_upload(upload)
            self.cleaned_data["rows"] = parse(file_format, text)
        except ImportFileError as exc:
            raise ValidationError(str(exc), code="unreadable") from exc
        self.cleaned_data["format"], self.cleaned_data["text"] = file_format, text
        return upload


class ConfirmImportForm(forms.Form):
    """Names the previewed file, kept in the database, so the confirmed import saves it
    whichever app server receives the confirmation."""

    GONE = _("The previewed file is no longer waiting for confirmation; upload it again.")

    job = forms.UUIDField(
        widget=forms.HiddenInput, error_messages={"invalid": GONE, "required": GONE}
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_job(self):
        job = ImportJob.objects.filter(
            token=self.cleaned_data["job"],
            target=SOURCES_TARGET,
            state=ImportState.PREVIEW,
            user=self.user,
        ).first()
        if job is None:
            raise ValidationError(self.GONE)
        return job


class AuthorInline(GeneTxInline):
    model = Author
    extra = 0
    fields = ["position", "family", "given", "literal", "et_al"]
    ordering = ["position"]


class CitedByInline(ReadOnlyInline):
    """What cites this source: read-only here, edited on each claim."""

    model = Citation
    fk_name = "source"
    fields = ["claim", "locator", "quote"]
    readonly_fields = ["claim", "locator", "quote"]
    verbose_name = _("citing claim")
    verbose_name_plural = _("cited by")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim")


@admin.register(Source)
class SourceAdmin(PublishableAdmin):
    list_display = [
        "key",
        "label",
        "kind",
        "container_title",
        "issued",
        "doi",
        "is_full_reference",
        "status",
    ]
    list_filter = ["status", "kind", "language", health_filter(Source)]
    search_fields = [
        "key",
        "title",
        "original_title",
        "doi",
        "=pmid",
        "container_title",
        "authors__family",
    ]
    autocomplete_fields = ["reported_by", "institution"]
    date_hierarchy = "issued"
    # Counting every source for "N total" costs a full scan on a big table.
    show_full_result_count = False
    inlines = [AuthorInline, CitedByInline]
    fieldsets = [
        (None, {"fields": ["key", "kind", "status"]}),
        (
            _("Reference"),
            {
                "fields": [
                    "title",
                    "original_title",
                    "container_title",
                    "publisher",
                    "institution",
                    ("issued", "issued_precision"),
                    ("volume", "issue", "pages"),
                    ("doi", "pmid"),
                    "url",
                    "language",
                    "accessed",
                ]
            },
        ),
        (_("Attribution without a full reference"), {"fields": ["reported_by", "note"]}),
        (_("Record"), {"fields": ["published_at", "created_at", "updated_at"]}),
    ]

    change_list_template = "admin/sources/source/change_list.html"
    actions = [*PublishableAdmin.actions, "export_bibtex", "export_ris"]

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a BibTeX or RIS file, preview each row's outcome, then confirm to save."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        changelist = reverse("admin:sources_source_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import sources from BibTeX or RIS"),
            "changelist_url": changelist,
            "may_publish": self.has_publish_permission(request),
        }
        form = SourceImportForm()
        if request.method == "POST" and "confirm" in request.POST:
            confirm = ConfirmImportForm(request.POST, user=request.user)
            if not confirm.is_valid():
                self.message_user(request, " ".join(confirm.errors["job"]), messages.ERROR)
                return HttpResponseRedirect(request.path)
            job = confirm.cleaned_data["job"]
            # Claimed with a conditional update: two confirmations of one preview (a
            # double click, two tabs) import it once.
            background = job.total > settings.IMPORT_INLINE_ENTRIES
            job.state = ImportState.QUEUED if background else ImportState.RUNNING
            if not ImportJob.objects.filter(pk=job.pk, state=ImportState.PREVIEW).update(
                state=job.state
            ):
                self.message_user(request, ConfirmImportForm.GONE, messages.ERROR)
                return HttpResponseRedirect(request.path)
            if background:
                return self._import_in_background(request, job)
            return self._import_now(request, job, changelist)
        if request.method == "POST":
            form = SourceImportForm(request.POST, request.FILES)
            if form.is_valid():
                rows = form.cleaned_data["rows"]
                job = keep_for_confirmation(
                    target=SOURCES_TARGET,
                    file_name=form.cleaned_data["file"].name,
                    file_format=form.cleaned_data["format"],
                    text=form.cleaned_data["text"],
                    user=request.user,
                    total=len(rows),
                )
                if len(rows) > settings.IMPORT_INLINE_ENTRIES:
                    # Checking every entry of a big file takes minutes: the worker does
                    # it while importing, and its report lists each refused entry.
                    context["background_rows"] = len(rows)
                else:
                    context["plan"] = plan_import(rows)
                context["confirm_form"] = ConfirmImportForm(initial={"job": job.token})
        context["form"] = form
        context["inline_limit"] = settings.IMPORT_INLINE_ENTRIES
        return TemplateResponse(request, "admin/sources/source/import.html", context)

    def _import_now(self, request, job, changelist):
        rows = parse(job.file_format, job.content)
        try:
            result = sources_import(rows=rows, user=request.user, file_name=job.file_name)
        except (DatabaseError, ValidationError) as exc:
            # sources_import is one transaction: nothing of this file was saved.
            job.state, job.message = ImportState.FAILED, f"Nothing was saved: {exc}"
            job.content = ""
            job.save()
            self.message_user(
                request,
                gettext("Import failed, nothing was saved: %(reason)s") % {"reason": exc},
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        job.state, job.processed, job.content = ImportState.DONE, job.total, ""
        job.created_count, job.updated_count = result.created, result.updated
        job.refused_count = len(result.refused)
        job.report = [problem for planned in result.refused for problem in planned.problems]
        job.message = (
            f"{result.created} created, {result.updated} updated, {len(result.refused)} refused."
        )
        job.save()
        self.message_user(
            request,
            ngettext(
                "Import saved: %(created)d source created (new sources are drafts), "
                "%(updated)d updated.",
                "Import saved: %(created)d sources created (new sources are drafts), "
                "%(updated)d updated.",
                result.created,
            )
            % {"created": result.created, "updated": result.updated},
            messages.SUCCESS,
        )
        if result.revised:
            self.message_user(
                request,
                ngettext(
                    "%(count)d change to published sources submitted for review instead of "
                    "going live.",
                    "%(count)d changes to published sources submitted for review instead of "
                    "going live.",
                    result.revised,
                )
                % {"count": result.revised},
                messages.WARNING,
            )
        if result.refused:
            self.message_user(
                request,
                gettext("%(count)d refused: %(rows)s")
                % {
                    "count": len(result.refused),
                    "rows": "; ".join(
                        gettext("row %(number)s (%(label)s): %(errors)s")
                        % {
                            "number": p.row.number,
                            "label": p.row.label,
                            "errors": ", ".join(p.errors),
                        }
                        for p in result.refused
                    ),
                },
                messages.WARNING,
            )
        return HttpResponseRedirect(changelist)

    def _import_in_background(self, request, job):
        import_sources.enqueue(job.pk)
        self.message_user(
            request,
            ngettext(
                "%(file)s: %(count)d entry is being imported in the background. This page "
                "shows the progress and reloads itself until the import ends.",
                "%(file)s: %(count)d entries are being imported in the background. This page "
                "shows the progress and reloads itself until the import ends.",
                job.total,
            )
            % {"file": job.file_name, "count": job.total},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:genetx_importjob_change", args=[job.pk]))

    @admin.action(description=_("Export selected as BibTeX (.bib)"), permissions=["view"])
    def export_bibtex(self, request, queryset):
        text = bibtex_file(self._for_export(queryset))
        return self._download(text, "bib", "application/x-bibtex")

    @admin.action(description=_("Export selected as RIS (.ris)"), permissions=["view"])
    def export_ris(self, request, queryset):
        entries = [ris_entry(source) for source in self._for_export(queryset)]
        return self._download(ris_records(entries), "ris", "application/x-research-info-systems")

    def _for_export(self, queryset):
        return queryset.select_related("reported_by").prefetch_related("authors")

    def _download(self, text: str, extension: str, content_type: str) -> HttpResponse:
        return HttpResponse(
            text,
            content_type=f"{content_type}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="genetx-sources.{extension}"'},
        )

    def get_search_results(self, request, queryset, search_term):
        # Editors paste DOIs as links or in capitals; stored DOIs are bare and lower-case,
        # and an exact match uses the unique index instead of scanning every title.
        doi = normalise_doi(search_term)
        if DOI_PATTERN.match(doi):
            return queryset.filter(doi=doi), False
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request):
        # The label (Catalá et al. (2022)) reads the authors: one query for the page,
        # not one per row, here and in autocomplete results.
        return super().get_queryset(request).prefetch_related("authors")

    @admin.display(description=_("Reference"))
    def label(self, obj):
        return obj.short_label

    @admin.display(boolean=True, description=_("Full reference"))
    def is_full_reference(self, obj):
        return obj.is_full_reference


@admin.register(Author)
class AuthorAdmin(PartAdmin, GeneTxAdmin):
    parent_field = "source"
    list_display = ["family_or_literal", "given", "source__key", "position", "et_al"]
    list_select_related = ["source"]
    search_fields = ["family", "given", "literal", "source__key", "source__title"]
    autocomplete_fields = ["source"]
    show_full_result_count = False

    @admin.display(description=_("Name"), ordering="family")
    def family_or_literal(self, obj):
        return obj.family_or_literal


class NeedsReviewFilter(admin.SimpleListFilter):
    """Open review flags: claims marked Needs review or Disputed."""

    title = _("review flag")
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("open", _("Needs review"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.needing_review()
        return queryset


class CitationInline(CitationsInline):
    model = Citation
    fk_name = "claim"
    fields = ["position", "source", "locator", "quote"]


@admin.register(Claim)
class ClaimAdmin(PublishableAdmin):
    list_display = [
        "slug",
        "short_statement",
        "value_display",
        "therapy",
        "review_status",
        "status",
        "is_public",
        "event_date",
    ]
    list_filter = [NeedsReviewFilter, "status", "review_status", health_filter(Claim)]
    list_select_related = ["therapy"]
    search_fields = ["slug", "statement", "measure", "measure_name", "review_note"]
    autocomplete_fields = ["therapy", "condition", "institution", "programme", "superseded_by"]
    prepopulated_fields = {"slug": ["statement"]}
    date_hierarchy = "event_date"
    show_full_result_count = False
    inlines = [CitationInline]
    # The citations inline checks a published claim's sources as posted.
    gate_checked_by_inline = True
    fieldsets = [
        (None, {"fields": ["slug", "statement", "status"]}),
        (_("About"), {"fields": ["therapy", "condition", "institution", "programme"]}),
        (
            _("Figure"),
            {
                "fields": [
                    ("measure", "measure_name"),
                    ("qualifier", "value", "unit"),
                    ("as_of", "as_of_precision"),
                    ("event_date", "event_date_precision"),
                ]
            },
        ),
        (_("Review"), {"fields": ["review_status", "review_note", "superseded_by"]}),
        (_("Record"), {"fields": ["published_at", "created_at", "updated_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        successor = obj.superseded_by
        if successor is not None and not successor.is_published and obj.is_published:
            self.message_user(
                request,
                gettext(
                    "“%(successor)s” is not published yet, so it does not replace “%(claim)s” "
                    "for readers until it is: only a published claim supersedes a published one."
                )
                % {"successor": successor, "claim": obj},
                messages.INFO,
            )

    @admin.display(description=_("Statement"))
    def short_statement(self, obj):
        return obj.statement if len(obj.statement) <= 90 else obj.statement[:89] + "…"

    @admin.display(description=_("Figure"))
    def value_display(self, obj):
        return obj.value_display


@admin.register(Citation)
class CitationAdmin(PartAdmin, GeneTxAdmin):
    parent_field = "claim"
    list_display = ["claim__slug", "source__key", "locator", "position"]
    list_select_related = ["claim", "source"]
    search_fields = ["claim__slug", "source__key", "locator", "quote"]
    autocomplete_fields = ["claim", "source"]
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = gated_form(kwargs.get("form", self.form))
        return super().get_form(request, obj, change, **kwargs)

    def get_deleted_objects(self, objs, request):
        # A citation that is a published claim's last published support is listed as
        # protected: Django then refuses the delete and says why, for one or many.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        citations = list(objs.select_related("claim") if hasattr(objs, "select_related") else objs)
        protected = [*protected, *(str(p) for p in citations_removal_problems(citations))]
        return deleted, counts, perms_needed, protected
