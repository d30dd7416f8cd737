"""Whatever an editor types comes back to readers as text, never as markup or a formula.

No field allows markup: every field is plain text and Django's autoescaping turns it into
text on HTML pages (so no HTML sanitiser is needed). These tests plant script and markup
payloads in every text field of a published record of every model, crawl the whole public
site, and check each response by its type: HTML and its JSON-LD blocks, the Atom feed and
sitemap, CSV and JSON exports, and the BibTeX, RIS and CSL-JSON downloads.
"""

import csv
import io
import itertools
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from genetx import search
from tests.factories import (
    make_claim,
    make_condition,
    make_decision,
    make_institution,
    make_programme,
    make_source,
    make_therapy,
    make_trial,
)
from tests.public_site import crawl, fixed_routes

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
BREAKOUT = "</script><script>"
PAYLOADS = [SCRIPT, IMAGE, BREAKOUT]
# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ["=", "+", "-", "@"]
# Fields that only take a fixed format, enforced by the database or on every save.
FORMATTED = {
    "orpha_code",
    "icd10_code",
    "country",
    "ror_id",
    "language",
    "doi",
    "nct_number",
    "eudract_number",
    "euct_number",
}


def payload_for(field: models.Field, number: int) -> str:
    """The payloads that fit the field, behind a formula start (rotating by field).

    number also makes the text unique, for fields such as names that must be.
    """
    start = FORMULA_STARTS[number % len(FORMULA_STARTS)] + str(number)
    if isinstance(field, models.URLField):
        return "https://example.org/" + IMAGE.replace(" ", "%20") + SCRIPT
    text = start + "cmd|' /C calc'!A0 " + " ".join(PAYLOADS)
    if field.max_length and len(text) > field.max_length:
        text = start
        for payload in PAYLOADS:
            if len(text) + 1 + len(payload) <= field.max_length:
                text += " " + payload
    return text


