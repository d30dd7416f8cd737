"""Charts of sources (genetx.charts), one query each."""

from django.db.models import Count
from django.utils.translation import gettext

from genetx.charts import Chart, bar_chart

from .models import Source, SourceKind


def sources_by_kind(claims) -> Chart:
    """The published sources these claims cite, by kind of evidence (each source once)."""
    counts = dict(
        Source.objects.published()
        .filter(citations__claim__in=claims.order_by().values("pk"))
        .order_by()
        .values_list("kind")
        .annotate(count=Count("pk", distinct=True))
    )
    chart = bar_chart(
        "evidence",
        gettext("Sources cited by these claims, by kind of evidence"),
        gettext("sources"),
        [(str(label), counts.get(value, 0), "") for value, label in SourceKind.choices],
    )
    chart.row_header = gettext("Kind of source")
    return chart
