from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count

from genetx.admin import GeneTxAdmin, PublishableAdmin, PublishableInline, validation_summary
from genetx.services import TransitionRefused
from hospitals.models import Programme
from sources.models import Claim

from .models import Condition, Modality, RegulatoryDecision, Therapy
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


class RegulatoryDecisionInline(admin.TabularInline):
    model = RegulatoryDecision
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
    # The claim's citations are edited on the claim's own page (change link).
    verbose_name_plural = "claims (open a claim to add its sources)"


@admin.register(Therapy)
class TherapyAdmin(PublishableAdmin):
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
        parts = {"programmes": 0, "claims": 0}
        changed, refused = 0, []
        for therapy in queryset:
            try:
                result = therapy_publish(therapy=therapy, user=request.user)
            except TransitionRefused as exc:
                refused.append(f"“{therapy}”: {exc}")
            except ValidationError as exc:
                refused.append(f"“{therapy}”: {validation_summary(exc)}")
            else:
                changed += 1
                parts["programmes"] += result.programmes
                parts["claims"] += result.claims
                self.log_change(request, therapy, "Published")
        noun = "therapy" if changed == 1 else "therapies"
        self.message_user(
            request,
            f"{changed} {noun} published, with {parts['programmes']} programmes and "
            f"{parts['claims']} claims.",
            messages.SUCCESS if changed else messages.WARNING,
        )
        if refused:
            noun = "therapy" if len(refused) == 1 else "therapies"
            self.message_user(
                request, f"{len(refused)} {noun} refused: " + "; ".join(refused), messages.WARNING
            )


@admin.register(RegulatoryDecision)
class RegulatoryDecisionAdmin(GeneTxAdmin):
    list_display = ["therapy", "agency", "kind", "date", "source_key"]
    list_filter = ["kind", ("agency", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["therapy", "agency", "source"]
    search_fields = ["therapy__name", "agency__name", "indication", "source__key"]
    autocomplete_fields = ["therapy", "agency", "source"]
    date_hierarchy = "date"

    @admin.display(description="Source", ordering="source__key")
    def source_key(self, obj):
        return obj.source.key
