import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.forms import Textarea
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from genetx.admin import (
    CitationsInline,
    CsvImportExportMixin,
    GatedPartsFormSet,
    GeneTxAdmin,
    GeneTxInline,
    PartAdmin,
    PublishableAdmin,
    PublishableInline,
    gated_form,
)
from genetx.data_health import health_filter
from genetx.publishing import decision_problems
from hospitals.models import Programme
from sources.models import Claim

from . import ctgov
from .models import (
    Condition,
    Modality,
    RegulatoryDecision,
    Therapy,
    Trial,
    TrialCitation,
    TrialSite,
)
from .resources import TherapyResource
from .services import therapy_publish
from .validators import normalise_registry_number


@admin.register(Modality)
class ModalityAdmin(GeneTxAdmin):
    list_display = ["name", "delivery", "therapy_total"]
    list_filter = ["delivery"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(therapy_total=Count("therapies"))

    @admin.display(description=_("Therapies"), ordering="therapy_total")
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
    verbose_name_plural = _("claims (open a claim to add its sources)")


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
    list_filter = ["status", "development_status", "kind", "modality", health_filter(Therapy)]
    list_select_related = ["modality"]
    search_fields = ["name", "slug", "inn", "brand_name", "code"]
    autocomplete_fields = ["modality", "approach", "conditions"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RegulatoryDecisionInline, ProgrammeInline, ClaimInline]
    # The decisions inline checks a published therapy's decisions as posted.
    gate_checked_by_inline = True
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "status"]}),
        (
            _("Identity"),
            {"fields": ["inn", "brand_name", "code", "modality", "approach", "conditions"]},
        ),
        (_("Description"), {"fields": ["summary", "mechanism", "development_status"]}),
        (_("Record"), {"fields": ["published_at", "created_at", "updated_at"]}),
    ]

    @admin.action(
        description=_("Publish (with its draft programmes and claims)"), permissions=["publish"]
    )
    def publish(self, request, queryset):
        def publish_with_parts(*, obj, user, with_needed=False):
            return therapy_publish(therapy=obj, user=user, with_needed=with_needed)

        def parts(results):
            programmes = sum(result.programmes for result in results)
            claims = sum(result.claims for result in results)
            return ", " + gettext("with %(programmes)s and %(claims)s") % {
                "programmes": ngettext("%(count)d programme", "%(count)d programmes", programmes)
                % {"count": programmes},
                "claims": ngettext("%(count)d claim", "%(count)d claims", claims)
                % {"count": claims},
            }

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

    @admin.display(description=_("Source"), ordering="source__key")
    def source_key(self, obj):
        return obj.source.key


class TrialCitationInline(CitationsInline):
    model = TrialCitation
    fields = ["position", "source", "locator"]
    verbose_name_plural = _("sources (at least one published, to publish the trial)")


class TrialSiteInline(GeneTxInline):
    model = TrialSite
    fields = ["institution"]
    autocomplete_fields = ["institution"]
    verbose_name_plural = _("sites (the country is the institution's)")


class StudyImportForm(forms.Form):
    file = forms.FileField(
        label=_("Study file (.json)"),
        required=False,
        help_text=_(
            "A ClinicalTrials.gov API v2 study, as saved from "
            "https://clinicaltrials.gov/api/v2/studies/<NCT number>; at most 2 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".json"}),
    )
    nct_number = forms.CharField(
        label=_("or fetch by NCT number"),
        required=False,
        max_length=30,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set per form (it names the timeout), so the text follows the admin's language.
        self.fields["nct_number"].help_text = ngettext(
            "Needs internet access from this server; gives up after %(seconds)s second.",
            "Needs internet access from this server; gives up after %(seconds)s seconds.",
            ctgov.FETCH_TIMEOUT,
        ) % {"seconds": ctgov.FETCH_TIMEOUT}

    def clean(self):
        cleaned = super().clean()
        upload, number = cleaned.get("file"), (cleaned.get("nct_number") or "").strip()
        if bool(upload) == bool(number):
            raise ValidationError(_("Upload a study file or give an NCT number (one of them)."))
        try:
            cleaned["study"] = (
                ctgov.read_study_file(upload) if upload else ctgov.fetch_study(number)
            )
        except ctgov.ImportFileError as exc:
            raise ValidationError(str(exc)) from exc
        return cleaned


@admin.register(Trial)
class TrialAdmin(PublishableAdmin):
    change_list_template = "admin/therapies/trial/change_list.html"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="therapies_trial_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Preview a ClinicalTrials.gov study as a trial, then create it as a draft."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:therapies_trial_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import a trial from ClinicalTrials.gov"),
            "changelist_url": changelist,
        }
        form = StudyImportForm()
        if request.method == "POST" and "confirm" in request.POST:
            # The previewed study comes back as posted JSON, read again under the same
            # limits: nothing is kept between the preview and the confirmation.
            try:
                data = ctgov.parse_json(request.POST.get("study", "").encode())
                trial = ctgov.trial_create(study=ctgov.preview(data), user=request.user)
            except (ctgov.ImportFileError, ValidationError) as exc:
                self.message_user(
                    request,
                    gettext("Nothing was saved: %(reason)s") % {"reason": exc},
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.path)
            self.message_user(
                request,
                gettext("Draft trial “%(trial)s” created. Add its sources before publishing it.")
                % {"trial": trial},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:therapies_trial_change", args=[trial.pk]))
        if request.method == "POST":
            form = StudyImportForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data["study"]
                context["study"] = ctgov.preview(data)
                context["study_json"] = json.dumps(data)
        context["form"] = form
        return TemplateResponse(request, "admin/therapies/trial/import.html", context)

    list_display = [
        "display_name",
        "nct_number",
        "eudract_number",
        "phase",
        "overall_status",
        "start_date",
        "status",
        "is_public",
    ]
    list_filter = ["status", "phase", "overall_status"]
    list_select_related = ["sponsor"]
    search_fields = ["slug", "title", "acronym", "=nct_number", "=eudract_number", "=euct_number"]
    autocomplete_fields = ["sponsor", "therapies", "conditions"]
    prepopulated_fields = {"slug": ["acronym"]}
    inlines = [TrialSiteInline, TrialCitationInline]
    # The citations inline checks a published trial's sources as posted.
    gate_checked_by_inline = True
    fieldsets = [
        (None, {"fields": ["title", "acronym", "slug", "status"]}),
        (_("Registry numbers"), {"fields": ["nct_number", "eudract_number", "euct_number"]}),
        (
            _("Design and progress"),
            {
                "fields": [
                    ("phase", "overall_status"),
                    ("start_date", "start_date_precision", "start_date_kind"),
                    ("completion_date", "completion_date_precision", "completion_date_kind"),
                    ("enrolment", "enrolment_kind"),
                ]
            },
        ),
        (_("What and who"), {"fields": ["sponsor", "therapies", "conditions", "summary"]}),
        (_("Record"), {"fields": ["published_at", "created_at", "updated_at"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        # Registry numbers are stored normalised (NCT04309981); editors paste them in any
        # case or with a label, so the search term is normalised the same way.
        term = search_term.strip()
        nct = normalise_registry_number(term, "NCT")
        if nct.startswith("NCT") and nct[3:].isdigit():
            return queryset.filter(nct_number=nct), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("Trial"), ordering="acronym")
    def display_name(self, obj):
        return obj.display_name
