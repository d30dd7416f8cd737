import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# The demo fixture files and the models each holds, in load order. Listing models (rather
# than whole apps) leaves out the history tables, and decisions get their own file because
# they cite sources, which load after the therapies file.
DEMO_FILES = {
    "10-therapies.json": ["therapies.modality", "therapies.condition", "therapies.therapy"],
    "20-hospitals.json": ["hospitals.institution", "hospitals.programme"],
    "30-sources.json": ["sources.source", "sources.author", "sources.claim", "sources.citation"],
    "40-decisions.json": ["therapies.regulatorydecision"],
    # Trials cite sources and name institutions, so they load after both.
    "50-trials.json": ["therapies.trial", "therapies.trialsite", "therapies.trialcitation"],
}


class Command(BaseCommand):
    help = (
        "Write the content of the database to the demo fixtures (fixtures/*.json) with "
        "natural keys only, so content edited in the admin becomes the new demo."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            type=Path,
            default=settings.BASE_DIR / "fixtures",
            help="Where to write the files (default: the project's fixtures/ folder).",
        )

    def handle(self, *args, output_dir: Path, **options):
        output_dir.mkdir(parents=True, exist_ok=True)
        for name, labels in DEMO_FILES.items():
            call_command(
                "dumpdata",
                *labels,
                natural_foreign=True,
                natural_primary=True,
                indent=2,
                output=str(output_dir / name),
                verbosity=0,
            )
            _drop_counters(output_dir / name)
            _drop_english_copies(output_dir / name)
            self.stdout.write(f"Wrote {output_dir / name}")


def _drop_counters(path: Path) -> None:
    """Leave the save counter (genetx.models.Versioned) and the counts kept on rows
    (genetx.counts) out of the demo files.

    The save counter counts saves in one database, for conflict detection; the demo has no
    such past, and records it loads start at version 1. The kept counts are made from the
    records as they load (the apps' signals). None is a model's last field, so each line as
    dumpdata writes it ends in a comma.
    """
    from genetx.counts import KEPT_COUNTS

    names = ["version", *sorted({count.field for count in KEPT_COUNTS})]
    line = re.compile(r'^    "(?:' + "|".join(names) + r')": \d+,\n', re.MULTILINE)
    path.write_text(line.sub("", path.read_text(encoding="utf-8")), encoding="utf-8")


def _drop_english_copies(path: Path) -> None:
    """Leave out the English column of each translated field (name_en): the original field
    (name) holds the same English text and loads into it (genetx/translation_sync.py), and
    the Spanish one (name_es) follows it in the file."""
    from genetx.translation_sync import translated_fields

    names = {name for model in apps.get_models() for name in translated_fields(model)}
    if not names:
        return
    pattern = re.compile(
        r'^    "(?:' + "|".join(sorted(names)) + r')_en": .*\n(?=    "\w+_es": )', re.MULTILINE
    )
    path.write_text(pattern.sub("", path.read_text(encoding="utf-8")), encoding="utf-8")
