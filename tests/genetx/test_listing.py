"""The pieces every list shares: safe CSV cells and the JSON-LD filter."""

import json

import pytest

from genetx.listing import safe_cell
from sources.templatetags.evidence import ld_json


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Plain", "1,859", "85.5%", "", None, 12])
def test_ordinary_csv_cells_are_unchanged(value):
    assert safe_cell(value) == ("" if value is None else str(value))


def test_json_ld_block_cannot_be_closed_by_its_content():
    html = str(ld_json({"name": "</script><b>&</b>"}))
    assert html.startswith('<script type="application/ld+json">')
    assert html.count("</script>") == 1
    payload = html.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert "<" not in payload and ">" not in payload and "&" not in payload
    assert json.loads(payload) == {"name": "</script><b>&</b>"}


def test_empty_json_ld_renders_nothing():
    assert ld_json({}) == ""
