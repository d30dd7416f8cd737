"""Deciding, row by row, whether an import creates, updates (matched by DOI, then key) or
refuses each source, and why: the preview and the real run share this plan."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext

from genetx.models import DatePrecision
from sources.models import Author, Source
from sources.validators import normalise_doi

from .reading import SourceRow

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
                    gettext(
                        "%(key)r is already the key of another source (DOI %(doi)s); give "
                        "this entry its own key."
                    )
                    % {"key": values["key"], "doi": existing.doi},
                )
        if doi and doi in seen_doi:
            row.refuse(
                "doi",
                gettext("the DOI %(doi)s is also in row %(row)s of this file.")
                % {"doi": doi, "row": seen_doi[doi]},
            )
        if values["key"] and values["key"] in seen_key:
            row.refuse(
                "key",
                gettext("the key %(key)r is also in row %(row)s.")
                % {"key": values["key"], "row": seen_key[values["key"]]},
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
            row.refuse(
                f"author {position}", gettext("an author needs a family name or organisation.")
            )
