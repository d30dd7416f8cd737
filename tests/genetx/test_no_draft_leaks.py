"""No draft, in-review or archived record reaches a reader, on any public URL.

Hidden records of every type are built with titles found nowhere else, and published
records link to each of them. A reader then crawls the whole public site from its fixed
URLs (home, lists, search, timeline, sitemap, feed, robots), following every link, every
filter choice, every export and every download, and no response may name a hidden record
or link to its page.
"""

import itertools

import django_filters
import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from genetx.content_types import CONTENT_TYPES
from genetx.models import Status
from hospitals.models import Institution, Programme
from sources.models import Citation, Claim, Source
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
    make_trial,
    make_user,
)
from tests.public_site import API_PREFIX, crawl, fixed_routes, public_routes, record_routes
from therapies.models import Condition, Therapy, Trial

pytestmark = pytest.mark.django_db

HIDDEN = [Status.DRAFT, Status.REVIEW, Status.ARCHIVED]
# One programme role per hidden status: an institution has one programme per therapy and role.
ROLES = dict(zip(HIDDEN, ["develops", "trial_site", "designated_centre"], strict=True))
_numbers = itertools.count(1)


def secret(label: str, status: str) -> str:
    """A title no page would show unless it shows this record."""
    return f"Secret {label} {status} {next(_numbers)} Quokka"


class HiddenWorld:
    """Hidden records of every type, each linked from published ones."""

    def __init__(self):
        self.titles: list[str] = []
        self.hidden: list = []
        published_condition = make_condition(name="Public condition")
        self.therapy = make_therapy(name="Public therapy", conditions=[published_condition])
        self.institution = make_institution(name="Public institution")
        self.source = make_source(title="Public source")
        self.public_claim = make_claim(
            statement="Public claim.", therapy=self.therapy, sources=[self.source]
        )
        self.public_trial = make_trial(
            title="Public trial",
            therapies=[self.therapy],
            conditions=[published_condition],
            sites=[self.institution],
            sponsor=self.institution,
            sources=[self.source],
        )
        self.public = [
            published_condition,
            self.therapy,
            self.institution,
            self.source,
            self.public_claim,
            self.public_trial,
        ]
        for status in HIDDEN:
            self.build(status, published_condition)

    def hide(self, obj, title):
        self.titles.append(title)
        self.hidden.append(obj)
        return obj

    def build(self, status, published_condition):
        hidden = {"status": status, "published_at": None}
        # A hidden condition under a published one, and one a published therapy treats.
        title = secret("condition", status)
        child = self.hide(
            make_condition(name=title, parent=published_condition, summary="Quokka", **hidden),
            title,
        )
        self.therapy.conditions.add(child)
        # A hidden therapy for a published condition, at a published institution, with a
        # published programme, a decision and a published claim about it.
        title = secret("therapy", status)
        therapy = self.hide(
            make_therapy(name=title, conditions=[published_condition], **hidden), title
        )
        make_programme(institution=self.institution, therapy=therapy, summary="Public link.")
        make_decision(therapy=therapy, indication=secret("decision", status))
        self.titles.append(f"Secret decision {status}")
        make_claim(statement=f"Claim about a hidden therapy ({status}).", therapy=therapy)
        # A hidden institution acting as the agency of a decision on a published therapy,
        # and running a programme of it.
        title = secret("institution", status)
        institution = self.hide(make_institution(name=title, summary="Quokka", **hidden), title)
        make_programme(institution=institution, therapy=self.therapy)
        # A hidden programme of published records.
        title = secret("programme", status)
        self.hide(
            make_programme(
                institution=self.institution,
                therapy=self.therapy,
                role=ROLES[status],
                summary=title,
                **hidden,
            ),
            title,
        )
        # A hidden source cited by a published claim, reporting a published attribution,
        # behind a decision on the published therapy.
        title = secret("source", status)
        source = self.hide(
            make_source(title=title, container_title="Quokka Journal", **hidden), title
        )
        Citation.objects.create(claim=self.public_claim, source=source, position=9)
        make_source(kind="attribution", reported_by=source, container_title="Lancet")
        make_decision(therapy=self.therapy, source=source, agency=institution)
        # A hidden trial of the published therapy, condition and institution, and a
        # published trial of the hidden therapy, at and sponsored by the hidden institution,
        # of the hidden condition, citing the hidden source.
        title = secret("trial", status)
        self.hide(
            make_trial(
                title=title,
                acronym=f"QUOKKA-{status}",
                therapies=[self.therapy],
                conditions=[published_condition],
                sites=[self.institution],
                sponsor=self.institution,
                sources=[self.source],
                **hidden,
            ),
            title,
        )
        make_trial(
            title=f"Public trial of hidden records ({status})",
            therapies=[therapy],
            conditions=[child],
            sites=[institution],
            sponsor=institution,
            sources=[self.source, source],
        )
        # A hidden claim about every published record, citing the published source, and a
        # published claim it supersedes.
        title = secret("claim", status)
        claim = self.hide(
            make_claim(
                statement=title,
                therapy=self.therapy,
                condition=published_condition,
                institution=self.institution,
                sources=[self.source],
                event_date="2024-05-01",
                event_date_precision="day",
                value=7,
                unit="count",
                measure="quokkas",
                **hidden,
            ),
            title,
        )
        make_claim(
            statement=f"Older public figure ({status}).",
            superseded_by=claim,
            review_status=Claim.Review.SUPERSEDED,
            measure="quokkas",
            value=5,
            unit="count",
            therapy=self.therapy,
        )

    def hidden_paths(self) -> list[str]:
        return [
            route.path_for(obj)
            for obj in self.hidden
            for route in record_routes(type(obj))
            if route.model is not None
        ]


