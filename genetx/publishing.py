"""Who may move a record between publishing states.

Editors write drafts and submit them for review; only users with the model's
``publish_<model>`` permission (the Publisher role) may publish, unpublish or archive.
Every route that can change a status (the change form, inline forms, admin actions, the
services) asks these functions, so the rule lives in one place.
"""

import copy
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils.text import get_text_list
from django.utils.translation import gettext

from genetx.models import Status

# A move into or out of these states changes what readers see, so it needs a publisher.
PUBLISHER_STATES = frozenset({Status.PUBLISHED, Status.ARCHIVED})


def publish_permission(model) -> str:
    """The full permission name, e.g. "therapies.publish_therapy"."""
    opts = model._meta
    return f"{opts.app_label}.publish_{opts.model_name}"


def can_publish(user, model) -> bool:
    """Whether this user may publish, unpublish and archive records of this model."""
    return bool(user and user.is_active and user.has_perm(publish_permission(model)))


def needs_publisher(old_status: str | None, new_status: str) -> bool:
    """Whether moving from old_status (None for a new record) to new_status needs a publisher."""
    if old_status == new_status:
        return False
    return new_status in PUBLISHER_STATES or old_status in PUBLISHER_STATES


def may_set_status(user, model, old_status: str | None, new_status: str) -> bool:
    return not needs_publisher(old_status, new_status) or can_publish(user, model)


def status_refusal(model, old_status: str | None, new_status: str) -> str:
    """The message an editor sees when a status change is refused."""
    plural = model._meta.verbose_name_plural
    if new_status == Status.PUBLISHED:
        message = gettext(
            "Only publishers may publish %(records)s. Save it as Draft or In review and a "
            "publisher will decide."
        )
    elif old_status == Status.PUBLISHED:
        message = gettext(
            "Only publishers may unpublish %(records)s. Save it as Draft or In review and a "
            "publisher will decide."
        )
    else:
        message = gettext(
            "Only publishers may archive or restore archived %(records)s. Save it as Draft or "
            "In review and a publisher will decide."
        )
    return message % {"records": plural}


# Publish gates ---------------------------------------------------------------------------
#
# GeneTx promises that every statement a reader sees carries its sources. These functions
# decide, for any record, what would break that promise: a claim published without a
# published source, a source withdrawn from under a published claim, a regulatory decision
# on a published therapy whose agency or source readers cannot see. Every route that
# publishes or changes a published record asks them (admin forms, inlines and actions, the
# services, imports, revision approval, the scheduled command), so the rules live here
# only. They read the database and never write.


@dataclass(frozen=True)
class Problem:
    """One reason a record may not be published, or may not change as asked.

    ``needs`` lists unpublished records that, published together with it, would solve the
    problem (a claim's draft sources); empty when publishing more cannot help (a claim
    that cites nothing). ``dependent`` is set when the problem is a published record that
    would lose its support (a claim whose only source is being unpublished).
    """

    record: models.Model
    message: str
    needs: tuple = ()
    dependent: bool = False

    def __str__(self) -> str:
        return f"{describe(self.record)}: {self.message}"


def describe(record) -> str:
    """How messages name a record: claim “67% complete remission...”."""
    return gettext("%(kind)s “%(record)s”") % {"kind": record._meta.verbose_name, "record": record}


def record_key(record) -> tuple[str, object]:
    return (record._meta.label_lower, record.pk)


def _public(record, together) -> bool:
    """Whether readers will see this record: published, or being published with the change."""
    return record is not None and (
        record.status == Status.PUBLISHED or record_key(record) in together
    )


def _source_state(source, overrides):
    """The source as it will be: an unsaved edit of it when one is given."""
    return overrides.get(source.pk, source)


def _reporter(source, overrides):
    """The source reporting an attribution, taking unsaved edits into account."""
    if source.reported_by_id is None:
        return None
    reporter = overrides.get(source.reported_by_id)
    if reporter is not None:
        return reporter
    return source.reported_by


def source_supports(source, *, together=frozenset(), overrides=None) -> bool:
    """Whether citing this source gives a claim public support.

    A full reference counts when it is published; an attribution ("a study in The
    Lancet") when it and the source reporting it are both published.
    """
    overrides = overrides or {}
    source = _source_state(source, overrides)
    if not _public(source, together):
        return False
    if source.kind == "attribution":
        return _public(_reporter(source, overrides), together)
    return True


