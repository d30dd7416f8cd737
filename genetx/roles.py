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


# Both roles use the review queue: editors follow their drafts, publishers decide.
REVIEW_PERMISSIONS = [("genetx", "view_revision")]

EDITOR = "Editor"
PUBLISHER = "Publisher"


# Parts readers see that have no publishing status of their own, so a change to one is live
# at once (a modality's name shows on every therapy of it). Editors may add one, since a new
# part appears only once a reviewed record uses it; changing or deleting one is a publisher's.
LIVE_PARTS = [("therapies", "modality")]


def role_permissions() -> dict[str, list[tuple[str, str]]]:
    """Each role's permissions as (app_label, codename) pairs."""
    everything = [
        (app, f"{action}_{model}")
        for app, model in content_models()
        for action in ("add", "change", "delete", "view")
    ]
    publisher_only = {
        (app, f"{action}_{model}") for app, model in LIVE_PARTS for action in ("change", "delete")
    }
    editor = [perm for perm in everything if perm not in publisher_only] + REVIEW_PERMISSIONS
    publisher = (
        everything
        + REVIEW_PERMISSIONS
        + [(app, f"publish_{model}") for app, model in publishable_models()]
    )
    return {EDITOR: editor, PUBLISHER: publisher}


def ensure_roles(group_model, permission_model, *, strict: bool = True) -> dict[str, int]:
    """Create or reset the role groups; returns how many permissions each group has.

    A data migration passes strict=False: at its point in the migration history some
    permissions do not exist yet, and a later migration runs this again to add them.
    """
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
                if not strict:
                    continue
                raise LookupError(
                    f"Permission {app_label}.{codename} does not exist; run migrate first."
                ) from exc
        group.permissions.set(permissions)
        counts[name] = len(permissions)
    return counts


ROLE_NAMES = (EDITOR, PUBLISHER)


def sync_staff_status(user) -> bool:
    """Give a member of a role admin access (staff status), and take it from a former one.

    Staff status follows the roles, so adding someone to Editor or Publisher is all it
    takes to let them in. It is taken away only when the user has no role, no other group,
    no permission of their own and is not a superuser: anyone an administrator made staff
    by hand for another reason keeps it. Returns whether the status changed.
    """
    in_role = user.groups.filter(name__in=ROLE_NAMES).exists()
    if in_role and not user.is_staff:
        user.is_staff = True
    elif (
        not in_role
        and user.is_staff
        and not user.is_superuser
        and not user.groups.exists()
        and not user.user_permissions.exists()
    ):
        user.is_staff = False
    else:
        return False
    user.save(update_fields=["is_staff"])
    return True


def role_membership_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """m2m_changed receiver on User.groups: keep staff status in step with the roles.

    A signal rather than a call in the user admin because membership changes from the
    user's page, the group's page, the shell and scripts alike.
    """
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if reverse:
        # group.user_set.add(...): instance is the group, pk_set the users.
        if action == "post_clear" or instance.name not in ROLE_NAMES:
            return
        users = user_model.objects.filter(pk__in=pk_set or [])
    else:
        users = [instance]
    for user in users:
        sync_staff_status(user)
