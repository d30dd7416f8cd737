"""What every public detail page shares: the staff preview branch and the page's metadata."""

from django.utils.cache import add_never_cache_headers
from django.views.generic import DetailView

from .cache import depends_only_on_shown_records


class PreviewDetailView(DetailView):
    """A detail page of published records, which staff who may change them can preview.

    The model's QuerySet provides `for_detail()` (published, with what the page shows) and
    `with_detail_related()` (the same related rows, without the status filter).

    ``revision_preview`` is set only by the admin's revision preview (a permission-checked
    admin route): the record as it will look once its revision is approved.
    """

    # A detail page reads no query parameter (genetx.cache.CanonicalQueryMiddleware).
    cache_query_params = frozenset()
    revision_preview = None

    def get(self, request, *args, **kwargs):
        # The page shows this record and the rows it reads, nothing site-wide: the page
        # cache keeps it while those rows are unchanged, whatever else is edited.
        depends_only_on_shown_records(request)
        return super().get(request, *args, **kwargs)

    def get_object(self, queryset=None):
        if self.revision_preview is not None:
            return self.revision_preview
        return super().get_object(queryset)

    def get_queryset(self):
        manager = self.model.objects
        user = self.request.user
        if user.is_staff:
            # The one preview branch: visible_to() checks the change permission and gives
            # everyone else published records only.
            return self.with_page_related(manager.visible_to(user))
        return self.with_page_related(manager.published())

    def with_page_related(self, queryset):
        """The record's queryset with the related rows this page shows."""
        return queryset.with_detail_related()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_revision_preview"] = self.revision_preview is not None
        context["is_preview"] = context["is_revision_preview"] or not self.object.is_published
        context["canonical_url"] = self.request.build_absolute_uri(self.object.get_absolute_url())
        context["json_ld"] = self.json_ld(context["canonical_url"])
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context.get("is_preview"):
            # A draft must never land in a shared cache, where a reader could get it.
            add_never_cache_headers(response)
        return response

    def json_ld(self, url: str) -> dict:
        """The schema.org description of the record (each page says what it is)."""
        return {}


class EvidenceMixin:
    """The regulatory decisions, claims and numbered references of a detail page.

    Therapy, condition and institution pages show the same block: decisions, then claims,
    each with markers into one reference list numbered in the order the page shows them.
    A view names its rows with `evidence_decisions()` and `evidence_claims()` (named
    queryset methods); the page reads `decisions`, `claims` and `references`.
    """

    def evidence_decisions(self):
        return []

    def evidence_claims(self):
        return []

    def get_context_data(self, **kwargs):
        from sources.references import ReferenceList

        context = super().get_context_data(**kwargs)
        refs = ReferenceList()
        # Cite in the order the page shows things: decisions, then claims.
        context["decisions"] = [(d, [refs.cite(d.source)]) for d in self.evidence_decisions()]
        context["claims"] = refs.claims(self.evidence_claims())
        context["references"] = refs.references
        return context


def first_and_count(queryset, limit: int) -> tuple[list, int]:
    """The first `limit` rows of a queryset and how many there are in all.

    A page lists a bounded number of related records and says how many there are, so it
    stays the same size as the tables grow: one query when they all fit, a COUNT more when
    they do not.
    """
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, len(rows)
    return rows[:limit], queryset.count()


class TrialsMixin:
    """The trials section of a therapy, condition or institution page, capped at
    `trial_limit` like the other related lists; the page reads `trials` and `trial_count`."""

    trial_limit = 50

    def page_trials(self):
        """The published trials this page lists, in the order shown (a queryset)."""
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["trials"], context["trial_count"] = first_and_count(
            self.page_trials(), self.trial_limit
        )
        return context
