"""Every way a source is written out: APA 7 text and HTML, BibTeX, RIS and CSL-JSON.

APA is formatted here in code: citeproc-py ships no APA style, and the cases this site
needs (organisations as authors, partial dates, attributions without a full reference)
are few and well defined. BibTeX and RIS are written by bibtexparser and rispy so their
escaping and field syntax are theirs, not ours. Every function reads only the source and
its prefetched authors (and `reported_by` for attributions): no query per call when the
caller prefetched them.
"""

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
from django.utils.translation import gettext

from genetx import dates
from genetx.models import DatePrecision

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


def _initials(given: str) -> str:
    """APA initials: 'Elena' -> 'E.', 'Jean-Pierre' -> 'J.-P.', 'G. A.' -> 'G. A.'."""
    words = [word for word in re.split(r"\s+", given.strip()) if word]
    out = []
    for word in words:
        parts = [part for part in word.split("-") if part]
        out.append("-".join(f"{part[0].upper()}." for part in parts))
    return " ".join(out)


def _author_name(author) -> str:
    if author.literal:
        return author.literal
    initials = _initials(author.given)
    return f"{author.family}, {initials}" if initials else author.family


def _authors(source: Source) -> list:
    return list(source.authors.all())


def apa_authors(source: Source) -> str:
    """The author element: 'A, B., & C, D.'; up to 20 names, then the APA ellipsis."""
    authors = _authors(source)
    if not authors:
        return ""
    names = [_author_name(author) for author in authors]
    if authors[-1].et_al:
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


def apa_date(source: Source) -> str:
    """(2022), (2023, July 5), or (n.d.) when the date is not known; in Spanish (2023, 5 de
    julio) and (s.f.), month names from Django's translated date formats."""
    issued = source.issued
    if issued is None:
        # Translators: APA's "no date" (Spanish APA: s.f.).
        return "(" + gettext("n.d.") + ")"
    if source.issued_precision == DatePrecision.YEAR:
        return f"({issued.year})"
    month = date_format(issued, "F")
    if source.issued_precision == DatePrecision.MONTH:
        return f"({issued.year}, {month})"
    # Translators: APA's month and day after the year ("July 5"; Spanish "5 de julio").
    day = gettext("%(month)s %(day)s") % {"month": month, "day": issued.day}
    return f"({issued.year}, {day})"


def _end(text: str) -> str:
    """Close an element with a full stop unless it already ends in punctuation."""
    text = text.strip()
    return text if not text or text[-1] in ".?!" else text + "."


def _pages(pages: str) -> str:
    return re.sub(r"\s*[-\u2010-\u2014]+\s*", _EN_DASH, pages.strip())


def _title_text(source: Source) -> str:
    """The title as APA wants it for a translated work: original [English]."""
    if source.original_title and source.title and source.original_title != source.title:
        return f"{source.original_title} [{source.title}]"
    # APA 7 (9.29): a work without a title is described in square brackets instead.
    return source.display_title or f"[{source.get_kind_display()}]"


def _parts(source: Source) -> list[tuple[str, bool]]:
    """The reference as (text, italic) pieces, in order, without links."""
    if source.kind == SourceKind.ATTRIBUTION:
        return _attribution_parts(source)
    parts: list[tuple[str, bool]] = []
    title = _title_text(source)
    title_italic = source.kind in _STANDALONE_KINDS
    author = apa_authors(source)
    if author:
        parts.append((_end(author) + " ", False))
        parts.append((apa_date(source) + ". ", False))
        parts.append((title, title_italic))
        parts.append((". " if title[-1] not in ".?!" else " ", False))
    else:
        # APA: with no author the title moves to the author position.
        parts.append((title, title_italic))
        parts.append((". " if title[-1] not in ".?!" else " ", False))
        parts.append((apa_date(source) + ". ", False))
    if source.kind == SourceKind.JOURNAL_ARTICLE and source.container_title:
        parts.append((source.container_title, True))
        if source.volume:
            parts.append((", ", False))
            parts.append((source.volume, True))
        if source.issue:
            parts.append((f"({source.issue})", False))
        if source.pages:
            parts.append((f", {_pages(source.pages)}", False))
        parts.append((". ", False))
    elif source.container_title and source.container_title != author.rstrip("."):
        # A newspaper is italic; a website name is plain (APA 7, 10.2 and 10.16).
        parts.append((source.container_title, source.kind == SourceKind.NEWS_ARTICLE))
        parts.append((". ", False))
    if source.publisher and source.publisher not in {author.rstrip("."), source.container_title}:
        parts.append((_end(source.publisher) + " ", False))
    return parts


def _attribution_parts(source: Source) -> list[tuple[str, bool]]:
    parts: list[tuple[str, bool]] = [(gettext("A study in") + " ", False)]
    parts.append(
        (source.container_title or gettext("an unnamed publication"), bool(source.container_title))
    )
    if source.title:
        on = gettext("on “%(title)s”") % {"title": source.title}
        parts.append((f", {on}", False))
    parts.append((". " + gettext("Not fully referenced; as reported by") + " ", False))
    reporter = source.public_reporter
    parts.append((reporter.short_label if reporter else gettext("an unknown source"), False))
    parts.append((".", False))
    return parts


def _link(source: Source) -> str:
    return source.doi_url or source.url


def apa_text(source: Source) -> str:
    """The APA 7 reference as plain text (italics dropped), ending with its DOI or URL."""
    text = "".join(piece for piece, _ in _parts(source)).strip()
    link = _link(source) if source.kind != SourceKind.ATTRIBUTION else ""
    return f"{text} {link}".strip()