def _missing_for(source, overrides) -> tuple:
    """The unpublished records that would make this cited source count."""
    source = _source_state(source, overrides)
    if source.status == Status.ARCHIVED:
        return ()  # withdrawn on purpose: never republished as a side effect
    needs = [] if source.status == Status.PUBLISHED else [source]
    if source.kind == "attribution":
        reporter = _reporter(source, overrides)
        if reporter is None or reporter.status == Status.ARCHIVED:
            return ()
        if reporter.status != Status.PUBLISHED:
            needs.append(reporter)
    return tuple(needs)


# The records cited like claims: each one's citation model and the reverse names linking it
# to its sources. A trial's registry facts carry their sources as a claim's statement does.
CITING = {
    "sources.claim": ("sources.Citation", "claim", "citations"),
    "therapies.trial": ("therapies.TrialCitation", "trial", "trial_citations"),
}
CITATION_MODELS = {"sources.citation": "claim", "therapies.trialcitation": "trial"}


def _cited_sources(record) -> list:
    if record.pk is None:
        return []
    _, parent, related = CITING[record._meta.label_lower]
    Source = apps.get_model("sources", "Source")
    return list(
        Source.objects.filter(**{f"{related}__{parent}": record})
        .select_related("reported_by")
        .order_by(f"{related}__position", f"{related}__pk")
    )


def _label_sources(sources) -> str:
    return ", ".join(
        gettext("“%(source)s” (%(status)s)")
        % {"source": source, "status": source.get_status_display().lower()}
        for source in sources
    )


def claim_problems(claim, *, together=frozenset(), cited_sources=None, overrides=None):
    """Why this claim (or trial: any record in CITING) may not be public: it needs one
    citation of a published source."""
    sources = _cited_sources(claim) if cited_sources is None else list(cited_sources)
    if any(source_supports(s, together=together, overrides=overrides) for s in sources):
        return []
    if not sources:
        return [Problem(claim, gettext("it cites no source; add at least one published source."))]
    needs = next((n for s in sources if (n := _missing_for(s, overrides or {}))), ())
    message = gettext(
        "none of its sources is published (an attribution also needs its reporting "
        "source published): %(sources)s."
    ) % {"sources": _label_sources(sources)}
    return [Problem(claim, message, needs=needs)]


def decision_problems(decision, *, together=frozenset()):
    """Why readers of a published therapy could not see this regulatory decision."""
    missing = [
        record
        for record in (decision.agency, decision.source)
        if record is not None and not _public(record, together)
    ]
    if not missing:
        return []
    names = get_text_list([describe(record) for record in missing], gettext("and"))
    needs = tuple(record for record in missing if record.status != Status.ARCHIVED)
    if len(needs) != len(missing):
        needs = ()
    message = gettext("it needs a published agency and source; %(records)s is not.") % {
        "records": names
    }
    return [Problem(decision, message, needs)]


def publish_problems(record, *, together=frozenset(), cited_sources=None, overrides=None):
    """What stops this record, as it stands in memory, from being published.

    ``together``: keys (record_key) of records published in the same step, which count as
    published. ``cited_sources``: for a claim, the sources it will cite (a form's unsaved
    citations); by default its saved ones. An empty list means it may be published.
    """
    together = frozenset(together) | {record_key(record)}
    label = record._meta.label_lower
    if label in CITING:
        return claim_problems(
            record, together=together, cited_sources=cited_sources, overrides=overrides
        )
    if label == "sources.source" and record.kind == "attribution":
        reporter = _reporter(record, overrides or {})
        if not _public(reporter, together):
            needs = () if reporter is None or reporter.status == Status.ARCHIVED else (reporter,)
            return [
                Problem(
                    record,
                    gettext("the source reporting it, “%(source)s”, is not published.")
                    % {"source": reporter},
                    needs=needs,
                )
            ]
    if label == "therapies.therapy" and record.pk is not None:
        problems = []
        for decision in record.decisions.select_related("agency", "source"):
            problems += decision_problems(decision, together=together)
        return problems
    if label == "therapies.regulatorydecision":
        return decision_problems(record, together=together)
    return []


def withdraw_problems(record, *, as_if=None):
    """Published records that would lose their support if this record changed as given.

    ``as_if`` is the record's new, unsaved state (a form's instance); by default the
    record itself, which is taken to be leaving readers (its status is treated as draft
    unless as_if says otherwise). Covers the claims a source supports, directly or as the
    reporter of an attribution, and the regulatory decisions of published therapies whose
    agency or source it is.
    """
    label = record._meta.label_lower
    if as_if is None:
        as_if = copy.copy(record)
        as_if.status = Status.DRAFT
    problems = []
    if label == "sources.source":
        for citing_label in CITING:
            problems += _claims_losing_support(record, as_if, citing_label)
    if label in ("sources.source", "hospitals.institution") and as_if.status != Status.PUBLISHED:
        problems += _decisions_losing_support(record)
    return problems


