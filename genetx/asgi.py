import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "genetx.settings")
# Web workers get the page statement timeout (settings.STATEMENT_TIMEOUT); commands do not.
os.environ.setdefault("GENETX_PROCESS", "web")

application = get_asgi_application()

from genetx.garbage import tune_for_web_worker  # noqa: E402 -- needs the settings first

tune_for_web_worker()
