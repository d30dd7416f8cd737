"""What the API returns, as typed schemas (the OpenAPI document is generated from these).

Every record carries `id` (its permanent number), its slug or key where it has one, `url`
(its address in the API) and `html_url` (its public page). A related record is named by a
short reference, and only when readers may see it: a link to a draft becomes null, or is
left out of a list, exactly as on the public pages.

The same schemas write the bulk downloads (genetx/api/opendata.py), where there is no
request: links are then built from GENETX_SITE_URL.
"""

import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from ninja import Field, Schema

from genetx import dates
from genetx.links import record_url
from genetx.models import Status
from sources import citations


def absolute(context: dict | None, path: str) -> str:
    request = (context or {}).get("request")
    if request is None:
        return settings.SITE_URL + path
    if not (path.startswith("/") and path.isascii()):
        return request.build_absolute_uri(path)
    # build_absolute_uri() re-reads the host and re-quotes the path for each of the 200-odd
    # links of an API page; an already quoted path only needs the request's origin.
    origin = getattr(request, "_genetx_origin", None)
    if origin is None:
        origin = request._genetx_origin = request.build_absolute_uri("/")[:-1]
    return origin + path


def api_url(context, name: str, **kwargs) -> str:
    return absolute(context, record_url(f"api:{name}", **kwargs))


def visible(obj):
    """The record if readers may see it, else None."""
    return obj if obj is not None and obj.status == Status.PUBLISHED else None


def visible_programme(programme):
    """A programme readers may see: it, its institution and its therapy are published."""
    if visible(programme) and visible(programme.institution) and visible(programme.therapy):
        return programme
    return None


class Record(Schema):
    """Fields every published record has."""

    id: int = Field(description="Permanent number of the record.")
    url: str = Field(description="This record in the API.")
    html_url: str = Field(description="This record's public page.")

    @staticmethod
    def resolve_html_url(obj, context):
        return absolute(context, obj.get_absolute_url())


class Dated(Schema):
    published_at: datetime.datetime = Field(description="When it was first published.")
    updated_at: datetime.datetime = Field(description="When it last changed.")


class Named(Schema):
    """The slug and name of a therapy, condition or institution: in its reference and its
    own record alike. Listed before Dated and Record in a class's bases, its fields follow
    theirs (pydantic orders fields by the bases, last first)."""

    slug: str
    name: str


def _url(route: str, field: str = "slug"):
    """The `url` resolver of a record found at api:<route> by `field` (slug, key or pk)."""
    kwarg = {"pk": "id"}.get(field, field)

    def resolve_url(obj, context):
        return api_url(context, route, **{kwarg: getattr(obj, field)})

    return staticmethod(resolve_url)


# Resolvers that read a field the same way in every schema, one line each beside the fields.


def _visible(field: str):
    """The resolver of a related record, None while readers may not see it."""
    return staticmethod(lambda obj: visible(getattr(obj, field)))


def _partial_date(field: str):
    """The resolver of a date kept with its precision (`field_precision`): 2020, 2020-05."""
    return staticmethod(
        lambda obj: dates.iso(getattr(obj, field), getattr(obj, f"{field}_precision"))
    )


def _listed(related: str):
    """The resolver of a to-many relation: its records as the queryset prefetched them."""
    return staticmethod(lambda obj: list(getattr(obj, related).all()))


# References: how a record names another ------------------------------------------------------


class ModalityOut(Schema):
    slug: str
    name: str
    delivery: str = Field(description="in_vivo, ex_vivo or both.")


class TherapyRef(Named, Record):
    resolve_url = _url("therapy")


class ConditionRef(Named, Record):
    resolve_url = _url("condition")


class InstitutionRef(Named, Record):
    resolve_url = _url("institution")


class SourceLinks(Schema):
    """What a source's reference and its own record resolve alike."""

    resolve_url = _url("source", "key")

    @staticmethod
    def resolve_reference(obj):
        return citations.apa_text(obj)


class SourceRef(SourceLinks, Record):
    key: str = Field(description="The source's citation key.")
    reference: str = Field(description="The reference in APA 7th edition.")


class ProgrammeRef(Record):
    role: str
    institution: InstitutionRef
    therapy: TherapyRef

    resolve_url = _url("programme-by-id", "pk")


class ClaimRef(Record):
    slug: str
    statement: str

    resolve_url = _url("claim")


# Claims and their citations ---------------------------------------------------------------


class CitationOut(Schema):
    position: int = Field(description="Order among the claim's sources.")
    locator: str = Field(description="Where in the source: a page, a section.")
    quote: str = Field(description="The supporting words, quoted exactly.")
    source: SourceRef


