from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from genetx.admin import CsvImportExportMixin, PublishableAdmin, PublishableInline
from genetx.data_health import health_filter

from .models import Institution, Programme
from .resources import InstitutionResource


class InstitutionProgrammeInline(PublishableInline):
    model = Programme
    fk_name = "institution"
    fields = ["therapy", "role", "since", "status"]
    autocomplete_fields = ["therapy"]


@admin.register(Institution)
class InstitutionAdmin(CsvImportExportMixin, PublishableAdmin):
    resource_classes = [InstitutionResource]
    list_display = [
        "name",
        "kind",
        "city",
        "region",
        "country",
        "status",
        "is_public",
        "updated_at",
    ]
    # Every filter here is an indexed column.
    list_filter = ["status", "kind", "country", "region", health_filter(Institution)]
    search_fields = ["name", "slug", "city", "ror_id"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [InstitutionProgrammeInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "status"]}),
        (_("Place"), {"fields": ["city", "region", "country", "latitude", "longitude"]}),
        (_("Identity"), {"fields": ["website", "ror_id", "summary"]}),
        (_("Record"), {"fields": ["published_at", "created_at", "updated_at"]}),
    ]


@admin.register(Programme)
class ProgrammeAdmin(PublishableAdmin):
    list_display = ["institution", "role", "therapy", "since", "status", "is_public"]
    list_filter = ["status", "role"]
    list_select_related = ["institution", "therapy"]
    search_fields = ["institution__name", "therapy__name", "summary"]
    autocomplete_fields = ["institution", "therapy"]

    def get_queryset(self, request):
        # Autocomplete lists programmes by name, which reads the institution and therapy.
        return super().get_queryset(request).select_related("institution", "therapy")
