from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_DIR = settings.BASE_DIR / "fixtures"


class Command(BaseCommand):
    help = (
        "Load the demo content built from the source article (every JSON file in fixtures/). "
        "Records carry natural keys, so loading twice updates them instead of duplicating."
    )

    def handle(self, *args, **options):
        files = sorted(DEMO_DIR.glob("*.json"))
        if not files:
            self.stdout.write("No demo fixtures found in fixtures/; nothing to load.")
            return
        # One loaddata call for all files: natural-key references may point across files,
        # and loaddata resolves forward references only within a single call.
        call_command("loaddata", *[str(path) for path in files], verbosity=options["verbosity"])
