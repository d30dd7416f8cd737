"""Server-drawn charts: right numbers, a data table, empty databases, no query per row."""

import datetime
import re

import pytest
from django.urls import reverse

from genetx.charts import bar_chart, stacked_chart
from genetx.models import Status
from tests.factories import (
    make_claim,
    make_decision,
    make_institution,
    make_modality,
    make_source,
    make_therapy,
)

pytestmark = pytest.mark.django_db


def chart_block(body: str, key: str) -> str:
    start = body.index(f'aria-labelledby="chart-{key}-title"')
    return body[start : body.index("</figure>", start)]


def table_rows(block: str) -> list[tuple[str, ...]]:
    table = block[block.index("<tbody>") :]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append(tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in cells))
    return rows


def test_home_charts_count_published_therapies_by_modality_and_status(client):
    car_t = make_modality(name="CAR-T", slug="car-t")
    make_therapy(modality=car_t, development_status="approved")
    make_therapy(modality=car_t, development_status="clinical_trial")
    make_therapy(modality=make_modality(name="AAV"), development_status="approved")
    make_therapy(modality=car_t, status=Status.DRAFT, development_status="approved")
    body = client.get(reverse("home")).content.decode()
    modality = chart_block(body, "modality")
    assert table_rows(modality) == [("CAR-T", "2"), ("AAV", "1")]
    assert 'href="/therapies/?modality=car-t"' in modality
    assert modality.count('<rect class="series-0"') == 2
    assert 'role="img"' in modality and "Therapies: 3 in all; most: CAR-T (2)." in modality
    development = chart_block(body, "development")
    assert table_rows(development) == [("Clinical trial", "1"), ("Approved", "2")]


def test_decisions_chart_splits_years_by_agency(client):
    fda = make_institution(name="FDA", kind="regulator", country="US")
    ema = make_institution(name="EMA", kind="regulator", country="NL")
    make_decision(agency=fda, date=datetime.date(2023, 6, 22))
    make_decision(agency=fda, date=datetime.date(2024, 1, 5))
    make_decision(agency=ema, date=datetime.date(2024, 3, 1))
    make_decision(agency=make_institution(status=Status.DRAFT), date=datetime.date(2024, 3, 1))
    block = chart_block(client.get(reverse("home")).content.decode(), "decisions")
    assert table_rows(block) == [("2023", "0", "1", "1"), ("2024", "1", "1", "2")]
    assert '<th scope="col">EMA</th><th scope="col">FDA</th>' in block
    assert 'class="chart-legend"' in block


def test_claims_list_charts_cited_sources_by_kind_of_evidence(client):
    paper = make_source(kind="journal_article")
    news = make_source(kind="news_article")
    hidden = make_source(kind="press_release", status=Status.DRAFT)
    make_claim(sources=[paper, news, hidden])
    make_claim(sources=[paper], review_status="disputed", review_note="Doubtful.")
    body = client.get(reverse("sources:claim-list"), {"review": "disputed"}).content.decode()
    assert table_rows(chart_block(body, "evidence")) == [("Journal article", "1")]
    body = client.get(reverse("sources:claim-list")).content.decode()
    rows = table_rows(chart_block(body, "evidence"))
    assert rows == [("Journal article", "1"), ("News article", "1")]


def test_therapy_list_charts_follow_the_filters(client):
    car_t = make_modality(name="CAR-T", slug="car-t")
    make_therapy(modality=car_t)
    make_therapy(modality=make_modality(name="AAV", slug="aav"))
    body = client.get(reverse("therapies:therapy-list"), {"modality": "aav"}).content.decode()
    assert table_rows(chart_block(body, "modality")) == [("AAV", "1")]


def test_timeline_charts_events_per_year(client):
    make_source(issued=datetime.date(2022, 1, 1))
    # A decision and the publication that reports it: two events of 2023.
    make_decision(
        date=datetime.date(2023, 6, 22), source=make_source(issued=datetime.date(2023, 7, 5))
    )
    block = chart_block(client.get(reverse("timeline")).content.decode(), "events")
    rows = table_rows(block)
    assert [row[0] for row in rows] == ["2022", "2023"]
    assert [row[-1] for row in rows] == ["1", "2"]


@pytest.mark.parametrize(
    "url", [reverse("home"), reverse("therapies:therapy-list"), reverse("sources:claim-list")]
)
def test_empty_database_pages_render_without_charts(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert 'class="chart"' not in response.content.decode()


def test_bars_scale_to_the_largest_value_and_skip_empty_groups():
    chart = bar_chart("x", "X", "things", [("a", 4, ""), ("b", 2, ""), ("none", 0, "")])
    assert [row.label for row in chart.rows] == ["a", "b"]
    assert chart.rows[0].segments[0].width == 2 * chart.rows[1].segments[0].width
    stacked = stacked_chart(
        "y", "Y", "things", {("2023", "A"): 1, ("2023", "B"): 3}, row_header="Year"
    )
    a, b = stacked.rows[0].segments
    assert b.x == a.width and b.width == 3 * a.width


def test_a_stacked_chart_adds_up_the_smallest_series_past_its_colours():
    """Eight agencies: the five with most decisions over all years (Agency 1 has 1 + 5) keep
    their own series, alphabetically, and the other three are one last series; rows,
    totals and cells still add up."""
    counts = {("2023", f"Agency {n}"): n for n in range(1, 9)} | {("2024", "Agency 1"): 5}
    chart = stacked_chart("d", "D", "decisions", counts, row_header="Year", others="Others")
    assert chart.key == "d"
    assert chart.series == [*(f"Agency {n}" for n in (1, 5, 6, 7, 8)), "Others"]
    first, second = chart.rows
    assert first.cells == [1, 5, 6, 7, 8, 2 + 3 + 4]
    assert second.cells == [5, 0, 0, 0, 0, 0]
    assert chart.total == sum(counts.values())
    assert [label for _, label in chart.legend][-1] == "Others"
    # Six series or fewer, or no name for the rest: every series is kept.
    few = {("2023", f"Agency {n}"): n for n in range(1, 7)}
    assert len(stacked_chart("d", "D", "d", few, row_header="Y", others="O").series) == 6
    assert len(stacked_chart("d", "D", "d", counts, row_header="Y").series) == 8


def test_chart_labels_are_escaped(client):
    make_therapy(modality=make_modality(name="<script>alert(1)</script>"))
    body = client.get(reverse("home")).content.decode()
    assert "<script>alert(1)</script>" not in body
