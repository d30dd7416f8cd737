from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.forms import Textarea

from genetx.admin import (
    CsvImportExportMixin,
    GatedPartsFormSet,
    GeneTxAdmin,
    GeneTxInline,
    PartAdmin,
    PublishableAdmin,
    PublishableInline,
    counted,
    gated_form,
)
from genetx.publishing import decision_problems
from hospitals.models import Programme
from sources.models import Claim

from .models import Condition, Modality, RegulatoryDecision, Therapy
from .resources import TherapyResource
from .services import therapy_publish


@admin.register(Modality)
class ModalityAdmin(GeneTxAdmin):
    list_display = ["name", "delivery", "therapy_total"]
    list_filter = ["delivery"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(therapy_total=Count("therapies"))

    @admin.display(description="Therapies", ordering="therapy_total")
    def therapy_total(self, obj):
        return obj.therapy_total


@admin.register(Condition)
class ConditionAdmin(PublishableAdmin):
    list_display = [
        "name",
        "category",
        "is_rare",
        "orpha_code",
        "icd10_code",
        "parent",
        "status",
        "is_public",
        "updated_at",
    ]
    list_filter = ["status", "category", "is_rare"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug", "orpha_code", "icd10_code"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


class DecisionGateFormSet(GatedPartsFormSet):
    """A published therapy's decisions need a published agency and source."""

    gate_fields = ("agency", "source")

    def parts_problems(self, parts):
        return [problem for part in parts for problem in decision_problems(part)]


class RegulatoryDecisionInline(GeneTxInline):
    model = RegulatoryDecision
    formset = DecisionGateFormSet
    extra = 0
    fields = ["agency", "kind", "date", "indication", "source"]
    autocomplete_fields = ["agency", "source"]


class ProgrammeInline(PublishableInline):
    model = Programme
    fk_name = "therapy"
    fields = ["institution", "role", "since", "status"]
    autocomplete_fields = ["institution"]


class ClaimInline(PublishableInline):
    model = Claim
    fk_name = "therapy"
    fields = ["slug", "statement", "review_status", "status"]
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 60})}}
    # The claim's citations are edited on the claim's own page (change link).
    verbose_name_plural = "claims (open a claim to add its sources)"


@admin.register(Therapy)
class TherapyAdmin(CsvImportExportMixin, PublishableAdmin):
    resource_classes = [TherapyResource]
    list_display = [
        "name",
        "kind",
        "modality",
        "development_status",
        "status",
        "is_public",
        "updated_at",
    ]
    list_filter = ["status", "development_status", "kind", "modality"]
    list_select_related = ["modality"]
    search_fields = ["name", "slug", "inn", "brand_name", "code"]
    autocomplete_fields = ["modality", "conditions"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RegulatoryDecisionInline, ProgrammeInline, ClaimInline]
    # The decisions inline checks a published therapy's decisions as posted.
    gate_checked_by_inline = True
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "status"]}),
        ("Identity", {"fields": ["inn", "brand_name", "code", "modality", "conditions"]}),
        ("Description", {"fields": ["summary", "mechanism", "development_status"]}),
        ("Record", {"fields": ["published_at", "created_at", "updated_at"]}),
    ]

    @admin.action(
        description="Publish (with its draft programmes and claims)", permissions=["publish"]
    )
    def publish(self, request, queryset):
        def publish_with_parts(*, obj, user, with_needed=False):
            return therapy_publish(therapy=obj, user=user, with_needed=with_needed)

        def parts(results):
            programmes = sum(result.programmes for result in results)
            claims = sum(result.claims for result in results)
            return (
                f", with {counted(programmes, 'programme', 'programmes')} and "
                f"{counted(claims, 'claim', 'claims')}"
            )

        return self.apply_transition(
            request, queryset, publish_with_parts, "published", parts, option="with_needed"
        )


@admin.register(RegulatoryDecision)
class RegulatoryDecisionAdmin(PartAdmin, GeneTxAdmin):
    parent_field = "therapy"
    list_display = ["therapy", "agency", "kind", "date", "source_key"]
    list_filter = ["kind", ("agency", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["therapy", "agency", "source"]
    search_fields = ["therapy__name", "agency__name", "indication", "source__key"]
    autocomplete_fields = ["therapy", "agency", "source"]
    date_hierarchy = "date"

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = gated_form(kwargs.get("form", self.form))
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="Source", ordering="source__key")
    def source_key(self, obj):
        return obj.source.key
