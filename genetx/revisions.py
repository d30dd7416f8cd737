"""What a revision stores, and how it is read back, compared and described.

A revision's ``data`` is JSON of this shape::

    {
      "fields": {"name": "...", "summary": "...", "modality": 3, ...},  # every concrete field
      "changed": ["summary"],                       # fields that differ from the live record
      "m2m": {"conditions": [4, 9]},                # every many-to-many value the form edits
      "m2m_changed": ["conditions"],
      "children": {                                 # per inline, keyed by its form prefix
        "claims": {
          "model": "sources.claim", "fk": "therapy",
          "changed": [{"pk": 12, "version": 3, "fields": {...}}],
          "new": [{"fields": {...}}],
          "deleted": [15]
        }
      }
    }

Only what differs from the live record is applied on approval (``changed``, ``m2m_changed``
and the children's changes); the rest is kept so the revision reads as a whole record.
Field values are stored as the form's model field would give them (``value_from_object``:
a foreign key as its primary key) and read back with ``to_python``.
"""

import difflib
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from .counts import is_kept_count
from .translation_sync import english_copy, set_stored_value, stored_value

# Never part of a revision's changes: publishing state and audit columns move by their own
# routes (publish actions, saves), not by applying a proposed edit; nor do the counts kept on
# rows (genetx.counts), which the signals make.
NOT_REVISED = {"status", "published_at", "created_at", "updated_at", "version"}
# Long text (any TextField, and CharFields longer than this) is compared word by word.
LONG_TEXT = 80


def stored_fields(model) -> list[models.Field]:
    """The concrete fields a revision holds: no primary key, and for a translated field
    (genetx/translation_sync.py) the original field, standing for English, and the Spanish
    one, without the English copy (name, name_es; not name_en)."""
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not english_copy(model, f.name)
    ]


def revised_fields(model) -> list[models.Field]:
    """The concrete fields a revision may change (no primary key, status or audit columns)."""
    return [f for f in stored_fields(model) if _revised(f)]


def _revised(model_field) -> bool:
    return model_field.name not in NOT_REVISED and not is_kept_count(model_field)


def field_values(instance, fields=None) -> dict:
    """Every concrete field of the instance as JSON-ready values, by field name."""
    fields = fields or stored_fields(type(instance))
    return {f.name: stored_value(instance, f) for f in fields}


def set_values(instance, values: dict, names=None) -> None:
    """Set stored values (as field_values() wrote them) on an instance, converting types."""
    opts = instance._meta
    for name in names if names is not None else values:
        if name not in values:
            continue
        try:
            model_field = opts.get_field(name)
        except Exception:  # a field removed since the revision was written
            continue
        set_stored_value(instance, model_field, model_field.to_python(values[name]))


def same_value(a, b) -> bool:
    """Equal, counting None and "" as the same empty value."""
    return a == b or (a in (None, "") and b in (None, ""))


_same = same_value


# Capturing a form ----------------------------------------------------------------------------


def capture(*, form, formsets, live, previous: dict | None = None) -> dict:
    """The revision data for a validated change form and its inline formsets.

    ``live`` is the record as stored; ``previous`` the data of the revision being updated,
    whose deletions of parts are kept (deleted parts are not shown on the form).
    """
    obj = form.instance
    fields = stored_fields(type(obj))
    values = field_values(obj, fields)
    live_values = field_values(live, fields)
    changed = [
        f.name for f in revised_fields(obj) if not _same(values[f.name], live_values[f.name])
    ]
    m2m, m2m_changed = {}, []
    for m2m_field in obj._meta.many_to_many:
        if m2m_field.name not in form.cleaned_data:
            continue
        pks = sorted(item.pk for item in form.cleaned_data[m2m_field.name])
        m2m[m2m_field.name] = pks
        live_pks = sorted(getattr(live, m2m_field.name).values_list("pk", flat=True))
        if pks != live_pks:
            m2m_changed.append(m2m_field.name)
    children = {}
    previous_children = (previous or {}).get("children", {})
    for formset in formsets:
        group = _capture_formset(formset, previous_children.get(formset.prefix))
        if group is not None:
            children[formset.prefix] = group
    return {
        "fields": values,
        "changed": changed,
        "m2m": m2m,
        "m2m_changed": m2m_changed,
        "children": children,
    }


