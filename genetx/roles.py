"""The two editorial roles, as auth groups with a fixed set of permissions.

Editor: add, change, delete and view every content model (the admin refuses deleting a
published record to anyone without the publish permission), and submit drafts for review.
Publisher: everything an editor may do, plus publish, unpublish and archive.

ensure_roles() is called by a data migration (with historical models) and by the
``setup_roles`` command (with the real ones); running it again resets each group to
exactly this definition.
"""

from genetx.content_types import CONTENT_TYPES


def publishable_models() -> list[tuple[str, str]]:
    """The models with a publishing status, and so a publish_<model> permission."""
    return [(content_type.app_label, content_type.model_name) for content_type in CONTENT_TYPES]


def content_models() -> list[tuple[str, str]]:
    """Every model editors work on: the content types and the parts edited with them."""
    models = []
    for content_type in CONTENT_TYPES:
        models.append((content_type.app_label, content_type.model_name))
        models += [(content_type.app_label, part) for part in content_type.parts]
    return models


EDITOR = "Editor"
PUBLISHER = "Publisher"


def role_permissions() -> dict[str, list[tuple[str, str]]]:
    """Each role's permissions as (app_label, codename) pairs."""
    editor = [
        (app, f"{action}_{model}")
        for app, model in content_models()
        for action in ("add", "change", "delete", "view")
    ]
    publisher = editor + [(app, f"publish_{model}") for app, model in publishable_models()]
    return {EDITOR: editor, PUBLISHER: publisher}


def ensure_roles(group_model, permission_model) -> dict[str, int]:
    """Create or reset the role groups; returns how many permissions each group has."""
    counts = {}
    for name, wanted in role_permissions().items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = []
        for app_label, codename in wanted:
            try:
                permissions.append(
                    permission_model.objects.get(
                        content_type__app_label=app_label, codename=codename
                    )
                )
            except permission_model.DoesNotExist as exc:
                raise LookupError(
                    f"Permission {app_label}.{codename} does not exist; run migrate first."
                ) from exc
        group.permissions.set(permissions)
        counts[name] = len(permissions)
    return counts
