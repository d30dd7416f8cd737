"""Every way a source is written out: APA 7 text and HTML, BibTeX, RIS and CSL-JSON.

One dict drives them all: `csl_item(source)` reads the source once into a CSL-JSON item
(the format Zotero and citeproc read), with what CSL has no field for (GeneTx's kind of
source, an author list known to be incomplete, the reporter of an attribution) under the
item's `custom` key, which CSL-JSON 1.0.2 sets aside for such data. Every writer below
takes that dict, so each can be tested with a literal dict and no database.

APA is formatted here in code: citeproc-py ships no APA style, and the cases this site
needs (organisations as authors, partial dates, attributions without a full reference)
are few and well defined. BibTeX and RIS are written by bibtexparser and rispy so their
escaping and field syntax are theirs, not ours. `csl_item` reads only the source and its
prefetched authors (and `reported_by` for attributions): no query per call when the
caller prefetched them.
"""

import datetime
import functools
import json
import re

import bibtexparser
import rispy
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from genetx import dates

from .models import Source, SourceKind

# Kinds whose title is italic in APA (stand-alone works); the rest appear inside a
# container (journal, newspaper) whose name is italic instead.
_STANDALONE_KINDS = {
    SourceKind.WEB_ARTICLE,
    SourceKind.PRESS_RELEASE,
    SourceKind.REPORT,
    SourceKind.BOOK,
    SourceKind.DATABASE,
}
_EN_DASH = "\u2013"
_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip

# The item ------------------------------------------------------------------------------------
_CSL_TYPES = {
    SourceKind.JOURNAL_ARTICLE: "article-journal",
    SourceKind.NEWS_ARTICLE: "article-newspaper",
    SourceKind.WEB_ARTICLE: "webpage",
    SourceKind.PRESS_RELEASE: "webpage",
    SourceKind.REPORT: "report",
    SourceKind.BOOK: "book",
    SourceKind.DATABASE: "dataset",
    SourceKind.ATTRIBUTION: "document",
}


def _pages(pages: str) -> str:
    return re.sub(r"\s*[-\u2010-\u2014]+\s*", _EN_DASH, pages.strip())


def csl_item(source: Source) -> dict:
    """The source as one CSL-JSON item, with GeneTx's extras under `custom`."""
    item: dict = {"id": source.key, "type": _CSL_TYPES.get(source.kind, "document")}
    custom: dict = {"kind": source.kind}
    authors = list(source.authors.all())
    if authors:
        item["author"] = [
            {"literal": a.literal} if a.literal else {"family": a.family, "given": a.given}
            for a in authors
        ]
        if authors[-1].et_al:
            custom["et-al"] = True
    if source.display_title:
        item["title"] = source.display_title
    if source.original_title and source.title and source.original_title != source.title:
        item["original-title"] = source.original_title
    if source.issued:
        item["issued"] = {"date-parts": [dates.parts(source.issued, source.issued_precision)]}
    for field, key in (
        ("container_title", "container-title"),
        ("publisher", "publisher"),
        ("volume", "volume"),
        ("issue", "issue"),
        ("doi", "DOI"),
        ("pmid", "PMID"),
        ("url", "URL"),
        ("language", "language"),
    ):
        if getattr(source, field):
            item[key] = getattr(source, field)
    if source.pages:
        item["page"] = _pages(source.pages).replace(_EN_DASH, "-")
    if source.accessed:
        item["accessed"] = {"date-parts": [[*source.accessed.timetuple()[:3]]]}
    if source.kind == SourceKind.ATTRIBUTION and source.public_reporter is not None:
        reporter = source.public_reporter
        item["note"] = f"Not fully referenced; as reported by {reporter.key}"
        custom["reporter"] = {
            "key": reporter.key,
            "label": reporter.short_label,
            "url": reporter.get_absolute_url(),
        }
    item["custom"] = custom
    return item


def _kind(item: dict) -> str:
    return item["custom"]["kind"]


def _reporter(item: dict) -> dict | None:
    return item["custom"].get("reporter") if _kind(item) == SourceKind.ATTRIBUTION else None


def _year_month_day(item: dict) -> list[int]:
    return item["issued"]["date-parts"][0] if "issued" in item else []


