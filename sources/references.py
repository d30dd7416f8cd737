"""Numbered references for one page: markers [1], [2] and the list they point to.

A view registers what the page shows in the order the page shows it; each distinct source
gets a number at its first citation, and every marker gets its own id so the reference
list can link back to each place that cites it. Nothing here queries the database: it
reads the citations and sources the view prefetched.
"""

from dataclasses import dataclass, field

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from .citations import apa_html


@dataclass
class Marker:
    number: int
    anchor: str  # id of this marker, for the reference list's back-link
    locator: str = ""


@dataclass
class Reference:
    number: int
    source: object
    backlinks: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"ref-{self.number}"

    @property
    def html(self):
        return apa_html(self.source)

    @property
    def backlinks_html(self):
        """The links back to each place the source is cited: ↑1 ↑2 ...

        Written here rather than as a template loop: a claims list page has a hundred or so,
        and the loop with its translated label per link was a fifth of the page's time.
        """
        label = gettext("back to citation")
        return format_html_join(
            "",
            ' <a href="#{}"><span aria-hidden="true">↑</span>'
            '<span class="visually-hidden">{} </span>{}</a>',
            ((anchor, label, number) for number, anchor in enumerate(self.backlinks, 1)),
        )


def markers_html(markers) -> str:
    """The superscript markers [1][2] of one statement, each linking to its reference and
    naming where in the source (the locator) as its title.

    A function rather than an included template: a claim list includes it for every
    claim and every earlier figure, and the include cost more than the markers."""
    return format_html_join(
        "",
        '<sup class="ref-marker" id="{}"><a href="#ref-{}"{}>[{}]</a></sup>',
        (
            (
                marker.anchor,
                marker.number,
                format_html(' title="{}"', marker.locator) if marker.locator else "",
                marker.number,
            )
            for marker in markers
        ),
    )


def reference_items_html(references) -> str:
    """The <li> of each numbered reference: the APA reference, what kind of evidence it is,
    a link to the source's page and links back to each place it is cited.

    Written here rather than as a template loop, like backlinks_html: the loop's variables
    and translation tags, per reference, were half a claim list page's template time.
    """
    about = gettext("About this source")
    cited_at = gettext("Cited at:")
    return format_html_join(
        "\n",
        '<li id="{}" value="{}">\n'
        '      <span class="reference">{}</span>\n'
        '      <span class="evidence-kind">{}</span>\n'
        '      <span class="reference-links"><a href="{}">{}</a>{}</span>\n'
        "    </li>",
        (
            (
                reference.anchor,
                reference.number,
                reference.html,
                gettext("Evidence: %(kind)s.") % {"kind": reference.source.evidence_kind},
                reference.source.get_absolute_url(),
                about,
                format_html(" · {}{}", cited_at, reference.backlinks_html)
                if reference.backlinks
                else "",
            )
            for reference in references
        ),
    )


@dataclass
class CitedClaim:
    """A claim with its markers, and the older claims it replaced, shown as history."""

    claim: object
    markers: list[Marker]
    history: list["CitedClaim"] = field(default_factory=list)


def _chain(pk, older, seen):
    """Every claim replaced, directly or through others, by the claim with this pk."""
    for old in older.get(pk, []):
        if old.pk in seen:  # a cycle an editor made by mistake: show each claim once
            continue
        seen.add(old.pk)
        yield old
        yield from _chain(old.pk, older, seen)


class ReferenceList:
    def __init__(self):
        self._by_source: dict[int, Reference] = {}

    def cite(self, source, locator: str = "") -> Marker:
        """A marker for this source, numbering the source if it is new on the page."""
        reference = self._by_source.get(source.pk)
        if reference is None:
            reference = Reference(number=len(self._by_source) + 1, source=source)
            self._by_source[source.pk] = reference
        anchor = f"cite-{reference.number}-{len(reference.backlinks) + 1}"
        reference.backlinks.append(anchor)
        return Marker(number=reference.number, anchor=anchor, locator=locator)

    def claim(self, claim) -> CitedClaim:
        """Markers for each source of a claim, in the claim's citation order."""
        markers = [self.cite(c.source, c.locator) for c in claim.citations.all()]
        return CitedClaim(claim=claim, markers=markers)

    def claims(self, claims) -> list[CitedClaim]:
        """Current claims with their markers, each followed by the older ones it replaced.

        A superseded claim whose newer claim is on the same list is shown under it as
        history; one whose newer claim is elsewhere stays in the list and says so.
        """
        claims = list(claims)
        on_page = {claim.pk for claim in claims}
        older: dict[int, list] = {}
        for claim in claims:
            if claim.superseded_by_id in on_page:
                older.setdefault(claim.superseded_by_id, []).append(claim)
        result = []
        for claim in claims:
            if claim.superseded_by_id in on_page:
                continue
            entry = self.claim(claim)
            entry.history = [self.claim(old) for old in _chain(claim.pk, older, {claim.pk})]
            result.append(entry)
        return result

    @property
    def references(self) -> list[Reference]:
        return sorted(self._by_source.values(), key=lambda reference: reference.number)
