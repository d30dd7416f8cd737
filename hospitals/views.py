from django.db.models import Q

from genetx.listing import FacetedListView
from genetx.maps import institution_map
from genetx.pages import PreviewDetailView
from sources.models import Claim
from sources.references import ReferenceList
from therapies.models import Trial

from .filters import InstitutionFilter
from .maps import point_for_institution, points_for_institutions
from .models import Institution

# schema.org types per institution kind; anything else is an Organization.
_SCHEMA_TYPES = {
    Institution.Kind.HOSPITAL: "Hospital",
    Institution.Kind.CHILDRENS_HOSPITAL: "Hospital",
    Institution.Kind.REGULATOR: "GovernmentOrganization",
    Institution.Kind.MINISTRY: "GovernmentOrganization",
    Institution.Kind.RESEARCH_CENTRE: "ResearchOrganization",
    Institution.Kind.COMPANY: "Corporation",
}


class InstitutionListView(FacetedListView):
    filterset_class = InstitutionFilter
    template_name = "hospitals/institution_list.html"
    export_name = "institutions"
    export_columns = [
        ("name", lambda i: i.name),
        ("kind", lambda i: i.get_kind_display()),
        ("city", lambda i: i.city),
        ("region", lambda i: i.region),
        ("country", lambda i: i.country_name),
        ("website", lambda i: i.website),
        ("ror_id", lambda i: i.ror_id),
        ("programmes", lambda i: i.programme_count),
    ]

    def get_queryset(self):
        # Meta ordering does not apply to grouped (annotated) queries: order explicitly.
        return Institution.objects.for_listing().order_by("name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The map shows every institution the filters match, not only this page's.
        if self.filterset.is_valid():
            points = points_for_institutions(self.filterset.qs)
            total = context["paginator"].count if context.get("paginator") else len(points)
            context["map"] = institution_map(points, total=total)
        return context


class InstitutionDetailView(PreviewDetailView):
    model = Institution
    template_name = "hospitals/institution_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution = self.object
        refs = ReferenceList()
        context["decisions"] = [(d, [refs.cite(d.source)]) for d in institution.decisions.all()]
        claims = (
            Claim.objects.published()
            .with_sources()
            .filter(Q(institution=institution) | Q(programme__institution=institution))
        )
        context["claims"] = refs.claims(claims)
        context["references"] = refs.references
        context["trials"] = list(Trial.objects.for_cards().at_institution(institution))
        context["published_sources"] = list(
            institution.published_sources.published()
            .select_related("reported_by")
            .prefetch_related("authors", "reported_by__authors")
        )
        if institution.latitude is not None:
            point = point_for_institution(institution, institution.programmes.all())
            context["map"] = institution_map([point])
        return context

    def json_ld(self, url):
        institution = self.object
        data = {
            "@context": "https://schema.org",
            "@type": _SCHEMA_TYPES.get(institution.kind, "Organization"),
            "name": institution.name,
            "url": url,
        }
        if institution.summary:
            data["description"] = institution.summary
        address = {
            key: value
            for key, value in (
                ("addressLocality", institution.city),
                ("addressRegion", institution.region),
                ("addressCountry", institution.country),
            )
            if value
        }
        if address:
            data["address"] = {"@type": "PostalAddress", **address}
        same_as = [link for link in (institution.website, institution.ror_url) if link]
        if same_as:
            data["sameAs"] = same_as
        if institution.latitude is not None:
            data["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": float(institution.latitude),
                "longitude": float(institution.longitude),
            }
        return data
