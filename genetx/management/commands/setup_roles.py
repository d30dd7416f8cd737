from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError

from genetx.roles import ensure_roles


class Command(BaseCommand):
    help = (
        "Create the Editor and Publisher groups with their permissions, or reset them to "
        "their definition. Safe to run any number of times."
    )

    def handle(self, *args, **options):
        try:
            counts = ensure_roles(Group, Permission)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count} permissions")
