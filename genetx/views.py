import functools
import operator
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import ListView, TemplateView

from sources.models import Claim
from therapies.charts import (
    decisions_by_year_and_agency,
    therapies_by_development,
    therapies_by_modality,
)
from therapies.models import Condition, Modality, Therapy

from . import health, search, throttle, timeline
from .cache import per_version, query_params
from .models import EARLIEST_DATE, LATEST_DATE
from .text import is_integer
from .updates import latest_updates

# What a 503 tells clients to wait before trying again: a database restart or failover.
RETRY_AFTER_SECONDS = 30


class HomeView(TemplateView):
    """What GeneTx is, key figures with their sources, latest updates, ways in."""

    template_name = "genetx/home.html"
    cache_query_params = frozenset()
    figure_limit = 6
    update_limit = 8
    # The page must not grow with the corpus: the conditions with most therapies, then a
    # link to the full list sorted the same way.
    condition_limit = 12
    # The same for modalities: those with most therapies, listed by name.
    modality_limit = 12

    listed_names = (
        "figures",
        "figure_references",
        "updates",
        "conditions",
        "modalities",
        "more_modalities",
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        limits = (self.figure_limit, self.update_limit, self.condition_limit, self.modality_limit)
        listed = SimpleLazyObject(lambda: per_version("home", limits, self.site_figures))
        home_url = self.request.build_absolute_uri(reverse("home"))
        search_url = self.request.build_absolute_uri(reverse("search"))
        context.update(
            # schema.org: the site, and how a search engine can send readers to our search.
            json_ld={
                "@context": "https://schema.org",
                "@type": "WebSite",
                "name": settings.SITE_NAME,
                "url": home_url,
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": f"{search_url}?q={{search_term_string}}",
                    "query-input": "required name=search_term_string",
                },
            },
            all_conditions_url=reverse("therapies:condition-list") + "?sort=therapies",
            home_limits=limits,
            # Figures, counts and charts aggregate whole tables (about 200 ms of PostgreSQL
            # at 10,000 therapies): computed once per content version.
            charts=per_version("home-charts", (), self.charts),
            # The lists are rendered once per content version too ({% per_version %} in the
            # template), so they are read from the cache only when a fragment is drawn:
            # unpickling their 150 model instances on every request was a quarter of the
            # page's time.
            **{
                name: SimpleLazyObject(functools.partial(operator.getitem, listed, name))
                for name in self.listed_names
            },
        )
        return context

    def modalities(self) -> tuple[list, bool]:
        """The modalities in use with most therapies, by name, and whether there are more."""
        most = list(
            Modality.objects.in_use().order_by("-therapy_count", "name")[: self.modality_limit + 1]
        )
        shown = sorted(most[: self.modality_limit], key=lambda modality: modality.name)
        return shown, len(most) > self.modality_limit

    def site_figures(self) -> dict:
        """What the page shows from the database."""
        figures = list(Claim.objects.key_figures()[: self.figure_limit])
        # Number each cited source once, in order of first citation, for the list below.
        numbers = {}
        for claim in figures:
            claim.references = []
            for citation in claim.citations.all():
                source = citation.source
                if source.pk not in numbers:
                    numbers[source.pk] = (len(numbers) + 1, source)
                claim.references.append(numbers[source.pk])
        modalities, more_modalities = self.modalities()
        return {
            "figures": figures,
            "figure_references": sorted(numbers.values(), key=lambda pair: pair[0]),
            "updates": latest_updates(self.update_limit),
            # The page must not grow with the corpus: the conditions with most therapies,
            # then a link to the full list sorted the same way.
            "conditions": list(Condition.objects.most_treated()[: self.condition_limit]),
            "modalities": modalities,
            "more_modalities": more_modalities,
        }

    def charts(self) -> list:
        return [
            therapies_by_modality(Therapy.objects.published()),
            therapies_by_development(Therapy.objects.published()),
            decisions_by_year_and_agency(),
        ]