def apa_html(source: Source) -> SafeString:
    """The APA 7 reference as HTML: italics as <i>, the DOI or URL as a link, all escaped.

    For an attribution, the reporting source links to its own page.
    """
    pieces = []
    for text, italic in _parts(source):
        pieces.append(format_html("<i>{}</i>", text) if italic else format_html("{}", text))
    if source.kind == SourceKind.ATTRIBUTION and source.public_reporter is not None:
        # Replace the plain reporter label with a link to its page.
        label = source.public_reporter.short_label
        pieces[-2] = format_html(
            '<a href="{}">{}</a>', source.public_reporter.get_absolute_url(), label
        )
    html = SafeString("".join(pieces).strip())
    link = _link(source) if source.kind != SourceKind.ATTRIBUTION else ""
    if link:
        html = format_html('{} <a href="{}">{}</a>', html, link, link)
    return html


# BibTeX ----------------------------------------------------------------------------------
_BIBTEX_TYPES = {
    SourceKind.JOURNAL_ARTICLE: "article",
    SourceKind.BOOK: "book",
    SourceKind.REPORT: "techreport",
}


def _bibtex_name(author) -> str:
    if author.literal:
        # Braces keep an organisation's name from being split into family and given.
        return "{" + author.literal + "}"
    return author.sort_name


def bibtex_entry(source: Source) -> Entry:
    """The source as a bibtexparser entry (strings only, empty fields left out)."""
    authors = _authors(source)
    fields = {
        "author": " and ".join(_bibtex_name(a) for a in authors)
        + (" and others" if authors and authors[-1].et_al else ""),
        "title": source.display_title,
        "year": str(source.year) if source.year else "",
        "volume": source.volume,
        "number": source.issue,
        "pages": source.pages.replace("-", "--") if "--" not in source.pages else source.pages,
        "doi": source.doi,
        "pmid": source.pmid,
        "url": source.url,
        "publisher": source.publisher,
        "language": source.language,
    }
    if source.issued and source.issued_precision in {DatePrecision.MONTH, DatePrecision.DAY}:
        fields["month"] = source.issued.strftime("%b").lower()
    if source.kind == SourceKind.JOURNAL_ARTICLE:
        fields["journal"] = source.container_title
    elif source.container_title:
        fields["howpublished"] = source.container_title
    notes = []
    if source.original_title and source.title and source.original_title != source.title:
        notes.append(f"Original title: {source.original_title}")
    if source.kind == SourceKind.ATTRIBUTION and source.public_reporter is not None:
        notes.append(f"Not fully referenced; as reported by {source.public_reporter.key}")
    if notes:
        fields["note"] = ". ".join(notes)
    return Entry(
        entry_type=_BIBTEX_TYPES.get(source.kind, "misc"),
        key=source.key,
        fields=[Field(name, value) for name, value in fields.items() if value],
    )


def bibtex_file(sources) -> str:
    """The sources as a BibTeX file, one entry each."""
    bibtex_format = BibtexFormat()
    bibtex_format.indent = "  "
    library = Library([bibtex_entry(source) for source in sources])
    return bibtexparser.write_string(library, bibtex_format=bibtex_format)


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


def ris_entry(source: Source) -> dict:
    """The source as a rispy entry dict."""
    entry: dict = {"type_of_reference": _RIS_TYPES.get(source.kind, "GEN"), "id": source.key}
    authors = _authors(source)
    if authors:
        entry["authors"] = [a.sort_name for a in authors]
    if source.display_title:
        entry["title"] = source.display_title
    if source.original_title and source.title and source.original_title != source.title:
        entry["translated_title"] = source.title
        entry["title"] = source.original_title
    if source.container_title:
        key = "journal_name" if source.kind == SourceKind.JOURNAL_ARTICLE else "secondary_title"
        entry[key] = source.container_title
    if source.issued:
        entry["year"] = str(source.issued.year)
        entry["date"] = _ris_date(source)
    if source.pages:
        first, _, last = _pages(source.pages).partition(_EN_DASH)
        entry["start_page"] = first
        if last:
            entry["end_page"] = last
    for field, key in (
        ("volume", "volume"),
        ("issue", "number"),
        ("doi", "doi"),
        ("publisher", "publisher"),
        ("language", "language"),
    ):
        if getattr(source, field):
            entry[key] = getattr(source, field)
    if source.url:
        entry["urls"] = [source.url]
    if source.kind == SourceKind.ATTRIBUTION and source.public_reporter is not None:
        entry["notes"] = [f"Not fully referenced; as reported by {source.public_reporter.key}"]
    return entry


def _ris_date(source: Source) -> str:
    """RIS DA: YYYY/MM/DD with the unknown parts left empty."""
    year, *rest = dates.parts(source.issued, source.issued_precision)
    return "/".join([str(year), *(f"{n:02d}" for n in rest), "", ""][:3])


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


def csl_json(source: Source) -> dict:
    """The source as one CSL-JSON item (the format Zotero and citeproc read)."""
    item: dict = {"id": source.key, "type": _CSL_TYPES.get(source.kind, "document")}
    authors = _authors(source)
    if authors:
        item["author"] = [
            {"literal": a.literal} if a.literal else {"family": a.family, "given": a.given}
            for a in authors
        ]
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
        item["note"] = f"Not fully referenced; as reported by {source.public_reporter.key}"
    return item


def csl_json_text(source: Source) -> str:
    """CSL-JSON as a file holds it: a list of items."""
    return json.dumps([csl_json(source)], ensure_ascii=False, indent=2)
