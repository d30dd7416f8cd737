"""The data-health checks editors see in the admin: what weakens the evidence readers get.

Each check is a named filter on one model's changelist (?health=<key>), so every count on
the data-health page links to exactly the records it counts. The page runs one COUNT per
check, the same number of queries whatever the size of the tables.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractYear, Lower, Trim
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from genetx.models import Status
from hospitals.models import Institution
from sources.models import Citation, Claim, Source
from therapies.models import Therapy

# Kinds that a reader should weigh lightly when they are a claim's only support.
WEAK_KINDS = ("news_article", "attribution")
# What each kind of source is expected to carry; a missing one is listed.
EXPECTED_FIELDS = {
    "journal_article": ("title", "issued", "doi"),
    "news_article": ("title", "issued", "url"),
    "web_article": ("title", "issued", "url"),
    "press_release": ("title", "issued", "url"),
    "report": ("title", "issued"),
    "book": ("title", "issued"),
    "database": ("title", "url"),
}


def _missing(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) if field == "issued" else Q(**{field: ""})


def single_source(qs: QuerySet) -> QuerySet:
    return qs.published().annotate(source_total=Count("citations")).filter(source_total=1)


def weak_sources_only(qs: QuerySet) -> QuerySet:
    strong = Citation.objects.filter(claim=OuterRef("pk")).exclude(source__kind__in=WEAK_KINDS)
    cited = Citation.objects.filter(claim=OuterRef("pk"))
    return qs.published().filter(Exists(cited)).exclude(Exists(strong))


def needing_review(qs: QuerySet) -> QuerySet:
    return qs.needing_review()


def stale_figures(qs: QuerySet) -> QuerySet:
    months = settings.STALE_FIGURE_MONTHS
    today = timezone.localdate()
    total = today.year * 12 + today.month - 1 - months
    cutoff = datetime.date(total // 12, total % 12 + 1, 1)
    return qs.published().current().figures().filter(as_of__lt=cutoff)


def missing_reference_fields(qs: QuerySet) -> QuerySet:
    condition = Q()
    for kind, fields in EXPECTED_FIELDS.items():
        missing = Q()
        for field in fields:
            missing |= _missing(field)
        condition |= Q(kind=kind) & missing
    return qs.filter(condition)


def attributions(qs: QuerySet) -> QuerySet:
    return qs.filter(kind="attribution")


def probable_duplicates(qs: QuerySet) -> QuerySet:
    """Same DOI ignoring case, or same title (case and outer spaces ignored) and year."""
    title = Trim(Lower("title"))
    twins = (
        Source.objects.exclude(pk=OuterRef("pk"))
        .annotate(norm_title=title, issued_year=ExtractYear("issued"))
        .filter(
            (~Q(doi="") & Q(doi__iexact=OuterRef("doi")))
            | (
                ~Q(title="")
                & Q(norm_title=OuterRef("norm_title"))
                & Q(issued_year=OuterRef("issued_year"))
            )
        )
    )
    return qs.annotate(norm_title=title, issued_year=ExtractYear("issued")).filter(Exists(twins))


def no_development_status(qs: QuerySet) -> QuerySet:
    return qs.filter(development_status="")


def no_location(qs: QuerySet) -> QuerySet:
    return qs.filter(city="", latitude__isnull=True)


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    model: type
    apply: Callable[[QuerySet], QuerySet]

    def queryset(self) -> QuerySet:
        return self.apply(self.model._default_manager.all())

    def changelist_url(self) -> str:
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return f"{url}?health={self.key}"


def stale_label() -> str:
    return ngettext(
        "Current figures whose as-of date is over %(months)d month old",
        "Current figures whose as-of date is over %(months)d months old",
        settings.STALE_FIGURE_MONTHS,
    ) % {"months": settings.STALE_FIGURE_MONTHS}


CHECKS = [
    Check("single-source", _("Published claims with a single source"), Claim, single_source),
    Check(
        "weak-sources",
        _("Published claims citing only news reports or attributions"),
        Claim,
        weak_sources_only,
    ),
    Check("needs-review", _("Claims flagged needs review or disputed"), Claim, needing_review),
    Check("stale", _("Current figures older than the configured age"), Claim, stale_figures),
    Check(
        "missing-fields",
        _("Sources missing a title, date, URL or DOI their kind expects"),
        Source,
        missing_reference_fields,
    ),
    Check("attributions", _("Attributions not fully referenced"), Source, attributions),
    Check(
        "duplicates",
        _("Probable duplicate sources (same DOI, or same title and year)"),
        Source,
        probable_duplicates,
    ),
    Check(
        "no-development-status",
        _("Therapies with no development status"),
        Therapy,
        no_development_status,
    ),
    Check("no-location", _("Institutions with no city or coordinates"), Institution, no_location),
]


def checks_for(model) -> list[Check]:
    return [check for check in CHECKS if check.model is model]


def health_filter(model):
    """A changelist filter offering this model's data-health checks (?health=<key>)."""
    checks = {check.key: check for check in checks_for(model)}

    class DataHealthFilter(admin.SimpleListFilter):
        title = _("data health")
        parameter_name = "health"

        def lookups(self, request, model_admin):
            return [
                (key, stale_label() if key == "stale" else check.label)
                for key, check in checks.items()
            ]

        def queryset(self, request, queryset):
            check = checks.get(self.value())
            return check.apply(queryset) if check else queryset

    return DataHealthFilter


def data_health_view(request, admin_site):
    """Counts of each check, each linking to the changelist filtered to its records."""
    rows = []
    for check in CHECKS:
        opts = check.model._meta
        if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        rows.append(
            {
                "label": stale_label() if check.key == "stale" else check.label,
                "count": check.queryset().count(),
                "url": check.changelist_url(),
                "kind": opts.verbose_name_plural,
            }
        )
    context = {
        **admin_site.each_context(request),
        "title": gettext("Data health"),
        "rows": rows,
        "published": Status.PUBLISHED,
    }
    return TemplateResponse(request, "admin/genetx/data_health.html", context)
