"""Reading BibTeX and RIS files into SourceRow values, with every problem kept per field."""

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
from django.utils.translation import gettext
from pylatexenc.latex2text import LatexNodes2Text

from genetx.imports import ImportFileError, check_entry_count, check_field_size, read_bounded
from genetx.models import DatePrecision
from genetx.text import is_integer
from sources.models import SourceKind

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


def read_upload(upload) -> tuple[str, str]:
    """The format ("bibtex" or "ris") and text of an uploaded file, or ImportFileError."""
    name = (upload.name or "").lower()
    if name.endswith(".bib"):
        file_format = "bibtex"
    elif name.endswith(".ris"):
        file_format = "ris"
    else:
        raise ImportFileError(gettext("Choose a BibTeX (.bib) or RIS (.ris) file."))
    raw = read_bounded(upload)
    if b"\x00" in raw:
        raise ImportFileError(gettext("The file is not text; BibTeX and RIS files are plain text."))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            gettext("The file is not UTF-8 text; save it as UTF-8 from your reference manager.")
        ) from exc
    return file_format, text


def parse(file_format: str, text: str) -> list[SourceRow]:
    if file_format == "bibtex":
        return parse_bibtex(text)
    if file_format == "ris":
        return parse_ris(text)
    raise ImportFileError(gettext("Unknown format %(format)r.") % {"format": file_format})


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
                gettext(
                    "The file could not be read as BibTeX: the entry starting on line "
                    "%(line)s is malformed (%(error)s)."
                )
                % {"line": (block.start_line or 0) + 1, "error": block.error}
            )
    if not entries:
        raise ImportFileError(gettext("No BibTeX entries (@article{...}) were found in the file."))
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
                gettext("BibTeX type @%(type)s is not one GeneTx records (use one of %(types)s).")
                % {
                    "type": entry_type,
                    "types": ", ".join("@" + t for t in sorted(BIBTEX_KINDS)),
                },
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
            where = gettext("Field %(field)s of entry %(entry)r") % {
                "field": field_.key,
                "entry": entry.key,
            }
            value = field_.value if isinstance(field_.value, str) else str(field_.value)
            check_field_size(value, where)
            if field_.enclosing == "no-enclosing" and "#" in value:
                raise ImportFileError(
                    gettext(
                        "%(where)s joins @string macros with # (%(value)r). GeneTx reads a "
                        "macro only when a field is exactly its name; write the value out in "
                        "braces instead."
                    )
                    % {"where": where, "value": value[:80]}
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
        raise ImportFileError(
            gettext("The file could not be read as RIS: %(reason)s") % {"reason": exc}
        ) from exc
    if not entries:
        raise ImportFileError(gettext("No RIS records (TY  - ... ER  -) were found in the file."))
    check_entry_count(len(entries), gettext("records"))
    for number, entry in enumerate(entries, start=1):
        for name, value in entry.items():
            for item in value if isinstance(value, list) else [value]:
                check_field_size(
                    str(item),
                    gettext("Field %(field)s of record %(record)s")
                    % {"field": name, "record": number},
                )
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
                gettext("RIS type %(type)s is not one GeneTx records (use one of %(types)s).")
                % {"type": ris_type or gettext("(none)"), "types": ", ".join(sorted(RIS_KINDS))},
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
        row.refuse(
            "issued", gettext("the year %(year)r is not a four-digit year.") % {"year": year}, year
        )
        return
    month_number = None
    if month:
        month_number = MONTHS.get(month.lower().strip(". ")) or (
            int(month) if is_integer(month) and 1 <= int(month) <= 12 else None
        )
        if month_number is None:
            row.refuse(
                "issued", gettext("the month %(month)r is not a month.") % {"month": month}, month
            )
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
        row.refuse(
            "issued",
            gettext("%(date)s is not a date.") % {"date": f"{year}-{month}-{day}"},
            f"{year}-{month}-{day}",
        )
        return
    row.values["issued"] = issued
    row.values["issued_precision"] = precision


def _parse_iso_date(row: SourceRow, field_name: str, value: str):
    try:
        return datetime.date.fromisoformat(value.strip()[:10])
    except ValueError:
        row.refuse(
            field_name, gettext("%(value)r is not a date (YYYY-MM-DD).") % {"value": value}, value
        )
        return None