def start_urls(world: HiddenWorld) -> list[str]:
    """Fixed URLs, searches for the hidden titles, and filters naming hidden records."""
    urls = [route.path_with({}) for route in fixed_routes()]
    urls += [reverse("search") + f"?q={term}" for term in ("Secret", "Quokka", "Quokka+2024")]
    urls += [reverse("search") + f"?q=Secret&type={kind}" for kind in _search_types()]
    for route in fixed_routes():
        filterset_class = getattr(route.view_class, "filterset_class", None)
        if filterset_class is None:
            continue
        base = route.path_with({})
        urls += [f"{base}?q=Secret", f"{base}?q=Quokka", f"{base}?format=csv&q=Secret"]
        for name, filter_ in filterset_class.base_filters.items():
            if isinstance(filter_, django_filters.ModelChoiceFilter):
                model = filter_.extra["queryset"].model
                field = filter_.extra.get("to_field_name") or "pk"
                urls += [
                    f"{base}?{name}={getattr(obj, field)}"
                    for obj in world.hidden
                    if isinstance(obj, model)
                ]
    return urls


def _search_types():
    from genetx import search

    return list(search.TYPES)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The hidden records, built once for the module (about a second and a half each time)
    rather than once per test: every test only reads them. They are written inside a
    transaction that stays open for the module, each test runs in a savepoint within it (its
    staff login is rolled back with it), and the whole world is rolled back after the
    module, as tests/conftest.py's demo_content does."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield HiddenWorld()
        transaction.set_rollback(True)


@pytest.fixture(params=["anonymous", "staff without change permission"])
def reader(request, client):
    """A reader; staff who may not change a model must not preview its drafts either."""
    if request.param != "anonymous":
        client.force_login(make_user(is_staff=True))
    return client


def test_no_public_url_names_or_links_a_hidden_record(reader, world, language):
    """In each language: the fixed URLs, links and paths are that language's (/es/...)."""
    # A page may link to the other language's version of a page (the language switch), so
    # every page is searched for the hidden records' paths in both languages.
    hidden_paths = []
    for code, _ in settings.LANGUAGES:
        with translation.override(code):
            hidden_paths += world.hidden_paths()
    assert len(world.titles) >= 6 * len(HIDDEN)
    fetched, leaks = [], []
    # Each language's pages are crawled among themselves. The English crawl used to follow
    # the language switch into /es/ too, and fetched about 270 Spanish pages, every one of
    # which the Spanish crawl of the same reader fetches and checks as well: half of the
    # English crawl's time spent on pages checked twice.
    only = "/es/" if language == "es" else "/"
    leave = () if language == "es" else ("/es/",)
    for url, response in crawl(reader, start_urls(world), only=only, leave=leave):
        assert response.status_code < 500, url
        fetched.append(url)
        body = response.getvalue().decode("utf-8", errors="replace")
        leaks += [(url, title) for title in world.titles if title in body]
        leaks += [(url, path) for path in hidden_paths if f'{path}"' in body]
    assert leaks == []
    # The crawl reached what links to the hidden records, so the check above meant something.
    reached = set(fetched)
    for obj in world.public:
        assert obj.get_absolute_url() in reached, obj
    for route in fixed_routes():
        if route.path_with({}).startswith(only):
            assert route.path_with({}) in reached
    assert any("format=csv" in url for url in reached)
    assert any("format=json" in url for url in reached)
    assert any(url.endswith(".bib") for url in reached)


