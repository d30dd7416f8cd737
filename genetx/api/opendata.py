"""Dated bulk downloads of every published record: JSON Lines, and CSV with a data package.

`manage.py export_open_data` calls `write_dump()`; nothing here runs in a web request,
which only lists and serves the files already written (genetx/api/views.py).

For a date D, the folder OPEN_DATA_DIR receives:

- genetx-D.jsonl.gz: one JSON object a line, `{"type": "therapy", ...}`, each record as
  the API's list endpoint gives it (the same schemas), so both read the same;
- genetx-D-csv.zip: one CSV table per type plus citations and authors, and
  `datapackage.json`, a Frictionless (tabular) data package naming every field, its type,
  keys and the licence;
- genetx-D-datapackage.json: that descriptor on its own, to read before downloading.

Files are written under temporary names and renamed when complete, so a reader never
downloads half a dump; older dumps beyond OPEN_DATA_KEEP are removed.

`export()` is what both commands call: `export_open_data` (daily, from cron) and
`publish_scheduled` (every minute), which rebuilds the dump only when `is_current()` says
content changed since the last one, a check of one database row and one small file.
"""

import csv
import datetime
import gzip
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from genetx.cache import store_new_version
from genetx.listing import safe_cell
from hospitals.models import Institution, Programme
from sources.models import Claim, Source
from therapies.models import Condition, RegulatoryDecision, Therapy, Trial

from . import schemas

LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
# Dump file names: the only names the Open data page lists and serves.
FILE_PATTERN = re.compile(
    r"^genetx-(?P<date>\d{4}-\d{2}-\d{2})(?P<kind>\.jsonl\.gz|-csv\.zip|-datapackage\.json)$"
)
CHUNK = 500
# Which content change the newest dump holds (a hidden file: FILE_PATTERN never serves it).
STATE_FILE = ".last-dump.json"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Frictionless field type
    description: str
    value: object  # function of the API record (a dict)


def _ref(field, key="slug"):
    return lambda row: (row[field] or {}).get(key, "")


def _each(field, key="slug"):
    return lambda row: "|".join(str(item[key]) for item in row[field])


def _get(field):
    return lambda row: row[field]


def _columns(*specs) -> list[Column]:
    columns = []
    for spec in specs:
        name, kind, description, *getter = spec
        columns.append(Column(name, kind, description, getter[0] if getter else _get(name)))
    return columns


_DATES = [
    ("published_at", "datetime", "When it was first published."),
    ("updated_at", "datetime", "When it last changed."),
    ("html_url", "string", "Its public page."),
]


@dataclass(frozen=True)
class Table:
    name: str
    type: str  # the `type` of its JSON Lines records
    title: str
    queryset: object
    schema: type
    columns: list[Column]
    foreign_keys: tuple = ()


