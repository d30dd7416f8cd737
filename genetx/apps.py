from django.apps import AppConfig, apps
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save


class GenetxConfig(AppConfig):
    name = "genetx"
    verbose_name = "GeneTx"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .cache import content_changed

        # No sender: the receiver filters on the app, so a content model added later is
        # covered without touching this list. See genetx.cache.content_changed for why
        # signals are the right tool here.
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(content_changed, dispatch_uid=f"genetx-page-cache-{signal!r}")
        # Which content rows a detail page reads, so the page cache keeps it until one of
        # them changes (genetx.cache.note_shown); per model, so other models pay nothing.
        from .cache import CONTENT_APPS, note_shown

        for model in apps.get_models():
            if model._meta.app_label in CONTENT_APPS:
                post_init.connect(
                    note_shown, sender=model, dispatch_uid=f"genetx-shown-{model._meta.label}"
                )

        from .translation_sync import reuse_multilingual_queryset_classes

        reuse_multilingual_queryset_classes()

        from django.db.backends.signals import connection_created

        connection_created.connect(_web_session_settings, dispatch_uid="genetx-web-jit-off")

        from django.contrib.auth import get_user_model

        from .roles import role_membership_changed

        m2m_changed.connect(
            role_membership_changed,
            sender=get_user_model().groups.through,
            dispatch_uid="genetx-role-staff-status",
        )


def _web_session_settings(sender, connection, **kwargs) -> None:
    """PostgreSQL's JIT compiles any query its planner thinks costly: 0.3-0.5 s of
    compilation for a page query that runs in milliseconds (measured on the benchmark
    corpus). App servers run short queries, so their connections turn it off; commands keep
    the server's default."""
    from django.conf import settings

    if connection.vendor == "postgresql" and getattr(settings, "PROCESS_KIND", "") == "web":
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
