from genetx.listing import FacetedListView
from genetx.maps import institution_map
from genetx.pages import EvidenceMixin, PreviewDetailView
from genetx.revisions import overlay_parts
from hospitals.maps import points_for_programmes
from hospitals.models import Programme
from sources.models import Claim
from sources.views import PageReferencesMixin

from .charts import therapies_by_development, therapies_by_modality
from .filters import ConditionFilter, TherapyFilter
from .models import Condition, Therapy

_SCHEMA = "https://schema.org"


class TherapyListView(FacetedListView):
    filterset_class = TherapyFilter
    template_name = "therapies/therapy_list.html"
    export_name = "therapies"
    export_columns = [
        ("name", lambda t: t.name),
        ("kind", lambda t: t.get_kind_display()),
        ("modality", lambda t: t.modality.name if t.modality else ""),
        ("conditions", lambda t: "; ".join(c.name for c in t.conditions.all())),
        ("development_status", lambda t: t.get_development_status_display()),
        ("inn", lambda t: t.inn),
        ("brand_name", lambda t: t.brand_name),
        ("code", lambda t: t.code),
    ]

    def get_queryset(self):
        return Therapy.objects.for_listing()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.filterset.is_valid():
            # Of every therapy the filters match, not only this page's.
            context["charts"] = self.per_filter(
                "charts",
                lambda: [
                    therapies_by_modality(self.filterset.qs),
                    therapies_by_development(self.filterset.qs),
                ],
            )
        return context


class TherapyDetailView(PageReferencesMixin, EvidenceMixin, PreviewDetailView):
    model = Therapy
    references_url_name = "therapies:therapy-references"
    template_name = "therapies/therapy_detail.html"

    def evidence_decisions(self):
        return self.object.decisions.all()

    def evidence_claims(self):
        claims = Claim.objects.published().with_sources().about_therapy(self.object)
        # A revision preview shows the claims as the revision changes them.
        return overlay_parts(claims, self.object, "claims")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["map"] = institution_map(points_for_programmes(self.object.programmes.all()))
        return context

    def json_ld(self, url):
        therapy = self.object
        data = {
            "@context": _SCHEMA,
            "@type": "Drug" if therapy.kind == Therapy.Kind.PRODUCT else "MedicalTherapy",
            "name": therapy.name,
            "url": url,
            "description": therapy.summary,
        }
        names = [n for n in (therapy.brand_name, therapy.code) if n]
        if names:
            data["alternateName"] = names
        if therapy.inn and data["@type"] == "Drug":
            data["nonProprietaryName"] = therapy.inn
        return data


class ConditionListView(FacetedListView):
    filterset_class = ConditionFilter
    template_name = "therapies/condition_list.html"
    export_name = "conditions"
    export_columns = [
        ("name", lambda c: c.name),
        ("category", lambda c: c.get_category_display()),
        ("rare", lambda c: "yes" if c.is_rare else "no"),
        ("orpha_code", lambda c: c.orpha_code),
        ("icd10_code", lambda c: c.icd10_code),
        ("parent", lambda c: c.parent.name if c.parent and c.parent.is_published else ""),
        ("therapies", lambda c: c.therapy_count),
    ]

    def get_queryset(self):
        # Meta ordering does not apply to grouped (annotated) queries: order explicitly.
        return Condition.objects.for_listing().order_by("name")


class ConditionDetailView(PageReferencesMixin, EvidenceMixin, PreviewDetailView):
    model = Condition
    references_url_name = "therapies:condition-references"
    template_name = "therapies/condition_detail.html"

    def evidence_claims(self):
        return Claim.objects.published().with_sources().about_condition(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        condition = self.object
        therapies = list(Therapy.objects.for_listing().for_condition(condition))
        context["therapies"] = therapies
        if therapies:
            context["json_ld"]["possibleTreatment"] = [
                {
                    "@type": "MedicalTherapy",
                    "name": t.name,
                    "url": self.request.build_absolute_uri(t.get_absolute_url()),
                }
                for t in therapies
            ]
        context["programmes"] = Programme.objects.for_condition(condition)
        return context

    def json_ld(self, url):
        condition = self.object
        data = {
            "@context": _SCHEMA,
            "@type": "MedicalCondition",
            "name": condition.name,
            "url": url,
        }
        if condition.summary:
            data["description"] = condition.summary
        codes = []
        if condition.icd10_code:
            codes.append(
                {
                    "@type": "MedicalCode",
                    "codeValue": condition.icd10_code,
                    "codingSystem": "ICD-10",
                }
            )
        if condition.orpha_code:
            codes.append(
                {"@type": "MedicalCode", "codeValue": condition.orpha_code, "codingSystem": "ORPHA"}
            )
        if codes:
            data["code"] = codes
        if condition.orpha_url:
            data["sameAs"] = condition.orpha_url
        return data