class SearchView(ListView):
    """Search across every public type; grouped by type, or one type paginated."""

    template_name = "genetx/search.html"
    cache_query_params = frozenset({"q", "type", "page"})
    paginate_by = 20
    group_size = 5

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.query, self.query_cut = search.clean_query(request.GET.get("q", ""))
        requested_type = request.GET.get("type", "")
        self.search_type = requested_type if requested_type in search.TYPES else ""
        self.engine = search.engine_for(self.query) if self.query else None

    def get(self, request, *args, **kwargs):
        if self.query and (refused := throttle.refuse_if_over_limit(request)):
            return refused
        return super().get(request, *args, **kwargs)

    def get_paginate_by(self, queryset):
        # Only one type at a time is paginated; all types show their best hits in groups.
        return self.paginate_by if self.search_type else None

    def get_queryset(self):
        if self.engine is None or not self.search_type:
            return []
        return self.engine.hits(self.search_type)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = self.engine.counts() if self.engine else {}
        groups = []
        if self.engine and not self.search_type:
            for key, search_type in search.TYPES.items():
                if counts.get(key):
                    hits = self.engine.hits(key)[: self.group_size]
                    groups.append({"type": search_type, "count": counts[key], "hits": hits})
        context.update(
            query=self.query,
            query_cut=self.query_cut,
            # The help text promises only the syntax this database's engine supports.
            full_text=search.has_full_text(),
            search_type=search.TYPES.get(self.search_type),
            types=[
                {"type": t, "count": counts.get(key, 0), "selected": key == self.search_type}
                for key, t in search.TYPES.items()
            ],
            total=sum(counts.values()),
            groups=groups,
            hits=context["object_list"] if self.search_type else [],
        )
        return context


class TimelineView(TemplateView):
    """Dated entries by year, oldest first: claims about events, regulatory decisions,
    publications, trial starts and completions; a page of entries at a time.

    Pages are read by keyset (genetx.timeline): ?after= and ?before= carry the cursor of
    the entry a page continues from, and ?from=<year> starts at a year, which the year
    index links to. A link this site did not write gives the first page, a message and
    status 400.
    """

    template_name = "genetx/timeline.html"
    cache_query_params = frozenset({"after", "before", "from"})
    page_size = 200

    def get(self, request, *args, **kwargs):
        try:
            self.position = self._position(request.GET)
            self.invalid = False
        except ValueError:
            self.position, self.invalid = {}, True
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=400 if self.invalid else 200)

    @staticmethod
    def _position(params) -> dict:
        if "before" in params:
            return {"before": timeline.decode(params["before"])}
        if "after" in params:
            return {"after": timeline.decode(params["after"])}
        if "from" in params:
            year = params["from"]
            if not is_integer(year) or not EARLIEST_DATE.year <= int(year) <= LATEST_DATE.year:
                raise ValueError(year)
            return {"from": int(year), "after": timeline.year_start(int(year))}
        return {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = per_version("timeline-years", (), timeline.counts_by_year)
        per_year: dict[int, int] = {}
        for (year, _), n in sorted(counts.items()):
            per_year[year] = per_year.get(year, 0) + n
        total = sum(per_year.values())
        position = self.position
        shown, more = timeline.entries(
            limit=self.page_size, after=position.get("after"), before=position.get("before")
        )
        if "before" in position:
            earlier, later = more, True
        else:
            earlier = "after" in position and (
                "from" not in position or any(year < position["from"] for year in per_year)
            )
            later = more
        # One page holds it all: the year index jumps within the page, as it always did.
        paged = total > self.page_size or bool(position)
        context.update(
            years=timeline.by_year([entry.event for entry in shown]),
            year_index=[
                {
                    "year": year,
                    "url": f"?from={year}#year-{year}" if paged else f"#year-{year}",
                }
                for year in per_year
            ],
            event_count=total,
            chart=timeline.events_per_year(counts),
            invalid=self.invalid,
            earlier_url=f"?before={timeline.encode(shown[0].cursor)}" if earlier and shown else "",
            later_url=f"?after={timeline.encode(shown[-1].cursor)}" if later and shown else "",
            start_url=reverse("timeline") if position else "",
        )
        return context


@query_params()
@require_safe
def robots_txt(request):
    """Allow everything and point crawlers at the sitemap.

    The default admin path is disallowed (everyone knows it anyway); a relocated one is not
    named here, since robots.txt is public and would give the new path away. Admin pages
    carry their own robots meta tag and sign-in.
    """
    lines = ["User-agent: *"]
    if settings.ADMIN_URL == "admin/":
        lines.append("Disallow: /admin/")
    lines += ["Allow: /", "", f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def healthz(request):
    """Each dependency's state within a second; 503 only when the primary database fails.

    The cache and replicas degrade the service without stopping it (pages are rendered
    uncached, reads go to the primary), so they show as "degraded" with a 200: a load
    balancer should not take every server out because Redis is down.
    """
    serving, body = health.report()
    return JsonResponse(body, status=200 if serving else 503)


def server_error(request, *args, **kwargs):
    """The 500 handler: a database that is down or too slow gets a 503 page saying so.

    Called by Django inside its exception handler, so the exception is at hand. Neither page
    needs the database or the request.
    """
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request, *args, **kwargs)


@never_cache
def bench_baseline(request):
    """The benchmark's floor: the full middleware stack and a response, no template, no SQL."""
    return HttpResponse("ok", content_type="text/plain")
