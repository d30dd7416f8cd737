"""Dated bulk downloads of every published record: JSON Lines, and CSV with a data package.

`manage.py export_open_data` calls `write_dump()`; nothing here runs in a web request,
which only lists and serves the files already written (genetx/api/views.py).

For a date D, the folder OPEN_DATA_DIR receives:

- genetx-D.jsonl.gz: one JSON object a line, `{"type": "therapy", ...}`, each record as
  the API's list endpoint gives it in English (the same schemas), so both read the same,
  plus the Spanish text of its translated fields (`name_es` beside `name`, null where
  there is none yet);
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone, translation
from modeltranslation.utils import build_localized_fieldname

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
    """One field: its CSV column, its datapackage.json field and, with `references`, a
    foreign key ("resource.field")."""

    name: str
    type: str  # a Frictionless field type
    description: str
    value: Callable[[dict], object] | None = None  # of the record; default: record[name]
    references: str = ""

    def cell(self, row: dict):
        value = self.value(row) if self.value else row[self.name]
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        # Text a spreadsheet would run as a formula gets a leading quote; numbers stay numbers.
        return safe_cell(value) if self.type == "string" else value


def _ref(field, key="slug"):
    return lambda row: (row[field] or {}).get(key, "")


def _each(field, key="slug"):
    return lambda row: "|".join(str(item[key]) for item in row[field])


def _slug_of(field, resource, description):
    """A column naming a related record by its slug, a foreign key to `resource`."""
    return Column(field, "string", description, _ref(field), f"{resource}.slug")


def _key_of(field, description):
    """A column naming a related source by its key, a foreign key to sources."""
    return Column(field, "string", description, _ref(field, "key"), "sources.key")


_DATES = [
    Column("published_at", "datetime", "When it was first published."),
    Column("updated_at", "datetime", "When it last changed."),
    Column("html_url", "string", "Its public page."),
]
_ID = Column("id", "integer", "Permanent number.")
_SLUG = Column("slug", "string", "Key in URLs.")
# A claim's or a trial's sources, from the citations its record holds.
_CITED_SOURCES = Column(
    "sources",
    "string",
    "Keys of the cited sources, in order, separated by |.",
    lambda row: "|".join(c["source"]["key"] for c in row["citations"]),
)


def _other_languages() -> list[str]:
    return [c for c in settings.MODELTRANSLATION_LANGUAGES if c != settings.LANGUAGE_CODE]


def _translated(model):
    from genetx.translation_sync import translated_fields

    return translated_fields(model)


def bilingual(model, columns: list[Column]) -> list[Column]:
    """The columns with, after each translated field's (name, in English), its column in
    each other language (name_es): empty where the record has no text in it yet."""
    out = []
    for column in columns:
        out.append(column)
        if column.value is None and column.name in _translated(model):
            for code in _other_languages():
                out.append(
                    Column(
                        f"{column.name}_{code}",
                        "string",
                        f"{column.description} In {_language_name(code)}: empty where "
                        f"there is no translation yet ({column.name} is then the only text).",
                    )
                )
    return out


def _language_name(code: str) -> str:
    from django.utils.translation import get_language_info

    return get_language_info(code)["name"]


@dataclass(frozen=True)
class Table:
    """One table of the dump. A table read from the database (`queryset`, `schema`) also
    writes its records to JSON Lines, each with `"type": record_type`; a table of parts
    (`parent`, `parts`) takes its rows from the records of its parent table."""

    name: str
    title: str
    columns: list[Column]
    primary_key: str = ""
    record_type: str = ""
    queryset: Callable | None = None
    schema: type | None = None
    parent: str = ""
    parts: Callable[[dict], list[dict]] | None = None

    def resource(self) -> dict:
        """This table's resource in datapackage.json."""
        schema: dict = {
            "fields": [
                {"name": c.name, "type": c.type, "description": c.description} for c in self.columns
            ],
        }
        if self.primary_key:
            schema["primaryKey"] = self.primary_key
        foreign = [
            {
                "fields": c.name,
                "reference": dict(
                    zip(("resource", "fields"), c.references.split("."), strict=True)
                ),
            }
            for c in self.columns
            if c.references
        ]
        if foreign:
            schema["foreignKeys"] = foreign
        return {
            "name": self.name,
            "title": self.title,
            "path": f"{self.name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


def _citations(claim: dict) -> list[dict]:
    return [
        {**citation, "claim": claim["slug"], "source": citation["source"]["key"]}
        for citation in claim["citations"]
    ]


def _authors(source: dict) -> list[dict]:
    return [
        {**author, "source": source["key"], "position": position}
        for position, author in enumerate(source["authors"], start=1)
    ]


TABLES = [
    Table(
        "therapies",
        "Therapies",
        bilingual(
            Therapy,
            [
                _ID,
                _SLUG,
                Column("name", "string", "The name readers know it by."),
                Column("kind", "string", "approach, product or hospital."),
                Column("inn", "string", "International non-proprietary name."),
                Column("brand_name", "string", "Brand name."),
                Column("code", "string", "Development code."),
                Column("modality", "string", "Modality slug.", _ref("modality")),
                Column(
                    "conditions", "string", "Condition slugs, separated by |.", _each("conditions")
                ),
                Column("development_status", "string", "research, clinical_trial, approved, ..."),
                Column("summary", "string", "What it is."),
                Column("mechanism", "string", "How it works."),
                *_DATES,
            ],
        ),
        primary_key="slug",
        record_type="therapy",
        queryset=lambda: Therapy.objects.for_listing(),
        schema=schemas.TherapyOut,
    ),
    Table(
        "conditions",
        "Conditions",
        bilingual(
            Condition,
            [
                _ID,
                _SLUG,
                Column("name", "string", "Name."),
                Column(
                    "category",
                    "string",
                    "genetic, haematological_cancer, neurodegenerative, other.",
                ),
                Column("is_rare", "boolean", "Rare by the EU definition."),
                Column("orpha_code", "string", "Orphanet code (ORPHA:...)."),
                Column("icd10_code", "string", "WHO ICD-10 code."),
                _slug_of("parent", "conditions", "Slug of the broader condition."),
                Column("summary", "string", "Summary."),
                Column("therapy_count", "integer", "Published therapies for it."),
                *_DATES,
            ],
        ),
        primary_key="slug",
        record_type="condition",
        queryset=lambda: Condition.objects.for_listing(),
        schema=schemas.ConditionOut,
    ),
    Table(
        "institutions",
        "Institutions",
        bilingual(
            Institution,
            [
                _ID,
                _SLUG,
                Column("name", "string", "Name."),
                Column("kind", "string", "hospital, regulator, company, ..."),
                Column("city", "string", "City."),
                Column("region", "string", "Region."),
                Column("country", "string", "Two-letter ISO code."),
                Column("website", "string", "Website."),
                Column("ror_id", "string", "Research Organization Registry id."),
                Column("latitude", "number", "Latitude."),
                Column("longitude", "number", "Longitude."),
                Column("summary", "string", "Summary."),
                Column("programme_count", "integer", "Its published programmes."),
                *_DATES,
            ],
        ),
        primary_key="slug",
        record_type="institution",
        queryset=lambda: Institution.objects.for_listing(),
        schema=schemas.InstitutionOut,
    ),
    Table(
        "programmes",
        "Programmes: what an institution does with a therapy",
        bilingual(
            Programme,
            [
                _ID,
                _slug_of("institution", "institutions", "Institution slug."),
                _slug_of("therapy", "therapies", "Therapy slug."),
                Column("role", "string", "develops, implements, treats, trial_site, ..."),
                Column("since", "integer", "The year the role began."),
                Column("summary", "string", "Summary."),
                *_DATES,
            ],
        ),
        primary_key="id",
        record_type="programme",
        queryset=lambda: Programme.objects.for_listing(),
        schema=schemas.ProgrammeOut,
    ),
    Table(
        "sources",
        "Sources",
        bilingual(
            Source,
            [
                _ID,
                Column("key", "string", "Citation key."),
                Column("kind", "string", "journal_article, news_article, report, attribution, ..."),
                Column("title", "string", "Title."),
                Column("original_title", "string", "Title in the work's own language."),
                Column("container_title", "string", "Journal, newspaper or website."),
                Column("publisher", "string", "Publisher."),
                Column("issued", "string", "Publication date as precise as known (2022, 2023-07)."),
                Column("volume", "string", "Volume."),
                Column("issue", "string", "Issue."),
                Column("pages", "string", "Pages."),
                Column("doi", "string", "DOI, bare and lower-case."),
                Column("link", "string", "The work's own URL."),
                Column("language", "string", "Language code."),
                _key_of("reported_by", "For an attribution: the source making it."),
                Column("reference", "string", "The reference in APA 7th edition."),
                Column("citation_count", "integer", "Published claims citing it."),
                *_DATES,
            ],
        ),
        primary_key="key",
        record_type="source",
        queryset=lambda: Source.objects.for_listing(),
        schema=schemas.SourceOut,
    ),
    Table(
        "claims",
        "Claims and figures",
        bilingual(
            Claim,
            [
                _ID,
                _SLUG,
                Column("statement", "string", "The claim."),
                Column("value", "number", "The figure's number."),
                Column("unit", "string", "percent, count, patients, ..."),
                Column("qualifier", "string", "Empty (exactly), more_than, less_than or about."),
                Column("figure", "string", "The figure as readers read it."),
                Column("measure", "string", "What the figure measures (its key)."),
                Column("measure_name", "string", "The measure in words."),
                Column("as_of", "string", "The date the figure describes, as precise as known."),
                Column("event_date", "string", "The date of the event, as precise as known."),
                Column(
                    "review_status", "string", "verified, needs_review, disputed or superseded."
                ),
                Column("review_note", "string", "Why it needs review."),
                _slug_of("therapy", "therapies", "Therapy slug."),
                _slug_of("condition", "conditions", "Condition slug."),
                _slug_of("institution", "institutions", "Institution slug."),
                Column(
                    "programme",
                    "integer",
                    "Programme id.",
                    lambda row: (row["programme"] or {}).get("id"),
                    "programmes.id",
                ),
                _slug_of("superseded_by", "claims", "Slug of the newer claim."),
                _CITED_SOURCES,
                *_DATES,
            ],
        ),
        primary_key="slug",
        record_type="claim",
        queryset=lambda: Claim.objects.for_listing(),
        schema=schemas.ClaimOut,
    ),
    Table(
        "decisions",
        "Regulatory decisions",
        bilingual(
            RegulatoryDecision,
            [
                _ID,
                _slug_of("therapy", "therapies", "Therapy slug."),
                _slug_of("agency", "institutions", "Slug of the deciding institution."),
                Column("kind", "string", "approval, accelerated_approval, hospital_exemption, ..."),
                Column("date", "date", "Date of the decision."),
                Column("indication", "string", "For whom, as the decision words it."),
                _key_of("source", "Key of the documenting source."),
                Column("html_url", "string", "The therapy's public page."),
            ],
        ),
        primary_key="id",
        record_type="decision",
        queryset=lambda: RegulatoryDecision.objects.for_listing(),
        schema=schemas.DecisionOut,
    ),
    Table(
        "trials",
        "Clinical trials",
        bilingual(
            Trial,
            [
                _ID,
                _SLUG,
                Column("acronym", "string", "Short name."),
                Column("title", "string", "Title as the registry gives it."),
                Column("nct_number", "string", "ClinicalTrials.gov number."),
                Column("eudract_number", "string", "EudraCT number."),
                Column("euct_number", "string", "EU CT number."),
                Column(
                    "phase", "string", "early_phase_1, phase_1, phase_1_2, ..., not_applicable."
                ),
                Column(
                    "overall_status", "string", "recruiting, completed, ... (ClinicalTrials.gov)."
                ),
                Column("start_date", "string", "Start date, as precise as known."),
                Column("start_date_kind", "string", "actual or anticipated."),
                Column("completion_date", "string", "Completion date, as precise as known."),
                Column("completion_date_kind", "string", "actual or anticipated."),
                Column("enrolment", "integer", "Participants."),
                Column("enrolment_kind", "string", "actual or anticipated."),
                _slug_of("sponsor", "institutions", "Slug of the sponsoring institution."),
                Column("therapies", "string", "Therapy slugs, separated by |.", _each("therapies")),
                Column(
                    "conditions", "string", "Condition slugs, separated by |.", _each("conditions")
                ),
                Column(
                    "sites",
                    "string",
                    "Institution slugs of its sites, separated by |.",
                    _each("sites"),
                ),
                _CITED_SOURCES,
                Column("summary", "string", "Summary."),
                *_DATES,
            ],
        ),
        primary_key="slug",
        record_type="trial",
        # The detail schema: a trial's sites and sources belong in its row.
        queryset=lambda: Trial.objects.for_detail(),
        schema=schemas.TrialDetail,
    ),
    # Tables of parts, written from their parent's records.
    Table(
        "citations",
        "Which sources each claim cites",
        [
            Column("claim", "string", "Claim slug.", references="claims.slug"),
            Column("source", "string", "Source key.", references="sources.key"),
            Column("position", "integer", "Order among the claim's sources."),
            Column("locator", "string", "Where in the source."),
            Column("quote", "string", "The supporting words, quoted exactly."),
        ],
        parent="claims",
        parts=_citations,
    ),
    Table(
        "authors",
        "Authors of each source, in order",
        [
            Column("source", "string", "Source key.", references="sources.key"),
            Column("position", "integer", "1 for the first author."),
            Column("family", "string", "Family name."),
            Column("given", "string", "Given names or initials."),
            Column("literal", "string", "An organisation as author."),
            Column("et_al", "boolean", "More authors follow that are not recorded."),
        ],
        parent="sources",
        parts=_authors,
    ),
]


def records(table: Table):
    """The table's published records as the API gives them in English, in id order, a
    chunk at a time, each with its translated fields' other languages (name_es)."""
    context = {"request": None}
    translated = [
        (f"{name}_{code}", build_localized_fieldname(name, code))
        for name in _translated(table.queryset().model)
        for code in _other_languages()
    ]
    # English whatever language the command runs in: the columns say which is which.
    with translation.override(settings.LANGUAGE_CODE):
        for obj in table.queryset().order_by("pk").iterator(chunk_size=CHUNK):
            row = table.schema.from_orm(obj, context=context).model_dump(mode="json")
            for key, column in translated:
                row[key] = getattr(obj, column) or None
            yield row


def datapackage(date: datetime.date) -> dict:
    return {
        "profile": "tabular-data-package",
        "name": f"genetx-{date.isoformat()}",
        "title": f"{settings.SITE_NAME} open data, {date:%d %B %Y}",
        "description": "Every published record of the GeneTx knowledge base of gene "
        "therapies: therapies, conditions, institutions, programmes, regulatory decisions, "
        "sources and claims with their citations. Text is in English; each translated "
        "field has its Spanish text in the column beside it (name_es beside name), empty "
        "where there is no translation yet. Quotes in citations are short excerpts of "
        "the cited works, whose copyright stays with their authors. CSV cells starting with "
        "=, +, -, @, tab or carriage return carry a leading ' so spreadsheets do not run "
        "them as formulas.",
        "version": date.isoformat(),
        "created": timezone.now().isoformat(timespec="seconds"),
        "homepage": settings.SITE_URL + "/open-data/" if settings.SITE_URL else "",
        "licenses": [LICENSE],
        "resources": [table.resource() for table in TABLES],
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
    """Write the dump of `date` into `directory`; the number of rows per table.

    Every table goes the same way: its records (or, for a table of parts, the rows its
    parent's records held) become CSV rows through its columns; database records also
    become JSON Lines."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"genetx-{date.isoformat()}"
    descriptor = datapackage(date)
    counts: dict[str, int] = {}
    parts: dict[str, list[dict]] = {table.name: [] for table in TABLES if table.parent}
    with (
        _Atomic(Path(f"{stem}.jsonl.gz")) as raw_jsonl,
        gzip.GzipFile(fileobj=raw_jsonl, mode="wb", mtime=0) as jsonl,
        _Atomic(Path(f"{stem}-csv.zip")) as raw_zip,
        zipfile.ZipFile(raw_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for table in TABLES:
            children = [t for t in TABLES if t.parent == table.name]
            with archive.open(f"{table.name}.csv", "w") as member:
                text = io.TextIOWrapper(member, encoding="utf-8", newline="")
                writer = csv.writer(text)
                writer.writerow([c.name for c in table.columns])
                rows = parts[table.name] if table.parent else records(table)
                counts[table.name] = 0
                for row in rows:
                    if not table.parent:
                        line = json.dumps({"type": table.record_type, **row}, ensure_ascii=False)
                        jsonl.write(line.encode() + b"\n")
                    for child in children:
                        parts[child.name] += child.parts(row)
                    writer.writerow([c.cell(row) for c in table.columns])
                    counts[table.name] += 1
                text.flush()
                text.detach()
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
