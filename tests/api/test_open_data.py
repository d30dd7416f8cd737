"""Bulk downloads: the command writes the dated dump, the Open data page lists and serves it."""

import csv
import datetime
import gzip
import io
import json
import zipfile

import pytest
from django.core.management import call_command

from tests.api.worlds import build_small_world

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 30)


@pytest.fixture
def dump_dir(tmp_path, settings):
    settings.OPEN_DATA_DIR = tmp_path
    return tmp_path


def export(date=DAY, keep=7):
    out = io.StringIO()
    call_command("export_open_data", f"--date={date.isoformat()}", f"--keep={keep}", stdout=out)
    return out.getvalue()


def read_zip(path):
    with zipfile.ZipFile(path) as archive:
        tables = {
            name.removesuffix(".csv"): list(csv.DictReader(io.TextIOWrapper(archive.open(name))))
            for name in archive.namelist()
            if name.endswith(".csv")
        }
        package = json.loads(archive.read("datapackage.json"))
    return tables, package


def test_dump_holds_every_published_record_and_no_draft(dump_dir):
    build_small_world()
    message = export()
    assert "2026-11-30" in message
    names = sorted(p.name for p in dump_dir.iterdir())
    assert names == [
        "genetx-2026-11-30-csv.zip",
        "genetx-2026-11-30-datapackage.json",
        "genetx-2026-11-30.jsonl.gz",
    ]
    lines = gzip.decompress((dump_dir / "genetx-2026-11-30.jsonl.gz").read_bytes()).splitlines()
    records = [json.loads(line) for line in lines]
    therapies = [r["slug"] for r in records if r["type"] == "therapy"]
    assert therapies == ["ari0002h"]
    assert "draft-source" not in {r.get("key") for r in records}
    tables, package = read_zip(dump_dir / "genetx-2026-11-30-csv.zip")
    assert [row["slug"] for row in tables["therapies"]] == ["ari0002h"]
    assert {"catala-2022", "lancet-study"} <= {row["source"] for row in tables["citations"]}
    assert [row["family"] for row in tables["authors"]] == ["Catalá", "Barba"]
    figure = next(row for row in tables["claims"] if row["slug"] == "response-rate")
    assert figure["value"] == "85.5"
    assert figure["sources"] == "catala-2022|lancet-study"


def test_data_package_describes_every_column_and_the_licence(dump_dir):
    build_small_world()
    export()
    tables, package = read_zip(dump_dir / "genetx-2026-11-30-csv.zip")
    assert package["profile"] == "tabular-data-package"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    standalone = json.loads((dump_dir / "genetx-2026-11-30-datapackage.json").read_text())
    assert standalone["resources"] == package["resources"]
    assert {r["name"] for r in package["resources"]} == set(tables)
    for resource in package["resources"]:
        fields = [f["name"] for f in resource["schema"]["fields"]]
        with zipfile.ZipFile(dump_dir / "genetx-2026-11-30-csv.zip") as archive:
            header = archive.read(resource["path"]).decode().splitlines()[0].split(",")
        assert header == fields, resource["name"]
        for key in resource["schema"].get("foreignKeys", []):
            assert key["reference"]["resource"] in tables


def test_formula_text_is_quoted_in_csv_but_numbers_are_not(dump_dir):
    from tests.factories import make_institution

    make_institution(slug="south", name="=HYPERLINK(1)", latitude=-33.9, longitude=18.4)
    export()
    tables, _ = read_zip(dump_dir / "genetx-2026-11-30-csv.zip")
    row = tables["institutions"][0]
    assert row["name"] == "'=HYPERLINK(1)"
    assert row["latitude"] == "-33.9"


def test_older_dumps_beyond_the_limit_are_removed(dump_dir):
    build_small_world()
    for day in range(1, 4):
        export(date=datetime.date(2026, 11, day), keep=2)
    dates = sorted({p.name[7:17] for p in dump_dir.iterdir()})
    assert dates == ["2026-11-02", "2026-11-03"]
    assert not [p for p in dump_dir.iterdir() if p.name.startswith(".partial")]


def test_open_data_page_lists_and_serves_the_dumps(client, dump_dir):
    build_small_world()
    assert "No dump has been published yet" in client.get("/open-data/").content.decode()
    export()
    page = client.get("/open-data/").content.decode()
    assert "genetx-2026-11-30-csv.zip" in page
    assert "/api/v1/docs" in page
    response = client.get("/open-data/genetx-2026-11-30-csv.zip")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()


@pytest.mark.parametrize(
    "name", ["..%2Fsettings.py", "genetx-2026-11-29.jsonl.gz", "db.sqlite3", ".partial-x"]
)
def test_only_existing_dump_files_are_served(client, dump_dir, name):
    (dump_dir / "db.sqlite3").write_text("secret")
    assert client.get(f"/open-data/{name}").status_code == 404


def test_dump_names_no_hidden_record(dump_dir):
    from tests.genetx.test_no_draft_leaks import HiddenWorld

    world = HiddenWorld()
    export()
    text = gzip.decompress((dump_dir / "genetx-2026-11-30.jsonl.gz").read_bytes()).decode()
    with zipfile.ZipFile(dump_dir / "genetx-2026-11-30-csv.zip") as archive:
        text += "".join(archive.read(name).decode() for name in archive.namelist())
    assert [title for title in world.titles if title in text] == []
    assert "Public therapy" in text
