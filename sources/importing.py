"""Import sources from BibTeX and RIS files, with a preview of every row before saving.

parse_bibtex() and parse_ris() turn a file into rows of Source field values and authors;
plan_import() decides, row by row, whether each would create a source, update one (matched
by DOI, then by key) or be refused, and why; sources_import() saves a plan. The preview and
the real run share plan_import(), so what the editor confirms is what gets saved.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

import bibtexparser
import rispy
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import DuplicateBlockKeyBlock, Entry
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from pylatexenc.latex2text import LatexNodes2Text

from genetx import revisions
from genetx.history import import_reason, label_change
from genetx.imports import ImportFileError, check_entry_count, check_field_size, read_bounded
from genetx.models import DatePrecision, Revision
from genetx.publishing import can_publish
from genetx.services import revision_save

from .models import Author, Source, SourceKind
from .validators import normalise_doi

BIBTEX_KINDS = {
    "article": SourceKind.JOURNAL_ARTICLE,
    "inproceedings": SourceKind.JOURNAL_ARTICLE,
    "book": SourceKind.BOOK,
    "inbook": SourceKind.BOOK,
    "techreport": SourceKind.REPORT,
    "report": SourceKind.REPORT,
    "phdthesis": SourceKind.REPORT,
    "online": SourceKind.WEB_ARTICLE,
    "electronic": SourceKind.WEB_ARTICLE,
    "www": SourceKind.WEB_ARTICLE,
    "misc": SourceKind.WEB_ARTICLE,
    "dataset": SourceKind.DATABASE,
}
RIS_KINDS = {
    "JOUR": SourceKind.JOURNAL_ARTICLE,
    "JFULL": SourceKind.JOURNAL_ARTICLE,
    "EJOUR": SourceKind.JOURNAL_ARTICLE,
    "NEWS": SourceKind.NEWS_ARTICLE,
    "MGZN": SourceKind.NEWS_ARTICLE,
    "ELEC": SourceKind.WEB_ARTICLE,
    "WEB": SourceKind.WEB_ARTICLE,
    "BLOG": SourceKind.WEB_ARTICLE,
    "GEN": SourceKind.WEB_ARTICLE,
    "PRESS": SourceKind.PRESS_RELEASE,
    "RPRT": SourceKind.REPORT,
    "GOVDOC": SourceKind.REPORT,
    "BOOK": SourceKind.BOOK,
    "CHAP": SourceKind.BOOK,
    "DBASE": SourceKind.DATABASE,
    "DATA": SourceKind.DATABASE,
}
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# Source fields an import may set; status and the audit dates are never imported.
IMPORTED_FIELDS = [
    "key",
    "kind",
    "title",
    "original_title",
    "container_title",
    "publisher",
    "issued",
    "issued_precision",
    "volume",
    "issue",
    "pages",
    "doi",
    "url",
    "language",
    "accessed",
]


@dataclass
class SourceRow:
    """One entry of the file: the values it gives and what was wrong while reading it."""

    number: int
    label: str
    values: dict = field(default_factory=dict)
    authors: list[dict] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    # A catch-all type (@misc, RIS GEN) says little: it sets the kind of a new source but
    # never overwrites the more precise kind of a stored one.
    generic_kind: bool = False
    # RIS has no way to say "et al."; a RIS file's author list is compared by names only.
    marks_et_al: bool = True

    # The text the file gave for a refused field, when it is not kept in values.
    given: dict = field(default_factory=dict)

    def refuse(self, field_name: str, message: str, given: str | None = None) -> None:
        self.errors.setdefault(field_name, []).append(message)
        if given is not None:
            self.given[field_name] = given


@dataclass
class PlannedRow:
    row: SourceRow
    action: str  # "create", "update" or "refuse"
    source: Source | None = None
    changes: list[str] = field(default_factory=list)
    replace_authors: bool = False
    # For an update: each changed field's stored value, so the preview shows old -> new.
    old_values: dict = field(default_factory=dict)

    @property
    def is_live(self) -> bool:
        """Whether the row updates a published source (kept for review for editors)."""
        return self.action == "update" and self.source is not None and self.source.is_published

    @property
    def value_changes(self) -> list[tuple[str, str, str]]:
        """(field, old, new) for each changed field, as editors know them."""
        return [
            (
                str(Source._meta.get_field(name).verbose_name),
                str(self.old_values.get(name) or "—"),
                str(getattr(self.source, name) or "—"),
            )
            for name in self.changes
            if name not in ("authors", "issued_precision")
        ]

    @property
    def change_labels(self) -> list[str]:
        """The changed fields as editors know them: "journal or site", not container_title."""
        return [
            name if name == "authors" else str(Source._meta.get_field(name).verbose_name)
            for name in self.changes
            if name != "issued_precision"
        ]

    @property
    def problems(self) -> list[dict]:
        """Each problem with its row, field and the value the file gave, for a report."""
        return [
            {
                "row": self.row.number,
                "label": self.row.label,
                "field": name,
                "value": _shown(
                    self.row.given.get(name, self.row.values.get(name.split(" ")[0], ""))
                ),
                "message": message,
            }
            for name, messages in self.row.errors.items()
            for message in messages
        ]

    @property
    def errors(self) -> list[str]:
        """Each problem as "field: message", for the preview and the refusal message."""
        return [
            f"{name}: {message}"
            for name, messages in self.row.errors.items()
            for message in messages
        ]


@dataclass
class ImportPlan:
    rows: list[PlannedRow]

    def count(self, action: str) -> int:
        return sum(1 for planned in self.rows if planned.action == action)

    @property
    def count_create(self) -> int:
        return self.count("create")

    @property
    def count_update(self) -> int:
        return self.count("update")

    @property
    def count_refuse(self) -> int:
        return self.count("refuse")


def _shown(value) -> str:
    """A value as a report shows it: text, cut to a readable length."""
    text = "" if value is None else str(value)
    return text if len(text) <= 200 else text[:199] + "…"


# Reading files ------------------------------------------------------------------------------


def read_upload(upload) -> tuple[str, str]:
    """The format ("bibtex" or "ris") and text of an uploaded file, or ImportFileError."""
    name = (upload.name or "").lower()
    if name.endswith(".bib"):
        file_format = "bibtex"
    elif name.endswith(".ris"):
        file_format = "ris"
    else:
        raise ImportFileError("Choose a BibTeX (.bib) or RIS (.ris) file.")
    raw = read_bounded(upload)
    if b"\x00" in raw:
        raise ImportFileError("The file is not text; BibTeX and RIS files are plain text.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            "The file is not UTF-8 text; save it as UTF-8 from your reference manager."
        ) from exc
    return file_format, text


def parse(file_format: str, text: str) -> list[SourceRow]:
    if file_format == "bibtex":
        return parse_bibtex(text)
    if file_format == "ris":
        return parse_ris(text)
    raise ImportFileError(f"Unknown format {file_format!r}.")


def parse_bibtex(text: str) -> list[SourceRow]:
    """The entries of a BibTeX file, read by bibtexparser 2, within the import limits.

    bibtexparser 2 replaces a field that names an @string by that string's text, one
    level only: it never expands a string built from other strings, so a file of
    self-doubling @string definitions cannot grow in memory. A field that still holds such
    an expression (`a # b`) is refused, as are files over the entry or field-size limits.
    """
    library = bibtexparser.parse_string(text)
    entries = list(library.entries)
    for block in library.failed_blocks:
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(
            block.ignore_error_block, Entry
        ):
            # A repeated key: kept as a row, so the plan refuses it with the row it repeats.
            entries.append(block.ignore_error_block)
        elif not isinstance(block, DuplicateBlockKeyBlock):
            raise ImportFileError(
                f"The file could not be read as BibTeX: the entry starting on line "
                f"{(block.start_line or 0) + 1} is malformed ({block.error})."
            )
    if not entries:
        raise ImportFileError("No BibTeX entries (@article{...}) were found in the file.")
    check_entry_count(len(entries))
    entries.sort(key=lambda entry: entry.start_line or 0)
    _check_bibtex_values(entries)
    rows = []
    for number, entry in enumerate(entries, start=1):
        fields = {field_.key.lower(): str(field_.value) for field_ in entry.fields}
        row = SourceRow(number=number, label=entry.key)
        entry_type = entry.entry_type.lower()
        kind = BIBTEX_KINDS.get(entry_type)
        row.generic_kind = entry_type == "misc"
        if kind is None:
            row.refuse(
                "kind",
                f"BibTeX type @{entry_type} is not one GeneTx records "
                f"(use one of {', '.join('@' + t for t in sorted(BIBTEX_KINDS))}).",
                "@" + entry_type,
            )
        row.values = {
            "key": entry.key,
            "kind": kind or "",
            "title": _text(fields, "title"),
            "container_title": _text(fields, "journal", "booktitle", "howpublished"),
            "publisher": _text(fields, "publisher", "institution"),
            "volume": _unbrace(fields.get("volume", "")),
            "issue": _unbrace(fields.get("number", "")),
            "pages": _unbrace(fields.get("pages", "")).replace("--", "-"),
            "doi": _unbrace(fields.get("doi", "")),
            "url": _unbrace(fields.get("url", "")),
            "language": _text(fields, "language"),
        }
        _set_issued(
            row,
            *(_unbrace(fields.get(name, "")) for name in ("year", "month", "day")),
        )
        if fields.get("urldate"):
            row.values["accessed"] = _parse_iso_date(row, "accessed", _unbrace(fields["urldate"]))
        row.authors = _bibtex_authors(fields.get("author", ""))
        rows.append(row)
    return rows


def _check_bibtex_values(entries) -> None:
    """Refuse a file whose fields are too long or still hold a string expression."""
    for entry in entries:
        for field_ in entry.fields:
            where = f"Field {field_.key} of entry {entry.key!r}"
            value = field_.value if isinstance(field_.value, str) else str(field_.value)
            check_field_size(value, where)
            if field_.enclosing == "no-enclosing" and "#" in value:
                raise ImportFileError(
                    f"{where} joins @string macros with # ({value[:80]!r}). GeneTx reads a "
                    "macro only when a field is exactly its name; write the value out in "
                    "braces instead."
                )


def _text(fields: dict, *names: str) -> str:
    """The first of the named fields that has a value, as plain text."""
    return _latex_text(next((fields[name] for name in names if fields.get(name)), ""))


def _latex_text(value: str) -> str:
    """LaTeX as the text readers see: {\\'a} as á, {CAR-T} without its braces.

    Composed (NFC) so that search and comparison find the one character (í) they expect.
    """
    text = LatexNodes2Text().latex_to_text(value)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _unbrace(value: str) -> str:
    """A code-like value (year, DOI, URL, pages) without BibTeX's protective braces."""
    return value.replace("{", "").replace("}", "").strip()


def _wholly_braced(name: str) -> bool:
    """{U.S. Food and Drug Administration}: one brace group around the whole name."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for position, char in enumerate(name):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and position < len(name) - 1:
            return False
    return True


def _bibtex_authors(value: str) -> list[dict]:
    """Authors by BibTeX's own rules (bibtexparser): "and" outside braces separates them,
    "Family, Given" or "Given von Family"; a name wholly in braces is an organisation."""
    authors = []
    for name in split_multiple_persons_names(value) if value.strip() else []:
        if name.lower() == "others":
            if authors:
                authors[-1]["et_al"] = True
            continue
        if _wholly_braced(name):
            authors.append(
                {"literal": _latex_text(name[1:-1]), "family": "", "given": "", "et_al": False}
            )
            continue
        parts = parse_single_name_into_parts(name, strict=False)
        family = _latex_text(" ".join(parts.von + parts.last + parts.jr))
        given = _latex_text(" ".join(parts.first))
        authors.append({"family": family, "given": given, "literal": "", "et_al": False})
    return authors


def _person(name: str) -> dict:
    """A name as family and given: "Catalá, E." or "E. Catalá"."""
    if "," in name:
        family, given = (part.strip() for part in name.split(",", 1))
    elif " " in name:
        given, family = name.rsplit(" ", 1)
    else:
        family, given = name, ""
    return {"family": family, "given": given, "literal": "", "et_al": False}


def parse_ris(text: str) -> list[SourceRow]:
    try:
        entries = rispy.loads(text)
    except Exception as exc:  # rispy raises several kinds of error on malformed input
        raise ImportFileError(f"The file could not be read as RIS: {exc}") from exc
    if not entries:
        raise ImportFileError("No RIS records (TY  - ... ER  -) were found in the file.")
    check_entry_count(len(entries), "records")
    for number, entry in enumerate(entries, start=1):
        for name, value in entry.items():
            for item in value if isinstance(value, list) else [value]:
                check_field_size(str(item), f"Field {name} of record {number}")
    rows = []
    for number, entry in enumerate(entries, start=1):
        ris_type = entry.get("type_of_reference", "")
        row = SourceRow(number=number, label=entry.get("id", "") or entry.get("title", "")[:40])
        kind = RIS_KINDS.get(ris_type)
        row.generic_kind = ris_type == "GEN"
        row.marks_et_al = False
        if kind is None:
            row.refuse(
                "kind",
                f"RIS type {ris_type or '(none)'} is not one GeneTx records "
                f"(use one of {', '.join(sorted(RIS_KINDS))}).",
                ris_type,
            )
        pages = entry.get("start_page", "")
        if entry.get("end_page"):
            pages = f"{pages}-{entry['end_page']}"
        title = entry.get("title") or entry.get("primary_title", "")
        original_title = ""
        if entry.get("translated_title"):
            original_title, title = title, entry["translated_title"]
        urls = entry.get("urls") or []
        row.values = {
            "key": entry.get("id", ""),
            "kind": kind or "",
            "title": title,
            "original_title": original_title,
            "container_title": entry.get("journal_name")
            or entry.get("secondary_title")
            or entry.get("alternate_title3", ""),
            "publisher": entry.get("publisher", ""),
            "volume": entry.get("volume", ""),
            "issue": entry.get("number", ""),
            "pages": pages,
            "doi": entry.get("doi", ""),
            "url": urls[0] if urls else "",
            "language": entry.get("language", ""),
        }
        date_parts = (entry.get("date") or "").split("/")
        year = entry.get("year") or date_parts[0]
        month = date_parts[1] if len(date_parts) > 1 else ""
        day = date_parts[2] if len(date_parts) > 2 else ""
        _set_issued(row, year.strip(), month.strip(), day.strip())
        if entry.get("access_date"):
            row.values["accessed"] = _parse_iso_date(
                row, "accessed", entry["access_date"].replace("/", "-")
            )
        # RIS writes a person as "Family, Given"; a name without a comma is an organisation.
        row.authors = [
            _person(name)
            if "," in name
            else {"literal": name.strip(), "family": "", "given": "", "et_al": False}
            for name in entry.get("authors") or entry.get("first_authors") or []
        ]
        rows.append(row)
    return rows


def _set_issued(row: SourceRow, year: str, month: str, day: str) -> None:
    """Set issued and its precision from whatever parts of the date the file gives."""
    row.values["issued"] = None
    row.values["issued_precision"] = ""
    if not year:
        return
    if not re.fullmatch(r"\d{4}", year):
        row.refuse("issued", f"the year {year!r} is not a four-digit year.", year)
        return
    month_number = None
    if month:
        month_number = MONTHS.get(month.lower().strip(". ")) or (
            int(month) if month.isdigit() and 1 <= int(month) <= 12 else None
        )
        if month_number is None:
            row.refuse("issued", f"the month {month!r} is not a month.", month)
            return
    try:
        if month_number and day:
            issued, precision = (
                datetime.date(int(year), month_number, int(day)),
                DatePrecision.DAY,
            )
        elif month_number:
            issued, precision = datetime.date(int(year), month_number, 1), DatePrecision.MONTH
        else:
            issued, precision = datetime.date(int(year), 1, 1), DatePrecision.YEAR
    except ValueError:
        row.refuse("issued", f"{year}-{month}-{day} is not a date.", f"{year}-{month}-{day}")
        return
    row.values["issued"] = issued
    row.values["issued_precision"] = precision


def _parse_iso_date(row: SourceRow, field_name: str, value: str):
    try:
        return datetime.date.fromisoformat(value.strip()[:10])
    except ValueError:
        row.refuse(field_name, f"{value!r} is not a date (YYYY-MM-DD).", value)
        return None


# Planning and saving --------------------------------------------------------------------------


def _new_key(values: dict, authors: list[dict], taken: set[str]) -> str:
    """A citation key like catala-2022 for a record that brings none, unique in the database."""
    first = authors[0] if authors else {}
    name = first.get("family") or first.get("literal") or values.get("title") or "source"
    year = values["issued"].year if values.get("issued") else ""
    base = slugify(f"{name} {year}")[:70].strip("-") or "source"
    taken = taken | set(Source.objects.filter(key__startswith=base).values_list("key", flat=True))
    key, suffix = base, 2
    while key in taken:
        key, suffix = f"{base}-{suffix}", suffix + 1
    return key


def plan_import(rows: list[SourceRow]) -> ImportPlan:
    """Decide for each row: create, update (same DOI, else same key) or refuse, and why.

    Nothing is saved. A row is refused when reading it failed, when its values do not pass
    the same validation as the admin form, or when it repeats a DOI or key of an earlier
    row in the same file.
    """
    dois = [normalise_doi(row.values.get("doi", "")) for row in rows]
    keys = [row.values.get("key", "") for row in rows]
    stored = Source.objects.prefetch_related("authors")
    by_doi = {s.doi: s for s in stored.filter(doi__in=[d for d in dois if d])}
    by_key = {s.key: s for s in stored.filter(key__in=[k for k in keys if k])}
    taken = set(by_key)
    # A record with neither DOI nor key is the same work as a stored one with its title and
    # year: importing the same file twice then updates instead of duplicating.
    titles = [row.values.get("title", "") for row in rows if not row.values.get("key")]
    by_title = {
        (s.title.lower(), s.year): s
        for s in Source.objects.filter(title__in=[t for t in titles if t])
    }
    seen_doi: dict[str, int] = {}
    seen_key: dict[str, int] = {}
    planned = []
    for row, doi in zip(rows, dois, strict=True):
        values = dict(row.values, doi=doi)
        existing = by_doi.get(doi) if doi else None
        if existing is None and not doi and not values["key"] and values.get("title"):
            year = values["issued"].year if values.get("issued") else None
            existing = by_title.get((values["title"].lower(), year))
        if existing is None and values["key"] in by_key:
            existing = by_key[values["key"]]
            if existing.doi and doi and existing.doi != doi:
                row.refuse(
                    "key",
                    f"{values['key']!r} is already the key of another source "
                    f"(DOI {existing.doi}); give this entry its own key.",
                )
        if doi and doi in seen_doi:
            row.refuse("doi", f"the DOI {doi} is also in row {seen_doi[doi]} of this file.")
        if values["key"] and values["key"] in seen_key:
            row.refuse(
                "key", f"the key {values['key']!r} is also in row {seen_key[values['key']]}."
            )
        if doi:
            seen_doi.setdefault(doi, row.number)
        if values["key"]:
            seen_key.setdefault(values["key"], row.number)
        if existing is not None:
            # An update keeps the stored key and every value the file leaves empty.
            values["key"] = existing.key
            source = existing
            if row.generic_kind:
                values.pop("kind")
            if _less_precise(source, values.get("issued"), values.get("issued_precision")):
                values.pop("issued")
                values.pop("issued_precision")
            changes, old_values = [], {}
            for name in IMPORTED_FIELDS:
                new = values.get(name)
                if new in (None, "") or getattr(source, name) == new:
                    continue
                changes.append(name)
                old_values[name] = getattr(source, name)
                setattr(source, name, new)
            stored_authors = [(a.family, a.given, a.literal, a.et_al) for a in source.authors.all()]
            width = 4 if row.marks_et_al else 3
            replace_authors = bool(row.authors) and [
                author[:width] for author in _author_tuples(row.authors)
            ] != [author[:width] for author in stored_authors]
            action = "update"
        else:
            if not values["key"]:
                values["key"] = _new_key(values, row.authors, taken)
            taken.add(values["key"])
            source = Source(**{name: values.get(name) or _empty(name) for name in IMPORTED_FIELDS})
            changes = [name for name in IMPORTED_FIELDS if values.get(name)]
            old_values = {}
            replace_authors = bool(row.authors)
            action = "create"
        if not row.label:
            row.label = values["key"]
        if not row.errors:
            _validate(row, source)
        if row.errors:
            planned.append(PlannedRow(row=row, action="refuse"))
        else:
            if replace_authors:
                changes.append("authors")
            planned.append(
                PlannedRow(
                    row=row,
                    action=action,
                    source=source,
                    changes=changes,
                    replace_authors=replace_authors,
                    old_values=old_values,
                )
            )
    return ImportPlan(rows=planned)


def _author_tuples(authors: list[dict]) -> list[tuple]:
    return [(a["family"], a["given"], a["literal"], a["et_al"]) for a in authors]


_PRECISION_RANK = {DatePrecision.YEAR: 1, DatePrecision.MONTH: 2, DatePrecision.DAY: 3}


def _less_precise(source: Source, issued, precision) -> bool:
    """Whether the file's date is the stored one known less precisely (BibTeX has no day)."""
    if not (source.issued and issued and precision and source.issued_precision):
        return False
    if _PRECISION_RANK[precision] >= _PRECISION_RANK[source.issued_precision]:
        return False
    same_month = precision == DatePrecision.YEAR or issued.month == source.issued.month
    return issued.year == source.issued.year and same_month


def _empty(name: str):
    return None if name in {"issued", "accessed"} else ""


def _validate(row: SourceRow, source: Source) -> None:
    try:
        source.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                row.refuse(name if name != "__all__" else "row", message)
    for position, values in enumerate(row.authors, start=1):
        author = Author(position=position, **values)
        try:
            author.full_clean(exclude=["source"], validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                row.refuse(f"author {position} {name}", " ".join(messages))
        if not (author.family or author.literal):
            row.refuse(f"author {position}", "an author needs a family name or organisation.")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    refused: list[PlannedRow]
    # Updates of published sources by someone who may not publish: kept for review.
    revised: int = 0


@transaction.atomic
def sources_import(
    *, rows: list[SourceRow], user: AbstractBaseUser, file_name: str = ""
) -> ImportResult:
    """Save the rows plan_import() accepts (new sources are drafts); refuse the rest.

    Authors in the file replace a source's authors; a file without authors keeps them.
    Every history row of the run says "Imported from <file name> by <user>".
    """
    label = import_reason(file_name, user)
    plan = plan_import(rows)
    as_revision = not can_publish(user, Source)
    revised = 0
    for planned in plan.rows:
        if planned.action == "refuse":
            continue
        if as_revision and planned.is_live:
            if Revision.objects.open().for_object(planned.source).exists():
                planned.row.refuse(
                    "row",
                    "this published source has unpublished changes waiting for review; a "
                    "publisher decides on them before it can be imported again.",
                )
                planned.action = "refuse"
                continue
            _save_as_revision(planned, user)
            revised += 1
            continue
        source = planned.source
        label_change(source, user=user, text=label)
        source.full_clean()
        source.save()
        if planned.replace_authors:
            source.authors.all().delete()
            for position, values in enumerate(planned.row.authors, start=1):
                author = Author(source=source, position=position, **values)
                label_change(author, user=user, text=label)
                author.save()
    return ImportResult(
        created=plan.count("create"),
        updated=plan.count("update") - revised,
        refused=[planned for planned in plan.rows if planned.action == "refuse"],
        revised=revised,
    )


def _save_as_revision(planned: PlannedRow, user: AbstractBaseUser) -> None:
    """Keep an update of a published source as a revision awaiting review."""
    source = planned.source
    live = Source.objects.get(pk=source.pk)
    children = {}
    if planned.replace_authors:
        children["authors"] = {
            "model": Author._meta.label_lower,
            "fk": "source",
            "changed": [],
            "new": [
                {"fields": {"position": position, **values}}
                for position, values in enumerate(planned.row.authors, start=1)
            ],
            "deleted": list(live.authors.values_list("pk", flat=True)),
        }
    data = {
        "fields": revisions.field_values(source),
        "changed": [name for name in planned.changes if name != "authors"],
        "m2m": {},
        "m2m_changed": [],
        "children": children,
    }
    revision_save(obj=live, data=data, user=user, base_version=live.version, submit=True)
