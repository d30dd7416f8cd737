"""The registry of public content types: one entry per kind of record readers see.

Every site-wide feature reads this list instead of naming models itself: search, the
latest updates on the home page and in the feed, the sitemaps, the editorial roles and
the tests that crawl for drafts. Adding a content type is one entry here (plus its search
document trigger, if it is searched on PostgreSQL).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.text import capfirst

from hospitals.models import Institution, Programme
from sources.models import Claim, Source
from therapies.models import Condition, Therapy, Trial


@dataclass(frozen=True)
class SearchFields:
    """What the site search reads of one content type."""

    # The field a hit is named by, and the one its excerpt is cut from.
    name_field: str
    excerpt_field: str
    # The fields the SQLite fallback engine compares: the name first, then the summaries.
    fallback_fields: tuple[str, ...]
    # The columns a hit's meta line (ContentType.meta) reads, and relations to join for it.
    meta_fields: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()
    # Whether near-misses of the name count (trigram typo tolerance): only for short names.
    typo_tolerant: bool = True


@dataclass(frozen=True)
class ContentType:
    """One public content type."""

    # The plural key used in URLs and parameters: /search/?type=therapies, sitemap sections.
    key: str
    model: type[models.Model]
    # The field a detail page's URL is built from.
    lookup_field: str = "slug"
    # The route name of its public list page, if it has one.
    list_url: str = ""
    # Whether its records have detail pages of their own (sitemap, updates, search).
    has_pages: bool = True
    # The record's title and a short summary, and the columns they read.
    title: Callable[[models.Model], str] = str
    summary: Callable[[models.Model], str] = lambda record: ""
    title_fields: tuple[str, ...] = ()
    # A short line telling search hits of the same name apart.
    meta: Callable[[models.Model], str] = lambda record: ""
    search: SearchFields | None = None
    # Models edited together with this one (inlines, links): the roles grant them too.
    parts: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return capfirst(self.model._meta.verbose_name_plural)

    @property
    def label_singular(self) -> str:
        return capfirst(self.model._meta.verbose_name)

    @property
    def app_label(self) -> str:
        return self.model._meta.app_label

    @property
    def model_name(self) -> str:
        return self.model._meta.model_name


def _joined(*parts) -> str:
    return " · ".join(str(part) for part in parts if part)


CONTENT_TYPES: tuple[ContentType, ...] = (
    ContentType(
        key="therapies",
        model=Therapy,
        list_url="therapies:therapy-list",
        title=lambda r: r.name,
        summary=lambda r: r.summary,
        title_fields=("name", "summary"),
        meta=lambda r: r.modality.name if r.modality_id else "",
        search=SearchFields(
            name_field="name",
            excerpt_field="summary",
            fallback_fields=(
                "name",
                "name_es",
                "inn",
                "brand_name",
                "code",
                "summary",
                "summary_es",
            ),
            meta_fields=("modality__name",),
            select_related=("modality",),
        ),
        parts=("modality", "regulatorydecision"),
    ),
    ContentType(
        key="trials",
        model=Trial,
        list_url="therapies:trial-list",
        title=lambda r: _joined(r.acronym, r.registry_number) if r.acronym else r.title,
        summary=lambda r: r.summary or r.title,
        title_fields=("acronym", "title", "nct_number", "eudract_number", "euct_number", "summary"),
        meta=lambda r: _joined(
            r.phase and r.get_phase_display(),
            r.overall_status and r.get_overall_status_display(),
            r.registry_number,
        ),
        search=SearchFields(
            name_field="title",
            excerpt_field="summary",
            # The acronym and registry numbers first: readers search for NCT04309981 or EMBARK.
            fallback_fields=(
                "acronym",
                "nct_number",
                "eudract_number",
                "euct_number",
                "title",
                "title_es",
                "summary",
                "summary_es",
            ),
            meta_fields=("phase", "overall_status", "nct_number", "eudract_number", "euct_number"),
            # Titles are long and numbers exact: near-misses would match noise.
            typo_tolerant=False,
        ),
        parts=("trialsite", "trialcitation"),
    ),
    ContentType(
        key="conditions",
        model=Condition,
        list_url="therapies:condition-list",
        title=lambda r: r.name,
        summary=lambda r: r.summary,
        title_fields=("name", "summary"),
        meta=lambda r: r.get_category_display(),
        search=SearchFields(
            name_field="name",
            excerpt_field="summary",
            fallback_fields=(
                "name",
                "name_es",
                "orpha_code",
                "icd10_code",
                "summary",
                "summary_es",
            ),
            meta_fields=("category",),
        ),
    ),
    ContentType(
        key="institutions",
        model=Institution,
        list_url="hospitals:institution-list",
        title=lambda r: r.name,
        summary=lambda r: r.summary,
        title_fields=("name", "summary"),
        meta=lambda r: _joined(r.get_kind_display(), r.place),
        search=SearchFields(
            name_field="name",
            excerpt_field="summary",
            fallback_fields=("name", "name_es", "summary", "summary_es", "city", "region"),
            meta_fields=("kind", "country"),
        ),
    ),
    # Programmes are shown on their institution's page, not on pages of their own.
    ContentType(key="programmes", model=Programme, has_pages=False),
    ContentType(
        key="sources",
        model=Source,
        lookup_field="key",
        list_url="sources:source-list",
        title=lambda r: r.display_title or r.container_title or r.key,
        summary=lambda r: r.note or r.container_title,
        title_fields=("title", "original_title", "container_title", "note"),
        meta=lambda r: _joined(
            r.get_kind_display(), r.container_title, r.issued and str(r.issued.year)
        ),
        search=SearchFields(
            name_field="title",
            excerpt_field="note",
            fallback_fields=("title", "original_title", "container_title", "publisher", "note"),
            meta_fields=("kind", "issued"),
        ),
        parts=("author",),
    ),
    ContentType(
        key="claims",
        model=Claim,
        list_url="sources:claim-list",
        title=lambda r: r.statement,
        title_fields=("statement",),
        meta=lambda r: _joined(r.value_display, r.is_flagged and r.get_review_status_display()),
        search=SearchFields(
            name_field="statement",
            excerpt_field="statement",
            fallback_fields=("statement", "statement_es"),
            meta_fields=("value", "unit", "qualifier", "review_status"),
            # Claims have no short name, so typo tolerance (which compares names) is off.
            typo_tolerant=False,
        ),
        parts=("citation",),
    ),
)


def with_pages() -> tuple[ContentType, ...]:
    """The content types whose records have public pages of their own."""
    return tuple(content_type for content_type in CONTENT_TYPES if content_type.has_pages)


def searched() -> tuple[ContentType, ...]:
    """The content types the site search covers, in the order results are shown."""
    return tuple(content_type for content_type in CONTENT_TYPES if content_type.search)
