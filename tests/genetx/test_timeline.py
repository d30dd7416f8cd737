import datetime

import pytest
from django.urls import reverse

from genetx.models import Status
from tests.factories import make_claim, make_decision, make_institution, make_source, make_therapy

pytestmark = pytest.mark.django_db


def get_timeline(client):
    response = client.get(reverse("timeline"))
    assert response.status_code == 200
    return response


def all_events(response):
    return [event for year in response.context["years"] for event in year.events]


def test_dated_claim_appears_with_its_date_precision_link_and_source(client):
    source = make_source(title="The plan", authors=[("Ministry", "")])
    claim = make_claim(
        statement="Spain approved a plan for CAR-T therapies.",
        event_date=datetime.date(2018, 11, 1),
        event_date_precision="month",
        sources=[source],
    )
    response = get_timeline(client)
    html = response.content.decode()
    assert '<time datetime="2018-11">November 2018</time>' in html
    assert f'href="{claim.get_absolute_url()}">Spain approved a plan' in html
    assert f'href="{source.get_absolute_url()}">' in html


def test_claim_without_an_event_date_is_not_on_the_timeline(client):
    make_claim(statement="An undated statement.")
    events = all_events(get_timeline(client))
    assert "An undated statement." not in [event.title for event in events]


def test_regulatory_decision_appears_with_agency_therapy_and_source(client):
    therapy = make_therapy(name="Elevidys")
    agency = make_institution(name="U.S. Food and Drug Administration", kind="regulator")
    source = make_source(title="FDA approves the first gene therapy for Duchenne")
    make_decision(therapy=therapy, agency=agency, source=source, date=datetime.date(2023, 6, 22))
    html = get_timeline(client).content.decode()
    assert '<time datetime="2023-06-22">22 June 2023</time>' in html
    assert "U.S. Food and Drug Administration: approval of Elevidys" in html
    assert therapy.get_absolute_url() in html


def test_source_publication_appears_with_year_precision(client):
    source = make_source(
        title="CAR-T after a decade", issued=datetime.date(2022, 1, 1), issued_precision="year"
    )
    html = get_timeline(client).content.decode()
    assert '<time datetime="2022">2022</time>' in html
    assert f'href="{source.get_absolute_url()}">CAR-T after a decade</a>' in html


def test_events_are_grouped_by_year_oldest_first(client):
    make_claim(event_date=datetime.date(2025, 3, 14), event_date_precision="day")
    make_claim(event_date=datetime.date(2019, 5, 1), event_date_precision="month")
    make_claim(event_date=datetime.date(2019, 1, 1), event_date_precision="year")
    response = get_timeline(client)
    # The builders' sources are dated 2022, so that year appears too.
    years = [year.year for year in response.context["years"]]
    assert years == [2019, 2022, 2025]
    assert 'href="#year-2019"' in response.content.decode()


def test_unpublished_records_stay_off_the_timeline(client):
    make_claim(
        statement="A draft event.",
        status=Status.DRAFT,
        event_date=datetime.date(2020, 1, 1),
        event_date_precision="day",
    )
    draft_therapy = make_therapy(name="Draft therapy", status=Status.DRAFT)
    make_decision(therapy=draft_therapy, source=make_source(title="Decision source"))
    make_source(title="Draft source", status=Status.DRAFT)
    draft_source = make_source(title="Draft cited source", status=Status.DRAFT)
    make_claim(
        statement="A published event.",
        event_date=datetime.date(2021, 1, 1),
        event_date_precision="year",
        sources=[draft_source],
    )
    html = get_timeline(client).content.decode()
    assert "A draft event." not in html
    assert "Draft therapy" not in html
    assert "Draft source" not in html
    assert "A published event." in html
    assert draft_source.get_absolute_url() not in html


def test_empty_timeline_says_so(client):
    assert "No dated events have been published yet." in get_timeline(client).content.decode()


# Pages ---------------------------------------------------------------------------------
# The whole timeline at 100,000 therapies was 100 MB of HTML, built in 100 s: it is read a
# page at a time (genetx.timeline.entries), and these tests use pages of three entries.


@pytest.fixture
def small_pages(monkeypatch):
    from genetx.views import TimelineView

    monkeypatch.setattr(TimelineView, "page_size", 3)


