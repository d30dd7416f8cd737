"""Site-wide search across therapies, conditions, institutions, sources and claims.

Two engines answer the same questions (how many hits per type, and the ranked hits of one
type) so the view does not care which database it runs on:

- PostgreSQL: full-text search over a weighted document (names A, summaries B, body C)
  that each table stores and a trigger keeps current (genetx/migrations/0003), with
  `websearch` query syntax, ranking, highlighted excerpts, and typo tolerance from trigram
  word similarity on names. GIN indexes back both the document and the names. The
  document and the query are read in English and in Spanish (accent-free stemming in both,
  migrations 0001 and 0011), and with the spelling differences between British, American
  and Spanish medical words folded away (spelling_key()), so hemofilia, hemophilia and
  haemophilia find the same records whichever language the reader uses.
- Other databases (the SQLite demo): every term must appear in a record's name or summary,
  compared case- and accent-insensitively in Python over a bounded set of candidates, with
  a small typo tolerance on name words; a term also matches through its spelling key.

Highlighted excerpts are returned as (text, marked) segments, never as HTML: the template
escapes each segment and wraps the marked ones in <mark>, so nothing the database or an
editor wrote is trusted as markup.
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import BooleanField, F, FloatField, Func, Q, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.db.models.lookups import Exact

from genetx.content_types import ContentType, SearchFields, searched
from genetx.text import MAX_QUERY_LENGTH, shorten
from genetx.translation_sync import translated_fields

CONFIG = "genetx_unaccent"
# Spanish stemming without accents (migration 0011).
CONFIG_ES = "genetx_unaccent_es"
# Private-use characters as highlight markers: they never occur in the text we index, and
# they are turned into <mark> only after the text around them has been escaped.
START_SEL = "\ue000"
STOP_SEL = "\ue001"
# How many records of one type the fallback engine reads and compares in Python.
FALLBACK_CANDIDATES = 2000
# At most this many sources found by one author name or DOI prefix join the hits.
REFERENCE_LIMIT = 500
# Characters that must not reach the database: NUL is refused by PostgreSQL, and the
# markers would fake highlights.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")


@dataclass(frozen=True)
class SearchType:
    """One kind of record the search covers: a content type and the fields it searches."""

    content_type: ContentType

    # A search type adds search behaviour to a content type: what it does not define itself
    # (key, label, label_singular, model; name_field, excerpt_field, fallback_fields,
    # typo_tolerant) it reads from the content type, then from its search fields, so each
    # fact has one home in genetx/content_types.py.
    _FROM_CONTENT_TYPE = frozenset({"key", "label", "label_singular", "model"})
    _FROM_FIELDS = frozenset({"name_field", "excerpt_field", "fallback_fields", "typo_tolerant"})

    def __getattr__(self, name):
        if name in SearchType._FROM_CONTENT_TYPE:
            return getattr(self.content_type, name)
        if name in SearchType._FROM_FIELDS:
            return getattr(self.content_type.search, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def fields(self) -> SearchFields:
        return self.content_type.search

    def published(self):
        # What a hit shows beside its title is joined in: one query, not one per hit.
        queryset = self.model.objects.published()
        # The search reads the original columns (English, genetx/translation_sync.py) and
        # the Spanish ones by name, as the indexes do: no rewriting to the active language.
        if hasattr(queryset, "rewrite"):
            queryset = queryset.rewrite(False)
        related = self.fields.select_related
        return queryset.select_related(*related) if related else queryset

    def key_of(self, record) -> str:
        return getattr(record, self.content_type.lookup_field)

    def fallback_only(self) -> tuple[str, ...]:
        """The columns the fallback engine reads: key, compared fields, what a hit shows
        (a translated field in every language, since a hit shows the page's)."""
        from genetx.translation_sync import translated_fields

        names = [
            "pk",
            self.content_type.lookup_field,
            *self.fallback_fields,
            self.excerpt_field,
            *self.fields.meta_fields,
        ]
        translated = translated_fields(self.model)
        names += [f"{name}_{code}" for name in names if name in translated for code in ("en", "es")]
        return tuple(dict.fromkeys(names))

    def in_every_language(self, name: str) -> tuple[str, ...]:
        """A column and, for a translated field, its other languages' columns (name,
        name_es): typo tolerance compares a misspelt word with each, as the search document
        holds each (genetx/migrations/0013 and 0014 index them)."""
        from genetx.translation_sync import translated_fields

        if name not in translated_fields(self.model):
            return (name,)
        others = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        return (name, *(f"{name}_{code}" for code in others))

    def meta(self, record) -> str:
        """A short line telling hits of the same name apart."""
        return self.content_type.meta(record)

    def document(self):
        """The stored, weighted search document (PostgreSQL only).

        A trigger keeps the `search_document` column current; which fields it holds, and
        with what weight, is defined in genetx/migrations/0003_search_documents.py.
        """
        table = connection.ops.quote_name(self.model._meta.db_table)
        return RawSQL(f"{table}.search_document", [], output_field=SearchVectorField())

    def title(self, record) -> str:
        return shorten(self.content_type.title(record), 140)


TYPES = {content_type.key: SearchType(content_type) for content_type in searched()}
TYPO_MIN_LENGTH = 4
# Typo tolerance (trigram similarity, a costly scan of the name and summary indexes) is
# asked of one type only when full text finds fewer of it than this: a misspelt word finds
# nothing, a real one finds plenty.
FUZZY_BELOW = 5
# Ranking reads every matching row's document: for a term matching more rows of one type
# than this, the first page ranks the first RANK_CANDIDATES matches the index gives.
RANK_CANDIDATES = 300


# A PubMed id as readers paste it: 37414060, PMID 37414060, PMID:37414060.
_PMID = re.compile(r"(?:pmid:?\s*)?([1-9][0-9]{5,8})", re.IGNORECASE)


def doi_prefix(query: str) -> str:
    """The bare, lower-case DOI or DOI prefix the query is ("10.1016", a pasted doi.org
    link), or "" when it is not one."""
    from sources.validators import normalise_doi

    text = query.strip()
    if " " in text:
        return ""
    doi = normalise_doi(text)
    return doi if re.fullmatch(r"10\.\d{2,9}(?:/\S*)?", doi) else ""


def reference_condition(search_type: "SearchType", query: str, *, unaccent: bool) -> Q | None:
    """Sources found by what readers copy from a reference rather than by its words.

    A DOI or DOI prefix matches the stored DOI's start; any word of the query that is an
    author's family name (or part of an organisation author's name) matches that author's
    sources. None for other types, or when the query holds nothing of the kind.
    """
    if search_type.key != "sources":
        return None
    from sources.models import Author

    prefix = doi_prefix(query)
    if prefix:
        return Q(doi__startswith=prefix)
    pmid = _PMID.fullmatch(query.strip())
    if pmid:
        return Q(pmid=pmid.group(1))
    authors = Q()
    for term in terms_of(query):
        if len(term) >= 3:
            if unaccent:
                # upper(unaccent()) on both sides, through the IMMUTABLE genetx_fold() that
                # indexes family names (migration 0016): the same comparison as
                # family__unaccent__iexact, which read every author.
                authors |= Q(Exact(_folded(F("family")), _folded(Value(term))))
            else:
                authors |= Q(family__iexact=term)
            if len(term) >= 4:
                authors |= Q(literal__icontains=term)
    if not authors:
        return None
    return Q(pk__in=Author.objects.filter(authors).values("source_id"))


def _folded(expression) -> Func:
    return Func(expression, function="genetx_fold", output_field=TextField())


@dataclass
class Hit:
    """One search result as the template shows it."""

    type: SearchType
    title: str
    url: str
    meta: str = ""
    excerpt: list[tuple[str, bool]] = field(default_factory=list)
    # The record's slug (a source's key), which the API links by.
    key: str = ""


def clean_query(raw: str) -> tuple[str, bool]:
    """The query as searched: control characters dropped, spaces collapsed, cut to length.

    Returns the query and whether it was cut.
    """
    text = " ".join(_UNSAFE.sub(" ", raw or "").split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH].rstrip(), True
    return text, False


def split_marked(text: str) -> list[tuple[str, bool]]:
    """Split text with START_SEL/STOP_SEL markers into (text, marked) segments."""
    segments = []
    marked = False
    for part in re.split(f"([{START_SEL}{STOP_SEL}])", text or ""):
        if part == START_SEL:
            marked = True
        elif part == STOP_SEL:
            marked = False
        elif part:
            segments.append((part, marked))
    return segments


class HitSequence:
    """A lazily evaluated, countable sequence of hits that Paginator can slice."""

    def __init__(self, items, to_hit, count=None, *, first=None, first_limit=0):
        self._items = items
        self._to_hit = to_hit
        self._count = count
        # A cheaper queryset for the first `first_limit` items (see RANK_CANDIDATES).
        self._first = first
        self._first_limit = first_limit

    def count(self) -> int:
        if self._count is None:
            self._count = len(self._items) if isinstance(self._items, list) else self._items.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        items = self._items
        if self._first is not None:
            stop = index.stop if isinstance(index, slice) else index + 1
            if stop is not None and stop <= self._first_limit:
                items = self._first
        if isinstance(index, slice):
            return [self._to_hit(item) for item in items[index]]
        return self._to_hit(items[index])


def _every_reading(text: str, search_type: str):
    """One query for `text` read in English, in Spanish and by spelling key, ORed."""
    return (
        SearchQuery(text, search_type=search_type, config=CONFIG)
        | SearchQuery(text, search_type=search_type, config=CONFIG_ES)
        | SearchQuery(_spelling_of(text), search_type=search_type, config="simple")
    )


def _spelling_of(text: str):
    """The spelling key of a query as the stored documents have it (genetx_spelling()).

    Where the text folds to ASCII (accents dropped: "hemofilia", "terapia génica"),
    spelling_key() gives the database's key, so it is written into the SQL as a constant:
    the planner can then read the term's frequency from the documents' statistics, and for
    a term most rows hold, a first page of candidates is a few rows of a sequential scan
    rather than a bitmap of every match (at 400,000 claims: 70 ms -> 0.3 ms). Text that
    does not fold to ASCII (æ, ø, ł, which NFKD keeps and unaccent() spells out) is left to
    the database, in a scalar subquery computed once per query: genetx_spelling() calls
    unaccent(), which is only STABLE, so written inline it was recomputed for every row
    compared (a common term's count: 317 ms -> 57 ms over 40,000 claims).
    """
    if fold(text).isascii():
        return spelling_key(text)
    return RawSQL("SELECT genetx_spelling(%s)", [text], output_field=TextField())


class PostgresSearch:
    """Full-text search with ranking, highlighting, unaccent and trigram typo tolerance."""

    def __init__(self, query: str):
        self.query = query
        self._counts = None
        self._reference_ids = None
        self._full_text_counts = {}

    def _search_query(self):
        """The query read as English, as Spanish, and by spelling key (see the module)."""
        return _every_reading(self.query, "websearch")

    def _excluded(self):
        """The words the reader excluded (-word), read every way, or None.

        The three readings are ORed, so an exclusion inside one of them would let a record
        back in through another ("-linfoma" reads as nothing in English): each excluded
        word is also refused in all three.
        """
        words = [token[1:].strip('"') for token in self.query.split() if token.startswith("-")]
        words = [word for word in words if word]
        if not words:
            return None
        query = None
        for word in words:
            reading = _every_reading(word, "plain")
            query = reading if query is None else query | reading
        return query

    def _typo_tolerant(self, search_type: SearchType) -> bool:
        # Below four characters nearly every name shares a trigram with the query; and a
        # query using websearch syntax (a phrase, an exclusion, "or") asks for exactness.
        # Only when full text finds little (FUZZY_BELOW), since similarity costs a scan.
        return (
            search_type.typo_tolerant
            and len(self.query) >= TYPO_MIN_LENGTH
            and not uses_operators(self.query)
            and self._full_text_count(search_type) < FUZZY_BELOW
        )

    def _full_text_count(self, search_type: SearchType) -> int:
        """Published records whose document matches, counted on the GIN index alone."""
        key = search_type.key
        if key not in self._full_text_counts:
            matches = Q(document=self._search_query())
            excluded = self._excluded()
            if excluded is not None:
                matches &= ~Q(document=excluded)
            self._full_text_counts[key] = (
                search_type.published()
                .alias(document=search_type.document())
                .filter(matches)
                .count()
            )
        return self._full_text_counts[key]

    def match_condition(self, search_type: SearchType) -> Q:
        """The document matches the query, or the name nearly does.

        Both halves are served by GIN indexes (on the stored document, and trigram indexes
        on names), given a queryset that aliases `document` to search_type.document().
        """
        matches = Q(document=self._search_query())
        if self._typo_tolerant(search_type):
            for column in search_type.in_every_language(search_type.name_field):
                matches |= Q(**{f"{column}__trigram_word_similar": self.query})
            if search_type.excerpt_field != search_type.name_field:
                # A misspelt word of the summary ("duchene" for Elevidys, whose name does
                # not say Duchenne); a trigram index on summaries serves it (migration 0007).
                for column in search_type.in_every_language(search_type.excerpt_field):
                    matches |= Q(**{f"{column}__trigram_word_similar": self.query})
        referenced = self._referenced(search_type)
        if referenced:
            matches |= Q(pk__in=referenced)
        excluded = self._excluded()
        if excluded is not None:
            matches &= ~Q(document=excluded)
        return matches

    def _referenced(self, search_type: SearchType) -> list:
        """Ids of sources found by DOI or author, read once per search.

        A list of ids rather than a subquery, so the planner can still combine the indexes
        of the other conditions (a subquery in an OR turns every search into a full scan).
        """
        condition = reference_condition(search_type, self.query, unaccent=True)
        if condition is None:
            return []
        if self._reference_ids is None:
            found = search_type.model.objects.filter(condition).values_list("pk", flat=True)
            self._reference_ids = list(found[:REFERENCE_LIMIT])
        return self._reference_ids

    def matching(self, search_type: SearchType):
        """Published records matching the query."""
        return (
            search_type.published()
            .alias(document=search_type.document())
            .filter(self.match_condition(search_type))
        )

    def _queryset(self, search_type: SearchType, candidates: int | None = None):
        """Matching records, best first; with `candidates`, only that many matches are
        ranked (the first the index gives), which is what a common term's first page
        needs: ranking reads each row's whole document."""
        rank = SearchRank(search_type.document(), self._search_query())
        if self._typo_tolerant(search_type):
            # Word similarity adds to the rank, so a near-miss on a name still sorts well.
            # The name in either language: the closer one counts (GREATEST skips the NULL
            # of a name with no Spanish text).
            similarities = [
                TrigramWordSimilarity(self.query, column)
                for column in search_type.in_every_language(search_type.name_field)
            ]
            similarity = similarities[0] if len(similarities) == 1 else Greatest(*similarities)
            rank = rank + Coalesce(similarity, Value(0.0), output_field=FloatField())
        matching = self.matching(search_type)
        if candidates is not None:
            # Ids, not a subquery: the document alias names the outer table, so as a
            # subquery it would be evaluated once per row. One array parameter
            # (`id = ANY(%s)`), not `pk__in`'s one placeholder per id: 300 ids made every
            # ranked query 300 parameters for Django and psycopg to prepare and quote.
            first = list(matching.order_by().values_list("pk", flat=True)[:candidates])
            matching = search_type.published().filter(_PkInArray(first))
        return matching.annotate(rank=rank).order_by("-rank", F(search_type.name_field).asc(), "pk")

    def counts(self) -> dict[str, int]:
        """Matches per type: the same for every reader until content changes, so kept per
        content version (genetx.cache.per_version)."""
        if self._counts is None:
            from genetx.cache import per_version

            def compute():
                counts = {key: self.matching(t).count() for key, t in TYPES.items()}
                # What decided typo tolerance, so ranking does not count again.
                full_text = {key: self._full_text_count(t) for key, t in TYPES.items()}
                # And the sources found by author or DOI (a scan of the authors).
                return counts, full_text, self._reference_ids

            self._counts, full_text, referenced = per_version("search-counts", self.query, compute)
            self._full_text_counts.update(full_text)
            if referenced is not None:
                self._reference_ids = referenced
        return self._counts

    def hits(self, key: str) -> HitSequence:
        search_type = TYPES[key]
        count = self.counts().get(key)
        first = None
        if count is not None and count > RANK_CANDIDATES:
            first = self._with_headline(search_type, self._queryset(search_type, RANK_CANDIDATES))
        queryset = self._with_headline(search_type, self._queryset(search_type))

        def to_hit(record):
            return Hit(
                type=search_type,
                title=search_type.title(record),
                url=record.get_absolute_url(),
                meta=search_type.meta(record),
                key=search_type.key_of(record),
                excerpt=split_marked(record.headline),
            )

        return HitSequence(queryset, to_hit, count=count, first=first, first_limit=RANK_CANDIDATES)

    def _with_headline(self, search_type: SearchType, queryset):
        # Highlights in the words as written, read in English (ts_headline takes one
        # configuration; a Spanish or respelt term may leave an excerpt unmarked).
        return queryset.annotate(
            headline=SearchHeadline(
                search_type.excerpt_field,
                SearchQuery(self.query, search_type="websearch", config=CONFIG),
                config=CONFIG,
                start_sel=START_SEL,
                stop_sel=STOP_SEL,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )


class _PkInArray(Func):
    """`(id = ANY(%s))`: a record among these ids, passed as one PostgreSQL array."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()

    def __init__(self, ids: list[int]):
        # RawSQL hands the list to psycopg as it is (one array); a Value with an
        # ArrayField would still prepare each id in Python.
        super().__init__(F("pk"), RawSQL("%s", (ids,)))


def fold(text: str) -> str:
    """Lower-case text without accents: "Déu" -> "deu"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold text, and map each folded character back to its index in the original."""
    folded = []
    origin = []
    for index, char in enumerate(text or ""):
        decomposed = unicodedata.normalize("NFKD", char)
        piece = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        folded.append(piece)
        origin.extend([index] * len(piece))
    return "".join(folded), origin


# The spelling folds, in order (the same as genetx_spelling() in migration 0011): British
# and American spellings of medical words (haem/hem, leukaemia/leukemia) and their Spanish
# ones (ph/f, th/t, k/c, y/i: hemofilia, leucemia, distrofia, mieloma, linfoma).
_SPELLING = [
    ("ae", "e"),
    ("oe", "e"),
    ("ph", "f"),
    ("th", "t"),
    ("k", "c"),
    ("y", "i"),
    ("mf", "nf"),
]
# Then two word endings: a plural s (not ss), and -ia (hemofilia, haemophilia: hemofili).
_PLURAL = re.compile(r"([a-z0-9]{3,}[a-rt-z0-9])s\b")
_IA = re.compile(r"([a-z0-9]{3,})ia\b")


def spelling_key(text: str) -> str:
    """Text folded (fold()) and respelt so English and Spanish spellings of one medical
    word meet: "Haemophilia" -> "hemofili", "leucemias" -> "leucemi", "dystrophy" ->
    "distrofi", "distrofia" -> "distrofi"."""
    key = fold(text)
    for old, new in _SPELLING:
        key = key.replace(old, new)
    return _IA.sub(r"\1i", _PLURAL.sub(r"\1", key))


_WORD = re.compile(r"\w+")
_EDGE_PUNCTUATION = re.compile(r"^\W+|\W+$")
# websearch syntax words that are operators, not terms.
_OPERATORS = {"or", "and"}


def uses_operators(query: str) -> bool:
    """Whether the query uses websearch syntax: quotes, an exclusion or "or"."""
    return '"' in query or any(
        token.startswith("-") or token.lower() == "or" for token in query.split()
    )


def terms_of(query: str) -> list[str]:
    """The distinct folded terms of a query, websearch operators and exclusions left out.

    A term keeps its inner punctuation, so "car-t" and "ORPHA:98896" stay whole instead of
    becoming the fragments "car" and "t".
    """
    terms = []
    for token in query.split():
        if token.startswith("-"):
            continue
        term = _EDGE_PUNCTUATION.sub("", fold(token))
        if term and term not in _OPERATORS and term not in terms:
            terms.append(term)
    return terms


def highlight(text: str, terms: list[str], width: int = 220) -> list[tuple[str, bool]]:
    """An excerpt of text around the first term found, with every term occurrence marked."""
    if not text:
        return []
    folded, origin = fold_with_map(text)
    spans = []
    for term in terms:
        for match in re.finditer(re.escape(term), folded):
            start = origin[match.start()]
            end = origin[match.end() - 1] + 1
            spans.append((start, end))
    spans.sort()
    # Choose a window of the original text around the first match.
    first = spans[0][0] if spans else 0
    begin = max(0, first - width // 3)
    if begin:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < first else begin
    finish = min(len(text), begin + width)
    if finish < len(text):
        space = text.rfind(" ", begin, finish)
        finish = space if space > first else finish
    segments = []
    if begin:
        segments.append(("… ", False))
    cursor = begin
    for start, end in spans:
        if end <= cursor or start >= finish:
            continue
        start = max(start, cursor)
        end = min(end, finish)
        if start > cursor:
            segments.append((text[cursor:start], False))
        segments.append((text[start:end], True))
        cursor = end
    if cursor < finish:
        segments.append((text[cursor:finish], False))
    if finish < len(text):
        segments.append((" …", False))
    return segments


class FallbackSearch:
    """Case- and accent-insensitive matching in Python, for databases without full-text."""

    def __init__(self, query: str):
        self.query = query
        self.terms = terms_of(query)
        # Each term by its spelling key too: hemofilia finds haemophilia (spelling_key()).
        # Short terms only as typed: a two-letter key would be inside too many words.
        self.keys = [spelling_key(term) if len(term) >= 4 else term for term in self.terms]
        self._results = {}

    def _match(self, search_type: SearchType):
        if search_type.key in self._results:
            return self._results[search_type.key]
        fields = search_type.fallback_fields
        candidates = (
            search_type.published()
            .only(*search_type.fallback_only())
            .order_by(search_type.name_field, "pk")[:FALLBACK_CANDIDATES]
        )
        referenced = self._referenced(search_type)
        # A translated field read by its name gives the active language's text only (and
        # English where it has none): read the English column and the others by their own
        # names, so a Spanish page finds English words and the other way round.
        names = search_type.in_every_language(fields[0])
        english = {f: f"{f}_{settings.LANGUAGE_CODE}" for f in translated_fields(search_type.model)}
        scored = []
        for record in candidates:
            name = fold(" ".join(str(getattr(record, english.get(f, f)) or "") for f in names))
            rest = fold(" ".join(str(getattr(record, english.get(f, f)) or "") for f in fields[1:]))
            name_words = _WORD.findall(name)
            name_key, rest_key = spelling_key(name), spelling_key(rest)
            if record.pk in referenced:
                scored.append((-3.0 * max(1, len(self.terms)), name, record.pk, record))
                continue
            score = 0.0
            for term, key in zip(self.terms, self.keys, strict=True):
                if term in name or key in name_key:
                    score += 2
                elif term in rest or key in rest_key:
                    score += 1
                elif len(term) >= 4 and _close_to_any(term, name_words):
                    score += 0.5
                elif len(term) >= 5 and _close_to_any(term, _WORD.findall(rest)):
                    # A misspelt word anywhere else ("duchene" in a summary).
                    score += 0.25
                else:
                    break
            else:
                if self.terms:
                    scored.append((-score, name, record.pk, record))
        scored.sort(key=lambda row: row[:3])
        result = [row[3] for row in scored]
        self._results[search_type.key] = result
        return result

    def _referenced(self, search_type: SearchType) -> set:
        """Sources found by DOI or author: at most one query, only for sources."""
        if search_type.key != "sources":
            return set()
        published = search_type.model.objects.published()
        if doi_prefix(self.query) or _PMID.fullmatch(self.query.strip()):
            condition = reference_condition(search_type, self.query, unaccent=False)
            matched = published.filter(condition).values_list("pk", flat=True)
            return set(matched[:FALLBACK_CANDIDATES])
        # Author names compared like everything here, without accents ("catala" finds
        # Catalá), so in Python rather than with the database's case-only comparison.
        from sources.models import Author

        terms = {term for term in self.terms if len(term) >= 3}
        if not terms:
            return set()
        rows = Author.objects.filter(source__in=published).values_list(
            "source_id", "family", "literal"
        )
        found = set()
        for source_id, family, literal in rows[: FALLBACK_CANDIDATES * 5]:
            words = set(_WORD.findall(fold(literal))) if literal else set()
            if fold(family) in terms or terms & words:
                found.add(source_id)
        return found

    def counts(self) -> dict[str, int]:
        return {key: len(self._match(t)) for key, t in TYPES.items()}

    def hits(self, key: str) -> HitSequence:
        search_type = TYPES[key]

        def to_hit(record):
            text = getattr(record, search_type.excerpt_field) or ""
            return Hit(
                type=search_type,
                title=search_type.title(record),
                url=record.get_absolute_url(),
                meta=search_type.meta(record),
                key=search_type.key_of(record),
                excerpt=highlight(text, self.terms),
            )

        return HitSequence(self._match(search_type), to_hit)


def _close_to_any(term: str, words: list[str]) -> bool:
    """Whether term is a likely misspelling of one of the words (or of their beginning)."""
    for word in words:
        # A misspelling rarely changes the first letter; checking it first keeps this cheap.
        if word[0] != term[0] or (abs(len(word) - len(term)) > 3 and not word.startswith(term[:3])):
            continue
        ratio = difflib.SequenceMatcher(None, term, word[: len(term) + 2]).ratio()
        if ratio >= 0.8:
            return True
    return False


def has_full_text() -> bool:
    """Whether search supports phrases, "or" and exclusions (PostgreSQL's engine)."""
    return connection.vendor == "postgresql"


def engine_for(query: str):
    """The search engine the current database supports."""
    if has_full_text():
        return PostgresSearch(query)
    return FallbackSearch(query)
