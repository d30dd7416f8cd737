from genetx.listing import FacetedListView
from genetx.maps import institution_map
from genetx.pages import EvidenceMixin, PreviewDetailView, TrialsMixin, first_and_count
from genetx.revisions import overlay_parts
from hospitals.maps import points_for_programmes
from hospitals.models import Programme
from sources.models import Claim
from sources.references import ReferenceList
from sources.views import PageReferencesMixin

from .charts import therapies_by_development, therapies_by_modality
from .filters import ConditionFilter, DecisionFilter, TherapyFilter, TrialFilter
from .models import Condition, RegulatoryDecision, Therapy, Trial, TrialStatus

_SCHEMA = "https://schema.org"


class TherapyListView(FacetedListView):
    filterset_class = TherapyFilter
    template_name = "therapies/therapy_list.html"
    row_template, row_name = "therapies/includes/therapy_row.html", "therapy"
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


class TherapyDetailView(PageReferencesMixin, EvidenceMixin, TrialsMixin, PreviewDetailView):
    model = Therapy
    references_url_name = "therapies:therapy-references"
    template_name = "therapies/therapy_detail.html"

    def evidence_decisions(self):
        return self.object.decisions.all()

    def evidence_claims(self):
        claims = Claim.objects.published().with_sources().about_therapy(self.object)
        # A revision preview shows the claims as the revision changes them.
        return overlay_parts(claims, self.object, "claims")

    def page_trials(self):
        # An approach's trials include those of its products (CAR-T therapy: ARI0002h's).
        return Trial.objects.for_cards().for_therapy(self.object)

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
    row_template, row_name = "therapies/includes/condition_row.html", "condition"
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
        return Condition.objects.for_listing().order_by("name")