def dated_claims(years) -> list[str]:
    """One claim per year in `years` (their sources are undated attributions, so that each
    page holds the claims alone); the statements, in timeline order."""
    statements = []
    reporter = make_source(title="Reporter", issued=None, issued_precision="")
    for n, year in enumerate(years):
        statement = f"Event {n} of {year}."
        attribution = make_source(
            kind="attribution", reported_by=reporter, issued=None, issued_precision=""
        )
        make_claim(
            statement=statement,
            event_date=datetime.date(year, 1, 1),
            event_date_precision="year",
            sources=[attribution],
        )
        statements.append(statement)
    return statements


def shown(response) -> list[str]:
    return [event.title for event in all_events(response)]


def follow(client, response, rel: str):
    import re

    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
    if not found:
        return None
    page = client.get(reverse("timeline") + found.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    return page


def test_a_long_timeline_is_read_a_page_at_a_time_each_entry_once(client, small_pages):
    statements = dated_claims([2018, 2018, 2019, 2020, 2020, 2020, 2021])
    page = get_timeline(client)
    seen = []
    while page is not None:
        assert len(shown(page)) <= 3
        seen += shown(page)
        page = follow(client, page, "next")
    assert seen == statements


def test_earlier_entries_lead_back_to_the_page_before(client, small_pages):
    statements = dated_claims([2018, 2018, 2019, 2020, 2020, 2020, 2021])
    first = get_timeline(client)
    assert 'rel="prev"' not in first.content.decode()
    last = follow(client, follow(client, first, "next"), "next")
    assert shown(last) == statements[6:]
    back = follow(client, last, "prev")
    assert shown(back) == statements[3:6]
    assert shown(follow(client, back, "prev")) == statements[:3]


def test_the_year_index_starts_a_page_at_its_year(client, small_pages):
    statements = dated_claims([2018, 2018, 2019, 2020, 2020, 2020, 2021])
    html = get_timeline(client).content.decode()
    assert 'href="?from=2020#year-2020"' in html
    page = client.get(reverse("timeline"), {"from": "2020"})
    assert shown(page) == statements[3:6]
    assert shown(follow(client, page, "prev")) == statements[:3]
    # The index and the chart count the whole timeline, not the page.
    assert [year["year"] for year in page.context["year_index"]] == [2018, 2019, 2020, 2021]
    assert page.context["event_count"] == 7


def test_a_timeline_that_fits_on_one_page_has_no_page_links(client):
    dated_claims([2018, 2019])
    html = get_timeline(client).content.decode()
    assert 'href="#year-2018"' in html
    assert 'rel="next"' not in html and 'rel="prev"' not in html
    assert "?from=" not in html


@pytest.mark.parametrize(
    "params",
    [
        {"after": "not-a-cursor"},
        {"before": "eyJ4Ijoy"},
        {"after": "WyIyMDIwLTAxLTAxIiwiZXZlbnQiLHRydWVd"},  # ["2020-01-01","event",true]
        {"from": "²"},
        {"from": "99999"},
        {"from": "-1"},
    ],
)
def test_a_link_the_site_did_not_write_shows_the_start_with_a_message(client, params):
    statements = dated_claims([2018, 2019])
    response = client.get(reverse("timeline"), params)
    assert response.status_code == 400
    assert "not one this site gave out" in response.content.decode()
    assert shown(response) == statements


def test_an_entry_unpublished_while_its_page_is_read_is_left_out(small_pages):
    """entries() finds the entries a page shows first, then reads their rows: a claim
    another editor unpublishes in between is missing from the second read, and the page
    shows the others rather than failing."""
    from genetx import timeline
    from sources.models import Claim

    statements = dated_claims([2018, 2019, 2020])
    claims = timeline.KINDS[0]
    reads = []

    def rows_while_another_editor_unpublishes():
        reads.append(1)
        if len(reads) == 2:  # between finding the entries and reading their rows
            Claim.objects.filter(statement=statements[1]).update(status=Status.DRAFT)
        return claims.rows()

    racing = timeline.EventKind(
        claims.key, claims.label, rows_while_another_editor_unpublishes, "event_date", claims.event
    )
    found, more = timeline.entries(limit=3, kinds=[racing])
    assert [entry.event.title for entry in found] == [statements[0], statements[2]]
    assert more is False
