"""CSV import and export of institutions (django-import-export), keyed by slug."""

from import_export import fields

from genetx.resources import RevisionAwareResource

from .models import Institution


class InstitutionResource(RevisionAwareResource):
    """One institution per row. Status is exported but never imported: new rows are
    drafts, and publishing stays a publisher's decision."""

    status = fields.Field(attribute="status", column_name="status", readonly=True)

    class Meta:
        model = Institution
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "name",
            "kind",
            "city",
            "region",
            "country",
            "website",
            "ror_id",
            "latitude",
            "longitude",
            "summary",
            "status",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
