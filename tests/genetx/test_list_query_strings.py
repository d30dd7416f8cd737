"""Property test: any query string on any list gives a page, never a 500 or reflected markup."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_claim, make_condition, make_institution, make_therapy

pytestmark = pytest.mark.django_db

LISTS = {
    "therapies:therapy-list": [
        "q",
        "modality",
        "condition",
        "category",
        "development",
        "kind",
        "country",
        "region",
        "sort",
        "page",
        "format",
    ],
    "therapies:condition-list": ["q", "category", "rare", "sort", "page", "format"],
    "hospitals:institution-list": [
        "q",
        "kind",
        "region",
        "city",
        "therapy",
        "sort",
        "page",
        "format",
    ],
    "sources:source-list": ["q", "kind", "year", "language", "journal", "sort", "page", "format"],
    "sources:claim-list": [
        "q",
        "review",
        "therapy",
        "measure",
        "figures",
        "sort",
        "page",
        "format",
    ],
}
ALL_PARAMS = sorted({param for params in LISTS.values() for param in params})


@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.sampled_from(sorted(LISTS)),
    params=st.dictionaries(
        st.one_of(st.sampled_from(ALL_PARAMS), st.text(min_size=1, max_size=10)),
        st.one_of(st.text(max_size=300), st.integers().map(str), st.just("<b>x</b>")),
        max_size=4,
    ),
)
def test_any_query_string_gives_a_page_without_reflected_markup(client, name, params):
    therapy = make_therapy(name="Gene <therapy>", conditions=[make_condition()])
    make_institution()
    make_claim(therapy=therapy)
    params.pop("format", None)  # downloads are not HTML pages; their tests are elsewhere
    response = client.get(reverse(name), params)
    if response.status_code == 301:
        # A parameter the list does not read: sent to the URL without it, which is a page.
        assert set(params) - set(LISTS[name])
        response = client.get(response["Location"])
    assert response.status_code in {200, 400, 404}
    if response.status_code != 404:
        main = response.content.decode().split("<main", 1)[1]
        assert "<therapy>" not in main and "<b>x</b>" not in main
        assert "<script" not in main.lower()


def test_what_a_path_reads_is_resolved_once_and_hostile_paths_stay_bounded(client):
    from genetx.cache import _declared_for_path

    _declared_for_path.cache_clear()
    client.get("/therapies/?modality=aav")
    client.get("/therapies/?modality=aav&condition=x")
    assert _declared_for_path.cache_info().hits >= 1
    assert client.get("/no-such-page/?q=1").status_code == 404
    for n in range(5000):  # paths come from readers: random ones must not grow a worker
        assert _declared_for_path(f"/no-such-page-{n}/", "genetx.urls") is None
    assert _declared_for_path.cache_info().currsize <= 4096
