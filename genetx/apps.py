from django.apps import AppConfig


class GenetxConfig(AppConfig):
    name = "genetx"
    verbose_name = "GeneTx"
    default_auto_field = "django.db.models.BigAutoField"
