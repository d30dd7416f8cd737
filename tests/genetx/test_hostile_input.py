"""Hostile input on every public URL gets a 2xx, 3xx or 4xx answer, never a 5xx.

Property tests (Hypothesis) send each query parameter a public view reads (list filters,
page, sort, q, format, type, the sitemap's p), and each path converter (slugs and keys
in detail and download URLs), random text, huge numbers, NUL bytes, percent-encoded bytes
that are not UTF-8, and repeated parameters. Routes and parameters come from the URL
configuration and the filter sets, so a new page or filter is covered without editing here.
"""

from urllib.parse import quote, quote_from_bytes

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_figure,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
)
from tests.public_site import COMMON_PARAMETERS, fixed_routes, public_routes

pytestmark = pytest.mark.django_db

# The number of examples comes from the Hypothesis profile (tests/conftest.py).
EXAMPLES = hypothesis_settings(
    deadline=None,
    # One database and client serve every example; the examples only read.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SPECIAL = [
    "",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "-inf",
    "last",
    str(2**63),
    str(10**40),
    "9" * 400,
    "\x00",
    "a\x00b",
    "%",
    "_",
    "' OR 1=1 --",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "\u202e\ufeff\u200b",
    "\U0001f9ec" * 50,
    "x" * 10_000,
    "csv",
    "json",
    "xml",
]

# Each value is already percent-encoded, ready for a query string or a path segment.
text_values = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
).map(lambda text: quote(text, safe=""))
# Bytes that are often not UTF-8 (%ff, %c3%28, lone continuation bytes).
raw_bytes = st.binary(min_size=1, max_size=12).map(quote_from_bytes)
encoded_values = st.one_of(text_values, raw_bytes)


def query_for(name: str, values: list[str]) -> str:
    return "&".join(f"{name}={value}" for value in values)


def assert_answered(client, url: str):
    response = client.get(url)
    assert response.status_code < 500, url
    return response


@pytest.fixture(scope="module")
def small_world(django_db_setup, django_db_blocker):
    """A few published records of each type, so lists have facets and pages have rows.

    Built once for the module, not once for each of its 200-odd tests (about a third of a
    second each time): the tests only send requests. The records are written inside a
    transaction that stays open for the module, each test runs in a savepoint within it,
    and the whole world is rolled back after the module, as demo_content does
    (tests/conftest.py)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_small_world()
        transaction.set_rollback(True)


def build_small_world():
    condition = make_condition(orpha_code="ORPHA:98896", icd10_code="G71.0", is_rare=True)
    therapy = make_therapy(conditions=[condition], development_status="approved")
    institution = make_institution()
    programme = make_programme(institution=institution, therapy=therapy, since=2020)
    source = make_source(authors=[("Catalá", "A.")], doi="10.1000/xyz", language="es")
    make_claim(
        therapy=therapy,
        programme=programme,
        sources=[source],
        event_date="2024-01-01",
        event_date_precision="day",
    )
    make_figure(value=85.5, unit="percent", measure="approval-rate", therapy=therapy)
    make_decision(therapy=therapy, source=source)
    return {"therapy": therapy, "source": source}


LIST_PARAMETERS = [
    (route.name, name)
    for route in fixed_routes()
    if getattr(route.view_class, "filterset_class", None) is not None
    for name in route.parameters
]
OTHER_ROUTES = [
    route.name
    for route in fixed_routes()
    if getattr(route.view_class, "filterset_class", None) is None
]
DETAIL_ROUTES = [route.name for route in public_routes() if route.converters]


def route_named(name):
    return next(route for route in public_routes() if route.name == name)


@pytest.mark.parametrize(("route_name", "parameter"), LIST_PARAMETERS)
def test_list_parameters_never_give_a_server_error(
    client, small_world, language, route_name, parameter
):
    path = route_named(route_name).path_with({})

    @EXAMPLES
    @given(values=st.lists(encoded_values, min_size=1, max_size=3), export=st.booleans())
    def check(values, export):
        # As a page, or as a CSV export: a valid filter leads to the export code instead.
        prefix = "format=csv&" if export else ""
        assert_answered(client, f"{path}?{prefix}{query_for(parameter, values)}")

    check()


@pytest.mark.parametrize("route_name", OTHER_ROUTES)
def test_other_pages_survive_any_query_string(client, small_world, language, route_name):
    path = route_named(route_name).path_with({})
    names = [*COMMON_PARAMETERS, "p"]

    @EXAMPLES
    @given(
        query=st.lists(st.tuples(st.sampled_from(names), encoded_values), min_size=1, max_size=6)
    )
    def check(query):
        assert_answered(client, path + "?" + "&".join(f"{k}={v}" for k, v in query))

    check()


@pytest.mark.parametrize("route_name", DETAIL_ROUTES)
def test_detail_and_download_paths_never_give_a_server_error(
    client, small_world, language, route_name
):
    route = route_named(route_name)

    @EXAMPLES
    @given(segment=encoded_values.filter(lambda value: value not in {"", ".", ".."}))
    def check(segment):
        values = dict.fromkeys(route.converters, segment)
        response = assert_answered(client, route.path_with(values))
        assert response.status_code in {301, 302, 400, 404}

    check()


def test_detail_routes_answer_a_real_record(client, small_world):
    """The paths fuzzed above are the real ones: a published record's answer is 200."""
    for name in DETAIL_ROUTES:
        route = route_named(name)
        if route.model is None:
            continue  # the open data files: tests/api/test_open_data.py serves a real one
        obj = small_world["source" if route.model.__name__ == "Source" else "therapy"]
        if route.model is type(obj):
            assert client.get(route.path_for(obj)).status_code == 200, name


@pytest.mark.parametrize(
    "query",
    [
        "page=1&page=2&page=x",
        "sort=name&sort=-name&sort=%ff",
        "format=csv&format=json",
        "q=%00&q=%ff%fe",
        "page=99999999999999999999999999",
        "page=0",
        "page=-1",
        "p=0",
        "q=" + "a" * 100_000,
        "%ff=%ff",
        "=x&&&=",
    ],
)
def test_known_awkward_query_strings_on_every_page(client, small_world, language, query):
    for route in fixed_routes():
        assert_answered(client, f"{route.path_with({})}?{query}")


def test_fuzzed_requests_reach_the_view_every_time(client, small_world):
    """The page cache is off in tests, so a repeated URL is rendered again, not replayed."""
    for _ in range(2):
        response = client.get("/therapies/?q=%00")
        assert response.status_code < 500
        assert response.templates, "answered without reaching the view"


def test_out_of_range_page_is_404_and_bad_filter_is_400(client, small_world):
    assert client.get("/therapies/?page=999").status_code == 404
    assert client.get("/therapies/?page=x").status_code == 404
    assert client.get("/sources/?year=%ff").status_code == 400


@pytest.mark.parametrize("field", ["username", "password"])
def test_admin_login_survives_hostile_credentials(client, settings, field):
    settings.AXES_ENABLED = True
    login = f"/{django_settings.ADMIN_URL}login/"

    @EXAMPLES
    @given(value=st.one_of(st.sampled_from(SPECIAL), st.text(max_size=60)))
    def check(value):
        data = {"username": "someone", "password": "secret", field: value}
        response = client.post(login, data, REMOTE_ADDR="192.0.2.1")
        assert response.status_code < 500

    check()


@pytest.mark.parametrize("header", ["HTTP_USER_AGENT", "HTTP_ACCEPT", "HTTP_REFERER"])
def test_a_nul_byte_in_a_request_header_is_a_bad_request(client, header):
    assert client.get("/", **{header: "a\x00b"}).status_code == 400
