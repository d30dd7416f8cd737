"""Charts of sources (genetx.charts), one query each."""

from django.db.models import Count
from django.utils.translation import gettext

from genetx.charts import Chart, bar_chart

from .models import Citation, Source, SourceKind


def sources_by_kind(claims) -> Chart:
    """The published sources these claims cite, by kind of evidence (each source once)."""
    # A semi-join (sources whose id is among the cited ones) counts each source once
    # without COUNT(DISTINCT), which sorted every citation of every listed claim.
    cited = Citation.objects.filter(claim__in=claims.order_by().values("pk")).values("source")
    counts = dict(
        Source.objects.published()
        .filter(pk__in=cited)
        .order_by()
        .values_list("kind")
        .annotate(count=Count("pk"))
    )
    chart = bar_chart(
        "evidence",
        gettext("Sources cited by these claims, by kind of evidence"),
        gettext("sources"),
        [(str(label), counts.get(value, 0), "") for value, label in SourceKind.choices],
    )
    chart.row_header = gettext("Kind of source")
    return chart
