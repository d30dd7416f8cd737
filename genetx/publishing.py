"""Who may move a record between publishing states.

Editors write drafts and submit them for review; only users with the model's
``publish_<model>`` permission (the Publisher role) may publish, unpublish or archive.
Every route that can change a status (the change form, inline forms, admin actions, the
services) asks these functions, so the rule lives in one place.
"""

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
        action = f"publish {plural}"
    elif old_status == Status.PUBLISHED:
        action = f"unpublish {plural}"
    else:
        action = f"archive or restore archived {plural}"
    return (
        f"Only publishers may {action}. Save it as Draft or In review and a publisher will decide."
    )


def publish_refusals(obj) -> list[str]:
    """Why this record may not be published, or stay published, as it now stands.

    The one place publish gates belong (evidence rules such as "no claim without a
    published source"): the publish services and revision approval ask it before saving a
    published record, and refuse with these messages. Empty when nothing stands in the way.
    """
    return []