# APA 7 -------------------------------------------------------------------------------------
def _initials(given: str) -> str:
    """APA initials: 'Elena' -> 'E.', 'Jean-Pierre' -> 'J.-P.', 'G. A.' -> 'G. A.'."""
    words = [word for word in re.split(r"\s+", given.strip()) if word]
    out = []
    for word in words:
        parts = [part for part in word.split("-") if part]
        out.append("-".join(f"{part[0].upper()}." for part in parts))
    return " ".join(out)


def _author_name(author: dict) -> str:
    if "literal" in author:
        return author["literal"]
    initials = _initials(author["given"])
    return f"{author['family']}, {initials}" if initials else author["family"]


def _apa_authors(item: dict) -> str:
    names = [_author_name(author) for author in item.get("author", [])]
    if not names:
        return ""
    if item["custom"].get("et-al"):
        # The full list is unknown: say so rather than pretend the list is complete.
        return ", ".join(names) + ", et al."
    if len(names) == 1:
        return names[0]
    # Translators: APA's "&" before the last author (Spanish APA writes "y").
    last = gettext("&")
    if len(names) == 2:
        return f"{names[0]}, {last} {names[1]}"
    if len(names) > 20:
        return ", ".join(names[:19]) + ", . . . " + names[-1]
    return ", ".join(names[:-1]) + f", {last} " + names[-1]


def apa_authors(source: Source) -> str:
    """The author element: 'A, B., & C, D.'; up to 20 names, then the APA ellipsis."""
    return _apa_authors(csl_item(source))


def _apa_date(item: dict) -> str:
    """(2022), (2023, July 5), or (n.d.) when the date is not known; in the reader's
    language, so (2023, 5 de julio) and (s.f.) in Spanish (month names from Django's
    translated date formats)."""
    match _year_month_day(item):
        case [year]:
            return f"({year})"
        case [year, month]:
            return f"({year}, {_month_name(month)})"
        case [year, month, day]:
            # Translators: APA's month and day after the year ("July 5"; Spanish "5 de julio").
            when = gettext("%(month)s %(day)s") % {"month": _month_name(month), "day": day}
            return f"({year}, {when})"
    # Translators: APA's "no date" (Spanish APA: s.f.).
    return "(" + gettext("n.d.") + ")"


def _month_name(month: int) -> str:
    return date_format(datetime.date(2000, month, 1), "F")


def _end(text: str) -> str:
    """Close an element with a full stop unless it already ends in punctuation."""
    text = text.strip()
    return text if not text or text[-1] in ".?!" else text + "."


def _title_text(item: dict) -> str:
    """The title as APA wants it for a translated work: original [English]."""
    if "original-title" in item:
        return f"{item['original-title']} [{item['title']}]"
    # APA 7 (9.29): a work without a title is described in square brackets instead.
    return item.get("title") or f"[{SourceKind(_kind(item)).label}]"


def _apa_parts(item: dict) -> list[tuple[str, bool]]:
    """The reference as (text, italic) pieces, in order, without links."""
    if _kind(item) == SourceKind.ATTRIBUTION:
        return _attribution_parts(item)
    parts: list[tuple[str, bool]] = []
    title = _title_text(item)
    title_italic = _kind(item) in _STANDALONE_KINDS
    author = _apa_authors(item)
    date = _apa_date(item)
    if author:
        parts.append((_end(author) + " ", False))
        parts.append((date + ". ", False))
        parts.append((title, title_italic))
        parts.append((". " if title[-1] not in ".?!" else " ", False))
    else:
        # APA: with no author the title moves to the author position.
        parts.append((title, title_italic))
        parts.append((". " if title[-1] not in ".?!" else " ", False))
        parts.append((date + ". ", False))
    container = item.get("container-title", "")
    if _kind(item) == SourceKind.JOURNAL_ARTICLE and container:
        parts.append((container, True))
        if item.get("volume"):
            parts.append((", ", False))
            parts.append((item["volume"], True))
        if item.get("issue"):
            parts.append((f"({item['issue']})", False))
        if item.get("page"):
            parts.append((f", {_pages(item['page'])}", False))
        parts.append((". ", False))
    elif container and container != author.rstrip("."):
        # A newspaper is italic; a website name is plain (APA 7, 10.2 and 10.16).
        parts.append((container, _kind(item) == SourceKind.NEWS_ARTICLE))
        parts.append((". ", False))
    publisher = item.get("publisher", "")
    if publisher and publisher not in {author.rstrip("."), container}:
        parts.append((_end(publisher) + " ", False))
    return parts


