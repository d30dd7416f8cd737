from django.contrib import admin

from genetx.admin import GeneTxAdmin, PublishableAdmin, ReadOnlyInline

from .models import Author, Citation, Claim, Source


class AuthorInline(admin.TabularInline):
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
    verbose_name = "citing claim"
    verbose_name_plural = "cited by"

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
    list_filter = ["status", "kind", "language"]
    search_fields = ["key", "title", "original_title", "doi", "container_title", "authors__family"]
    autocomplete_fields = ["reported_by"]
    date_hierarchy = "issued"
    # Counting every source for "N total" costs a full scan on a big table.
    show_full_result_count = False
    inlines = [AuthorInline, CitedByInline]
    fieldsets = [
        (None, {"fields": ["key", "kind", "status"]}),
        (
            "Reference",
            {
                "fields": [
                    "title",
                    "original_title",
                    "container_title",
                    "publisher",
                    ("issued", "issued_precision"),
                    ("volume", "issue", "pages"),
                    "doi",
                    "url",
                    "language",
                    "accessed",
                ]
            },
        ),
        ("Attribution without a full reference", {"fields": ["reported_by", "note"]}),
        ("Record", {"fields": ["published_at", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        # The label (Catalá et al. (2022)) reads the authors: one query for the page,
        # not one per row, here and in autocomplete results.
        return super().get_queryset(request).prefetch_related("authors")

    @admin.display(description="Reference")
    def label(self, obj):
        return obj.short_label

    @admin.display(boolean=True, description="Full reference")
    def is_full_reference(self, obj):
        return obj.is_full_reference


@admin.register(Author)
class AuthorAdmin(GeneTxAdmin):
    list_display = ["family_or_literal", "given", "source__key", "position", "et_al"]
    list_select_related = ["source"]
    search_fields = ["family", "given", "literal", "source__key", "source__title"]
    autocomplete_fields = ["source"]
    show_full_result_count = False

    @admin.display(description="Name", ordering="family")
    def family_or_literal(self, obj):
        return obj.family_or_literal


class NeedsReviewFilter(admin.SimpleListFilter):
    """Open review flags: claims marked Needs review or Disputed."""

    title = "review flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("open", "Needs review")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.needing_review()
        return queryset


class CitationInline(admin.TabularInline):
    model = Citation
    fk_name = "claim"
    extra = 1
    fields = ["position", "source", "locator", "quote"]
    autocomplete_fields = ["source"]
    ordering = ["position"]


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
    list_filter = [NeedsReviewFilter, "status", "review_status"]
    list_select_related = ["therapy"]
    search_fields = ["slug", "statement", "measure", "review_note"]
    autocomplete_fields = ["therapy", "condition", "institution", "programme", "superseded_by"]
    date_hierarchy = "event_date"
    show_full_result_count = False
    inlines = [CitationInline]
    fieldsets = [
        (None, {"fields": ["slug", "statement", "status"]}),
        ("About", {"fields": ["therapy", "condition", "institution", "programme"]}),
        (
            "Figure",
            {
                "fields": [
                    "measure",
                    ("qualifier", "value", "unit"),
                    ("as_of", "as_of_precision"),
                    ("event_date", "event_date_precision"),
                ]
            },
        ),
        ("Review", {"fields": ["review_status", "review_note", "superseded_by"]}),
        ("Record", {"fields": ["published_at", "created_at", "updated_at"]}),
    ]

    @admin.display(description="Statement")
    def short_statement(self, obj):
        return obj.statement if len(obj.statement) <= 90 else obj.statement[:89] + "…"

    @admin.display(description="Figure")
    def value_display(self, obj):
        return obj.value_display


@admin.register(Citation)
class CitationAdmin(GeneTxAdmin):
    list_display = ["claim__slug", "source__key", "locator", "position"]
    list_select_related = ["claim", "source"]
    search_fields = ["claim__slug", "source__key", "locator", "quote"]
    autocomplete_fields = ["claim", "source"]
    show_full_result_count = False