TABLES = [
    Table(
        "therapies",
        "therapy",
        "Therapies",
        lambda: Therapy.objects.for_listing(),
        schemas.TherapyOut,
        _columns(
            ("id", "integer", "Permanent number."),
            ("slug", "string", "Key in URLs."),
            ("name", "string", "The name readers know it by."),
            ("kind", "string", "approach, product or hospital."),
            ("inn", "string", "International non-proprietary name."),
            ("brand_name", "string", "Brand name."),
            ("code", "string", "Development code."),
            ("modality", "string", "Modality slug.", _ref("modality")),
            ("conditions", "string", "Condition slugs, separated by |.", _each("conditions")),
            ("development_status", "string", "research, clinical_trial, approved, ..."),
            ("summary", "string", "What it is."),
            ("mechanism", "string", "How it works."),
            *_DATES,
        ),
    ),
    Table(
        "conditions",
        "condition",
        "Conditions",
        lambda: Condition.objects.for_listing(),
        schemas.ConditionOut,
        _columns(
            ("id", "integer", "Permanent number."),
            ("slug", "string", "Key in URLs."),
            ("name", "string", "Name."),
            ("category", "string", "genetic, haematological_cancer, neurodegenerative, other."),
            ("is_rare", "boolean", "Rare by the EU definition."),
            ("orpha_code", "string", "Orphanet code (ORPHA:...)."),
            ("icd10_code", "string", "WHO ICD-10 code."),
            ("parent", "string", "Slug of the broader condition.", _ref("parent")),
            ("summary", "string", "Summary."),
            ("therapy_count", "integer", "Published therapies for it."),
            *_DATES,
        ),
    ),
    Table(
        "institutions",
        "institution",
        "Institutions",
        lambda: Institution.objects.for_listing(),
        schemas.InstitutionOut,
        _columns(
            ("id", "integer", "Permanent number."),
            ("slug", "string", "Key in URLs."),
            ("name", "string", "Name."),
            ("kind", "string", "hospital, regulator, company, ..."),
            ("city", "string", "City."),
            ("region", "string", "Region."),
            ("country", "string", "Two-letter ISO code."),
            ("website", "string", "Website."),
            ("ror_id", "string", "Research Organization Registry id."),
            ("latitude", "number", "Latitude."),
            ("longitude", "number", "Longitude."),
            ("summary", "string", "Summary."),
            ("programme_count", "integer", "Its published programmes."),
            *_DATES,
        ),
    ),
    Table(
        "programmes",
        "programme",
        "Programmes: what an institution does with a therapy",
        lambda: Programme.objects.for_listing(),
        schemas.ProgrammeOut,
        _columns(
            ("id", "integer", "Permanent number."),
            ("institution", "string", "Institution slug.", _ref("institution")),
            ("therapy", "string", "Therapy slug.", _ref("therapy")),
            ("role", "string", "develops, implements, treats, trial_site, ..."),
            ("since", "integer", "The year the role began."),
            ("summary", "string", "Summary."),
            *_DATES,
        ),
    ),
    Table(
        "sources",
        "source",
        "Sources",
        lambda: Source.objects.for_listing(),
        schemas.SourceOut,
        _columns(
            ("id", "integer", "Permanent number."),
            ("key", "string", "Citation key."),
            ("kind", "string", "journal_article, news_article, report, attribution, ..."),
            ("title", "string", "Title."),
            ("original_title", "string", "Title in the work's own language."),
            ("container_title", "string", "Journal, newspaper or website."),
            ("publisher", "string", "Publisher."),
            ("issued", "string", "Publication date as precise as known (2022, 2023-07)."),
            ("volume", "string", "Volume."),
            ("issue", "string", "Issue."),
            ("pages", "string", "Pages."),
            ("doi", "string", "DOI, bare and lower-case."),
            ("link", "string", "The work's own URL."),
            ("language", "string", "Language code."),
            (
                "reported_by",
                "string",
                "For an attribution: the source making it.",
                _ref("reported_by", "key"),
            ),
            ("reference", "string", "The reference in APA 7th edition."),
            ("citation_count", "integer", "Published claims citing it."),
            *_DATES,
        ),
    ),
    Table(
        "claims",
        "claim",
        "Claims and figures",
        lambda: Claim.objects.for_listing(),
        schemas.ClaimOut,
        _columns(
            ("id", "integer", "Permanent number."),
            ("slug", "string", "Key in URLs."),
            ("statement", "string", "The claim."),
            ("value", "number", "The figure's number."),
            ("unit", "string", "percent, count, patients, ..."),
            ("qualifier", "string", "Empty (exactly), more_than, less_than or about."),
            ("figure", "string", "The figure as readers read it."),
            ("measure", "string", "What the figure measures (its key)."),
            ("measure_name", "string", "The measure in words."),
            ("as_of", "string", "The date the figure describes, as precise as known."),
            ("event_date", "string", "The date of the event, as precise as known."),
            ("review_status", "string", "verified, needs_review, disputed or superseded."),
            ("review_note", "string", "Why it needs review."),
            ("therapy", "string", "Therapy slug.", _ref("therapy")),
            ("condition", "string", "Condition slug.", _ref("condition")),
            ("institution", "string", "Institution slug.", _ref("institution")),
            (
                "programme",
                "integer",
                "Programme id.",
                lambda row: (row["programme"] or {}).get("id"),
            ),
            ("superseded_by", "string", "Slug of the newer claim.", _ref("superseded_by")),
            (
                "sources",
                "string",
                "Keys of the cited sources, in order, separated by |.",
                lambda row: "|".join(c["source"]["key"] for c in row["citations"]),
            ),
            *_DATES,
        ),
    ),
    Table(
        "decisions",
        "decision",
        "Regulatory decisions",
        lambda: RegulatoryDecision.objects.for_listing(),
        schemas.DecisionOut,
        _columns(
            ("id", "integer", "Permanent number."),
            ("therapy", "string", "Therapy slug.", _ref("therapy")),
            ("agency", "string", "Slug of the deciding institution.", _ref("agency")),
            ("kind", "string", "approval, accelerated_approval, hospital_exemption, ..."),
            ("date", "date", "Date of the decision."),
            ("indication", "string", "For whom, as the decision words it."),
            ("source", "string", "Key of the documenting source.", _ref("source", "key")),
            ("html_url", "string", "The therapy's public page."),
        ),
    ),
    Table(
        "trials",
        "trial",
        "Clinical trials",
        # The detail schema: a trial's sites and sources belong in its row.
        lambda: Trial.objects.for_detail(),
        schemas.TrialDetail,
        _columns(
            ("id", "integer", "Permanent number."),
            ("slug", "string", "Key in URLs."),
            ("acronym", "string", "Short name."),
            ("title", "string", "Title as the registry gives it."),
            ("nct_number", "string", "ClinicalTrials.gov number."),
            ("eudract_number", "string", "EudraCT number."),
            ("euct_number", "string", "EU CT number."),
            ("phase", "string", "early_phase_1, phase_1, phase_1_2, ..., not_applicable."),
            ("overall_status", "string", "recruiting, completed, ... (ClinicalTrials.gov)."),
            ("start_date", "string", "Start date, as precise as known."),
            ("start_date_kind", "string", "actual or anticipated."),
            ("completion_date", "string", "Completion date, as precise as known."),
            ("completion_date_kind", "string", "actual or anticipated."),
            ("enrolment", "integer", "Participants."),
            ("enrolment_kind", "string", "actual or anticipated."),
            ("sponsor", "string", "Slug of the sponsoring institution.", _ref("sponsor")),
            ("therapies", "string", "Therapy slugs, separated by |.", _each("therapies")),
            ("conditions", "string", "Condition slugs, separated by |.", _each("conditions")),
            ("sites", "string", "Institution slugs of its sites, separated by |.", _each("sites")),
            (
                "sources",
                "string",
                "Keys of the cited sources, in order, separated by |.",
                lambda row: "|".join(c["source"]["key"] for c in row["citations"]),
            ),
            ("summary", "string", "Summary."),
            *_DATES,
        ),
    ),
]