class ClaimOut(Dated, Record):
    slug: str
    statement: str
    figure: str = Field(description="The figure as readers read it (more than 1,859), or ''.")
    value: str | None = Field(description="The number as a decimal string, for figures.")
    unit: str
    qualifier: str = Field(description="'' (exactly), more_than, less_than or about.")
    measure: str = Field(description="What a figure measures, shared by newer figures.")
    measure_name: str = Field(description="The measure in words, as readers see it.")
    as_of: str = Field(description="The date the figure describes, as precise as known.")
    event_date: str = Field(description="The date of the event the claim is about, if any.")
    review_status: str = Field(description="verified, needs_review, disputed or superseded.")
    review_note: str
    therapy: TherapyRef | None
    condition: ConditionRef | None
    institution: InstitutionRef | None
    programme: ProgrammeRef | None
    superseded_by: ClaimRef | None
    citations: list[CitationOut] = Field(description="The sources behind the claim, in order.")

    resolve_url = _url("claim")

    @staticmethod
    def resolve_figure(obj):
        return obj.value_display

    @staticmethod
    def resolve_value(obj):
        return None if obj.value is None else str(obj.value.normalize())

    resolve_as_of = _partial_date("as_of")
    resolve_event_date = _partial_date("event_date")
    resolve_therapy = _visible("therapy")
    resolve_condition = _visible("condition")
    resolve_institution = _visible("institution")

    @staticmethod
    def resolve_programme(obj):
        return visible_programme(obj.programme)

    resolve_superseded_by = _visible("superseded_by")

    # with_sources() prefetched the citations of published sources only.
    resolve_citations = _listed("citations")


class ClaimDetail(ClaimOut):
    supersedes: list[ClaimOut] = Field(description="Older published claims this one replaced.")

    resolve_supersedes = _listed("supersedes")


# Sources ----------------------------------------------------------------------------------


class AuthorOut(Schema):
    family: str
    given: str
    literal: str = Field(description="An organisation as author.")
    et_al: bool = Field(description="More authors follow that are not recorded.")


class SourceOut(SourceLinks, Dated, Record):
    key: str
    kind: str
    title: str
    original_title: str
    container_title: str = Field(description="The journal, newspaper or website.")
    publisher: str
    issued: str = Field(description="Publication date, as precise as known (2022, 2023-07).")
    volume: str
    issue: str
    pages: str
    doi: str
    link: str = Field(description="The work's own URL.")
    language: str
    note: str
    authors: list[AuthorOut]
    reported_by: SourceRef | None = Field(
        description="For an attribution without a full reference: the source that makes it."
    )
    reference: str = Field(description="The reference in APA 7th edition.")
    csl: dict[str, Any] = Field(description="The source as a CSL-JSON item.")
    citation_count: int = Field(description="How many published claims cite it.")

    resolve_issued = _partial_date("issued")

    @staticmethod
    def resolve_link(obj):
        return obj.url

    resolve_authors = _listed("authors")

    @staticmethod
    def resolve_reported_by(obj):
        return obj.public_reporter

    @staticmethod
    def resolve_csl(obj):
        return citations.csl_json(obj)


class SourceDetail(SourceOut):
    cited_by_url: str = Field(description="The claims citing this source, in the API.")

    @staticmethod
    def resolve_cited_by_url(obj, context):
        return absolute(context, reverse("api:claims") + f"?source={obj.key}")


# Therapies, conditions, institutions, programmes, decisions ----------------------------------


class DecisionOut(Record):
    kind: str
    date: datetime.date
    indication: str
    therapy: TherapyRef
    agency: InstitutionRef
    source: SourceRef | None

    resolve_url = _url("decision-by-id", "pk")

    @staticmethod
    def resolve_html_url(obj, context):
        return absolute(context, obj.therapy.get_absolute_url())

    resolve_source = _visible("source")


class TherapyOut(Named, Dated, Record):
    kind: str = Field(description="approach, product or hospital.")
    inn: str = Field(description="International non-proprietary name.")
    brand_name: str
    code: str = Field(description="Development code.")
    modality: ModalityOut | None
    approach: TherapyRef | None = Field(
        description="For a product: the approach it belongs to (CAR-T therapy)."
    )
    conditions: list[ConditionRef]
    development_status: str
    summary: str
    mechanism: str

    resolve_url = _url("therapy")

    # for_listing() and for_detail() prefetch published conditions only.
    resolve_conditions = _listed("conditions")
    resolve_approach = _visible("approach")


class ProgrammeOut(ProgrammeRef, Dated):
    since: int | None = Field(description="The year the role began.")
    summary: str


class WithClaims(Schema):
    """Claims about the record, which the endpoint reads and attaches as `claims_shown`."""

    claims: list[ClaimOut]

    @staticmethod
    def resolve_claims(obj):
        return obj.claims_shown


class TherapyDetail(TherapyOut, WithClaims):
    programmes: list[ProgrammeOut]
    decisions: list[DecisionOut]
    products: list[TherapyRef] = Field(description="For an approach: its published products.")

    resolve_products = _listed("products")
    resolve_programmes = _listed("programmes")
    resolve_decisions = _listed("decisions")


class ConditionOut(Named, Dated, Record):
    category: str
    is_rare: bool
    orpha_code: str
    icd10_code: str
    parent: ConditionRef | None
    summary: str
    therapy_count: int = Field(description="Published therapies for it.")

    resolve_url = _url("condition")

    resolve_parent = _visible("parent")