def text_fields(model) -> list[models.Field]:
    """The fields an editor types text into (not slugs, choices or formatted codes)."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not isinstance(field, models.SlugField)
        and not field.choices
        and field.name not in FORMATTED
        and field.editable
    ]


class Planter:
    """Fills every text field of the records it is given with payloads, and notes them."""

    def __init__(self):
        self.models: set[type] = set()
        self.numbers = itertools.count()

    def __call__(self, obj):
        for field in text_fields(type(obj)):
            setattr(obj, field.attname, payload_for(field, next(self.numbers)))
        obj.save()
        self.models.add(type(obj))
        return obj


@pytest.fixture
def hostile_world():
    """One published record of every model, every text field hostile, all linked.

    Returns the models planted.
    """
    plant = Planter()
    parent = plant(make_condition())
    condition = plant(make_condition(parent=parent, orpha_code="ORPHA:98896"))
    therapy = plant(make_therapy(conditions=[condition]))
    plant(therapy.modality)
    institution = plant(make_institution())
    programme = plant(make_programme(institution=institution, therapy=therapy, since=2020))
    source = plant(make_source(authors=[("Family", "Given")], doi="10.1000/xyz"))
    plant(source.authors.get())
    plant(make_source(kind="attribution", reported_by=source))
    claim = plant(
        make_claim(
            therapy=therapy,
            condition=condition,
            institution=institution,
            programme=programme,
            sources=[source],
            event_date="2024-05-01",
            event_date_precision="day",
            value=12,
            unit="count",
        )
    )
    plant(claim.citations.get())
    decision = plant(make_decision(therapy=therapy, source=source))
    plant(decision.agency)
    trial = plant(
        make_trial(
            sources=[source],
            therapies=[therapy],
            conditions=[condition],
            sites=[institution],
            sponsor=institution,
        )
    )
    plant(trial.citations.get())
    return plant.models


def start_urls() -> list[str]:
    urls = [route.path_with({}) for route in fixed_routes()]
    for term in ("alert", "script", "img", "calc"):
        urls.append(f"{reverse('search')}?q={term}")
        urls += [f"{reverse('search')}?q={term}&type={kind}" for kind in search.TYPES]
    return urls


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.problems: list[str] = []
        self.json_ld: list[str] = []
        self._in_json_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        handlers = [name for name in attrs if name.startswith("on")]
        if handlers:
            self.problems.append(f"<{tag}> with event handler {handlers}")
        if tag == "img" and attrs.get("src") == "x":
            self.problems.append("planted <img>")
        for name in ("href", "src", "action"):
            if (attrs.get(name) or "").strip().lower().startswith(("javascript:", "data:text")):
                self.problems.append(f"<{tag} {name}={attrs[name]!r}>")
        if tag == "script":
            if attrs.get("type") == "application/ld+json":
                self._in_json_ld = True
                self.json_ld.append("")
            elif not (attrs.get("src") or "").startswith("/static/"):
                self.problems.append(f"<script {attrs}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.json_ld[-1] += data


def check_html(body: str) -> list[str]:
    parser = _Markup()
    parser.feed(body)
    problems = list(parser.problems)
    for block in parser.json_ld:
        if "<" in block:
            problems.append("JSON-LD block with an unescaped <")
        json.loads(block)  # still valid JSON after escaping
    # onerror= itself may appear as text (after &lt;img); as an attribute the parser finds it.
    for raw in (SCRIPT, "<img src=x", BREAKOUT):
        if raw in body:
            problems.append(f"raw {raw!r}")
    return problems


def check_xml(body: str) -> list[str]:
    root = ET.fromstring(body)
    problems = []
    for element in root.iter():
        text = element.text or ""
        # Atom's type="html" content is HTML once unescaped: it must hold escaped text.
        if element.get("type") == "html" and ("<script" in text or "<img" in text):
            problems.append(f"{element.tag} carries markup: {text[:80]!r}")
    return problems


def check_csv(body: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(body)))
    return [
        f"formula cell {cell[:30]!r}"
        for row in rows[1:]
        for cell in row
        if cell.startswith(tuple(FORMULA_STARTS))
    ]


def check(url: str, response) -> list[str]:
    content_type = response.headers.get("Content-Type", "")
    body = response.getvalue().decode("utf-8", errors="replace")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        return ["no nosniff"]
    if "text/html" in content_type:
        return check_html(body)
    if "xml" in content_type:
        return check_xml(body)
    if "text/csv" in content_type:
        return check_csv(body)
    if "json" in content_type:
        json.loads(body)
        return []
    if "text/plain" in content_type:
        return ["planted text in a plain-text page"] if SCRIPT in body else []
    # Reference-manager files: downloaded, never shown as a page.
    disposition = response.headers.get("Content-Disposition", "")
    return [] if disposition.startswith("attachment") else [f"inline {content_type}"]


def test_every_model_with_text_fields_is_planted(hostile_world):
    content_models = {
        model
        for model in apps.get_models()
        if model._meta.app_label in {"therapies", "hospitals", "sources"}
        and not model.__name__.startswith("Historical")
        and text_fields(model)
    }
    assert content_models == hostile_world


def test_no_public_response_returns_planted_markup_or_formulas(client, hostile_world):
    problems, kinds = {}, set()
    for url, response in crawl(client, start_urls()):
        assert response.status_code < 500, url
        kinds.add(response.headers.get("Content-Type", "").split(";")[0])
        found = check(url, response)
        if found:
            problems[url] = found
    assert problems == {}
    # Every kind of response was reached and checked.
    assert {
        "text/html",
        "text/csv",
        "application/json",
        "application/atom+xml",
        "application/xml",
        "application/x-bibtex",
        "application/x-research-info-systems",
        "application/vnd.citationstyles.csl+json",
    } <= kinds


def test_planted_text_is_shown_to_readers_as_text(client, hostile_world):
    therapy = make_therapy(name=f"Named {SCRIPT}")
    body = client.get(therapy.get_absolute_url()).content.decode()
    assert "Named &lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_csv_exports_neutralise_every_formula_start(client, start):
    make_therapy(name=f"{start}1+1", inn=f"{start}SUM(A1)")
    rows = list(csv.reader(io.StringIO(client.get("/therapies/?format=csv").getvalue().decode())))
    header, row = rows[0], rows[1]
    assert row[header.index("name")] == f"'{start}1+1"
    assert row[header.index("inn")] == f"'{start}SUM(A1)"


@pytest.mark.parametrize(
    ("builder", "field"), [(make_institution, "website"), (make_source, "url")]
)
@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>", "vbscript:x"])
def test_links_editors_enter_must_be_web_addresses(builder, field, url):
    """Admin forms and every import validate the model, which refuses script URLs."""
    obj = builder()
    setattr(obj, field, url)
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    assert field in caught.value.message_dict
