"""Charts of therapies and regulatory decisions (genetx.charts), one query each."""

from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext

from genetx.charts import Chart, bar_chart, stacked_chart
from genetx.models import Status
from genetx.translation_sync import in_shown_language

from .models import RegulatoryDecision, TherapyDevelopment


def _list_url(**params) -> str:
    return reverse("therapies:therapy-list") + "?" + urlencode(params)


def therapies_by_modality(therapies) -> Chart:
    """How many of these therapies use each modality (most first)."""
    rows = (
        therapies.order_by()
        .values(
            "modality__slug",
            modality_label=in_shown_language(therapies.model, "modality__name"),
        )
        .annotate(count=Count("pk", distinct=True))
        .order_by("-count", "modality_label")
    )
    return bar_chart(
        "modality",
        gettext("Therapies by modality"),
        gettext("therapies"),
        [
            (
                row["modality_label"] or gettext("Modality not stated"),
                row["count"],
                _list_url(modality=row["modality__slug"]) if row["modality__slug"] else "",
            )
            for row in rows
        ],
    )


def therapies_by_development(therapies) -> Chart:
    """How many of these therapies are at each development status, in pipeline order."""
    counts = dict(
        therapies.order_by()
        .values_list("development_status")
        .annotate(count=Count("pk", distinct=True))
    )
    return bar_chart(
        "development",
        gettext("Therapies by development status"),
        gettext("therapies"),
        [
            (str(label), counts.get(value, 0), _list_url(development=value) if value else "")
            for value, label in TherapyDevelopment.choices
        ],
    )


def decisions_by_year_and_agency() -> Chart:
    """Public regulatory decisions per year, split by the deciding agency."""
    rows = (
        RegulatoryDecision.objects.filter(
            therapy__status=Status.PUBLISHED,
            agency__status=Status.PUBLISHED,
            source__status=Status.PUBLISHED,
        )
        .order_by()
        .values("date__year", "agency__name")
        .annotate(count=Count("pk"))
    )
    counts = {(str(row["date__year"]), row["agency__name"]): row["count"] for row in rows}
    chart = stacked_chart(
        gettext("decisions"),
        gettext("Regulatory decisions by year and agency"),
        gettext("decisions"),
        counts,
        row_header=gettext("Year"),
        others=gettext("Other agencies"),
    )
    return chart
