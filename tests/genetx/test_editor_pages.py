"""The data-health page and the audit log: counts that link to their records, filters,
CSV export, bad input, and the same number of queries whatever the size of the tables."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from genetx.models import Status
from sources.models import Claim
from tests.factories import (
    make_claim,
    make_figure,
    make_institution,
    make_source,
    make_therapy,
)

pytestmark = pytest.mark.django_db


def health_counts(client) -> dict[str, int]:
    response = client.get(reverse("data-health"))
    assert response.status_code == 200
    return {row["label"]: row["count"] for row in response.context["rows"]}


def build_problems(n: int = 1):
    for i in range(n):
        news = make_source(kind="news_article", url="", title=f"News {i}")
        make_claim(sources=[news])  # single source, news only; the news lacks its URL
        make_claim(sources=[make_source(), make_source()], review_status="needs_review")
        make_figure(value=5, as_of=datetime.date(2015, 1, 1), as_of_precision="day")
        make_source(title="Same study", issued=datetime.date(2020, 5, 1))
        make_source(title="same study ", issued=datetime.date(2020, 1, 1))
        make_therapy(development_status="")
        make_institution(city="")


def test_each_count_links_to_the_changelist_filtered_to_those_records(client, editor):
    build_problems()
    client.force_login(editor)
    counts = health_counts(client)
    assert counts["Published claims with a single source"] == 2
    assert counts["Published claims citing only news reports or attributions"] == 1
    assert counts["Claims flagged needs review or disputed"] == 1
    assert counts["Current figures whose as-of date is over 18 months old"] == 1
    assert counts["Probable duplicate sources (same DOI, or same title and year)"] == 2
    assert counts["Therapies with no development status"] >= 1
    assert counts["Institutions with no city or coordinates"] == 1
    assert counts["Sources missing a title, date, URL or DOI their kind expects"] >= 1
    for row in client.get(reverse("data-health")).context["rows"]:
        listing = client.get(row["url"])
        assert listing.status_code == 200, row["url"]
        assert listing.context["cl"].result_count == row["count"], row["label"]


def test_stale_age_comes_from_settings(client, editor, settings):
    make_figure(value=5, as_of=datetime.date(2015, 1, 1), as_of_precision="day")
    settings.STALE_FIGURE_MONTHS = 12 * 30
    client.force_login(editor)
    assert health_counts(client)["Current figures whose as-of date is over 360 months old"] == 0


@pytest.mark.parametrize("size", [1, 4])
def test_data_health_runs_the_same_queries_whatever_the_size(
    client, editor, size, django_assert_num_queries
):
    build_problems(size)
    client.force_login(editor)
    client.get(reverse("data-health"))  # session and permission caches warm
    # The login and permission reads (4), then one COUNT per check.
    with django_assert_num_queries(4 + 9):
        client.get(reverse("data-health"))


def test_anonymous_users_are_sent_to_log_in(client):
    for name in ("data-health", "audit-log"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


# Audit log -------------------------------------------------------------------------------


def edit(obj, user, reason=""):
    obj._history_user = user
    obj._change_reason = reason
    obj.save()


def test_audit_log_lists_who_did_what_newest_first(client, editor, publisher):
    therapy = make_therapy(status=Status.DRAFT)
    edit(therapy, editor, "Fixed the summary")
    claim = make_claim()
    edit(claim, publisher, "Checked the quote")
    client.force_login(editor)
    response = client.get(reverse("audit-log"))
    entries = response.context["entries"]
    assert entries[0]["record_label"] == claim.slug and entries[0]["user"] == publisher.username
    page = response.content.decode()
    assert "Fixed the summary" in page and "Checked the quote" in page
    assert reverse("admin:therapies_therapy_history", args=[therapy.pk]) in page


def test_audit_log_filters_by_user_model_and_date(client, editor, publisher):
    therapy = make_therapy(status=Status.DRAFT)
    edit(therapy, editor, "by editor")
    claim = make_claim()
    edit(claim, publisher, "by publisher")
    client.force_login(editor)
    by_user = client.get(reverse("audit-log"), {"user": editor.pk}).context["entries"]
    assert {row["history_change_reason"] for row in by_user} == {"by editor"}
    by_model = client.get(reverse("audit-log"), {"model": "sources.claim"}).context["entries"]
    assert {row["model_label"] for row in by_model} == {"sources.claim"}
    today = datetime.date.today()
    tomorrow = today + datetime.timedelta(days=1)
    assert (
        client.get(reverse("audit-log"), {"since": tomorrow}).context["page"].paginator.count == 0
    )
    assert client.get(reverse("audit-log"), {"until": today}).context["page"].paginator.count > 0


def test_audit_log_bad_filters_get_a_clear_400(client, editor):
    client.force_login(editor)
    for query in ({"since": "yesterday"}, {"user": "9999"}, {"model": "auth.user"}):
        response = client.get(reverse("audit-log"), query)
        assert response.status_code == 400, query
    response = client.get(reverse("audit-log"), {"since": "2025-02-01", "until": "2025-01-01"})
    assert response.status_code == 400 and "must not be after" in response.content.decode()


def test_audit_log_exports_the_filtered_rows_as_csv(client, editor):
    therapy = make_therapy(status=Status.DRAFT)
    edit(therapy, editor, "=HYPERLINK(evil)")
    client.force_login(editor)
    response = client.get(reverse("audit-log"), {"format": "csv", "user": editor.pk})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["time (UTC)", "user", "action"]
    assert rows[1][1:6] == [editor.username, "Changed", "therapy", therapy.name, str(therapy.pk)]
    assert rows[1][6] == "'=HYPERLINK(evil)"


@pytest.mark.parametrize("size", [2, 8])
def test_audit_log_runs_the_same_queries_whatever_the_size(
    client, editor, size, django_assert_num_queries
):
    for _ in range(size):
        claim = make_claim()
        edit(claim, editor, "again")
    client.force_login(editor)
    client.get(reverse("audit-log"))
    # Login and permissions (4), the user choices, the count, the page, the page's users.
    with django_assert_num_queries(8):
        client.get(reverse("audit-log"))
    assert Claim.history.count() >= size