def _attribution_parts(item: dict) -> list[tuple[str, bool]]:
    container = item.get("container-title", "")
    parts: list[tuple[str, bool]] = [(gettext("A study in") + " ", False)]
    parts.append((container or gettext("an unnamed publication"), bool(container)))
    if item.get("title"):
        on = gettext("on “%(title)s”") % {"title": item["title"]}
        parts.append((f", {on}", False))
    parts.append((". " + gettext("Not fully referenced; as reported by") + " ", False))
    reporter = _reporter(item)
    parts.append((reporter["label"] if reporter else gettext("an unknown source"), False))
    parts.append((".", False))
    return parts


def _link(item: dict) -> str:
    if _kind(item) == SourceKind.ATTRIBUTION:
        return ""
    return f"https://doi.org/{item['DOI']}" if item.get("DOI") else item.get("URL", "")


def apa_text_of(item: dict) -> str:
    """The APA 7 reference as plain text (italics dropped), ending with its DOI or URL."""
    text = "".join(piece for piece, _ in _apa_parts(item)).strip()
    return f"{text} {_link(item)}".strip()


def apa_html_of(item: dict) -> SafeString:
    """The APA 7 reference as HTML: italics as <i>, the DOI or URL as a link, all escaped.

    For an attribution, the reporting source links to its own page.
    """
    pieces = []
    for text, italic in _apa_parts(item):
        pieces.append(format_html("<i>{}</i>", text) if italic else format_html("{}", text))
    reporter = _reporter(item)
    if reporter is not None:
        # Replace the plain reporter label with a link to its page.
        pieces[-2] = format_html('<a href="{}">{}</a>', reporter["url"], reporter["label"])
    html = SafeString("".join(pieces).strip())
    link = _link(item)
    if link:
        html = format_html('{} <a href="{}">{}</a>', html, link, link)
    return html


def apa_text(source: Source) -> str:
    return apa_text_of(csl_item(source))


def apa_html(source: Source) -> SafeString:
    # A page of claims shows dozens of references, and formatting one took ~0.4 ms of
    # Python: the HTML is remembered per CSL item (a pure function of it and the language),
    # so an edit to the source, which changes its item, can never be served stale.
    item = json.dumps(csl_item(source), sort_keys=True, ensure_ascii=False)
    return _apa_html_of_json(item, get_language())


@functools.lru_cache(maxsize=8192)
def _apa_html_of_json(item: str, language: str | None) -> SafeString:
    return apa_html_of(json.loads(item))


# BibTeX ----------------------------------------------------------------------------------
_BIBTEX_TYPES = {
    SourceKind.JOURNAL_ARTICLE: "article",
    SourceKind.BOOK: "book",
    SourceKind.REPORT: "techreport",
}
_BIBTEX_MONTHS = [month[:3].lower() for month in _MONTHS]


def _sort_name(author: dict) -> str:
    """ "Family, Given", or the organisation, as reference managers file names."""
    if "literal" in author:
        return author["literal"]
    return f"{author['family']}, {author['given']}" if author["given"] else author["family"]


def _bibtex_name(author: dict) -> str:
    if "literal" in author:
        # Braces keep an organisation's name from being split into family and given.
        return "{" + author["literal"] + "}"
    return _sort_name(author)


def bibtex_entry_of(item: dict) -> Entry:
    """The item as a bibtexparser entry (strings only, empty fields left out)."""
    authors = item.get("author", [])
    year_month_day = _year_month_day(item)
    fields = {
        "author": " and ".join(_bibtex_name(a) for a in authors)
        + (" and others" if authors and item["custom"].get("et-al") else ""),
        "title": item.get("title", ""),
        "year": str(year_month_day[0]) if year_month_day else "",
        "volume": item.get("volume", ""),
        "number": item.get("issue", ""),
        "pages": item.get("page", "").replace("-", "--"),
        "doi": item.get("DOI", ""),
        "pmid": item.get("PMID", ""),
        "url": item.get("URL", ""),
        "publisher": item.get("publisher", ""),
        "language": item.get("language", ""),
    }
    if len(year_month_day) > 1:
        fields["month"] = _BIBTEX_MONTHS[year_month_day[1] - 1]
    if _kind(item) == SourceKind.JOURNAL_ARTICLE:
        fields["journal"] = item.get("container-title", "")
    elif item.get("container-title"):
        fields["howpublished"] = item["container-title"]
    notes = []
    if "original-title" in item:
        notes.append(f"Original title: {item['original-title']}")
    if _reporter(item) is not None:
        notes.append(item["note"])
    if notes:
        fields["note"] = ". ".join(notes)
    return Entry(
        entry_type=_BIBTEX_TYPES.get(_kind(item), "misc"),
        key=item["id"],
        fields=[Field(name, value) for name, value in fields.items() if value],
    )