# Tables of parts, written from their parent's records.
CITATION_COLUMNS = _columns(
    ("claim", "string", "Claim slug."),
    ("source", "string", "Source key."),
    ("position", "integer", "Order among the claim's sources."),
    ("locator", "string", "Where in the source."),
    ("quote", "string", "The supporting words, quoted exactly."),
)
AUTHOR_COLUMNS = _columns(
    ("source", "string", "Source key."),
    ("position", "integer", "1 for the first author."),
    ("family", "string", "Family name."),
    ("given", "string", "Given names or initials."),
    ("literal", "string", "An organisation as author."),
    ("et_al", "boolean", "More authors follow that are not recorded."),
)
_PRIMARY = {
    "therapies": "slug",
    "conditions": "slug",
    "institutions": "slug",
    "programmes": "id",
    "sources": "key",
    "claims": "slug",
    "decisions": "id",
    "trials": "slug",
}
_FOREIGN = {
    "therapies": [("modality", None, None)],
    "conditions": [("parent", "conditions", "slug")],
    "programmes": [("institution", "institutions", "slug"), ("therapy", "therapies", "slug")],
    "sources": [("reported_by", "sources", "key")],
    "claims": [
        ("therapy", "therapies", "slug"),
        ("condition", "conditions", "slug"),
        ("institution", "institutions", "slug"),
        ("programme", "programmes", "id"),
        ("superseded_by", "claims", "slug"),
    ],
    "decisions": [
        ("therapy", "therapies", "slug"),
        ("agency", "institutions", "slug"),
        ("source", "sources", "key"),
    ],
    "trials": [("sponsor", "institutions", "slug")],
    "citations": [("claim", "claims", "slug"), ("source", "sources", "key")],
    "authors": [("source", "sources", "key")],
}


