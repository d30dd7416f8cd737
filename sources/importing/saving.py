"""Saving an import plan: new sources and updates of drafts directly, changes to published
sources as revisions for review when the importer may not publish."""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from genetx import revisions
from genetx.history import import_reason, label_change
from genetx.models import Revision
from genetx.publishing import can_publish
from genetx.services import revision_save
from sources.models import Author, Source

from .planning import PlannedRow, plan_import
from .reading import SourceRow


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