def bibtex_text(items: list[dict]) -> str:
    """CSL items as a BibTeX file, one entry each."""
    bibtex_format = BibtexFormat()
    bibtex_format.indent = "  "
    library = Library([bibtex_entry_of(item) for item in items])
    return bibtexparser.write_string(library, bibtex_format=bibtex_format)


def bibtex_file(sources) -> str:
    """The sources as a BibTeX file, one entry each."""
    return bibtex_text([csl_item(source) for source in sources])


def bibtex(source: Source) -> str:
    """The source as one BibTeX entry."""
    return bibtex_file([source])


# RIS --------------------------------------------------------------------------------------
_RIS_TYPES = {
    SourceKind.JOURNAL_ARTICLE: "JOUR",
    SourceKind.NEWS_ARTICLE: "NEWS",
    SourceKind.WEB_ARTICLE: "ELEC",
    SourceKind.PRESS_RELEASE: "PRESS",
    SourceKind.REPORT: "RPRT",
    SourceKind.BOOK: "BOOK",
    SourceKind.DATABASE: "DBASE",
    SourceKind.ATTRIBUTION: "GEN",
}


def ris_entry_of(item: dict) -> dict:
    """The item as a rispy entry dict."""
    entry: dict = {"type_of_reference": _RIS_TYPES.get(_kind(item), "GEN"), "id": item["id"]}
    if item.get("author"):
        entry["authors"] = [_sort_name(a) for a in item["author"]]
    if item.get("title"):
        entry["title"] = item["title"]
    if "original-title" in item:
        entry["translated_title"] = item["title"]
        entry["title"] = item["original-title"]
    if item.get("container-title"):
        key = "journal_name" if _kind(item) == SourceKind.JOURNAL_ARTICLE else "secondary_title"
        entry[key] = item["container-title"]
    year_month_day = _year_month_day(item)
    if year_month_day:
        entry["year"] = str(year_month_day[0])
        # RIS DA: YYYY/MM/DD with the unknown parts left empty.
        known = [str(year_month_day[0]), *(f"{n:02d}" for n in year_month_day[1:])]
        entry["date"] = "/".join([*known, "", ""][:3])
    if item.get("page"):
        first, _, last = item["page"].partition("-")
        entry["start_page"] = first
        if last:
            entry["end_page"] = last
    for key, ris_key in (
        ("volume", "volume"),
        ("issue", "number"),
        ("DOI", "doi"),
        ("publisher", "publisher"),
        ("language", "language"),
    ):
        if item.get(key):
            entry[ris_key] = item[key]
    if item.get("URL"):
        entry["urls"] = [item["URL"]]
    if _reporter(item) is not None:
        entry["notes"] = [item["note"]]
    return entry


def ris_entry(source: Source) -> dict:
    return ris_entry_of(csl_item(source))


class _RisWriter(rispy.RisWriter):
    def set_header(self, count):
        # rispy numbers each record with a bare "1." line, which is no RIS tag: some
        # reference managers reject the file or import a blank record for it.
        return ""


def ris_records(entries: list[dict]) -> str:
    """RIS text of rispy entry dicts, records separated by ER lines and nothing else."""
    return rispy.dumps(entries, implementation=_RisWriter)


def ris(source: Source) -> str:
    """The source as one RIS record."""
    return ris_records([ris_entry(source)])


# CSL-JSON ----------------------------------------------------------------------------------
def csl_json(source: Source) -> dict:
    """The source as one CSL-JSON item for export: the standard fields only."""
    item = csl_item(source)
    del item["custom"]
    return item


def csl_json_text(source: Source) -> str:
    """CSL-JSON as a file holds it: a list of items."""
    return json.dumps([csl_json(source)], ensure_ascii=False, indent=2)