class ConditionDetailView(PageReferencesMixin, EvidenceMixin, PreviewDetailView):
    model = Condition
    references_url_name = "therapies:condition-references"
    template_name = "therapies/condition_detail.html"
    # A common condition has thousands of therapies and programmes: the page lists the
    # first ones of each, says how many there are and links to the therapy and institution
    # lists filtered to this condition for the rest, so it stays the same size as the
    # tables grow (institution pages do the same with their programmes).
    related_limit = 20
    trial_limit = TrialsMixin.trial_limit

    def evidence_claims(self):
        return Claim.objects.published().with_sources().about_condition(self.object)

    def page_trials(self):
        return Trial.objects.for_cards().for_condition(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        condition = self.object
        limit = self.related_limit
        own = Therapy.objects.for_mentions().for_condition(condition)
        therapies, therapy_count = first_and_count(own, limit)
        # What is recorded on the published parent condition (haemophilia, for haemophilia
        # A) shows here too, marked as such, after the condition's own records and within
        # the same limits: readers of a subtype should not read "none".
        parent = condition.parent if condition.parent_id and condition.parent.is_published else None
        inherited_therapies = Therapy.objects.none()
        if parent is not None:
            inherited_therapies = Therapy.objects.for_mentions().recorded_on_parent_of(
                condition, besides=own.values("pk")
            )
            inherited, inherited_count = first_and_count(
                inherited_therapies, limit - len(therapies)
            )
            for therapy in inherited:
                therapy.rolled_up_from = parent
            therapies += inherited
            therapy_count += inherited_count
        context["therapies"], context["therapy_count"] = therapies, therapy_count
        if therapies:
            context["json_ld"]["possibleTreatment"] = [
                {
                    "@type": "MedicalTherapy",
                    "name": t.name,
                    "url": self.request.build_absolute_uri(t.get_absolute_url()),
                }
                for t in therapies
            ]
        programmes, programme_count = first_and_count(
            Programme.objects.for_condition(condition), limit
        )
        if parent is not None:
            rolled_up, rolled_up_count = first_and_count(
                Programme.objects.for_condition(parent).filter(
                    therapy__in=inherited_therapies.values("pk")
                ),
                limit - len(programmes),
            )
            for programme in rolled_up:
                programme.rolled_up_from = parent
            programmes = sorted(
                programmes + rolled_up,
                key=lambda p: (p.institution.name, p.therapy.name, p.role),
            )
            programme_count += rolled_up_count
        context["programmes"], context["programme_count"] = programmes, programme_count
        context["trials"], context["trial_count"] = self.condition_trials(parent)
        return context

    def condition_trials(self, parent):
        """The condition's trials, then those recorded on its parent, within the limit."""
        own = self.page_trials()
        trials, count = first_and_count(own, self.trial_limit)
        if parent is not None:
            inherited, inherited_count = first_and_count(
                Trial.objects.for_cards()
                .filter(conditions=parent)
                .exclude(pk__in=Trial.objects.for_condition(self.object).values("pk")),
                self.trial_limit - len(trials),
            )
            for trial in inherited:
                trial.rolled_up_from = parent
            trials += inherited
            count += inherited_count
        return trials, count

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


def _names(records) -> str:
    return "; ".join(str(record) for record in records)


class TrialListView(FacetedListView):
    filterset_class = TrialFilter
    template_name = "therapies/trial_list.html"
    row_template, row_name = "therapies/includes/trial_row.html", "trial"
    export_name = "trials"
    export_columns = [
        ("acronym", lambda t: t.acronym),
        ("title", lambda t: t.title),
        ("nct_number", lambda t: t.nct_number),
        ("eudract_number", lambda t: t.eudract_number),
        ("euct_number", lambda t: t.euct_number),
        ("phase", lambda t: t.get_phase_display() if t.phase else ""),
        ("overall_status", lambda t: t.get_overall_status_display() if t.overall_status else ""),
        ("start_date", lambda t: t.start_date_display),
        ("completion_date", lambda t: t.completion_date_display),
        ("enrolment", lambda t: "" if t.enrolment is None else t.enrolment),
        ("enrolment_kind", lambda t: t.get_enrolment_kind_display() if t.enrolment_kind else ""),
        ("sponsor", lambda t: t.sponsor.name if t.sponsor and t.sponsor.is_published else ""),
        ("therapies", lambda t: _names(t.therapies.all())),
        ("conditions", lambda t: _names(t.conditions.all())),
    ]

    def get_queryset(self):
        return Trial.objects.for_listing()


# schema.org's MedicalStudyStatus values for ClinicalTrials.gov's statuses it names.
_SCHEMA_STATUS = {
    TrialStatus.NOT_YET_RECRUITING: "NotYetRecruiting",
    TrialStatus.RECRUITING: "Recruiting",
    TrialStatus.ENROLLING_BY_INVITATION: "EnrollingByInvitation",
    TrialStatus.ACTIVE_NOT_RECRUITING: "ActiveNotRecruiting",
    TrialStatus.SUSPENDED: "Suspended",
    TrialStatus.TERMINATED: "Terminated",
    TrialStatus.COMPLETED: "Completed",
    TrialStatus.WITHDRAWN: "Withdrawn",
}


class TrialDetailView(PageReferencesMixin, PreviewDetailView):
    model = Trial
    template_name = "therapies/trial_detail.html"
    references_url_name = "therapies:trial-references"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        trial = self.object
        refs = ReferenceList()
        context["markers"] = [refs.cite(c.source, c.locator) for c in trial.citations.all()]
        context["references"] = refs.references
        context["sites"] = sorted(
            trial.sites.all(), key=lambda site: (site.institution.country, site.institution.name)
        )
        return context

    def json_ld(self, url):
        trial = self.object
        data = {
            "@context": _SCHEMA,
            "@type": "MedicalTrial",
            "name": trial.title,
            "url": url,
            "identifier": [
                {"@type": "PropertyValue", "propertyID": registry, "value": number}
                for registry, number, _ in trial.registry_links
            ],
            "sameAs": [link for _, _, link in trial.registry_links],
        }
        if trial.acronym:
            data["alternateName"] = trial.acronym
        if trial.summary:
            data["description"] = trial.summary
        if trial.phase:
            data["phase"] = trial.get_phase_display()
        if trial.overall_status in _SCHEMA_STATUS:
            data["status"] = f"{_SCHEMA}/{_SCHEMA_STATUS[trial.overall_status]}"
        if trial.sponsor is not None and trial.sponsor.is_published:
            data["sponsor"] = {
                "@type": "Organization",
                "name": trial.sponsor.name,
                "url": self.request.build_absolute_uri(trial.sponsor.get_absolute_url()),
            }
        conditions = list(trial.conditions.all())
        if conditions:
            data["healthCondition"] = [
                {
                    "@type": "MedicalCondition",
                    "name": condition.name,
                    "url": self.request.build_absolute_uri(condition.get_absolute_url()),
                }
                for condition in conditions
            ]
        return data


class DecisionListView(FacetedListView):
    """Regulatory decisions, filtered by agency, kind, year and therapy.

    The same filter set and queryset rule as the API's list of decisions: what one shows
    the other shows.
    """

    filterset_class = DecisionFilter
    template_name = "therapies/decision_list.html"
    export_name = "decisions"
    export_columns = [
        ("date", lambda d: d.date.isoformat()),
        ("agency", lambda d: d.agency.name),
        ("kind", lambda d: d.get_kind_display()),
        ("therapy", lambda d: d.therapy.name),
        ("indication", lambda d: d.indication),
        ("source", lambda d: d.source.key if d.source.is_published else ""),
    ]

    def get_queryset(self):
        return RegulatoryDecision.objects.for_listing()

    def export_url(self, decision) -> str:
        # A decision has no page of its own: its therapy's page lists it.
        return decision.therapy.get_absolute_url() + "#decisions-heading"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        refs = ReferenceList()
        # Each decision with the marker of its source, when readers may see the source.
        context["rows"] = [
            (decision, [refs.cite(decision.source)] if decision.source.is_published else [])
            for decision in context["object_list"]
        ]
        context["references"] = refs.references
        return context
