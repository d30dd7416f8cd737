from django.apps import AppConfig


class HospitalsConfig(AppConfig):
    name = "hospitals"
    verbose_name = "Institutions"
    default_auto_field = "django.db.models.BigAutoField"