def records(table: Table):
    """The table's published records as the API gives them, in id order, a chunk at a time."""
    context = {"request": None}
    for obj in table.queryset().order_by("pk").iterator(chunk_size=CHUNK):
        yield table.schema.from_orm(obj, context=context).model_dump(mode="json")


def _cell(column: Column, row: dict):
    value = column.value(row)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # Text a spreadsheet would run as a formula gets a leading quote; numbers stay numbers.
    return safe_cell(value) if column.type == "string" else value


def _resource(name: str, title: str, columns: list[Column]) -> dict:
    schema = {
        "fields": [{"name": c.name, "type": c.type, "description": c.description} for c in columns],
    }
    if name in _PRIMARY:
        schema["primaryKey"] = _PRIMARY[name]
    foreign = [
        {"fields": field, "reference": {"resource": resource, "fields": key}}
        for field, resource, key in _FOREIGN.get(name, [])
        if resource
    ]
    if foreign:
        schema["foreignKeys"] = foreign
    return {
        "name": name,
        "title": title,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }


def datapackage(date: datetime.date) -> dict:
    resources = [_resource(t.name, t.title, t.columns) for t in TABLES]
    resources.append(_resource("citations", "Which sources each claim cites", CITATION_COLUMNS))
    resources.append(_resource("authors", "Authors of each source, in order", AUTHOR_COLUMNS))
    return {
        "profile": "tabular-data-package",
        "name": f"genetx-{date.isoformat()}",
        "title": f"{settings.SITE_NAME} open data, {date:%d %B %Y}",
        "description": "Every published record of the GeneTx knowledge base of gene "
        "therapies: therapies, conditions, institutions, programmes, regulatory decisions, "
        "sources and claims with their citations. Quotes in citations are short excerpts of "
        "the cited works, whose copyright stays with their authors. CSV cells starting with "
        "=, +, -, @, tab or carriage return carry a leading ' so spreadsheets do not run "
        "them as formulas.",
        "version": date.isoformat(),
        "created": timezone.now().isoformat(timespec="seconds"),
        "homepage": settings.SITE_URL + "/open-data/" if settings.SITE_URL else "",
        "licenses": [LICENSE],
        "resources": resources,
    }


