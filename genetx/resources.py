"""What every CSV import (django-import-export) shares: blank cells and published records.

- A blank cell leaves the stored value as it is, unless the import was started with "Blank
  cells erase values": a spreadsheet with an empty column must not wipe what editors wrote.
- A row that changes a published record, imported by someone who may not publish, is kept
  as a revision awaiting review (genetx.services.revision_save), like a change made on the
  record's form; the live row is not written. A record that already has unpublished
  changes is refused with a message, so an import never overwrites someone's draft.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from import_export import resources

from genetx import revisions
from genetx.models import Publishable, Revision, Status
from genetx.publishing import can_publish


class RevisionAwareResource(resources.ModelResource):
    def __init__(self, *, erase_blank: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.erase_blank = erase_blank

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if (
            not self.erase_blank
            and instance.pk is not None
            and field.column_name in row
            and str(row[field.column_name] or "").strip() == ""
        ):
            return  # keep the stored value
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def _as_revision(self, instance, is_create, kwargs) -> bool:
        return (
            not is_create
            and isinstance(instance, Publishable)
            and instance.status == Status.PUBLISHED
            and not can_publish(kwargs.get("user"), type(instance))
        )

    def save_instance(self, instance, is_create, row, **kwargs):
        if not self._as_revision(instance, is_create, kwargs):
            return super().save_instance(instance, is_create, row, **kwargs)
        if Revision.objects.open().for_object(instance).exists():
            raise ValidationError(
                gettext(
                    "“%(record)s” has unpublished changes waiting for review; a publisher "
                    "decides on them (or they are discarded) before it can be imported again."
                )
                % {"record": instance}
            )
        instance._genetx_as_revision = True
        if self._is_dry_run(kwargs):
            return None
        from genetx.services import revision_save

        live = type(instance)._base_manager.get(pk=instance.pk)
        data = self._revision_data(instance, live, row)
        revision_save(
            obj=live, data=data, user=kwargs["user"], base_version=live.version, submit=True
        )
        return None

    def save_m2m(self, instance, row, **kwargs):
        if getattr(instance, "_genetx_as_revision", False):
            return  # kept in the revision by save_instance()
        super().save_m2m(instance, row, **kwargs)

    def _revision_data(self, instance, live, row) -> dict:
        fields = [f for f in instance._meta.concrete_fields if not f.primary_key]
        values = revisions.field_values(instance, fields)
        stored = revisions.field_values(live, fields)
        changed = [
            f.name
            for f in revisions.revised_fields(type(instance))
            if values[f.name] != stored[f.name]
        ]
        m2m, m2m_changed = {}, []
        for field in self.get_import_fields():
            model_field = next(
                (f for f in instance._meta.many_to_many if f.name == field.attribute), None
            )
            if model_field is None or field.column_name not in row:
                continue
            if not self.erase_blank and str(row[field.column_name] or "").strip() == "":
                continue
            pks = sorted(obj.pk for obj in field.clean(row))
            m2m[model_field.name] = pks
            if pks != sorted(getattr(live, model_field.name).values_list("pk", flat=True)):
                m2m_changed.append(model_field.name)
        return {
            "fields": values,
            "changed": changed,
            "m2m": m2m,
            "m2m_changed": m2m_changed,
            "children": {},
        }