class ConditionDetail(ConditionOut, WithClaims):
    children: list[ConditionRef]
    therapies: list[TherapyRef] = Field(description="Therapies for it or its sub-conditions.")

    @staticmethod
    def resolve_therapies(obj):
        return obj.therapies_shown

    resolve_children = _listed("children")


class InstitutionOut(Named, Dated, Record):
    kind: str
    city: str
    region: str
    country: str = Field(description="Two-letter ISO code.")
    website: str
    ror_id: str
    latitude: float | None
    longitude: float | None
    summary: str
    programme_count: int = Field(description="Its published programmes.")

    resolve_url = _url("institution")

    @staticmethod
    def resolve_latitude(obj):
        return None if obj.latitude is None else float(obj.latitude)

    @staticmethod
    def resolve_longitude(obj):
        return None if obj.longitude is None else float(obj.longitude)


class InstitutionDetail(InstitutionOut, WithClaims):
    programmes: list[ProgrammeOut]
    decisions: list[DecisionOut] = Field(description="Decisions it took, as a regulator.")

    resolve_programmes = _listed("programmes")
    resolve_decisions = _listed("decisions")


class ProgrammeDetail(ProgrammeOut, WithClaims):
    pass


# Clinical trials ----------------------------------------------------------------------------


class TrialRef(Record):
    slug: str
    acronym: str
    title: str
    registry_number: str = Field(description="NCT number, else the EU CT or EudraCT number.")

    resolve_url = _url("trial")


class TrialCitationOut(Schema):
    position: int = Field(description="Order among the trial's sources.")
    locator: str = Field(description="Where in the source: a section, a page.")
    source: SourceRef


class RegistryLink(Schema):
    registry: str
    number: str
    link: str = Field(description="The registry's record.")


class TrialOut(TrialRef, Dated):
    nct_number: str = Field(description="ClinicalTrials.gov number, NCT and eight digits.")
    eudract_number: str = Field(description="EudraCT number, 2019-003374-91.")
    euct_number: str = Field(description="EU CT number, 2023-503456-12-00.")
    registries: list[RegistryLink]
    phase: str = Field(
        description="early_phase_1, phase_1, phase_1_2, phase_2, phase_2_3, phase_3, "
        "phase_4, not_applicable, or '' when not stated."
    )
    overall_status: str = Field(description="ClinicalTrials.gov's status, or ''.")
    start_date: str = Field(description="As precise as known: 2020, 2020-05, 2020-05-27.")
    start_date_kind: str = Field(description="actual, anticipated or ''.")
    completion_date: str
    completion_date_kind: str
    enrolment: int | None = Field(description="Participants.")
    enrolment_kind: str = Field(description="actual, anticipated or ''.")
    sponsor: InstitutionRef | None
    therapies: list[TherapyRef]
    conditions: list[ConditionRef]
    summary: str

    @staticmethod
    def resolve_registries(obj):
        return [
            {"registry": registry, "number": number, "link": link}
            for registry, number, link in obj.registry_links
        ]

    resolve_start_date = _partial_date("start_date")
    resolve_completion_date = _partial_date("completion_date")
    resolve_sponsor = _visible("sponsor")

    # for_listing() and for_detail() prefetch published therapies and conditions only.
    resolve_therapies = _listed("therapies")
    resolve_conditions = _listed("conditions")


class TrialDetail(TrialOut):
    sites: list[InstitutionRef] = Field(description="Its sites; each one's country is theirs.")
    citations: list[TrialCitationOut] = Field(description="The sources behind the record.")

    @staticmethod
    def resolve_sites(obj):
        # for_detail() prefetches sites at published institutions only.
        return [site.institution for site in obj.sites.all()]

    resolve_citations = _listed("citations")


# Search and timeline ------------------------------------------------------------------------


class Segment(Schema):
    text: str
    marked: bool = Field(description="A matched word, to highlight.")


class SearchHit(Schema):
    type: str = Field(description="therapies, trials, conditions, institutions, sources or claims.")
    title: str
    meta: str = Field(description="A short line telling hits of the same name apart.")
    excerpt: list[Segment]
    url: str
    html_url: str


class SearchOut(Schema):
    query: str = Field(description="The query as searched (control characters dropped).")
    query_cut: bool = Field(description="Whether the query was cut to 200 characters.")
    counts: dict[str, int] = Field(description="Hits per type.")
    results: list[SearchHit] = Field(
        description="With `type`: that type's hits, a page at a time. Without: the best five "
        "of each type."
    )
    next: str | None


class TimelineEvent(Schema):
    date: str = Field(description="As precise as known: 2018, 2023-07 or 2023-07-05.")
    kind: str = Field(description="event, decision, publication, trial-start or trial-completion.")
    title: str
    url: str = Field(description="The record in the API.")
    html_url: str
    sources: list[SourceRef]


def page_of(item_schema):
    """A keyset page of `item_schema` rows."""
    return type(
        f"{item_schema.__name__.removesuffix('Out')}Page",
        (Schema,),
        {
            "__annotations__": {"next": str | None, "results": list[item_schema]},
            "__doc__": "One page of rows; `next` is the next page's address, null on the last.",
        },
    )


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="Messages per parameter."
    )
