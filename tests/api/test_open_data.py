"""Bulk downloads: the command writes the dated dump, the Open data page lists and serves it."""

import csv
import datetime
import gzip
import io
import json
import zipfile

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from genetx.api import opendata
from genetx.models import Status
from tests.api.worlds import build_small_world
from tests.factories import make_claim, make_therapy

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
    names = sorted(p.name for p in dump_dir.glob("genetx-*"))
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
    dates = sorted({p.name[7:17] for p in dump_dir.glob("genetx-*")})
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


def publish_scheduled(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("publish_scheduled", "-v2", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def dump_lines(dump_dir, date=DAY):
    path = dump_dir / f"genetx-{date.isoformat()}.jsonl.gz"
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


@time_machine.travel(datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC), tick=False)
def test_scheduled_publishing_rebuilds_the_dump_with_what_went_live(dump_dir):
    build_small_world()
    export()
    assert opendata.is_current(dump_dir)
    make_therapy(
        slug="goes-live", status=Status.DRAFT, published_at=None, go_live_at=timezone.now()
    )
    out, err = publish_scheduled()
    assert "Published therapy" in out and "open data dump" in out, err
    assert "goes-live" in {row.get("slug") for row in dump_lines(dump_dir)}
    # Nothing published, nothing changed: the next runs leave the dump alone.
    before = (dump_dir / "genetx-2026-11-30.jsonl.gz").stat().st_mtime_ns
    for _ in range(3):
        assert "open data" not in publish_scheduled()[0]
    assert (dump_dir / "genetx-2026-11-30.jsonl.gz").stat().st_mtime_ns == before


@pytest.mark.django_db(transaction=True)  # edits commit, and count, as in production
@time_machine.travel(datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC), tick=False)
def test_a_committed_edit_makes_the_next_scheduled_run_rebuild_the_dump(dump_dir):
    build_small_world()
    assert not opendata.is_current(dump_dir)  # no dump yet
    assert "open data dump" in publish_scheduled()[0]
    assert opendata.is_current(dump_dir)  # writing the dump is no content change itself
    make_claim(slug="edited-in-the-admin", statement="Added after the dump.")
    assert not opendata.is_current(dump_dir)
    assert "open data dump" in publish_scheduled()[0]
    assert "edited-in-the-admin" in {row.get("slug") for row in dump_lines(dump_dir)}
    assert opendata.is_current(dump_dir)


def test_scheduled_run_can_skip_the_dump(dump_dir):
    build_small_world()
    out, err = publish_scheduled("--skip-open-data")
    assert "open data" not in out and not err
    assert not list(dump_dir.iterdir())


def test_an_unwritable_dump_folder_does_not_undo_scheduled_publishing(tmp_path, settings):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.OPEN_DATA_DIR = blocker / "open-data"
    claim = make_claim(status=Status.DRAFT, published_at=None, go_live_at=timezone.now())
    out, err = publish_scheduled()
    assert "Published claim" in out
    assert "Could not write the open data dump" in err
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED


def test_translated_fields_have_their_spanish_column_beside_the_english(dump_dir):
    translated = make_therapy(slug="gene", name="Gene therapy", summary="In English.")
    translated.name_es = "Terapia génica"
    translated.summary_es = "En español."
    translated.save()
    make_therapy(slug="plain", name="Plain therapy")
    claim = make_claim(slug="figure", therapy=translated, statement="A statement.")
    claim.statement_es = "Una afirmación."
    claim.save()
    export()
    tables, package = read_zip(dump_dir / "genetx-2026-11-30-csv.zip")
    rows = {row["slug"]: row for row in tables["therapies"]}
    # English stays in its column; Spanish beside it, empty where there is none.
    assert (rows["gene"]["name"], rows["gene"]["name_es"]) == ("Gene therapy", "Terapia génica")
    assert (rows["gene"]["summary"], rows["gene"]["summary_es"]) == ("In English.", "En español.")
    assert (rows["plain"]["name"], rows["plain"]["name_es"]) == ("Plain therapy", "")
    claims = {row["slug"]: row for row in tables["claims"]}
    assert claims["figure"]["statement_es"] == "Una afirmación."
    # The descriptor documents each Spanish column, next to its English one.
    resources = {r["name"]: r for r in package["resources"]}
    fields = [f["name"] for f in resources["therapies"]["schema"]["fields"]]
    assert fields[fields.index("name") + 1] == "name_es"
    for table, columns in {
        "therapies": ("name", "summary", "mechanism"),
        "conditions": ("name", "summary"),
        "institutions": ("name", "summary"),
        "programmes": ("summary",),
        "claims": ("statement", "measure_name"),
        "decisions": ("indication",),
        "trials": ("title", "summary"),
    }.items():
        described = {f["name"]: f for f in resources[table]["schema"]["fields"]}
        for column in columns:
            assert "In Spanish" in described[f"{column}_es"]["description"], (table, column)
    assert "name_es" in package["description"]
    # JSON Lines: the same Spanish text, null where there is none.
    lines = gzip.decompress((dump_dir / "genetx-2026-11-30.jsonl.gz").read_bytes()).splitlines()
    therapies = {r["slug"]: r for r in map(json.loads, lines) if r["type"] == "therapy"}
    assert therapies["gene"]["name"] == "Gene therapy"
    assert therapies["gene"]["name_es"] == "Terapia génica"
    assert therapies["plain"]["name_es"] is None


def test_the_dump_is_english_whatever_language_is_active(dump_dir):
    from django.utils import translation

    therapy = make_therapy(slug="gene", name="Gene therapy")
    therapy.name_es = "Terapia génica"
    therapy.save()
    with translation.override("es"):
        export()
    tables, _ = read_zip(dump_dir / "genetx-2026-11-30-csv.zip")
    assert (tables["therapies"][0]["name"], tables["therapies"][0]["name_es"]) == (
        "Gene therapy",
        "Terapia génica",
    )