def _capture_formset(formset, previous: dict | None) -> dict | None:
    if not getattr(formset, "revisable", False):
        return None
    model = formset.model
    fk_name = formset.fk.name
    fields = [f for f in stored_fields(model) if f.name != fk_name]
    shown = [form.instance.pk for form in formset.forms if form.instance.pk is not None]
    live = {obj.pk: obj for obj in model._base_manager.filter(pk__in=shown)}
    changed, new = [], []
    # Parts the revision deleted are not on the form; keep them deleted.
    deleted = [pk for pk in (previous or {}).get("deleted", []) if pk not in live]
    for form in formset.forms:
        instance = form.instance
        if formset.can_delete and formset._should_delete_form(form):
            if instance.pk is not None:
                deleted.append(instance.pk)
            continue
        if instance.pk is None:
            if form.has_changed():
                new.append({"fields": field_values(instance, fields)})
            continue
        stored = live.get(instance.pk)
        if stored is None:
            continue
        values = field_values(instance, fields)
        stored_values = field_values(stored, fields)
        if any(not _same(values[f.name], stored_values[f.name]) for f in fields if _revised(f)):
            changed.append({"pk": instance.pk, "version": stored.version, "fields": values})
    if not (changed or new or deleted):
        return None
    return {
        "model": model._meta.label_lower,
        "fk": fk_name,
        "changed": changed,
        "new": new,
        "deleted": sorted(set(deleted)),
    }


# Reading back ----------------------------------------------------------------------------------


def materialize(data: dict, live):
    """The live record with the revision's changes applied in memory (nothing is saved).

    Fields the revision did not change keep the live values, so a revision made on an
    older version shows the newer live values for everything it leaves alone. Many-to-many
    values are put in the prefetch cache, where forms and templates read them.
    """
    obj = type(live)._base_manager.get(pk=live.pk)
    set_values(obj, data.get("fields", {}), data.get("changed", []))
    cache = getattr(obj, "_prefetched_objects_cache", {})
    for name in data.get("m2m_changed", []):
        try:
            m2m_field = obj._meta.get_field(name)
        except Exception:
            continue
        target = m2m_field.related_model
        cache[name] = target._default_manager.filter(pk__in=data["m2m"].get(name, []))
    obj._prefetched_objects_cache = cache
    return obj


def preview_object(data: dict, live):
    """The record as its public page would show it once the revision is approved.

    The page's related rows are read as the page reads them (``with_detail_related()``);
    then the revision's many-to-many values and its parts' changes are laid over them:
    deleted parts are left out, changed ones show their new values, new ones are added, and
    parts that approving would publish are shown as published.
    """
    from django.db.models import prefetch_related_objects

    from genetx.models import Publishable, Status

    obj = materialize(data, live)
    model = type(live)
    overlaid = set(getattr(obj, "_prefetched_objects_cache", {}))
    lookups = getattr(model.objects, "with_detail_related", None)
    if lookups is not None:
        wanted = [
            lookup
            for lookup in lookups()._prefetch_related_lookups
            if getattr(lookup, "prefetch_to", lookup).split("__")[0] not in overlaid
        ]
        prefetch_related_objects([obj], *wanted)
    cache = obj._prefetched_objects_cache
    obj._preview_groups = {}
    for name in data.get("m2m_changed", []):
        target = model._meta.get_field(name).related_model
        if issubclass(target, Publishable):
            cache[name] = cache[name].filter(status=Status.PUBLISHED)
    for group in data.get("children", {}).values():
        child = child_model(group)
        related_name = child._meta.get_field(group["fk"]).remote_field.get_accessor_name()
        obj._preview_groups[related_name] = group
        if related_name not in cache:
            continue  # the page reads these itself: it asks overlay_parts()
        deleted = set(group.get("deleted", []))
        changed = {row["pk"]: row for row in group.get("changed", [])}
        rows = []
        for part in list(cache[related_name]) + new_children(group, live):
            if part.pk in deleted and part.pk is not None:
                continue
            if part.pk in changed:
                set_values(
                    part, changed[part.pk]["fields"], [f.name for f in revised_fields(child)]
                )
            if isinstance(part, Publishable) and part.status in (Status.DRAFT, Status.REVIEW):
                part.status = Status.PUBLISHED
            rows.append(part)
        cache[related_name] = rows
    return obj


def overlay_parts(rows, obj, related_name: str) -> list:
    """Rows a page read itself (a therapy's claims), as a revision preview would show them.

    Parts the revision deletes are left out and changed ones show their new values. Parts
    it adds are not included: they have no citations yet, so the page could not show them
    with their sources (and the publish gates would refuse them on approval).
    """
    group = getattr(obj, "_preview_groups", {}).get(related_name)
    rows = list(rows)
    if not group:
        return rows
    deleted = set(group.get("deleted", []))
    changed = {row["pk"]: row for row in group.get("changed", [])}
    result = []
    for part in rows:
        if part.pk in deleted:
            continue
        if part.pk in changed:
            set_values(
                part, changed[part.pk]["fields"], [f.name for f in revised_fields(type(part))]
            )
        result.append(part)
    return result


def child_model(group: dict):
    return apps.get_model(group["model"])


def new_children(group: dict, parent) -> list:
    """Unsaved instances of the parts a revision adds."""
    model = child_model(group)
    result = []
    for row in group.get("new", []):
        instance = model()
        set_values(instance, row["fields"])
        setattr(instance, model._meta.get_field(group["fk"]).attname, parent.pk)
        result.append(instance)
    return result


# Comparing ------------------------------------------------------------------------------------