@pytest.mark.parametrize("model", [content_type.model for content_type in CONTENT_TYPES])
def test_every_hidden_record_has_no_public_page(client, world, model):
    hidden = [obj for obj in world.hidden if isinstance(obj, model)]
    assert {obj.status for obj in hidden} == set(HIDDEN)
    for obj in hidden:
        for route in record_routes(model):
            path = route.path_for(obj)
            assert client.get(path).status_code == 404, path


# Routes with parameters that are not a record's page, and what checks them instead.
CHECKED_ELSEWHERE = {
    # The dated dumps, compressed: tests/api/test_open_data.py reads them for hidden records.
    "open-data-file",
    # The sitemap's sections: the crawl reaches each through the index at /sitemap.xml,
    # which names them all, and follows every address they list.
    "sitemap-section",
}


def test_every_public_route_is_checked():
    """A new public route must be a fixed URL or a record's page, so the crawl covers it."""
    for route in public_routes():
        if route.name in CHECKED_ELSEWHERE:
            continue
        assert not route.converters or route.model is not None, route.route


# The read API ------------------------------------------------------------------------------

# Each model's API detail addresses, by the URL names genetx/api/api.py gives them.
_API_DETAILS = {
    Condition: ("condition", "slug"),
    Therapy: ("therapy", "slug"),
    Institution: ("institution", "slug"),
    Source: ("source", "key"),
    Claim: ("claim", "slug"),
    Trial: ("trial", "slug"),
}


def api_paths(obj) -> list[str]:
    if isinstance(obj, Programme):
        return [reverse("api:programme-by-id", kwargs={"id": obj.pk})]
    name, field = _API_DETAILS[type(obj)]
    return [
        reverse(f"api:{name}", kwargs={field: getattr(obj, field)}),
        reverse(f"api:{name}-by-id", kwargs={"id": obj.pk}),
    ]


def api_start_urls(client, world: HiddenWorld) -> list[str]:
    """Every list in the API's own description, searches for the hidden titles, and each
    list filtered by every hidden record its filters could name."""
    spec = client.get(reverse("api:openapi-json")).json()
    lists = [path for path in spec["paths"] if "{" not in path and not path.endswith("search")]
    urls = [f"{path}?limit=100" for path in lists]
    # And in Spanish, whose answers read other columns (name_es, ...).
    urls += [f"{path}?limit=100&lang=es" for path in lists]
    urls += [f"{reverse('api:search')}?q={term}" for term in ("Secret", "Quokka")]
    urls += [f"{reverse('api:search')}?q=Secret&type={kind}" for kind in _search_types()]
    for path in lists:
        for parameter in spec["paths"][path]["get"].get("parameters", []):
            name = parameter["name"]
            if name == "lang":
                continue  # a language, not a record: any other value is a 400
            urls += [f"{path}?{name}={slug}" for slug in _hidden_keys(world)]
    return urls


def _hidden_keys(world) -> list[str]:
    return [getattr(obj, "slug", None) or getattr(obj, "key", "") for obj in world.hidden]


def test_the_api_names_no_hidden_record(reader, world):
    hidden_paths = [path for obj in world.hidden for path in api_paths(obj)]
    fetched, leaks = [], []
    for url, response in crawl(reader, api_start_urls(reader, world), limit=1500, only=API_PREFIX):
        assert response.status_code < 500, url
        fetched.append(url)
        body = response.content.decode("utf-8", errors="replace")
        leaks += [(url, title) for title in world.titles if title in body]
        leaks += [(url, path) for path in hidden_paths if f'{path}"' in body]
    assert leaks == []
    # The crawl reached every published record's API page, so the check above meant something.
    reached = set(fetched)
    for obj in world.public:
        assert api_paths(obj)[0] in reached, obj


def test_every_hidden_record_is_a_404_in_the_api(client, world):
    for obj in world.hidden:
        for path in api_paths(obj):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.json()["detail"] == "Not found."
