"""No public page shows a claim without a reference marker that resolves in its own list.

A reader crawls the whole public site built from claims of every shape (a figure, a claim
supported by an attribution, a figure with a published successor, one whose successor is
a draft, a claim citing a draft and a published source). On every HTML page, each claim
shown (the claim block, a key figure on the home page, an earlier figure in a claim's
history) must carry at least one marker, and every marker must point at an entry of that
page's reference list.
"""

import datetime
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from genetx.models import Status
from sources.models import Claim
from tests.factories import make_claim, make_figure, make_source, make_therapy
from tests.public_site import crawl, fixed_routes

pytestmark = pytest.mark.django_db

REFERENCE_LISTS = {"reference-list", "references"}


class ClaimMarkers(HTMLParser):
    """Claims shown on a page with the markers inside each, and the reference entries."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict | None]] = []  # (tag, claim record or None)
        self.claims: list[dict] = []
        self.list_depth = 0
        self.entries: set[str] = set()
        self.in_history = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        claim = None
        if (tag == "div" and "claim" in classes) or (tag == "li" and "figure" in classes):
            claim = {"id": attrs.get("id") or tag, "markers": []}
        elif tag == "li" and self.in_history:
            claim = {"id": "earlier figure", "markers": []}
        if claim is not None:
            self.claims.append(claim)
        if tag == "details" and "claim-history" in classes:
            self.in_history += 1
        if tag == "ol" and classes & REFERENCE_LISTS:
            self.list_depth += 1
        if tag == "li" and self.list_depth and attrs.get("id"):
            self.entries.add(attrs["id"])
        if tag == "a" and (attrs.get("href") or "").startswith("#"):
            target = attrs["href"][1:]
            if target.startswith(("ref-", "figure-ref-")):
                for _, open_claim in self.stack:
                    if open_claim is not None:
                        open_claim["markers"].append(target)
        if tag not in {"br", "img", "input", "meta", "link", "hr"}:
            self.stack.append((tag, claim))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == "details" and self.in_history:
                self.in_history -= 1
            if open_tag == "ol" and self.list_depth:
                self.list_depth -= 1
            if open_tag == tag:
                break


@pytest.fixture
def world(publisher):
    therapy = make_therapy(name="Public therapy")
    article = make_source(kind="web_article", title="The article")
    lancet = make_source(
        kind="attribution", reported_by=article, container_title="The Lancet", title=""
    )
    make_claim(statement="Supported by an attribution.", therapy=therapy, sources=[lancet])
    make_claim(
        statement="Half its sources are drafts.",
        therapy=therapy,
        sources=[make_source(status=Status.DRAFT), make_source()],
    )
    old = make_figure(value=1859, measure="requests", therapy=therapy, statement="Old count.")
    new = make_figure(value=2100, measure="requests", therapy=therapy, statement="New count.")
    old.superseded_by, old.review_status = new, Claim.Review.SUPERSEDED
    old.save()
    waiting = make_figure(value=7, measure="other", therapy=therapy, statement="Still current.")
    draft = make_figure(value=8, measure="other", status=Status.DRAFT, statement="Draft.")
    waiting.superseded_by, waiting.review_status = draft, Claim.Review.SUPERSEDED
    waiting.save()
    make_figure(value=5, therapy=therapy, as_of=datetime.date(2024, 1, 1), as_of_precision="year")
    return therapy


def test_every_claim_on_every_public_page_has_a_resolving_marker(client, world):
    start = [route.path_with({}) for route in fixed_routes()] + [
        world.get_absolute_url(),
        reverse("sources:claim-list"),
    ]
    pages = claims_seen = 0
    for url, response in crawl(client, start):
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = ClaimMarkers()
        parser.feed(response.content.decode())
        pages += 1
        for claim in parser.claims:
            claims_seen += 1
            assert claim["markers"], f"{url}: claim {claim['id']} has no reference marker"
            for target in claim["markers"]:
                assert target in parser.entries, f"{url}: marker #{target} resolves to nothing"
    assert pages > 10 and claims_seen > 20  # the crawl reached claim pages


def test_the_checker_catches_a_claim_without_markers_and_a_dangling_marker():
    parser = ClaimMarkers()
    parser.feed(
        '<div class="claim" id="claim-a"><p>Alone.</p></div>'
        '<div class="claim" id="claim-b"><p>Cited<sup><a href="#ref-2">[2]</a></sup></p></div>'
        '<ol class="reference-list"><li id="ref-1">One</li></ol>'
    )
    assert [claim["markers"] for claim in parser.claims] == [[], ["ref-2"]]
    assert parser.entries == {"ref-1"}