@dataclass
class FieldChange:
    label: str
    old: str
    new: str
    # Word-level differences of long text, as HTML with <del> and <ins> (escaped text).
    words: str = ""


@dataclass
class ChildChanges:
    label: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[FieldChange]]] = field(default_factory=list)


def display(model_field, value) -> str:
    """A stored value as an editor reads it: choice labels, related records' names."""
    if value in (None, ""):
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.is_relation and model_field.many_to_one:
        related = model_field.related_model._base_manager.filter(pk=value).first()
        return str(related) if related is not None else f"(deleted #{value})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def word_diff(old: str, new: str) -> str:
    """The words removed and added between two texts, as safe HTML."""
    a, b = re.split(r"(\s+)", old or ""), re.split(r"(\s+)", new or "")
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text is escaped above


def field_change(model_field, old, new) -> FieldChange:
    label = str(model_field.verbose_name)
    change = FieldChange(label=label, old=display(model_field, old), new=display(model_field, new))
    if isinstance(model_field, models.TextField) or (
        isinstance(model_field, models.CharField)
        and max(len(str(old or "")), len(str(new or ""))) > LONG_TEXT
    ):
        change.words = word_diff(str(old or ""), str(new or ""))
    return change


def compare_values(model, old: dict, new: dict, names=None) -> list[FieldChange]:
    """Field-by-field differences between two sets of stored values of one model."""
    result = []
    for model_field in revised_fields(model):
        if names is not None and model_field.name not in names:
            continue
        a, b = old.get(model_field.name), new.get(model_field.name)
        if not _same(a, b):
            result.append(field_change(model_field, a, b))
    return result


def compare_m2m(model, old: dict, new: dict) -> list[FieldChange]:
    result = []
    for name in sorted(set(old) | set(new)):
        before, after = set(old.get(name, [])), set(new.get(name, []))
        if before == after:
            continue
        m2m_field = model._meta.get_field(name)
        names = {
            obj.pk: str(obj)
            for obj in m2m_field.related_model._base_manager.filter(pk__in=before | after)
        }
        added = [names.get(pk, f"#{pk}") for pk in sorted(after - before)]
        removed = [names.get(pk, f"#{pk}") for pk in sorted(before - after)]
        result.append(
            FieldChange(
                label=str(m2m_field.verbose_name),
                old=", ".join(sorted(names.get(pk, f"#{pk}") for pk in before)) or "—",
                new=", ".join(sorted(names.get(pk, f"#{pk}") for pk in after)) or "—",
                words=mark_safe(  # noqa: S308 - names are escaped
                    " ".join(
                        [f"<ins>+ {escape(n)}</ins>" for n in added]
                        + [f"<del>− {escape(n)}</del>" for n in removed]
                    )
                ),
            )
        )
    return result


def compare_revision(data: dict, live) -> tuple[list[FieldChange], list[ChildChanges]]:
    """What approving the revision would change on the live record and its parts."""
    model = type(live)
    fields = compare_values(model, field_values(live), data.get("fields", {}), data.get("changed"))
    live_m2m = {
        name: list(getattr(live, name).values_list("pk", flat=True))
        for name in data.get("m2m_changed", [])
    }
    fields += compare_m2m(
        model, live_m2m, {name: data["m2m"].get(name, []) for name in data.get("m2m_changed", [])}
    )
    children = []
    for group in data.get("children", {}).values():
        child = child_model(group)
        changes = ChildChanges(label=str(child._meta.verbose_name_plural))
        changes.added = [str(instance) for instance in new_children(group, live)]
        changed_pks = [row["pk"] for row in group.get("changed", [])]
        stored = {
            obj.pk: obj
            for obj in child._base_manager.filter(pk__in=[*changed_pks, *group.get("deleted", [])])
        }
        changes.removed = [str(stored[pk]) for pk in group.get("deleted", []) if pk in stored]
        for row in group.get("changed", []):
            current = stored.get(row["pk"])
            if current is None:
                continue
            changes.changed.append(
                (
                    str(current),
                    compare_values(child, field_values(current), row["fields"], row["fields"]),
                )
            )
        children.append(changes)
    return fields, children


def summarise(data: dict, model) -> str:
    """One line saying what a revision changes: "summary, conditions; claims: 1 added"."""
    opts = model._meta
    parts = [
        str(opts.get_field(name).verbose_name)
        for name in [*data.get("changed", []), *data.get("m2m_changed", [])]
    ]
    line = ", ".join(parts)
    words = {
        "new": gettext("%(count)d added"),
        "changed": gettext("%(count)d changed"),
        "deleted": gettext("%(count)d removed"),
    }
    for group in data.get("children", {}).values():
        counts = [
            words[key] % {"count": len(group[key])}
            for key in ("new", "changed", "deleted")
            if group.get(key)
        ]
        if counts:
            plural = child_model(group)._meta.verbose_name_plural
            line += ("; " if line else "") + f"{plural}: {', '.join(counts)}"
    return (line or gettext("no changes"))[:300]
