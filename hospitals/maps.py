"""Institutions as map points (genetx.maps) for the pages that show a map."""

from django.urls import reverse

from genetx.maps import MapPoint, roles_in_order
from genetx.models import Status

from .models import Institution, Programme, format_place

# The most institutions one map draws: a list filtered to thousands would otherwise make
# the page as big as the table. The map says how many it leaves out.
MAP_LIMIT = 300


def points_for_institutions(institutions, *, limit: int = MAP_LIMIT) -> list[MapPoint]:
    """The first `limit` institutions of a queryset (by name), with their public roles.

    Two queries whatever the number of institutions: their rows, then their roles.
    """
    rows = list(
        institutions.order_by("name").values(
            "pk", "name", "slug", "city", "region", "country", "latitude", "longitude"
        )[:limit]
    )
    roles: dict[int, list[str]] = {}
    if rows:
        pairs = (
            Programme.objects.published()
            .filter(therapy__status=Status.PUBLISHED, institution__in=[row["pk"] for row in rows])
            .values_list("institution_id", "role")
            .distinct()
        )
        for institution_id, role in pairs:
            roles.setdefault(institution_id, []).append(role)
    return [
        MapPoint(
            name=row["name"],
            url=reverse("hospitals:institution-detail", kwargs={"slug": row["slug"]}),
            place=format_place(row["city"], row["region"], row["country"]),
            latitude=row["latitude"],
            longitude=row["longitude"],
            roles=roles_in_order(roles.get(row["pk"], [])),
        )
        for row in rows
    ]


def point_for_institution(institution: Institution, roles) -> MapPoint:
    """One institution, with the given roles of its programmes."""
    return MapPoint(
        name=institution.name,
        url=institution.get_absolute_url(),
        place=institution.place,
        latitude=institution.latitude,
        longitude=institution.longitude,
        roles=roles_in_order(roles),
    )


def points_for_programmes(programmes) -> list[MapPoint]:
    """The institutions of (already read) programmes, each with its roles among them."""
    by_institution: dict[int, tuple[Institution, list]] = {}
    for programme in programmes:
        by_institution.setdefault(programme.institution_id, (programme.institution, []))[1].append(
            programme
        )
    points = [
        point_for_institution(inst, [p.role for p in progs])
        for inst, progs in by_institution.values()
    ]
    return sorted(points, key=lambda point: point.name.lower())
