"""CSV import and export of therapies (django-import-export), keyed by slug."""

from import_export import fields
from import_export.widgets import ForeignKeyWidget, ManyToManyWidget

from genetx.resources import RevisionAwareResource

from .models import Condition, Modality, Therapy


class TherapyResource(RevisionAwareResource):
    """One therapy per row. The modality and conditions are given by slug (conditions
    separated by "|"). Status is exported but never imported: new rows are drafts, and
    publishing stays a publisher's decision."""

    modality = fields.Field(
        attribute="modality", column_name="modality", widget=ForeignKeyWidget(Modality, "slug")
    )
    conditions = fields.Field(
        attribute="conditions",
        column_name="conditions",
        widget=ManyToManyWidget(Condition, field="slug", separator="|"),
    )
    status = fields.Field(attribute="status", column_name="status", readonly=True)

    class Meta:
        model = Therapy
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "name",
            "kind",
            "inn",
            "brand_name",
            "code",
            "modality",
            "conditions",
            "development_status",
            "summary",
            "mechanism",
            "status",
        ]
        export_order = fields
        # Each row passes the same validation as the admin form, reported per field.
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