def _claims_losing_support(source, as_if, citing_label="sources.claim"):
    """Published claims (or trials) citing this source that it alone supports."""
    Claim = apps.get_model(citing_label)
    citation_label, parent, _ = CITING[citing_label]
    Citation = apps.get_model(citation_label)
    reverse = Citation._meta.get_field(parent).remote_field.get_accessor_name()
    claims = list(
        Claim.objects.published()
        .filter(
            Q(**{f"{reverse}__source": source}) | Q(**{f"{reverse}__source__reported_by": source}),
        )
        .distinct()
        .order_by("slug")
    )
    if not claims:
        return []
    cited: dict[int, list] = {}
    for citation in Citation.objects.filter(**{f"{parent}__in": claims}).select_related(
        "source__reported_by"
    ):
        cited.setdefault(getattr(citation, f"{parent}_id"), []).append(citation.source)
    overrides = {source.pk: as_if}
    problems = []
    for claim in claims:
        if not any(source_supports(s, overrides=overrides) for s in cited.get(claim.pk, [])):
            problems.append(
                Problem(
                    claim,
                    gettext("it would have no published source left without “%(source)s”.")
                    % {"source": source},
                    dependent=True,
                )
            )
    return problems


def _decisions_losing_support(record):
    RegulatoryDecision = apps.get_model("therapies", "RegulatoryDecision")
    field = "source" if record._meta.label_lower == "sources.source" else "agency"
    decisions = RegulatoryDecision.objects.filter(
        **{field: record}, therapy__status=Status.PUBLISHED
    ).select_related("therapy", "agency", "source")
    return [
        Problem(
            decision,
            gettext("readers of the published therapy would no longer see it without “%(record)s”.")
            % {"record": record},
            dependent=True,
        )
        for decision in decisions
    ]


def gate_problems(record, *, cited_sources=None):
    """Every gate problem the record's current state (saved or not) would cause.

    The one call for a route that writes a record which may be public, such as approving
    a revision: run it on the record as it will be (or after saving, inside the
    transaction) and refuse, rolling back, when the list is not empty.
    """
    problems = []
    if getattr(record, "status", None) == Status.PUBLISHED:
        problems += publish_problems(record, cited_sources=cited_sources)
    if record._meta.label_lower in CITATION_MODELS:
        problems += citation_change_problems(record)
    elif record._meta.label_lower == "therapies.regulatorydecision":
        if record.therapy_id and record.therapy.status == Status.PUBLISHED:
            problems += decision_problems(record)
    elif record.pk is not None and record._meta.label_lower in (
        "sources.source",
        "hospitals.institution",
    ):
        problems += withdraw_problems(record, as_if=record)
    return problems


def citation_change_problems(citation, *, removed=False):
    """What saving (or, removed=True, deleting) this citation would do to its claim (or
    trial)."""
    claim = getattr(citation, CITATION_MODELS[citation._meta.label_lower])
    if claim.status != Status.PUBLISHED:
        return []
    others = [
        c.source
        for c in claim.citations.exclude(pk=citation.pk).select_related("source__reported_by")
    ]
    sources = others if removed else [*others, citation.source]
    return claim_problems(claim, cited_sources=sources)


def citations_removal_problems(citations):
    """Published claims (or trials) that deleting all these citations would leave without
    support."""
    citations = list(citations)
    if not citations:
        return []
    Citation = type(citations[0])
    parent = CITATION_MODELS[Citation._meta.label_lower]
    removed = {citation.pk for citation in citations}
    claims = {getattr(c, f"{parent}_id"): getattr(c, parent) for c in citations}
    problems = []
    for claim in claims.values():
        if claim.status != Status.PUBLISHED:
            continue
        left = [
            c.source
            for c in Citation.objects.filter(**{parent: claim})
            .exclude(pk__in=removed)
            .select_related("source__reported_by")
        ]
        problems += claim_problems(claim, cited_sources=left)
    return problems


def needed_records(problems) -> list:
    """The unpublished records the problems need, each once, in order."""
    seen, result = set(), []
    for problem in problems:
        for record in problem.needs:
            if record_key(record) not in seen:
                seen.add(record_key(record))
                result.append(record)
    return result


def describe_problems(problems) -> str:
    return "; ".join(str(problem) for problem in problems)


def publish_refusals(obj) -> list[str]:
    """Why this record may not be published, or stay published, as it now stands.

    The messages of gate_problems(obj), for routes that refuse with text (revision
    approval asks it after applying a revision, inside its transaction). Empty when
    nothing stands in the way.
    """
    return [str(problem) for problem in gate_problems(obj)]