class _Atomic:
    """A file written under a temporary name in the same folder, renamed when complete."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        handle, self.temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".partial-")
        self.file = os.fdopen(handle, "wb")
        return self.file

    def __exit__(self, kind, error, trace):
        self.file.close()
        if kind is None:
            os.chmod(self.temporary, 0o644)
            os.replace(self.temporary, self.path)
        else:
            os.unlink(self.temporary)


def write_dump(directory: Path, date: datetime.date) -> dict[str, int]:
    """Write the dump of `date` into `directory`; the number of rows per table."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"genetx-{date.isoformat()}"
    descriptor = datapackage(date)
    counts: dict[str, int] = {}
    jsonl_path = Path(f"{stem}.jsonl.gz")
    zip_path = Path(f"{stem}-csv.zip")
    with (
        _Atomic(jsonl_path) as raw_jsonl,
        gzip.GzipFile(fileobj=raw_jsonl, mode="wb", mtime=0) as jsonl,
        _Atomic(zip_path) as raw_zip,
        zipfile.ZipFile(raw_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        citations, authors = [], []
        for table in TABLES:
            with archive.open(f"{table.name}.csv", "w") as member:
                text = io.TextIOWrapper(member, encoding="utf-8", newline="")
                writer = csv.writer(text)
                writer.writerow([c.name for c in table.columns])
                counts[table.name] = 0
                for row in records(table):
                    line = json.dumps({"type": table.type, **row}, ensure_ascii=False)
                    jsonl.write(line.encode() + b"\n")
                    writer.writerow([_cell(c, row) for c in table.columns])
                    counts[table.name] += 1
                    for citation in row.get("citations", []) if table.name == "claims" else []:
                        citations.append(
                            {**citation, "claim": row["slug"], "source": citation["source"]["key"]}
                        )
                    for position, author in enumerate(
                        row["authors"] if table.name == "sources" else [], start=1
                    ):
                        authors.append({**author, "source": row["key"], "position": position})
                text.flush()
                text.detach()
        for name, columns, rows in (
            ("citations", CITATION_COLUMNS, citations),
            ("authors", AUTHOR_COLUMNS, authors),
        ):
            with archive.open(f"{name}.csv", "w") as member:
                text = io.TextIOWrapper(member, encoding="utf-8", newline="")
                writer = csv.writer(text)
                writer.writerow([c.name for c in columns])
                writer.writerows([_cell(c, row) for c in columns] for row in rows)
                text.flush()
                text.detach()
            counts[name] = len(rows)
        archive.writestr(
            "datapackage.json", json.dumps(descriptor, indent=2, cls=DjangoJSONEncoder)
        )
    with _Atomic(Path(f"{stem}-datapackage.json")) as standalone:
        standalone.write(json.dumps(descriptor, indent=2, cls=DjangoJSONEncoder).encode())
    return counts


@dataclass
class Dump:
    date: datetime.date
    files: dict  # kind -> (file name, size in bytes)


def available(directory: Path) -> list[Dump]:
    """The complete dumps in `directory`, newest first."""
    found: dict[str, dict] = {}
    if directory.is_dir():
        for entry in directory.iterdir():
            match = FILE_PATTERN.match(entry.name)
            if match and entry.is_file():
                kind = {".jsonl.gz": "jsonl", "-csv.zip": "csv", "-datapackage.json": "package"}
                found.setdefault(match["date"], {})[kind[match["kind"]]] = (
                    entry.name,
                    entry.stat().st_size,
                )
    return [
        Dump(datetime.date.fromisoformat(date), files)
        for date, files in sorted(found.items(), reverse=True)
        if len(files) == 3
    ]


def prune(directory: Path, keep: int) -> list[str]:
    """Remove the files of all but the newest `keep` dumps; the names removed."""
    dates = sorted(
        {m["date"] for e in directory.iterdir() if (m := FILE_PATTERN.match(e.name))},
        reverse=True,
    )
    removed = []
    for entry in directory.iterdir():
        match = FILE_PATTERN.match(entry.name)
        if match and match["date"] not in dates[:keep]:
            entry.unlink()
            removed.append(entry.name)
    return sorted(removed)


def content_change_count() -> int:
    """Content changes committed so far (genetx.models.ContentChange), read on the primary."""
    from genetx.models import ContentChange

    counter = ContentChange.objects.using("default").filter(pk=1)
    return counter.values_list("seq", flat=True).first() or 0


def is_current(directory: Path) -> bool:
    """Whether the newest dump holds every committed content change: one row and one file."""
    try:
        state = json.loads((directory / STATE_FILE).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(state, dict) or state.get("content_change") != content_change_count():
        return False
    return any(dump.date.isoformat() == state.get("date") for dump in available(directory))


def export(directory: Path, date: datetime.date, keep: int) -> tuple[dict[str, int], list[str]]:
    """Write the dump of `date` from one snapshot of the database, remove all but the newest
    `keep` dumps, and record which content change it holds; (rows per table, removed files).

    Raises OSError when the folder cannot be written."""
    # Inside a caller's transaction (tests), that transaction's snapshot applies.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every table, so a record published while the dump runs
            # cannot appear in one file and be missing from another.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # Read in the same snapshot: a change committed while the dump is written is not
        # in it, and makes the next check ask for a new dump.
        change = content_change_count()
        counts = write_dump(directory, date)
    removed = prune(directory, keep)
    with _Atomic(directory / STATE_FILE) as state:
        state.write(json.dumps({"date": date.isoformat(), "content_change": change}).encode())
    # The Open data page lists the files: let cached copies of it go. Only the page cache's
    # version changes: the dump changed no content, so the change counter stays put.
    store_new_version()
    return counts, removed
