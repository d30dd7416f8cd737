"""The site-wide audit log: who did what to which record, and when.

Built on the history django-simple-history already keeps for every content model: one
UNION over the history tables, filtered per table before the union, ordered by time and
read a page at a time, so the page runs the same few queries whatever the history holds.
Editors see the models they may view; the same filters download the log as CSV.
"""

import csv
import datetime

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from genetx.listing import safe_cell

CONTENT_APPS = ("therapies", "hospitals", "sources")
ACTIONS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}
# A CSV download holds at most this many rows; narrow the filters for older ones.
EXPORT_LIMIT = 100_000
PAGE_SIZE = 50


def audited_models(user) -> list:
    """Content models with history that this user may view, in a stable order."""
    result = []
    for app in CONTENT_APPS:
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical") or not hasattr(model, "history"):
                continue
            opts = model._meta
            if user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
                f"{opts.app_label}.change_{opts.model_name}"
            ):
                result.append(model)
    return result


def _label_expression(model):
    """The column naming a record in the log: its name, slug or key, else its id."""
    names = {field.name for field in model._meta.concrete_fields}
    for name in ("name", "key", "slug"):
        if name in names:
            return Cast(F(name), CharField())
    return Concat(Value(f"{model._meta.verbose_name} #"), Cast(F("id"), CharField()))


def history_rows(models, *, user=None, since=None, until=None):
    """One queryset: every history row of these models, newest first, as dicts."""
    parts = []
    for model in models:
        rows = model.history.all()
        if user is not None:
            rows = rows.filter(history_user=user)
        if since is not None:
            rows = rows.filter(history_date__gte=since)
        if until is not None:
            rows = rows.filter(history_date__lt=until)
        parts.append(
            rows.order_by()
            .annotate(
                model_label=Value(model._meta.label_lower, output_field=CharField()),
                record_label=_label_expression(model),
            )
            .values(
                "history_id",
                "history_date",
                "history_type",
                "history_user_id",
                "history_change_reason",
                "id",
                "model_label",
                "record_label",
            )
        )
    if not parts:
        return None
    first, *rest = parts
    return first.union(*rest, all=True).order_by("-history_date", "-history_id")


class AuditLogFilter(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_staff=True).order_by("username"),
        required=False,
        empty_label=_("Anyone"),
        label=_("User"),
    )
    model = forms.ChoiceField(required=False, label=_("Kind of record"))
    since = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False,
        label=_("To (inclusive)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, models=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.models = {model._meta.label_lower: model for model in models}
        self.fields["model"].choices = [("", gettext("Every kind"))] + [
            (label, model._meta.verbose_name_plural.capitalize())
            for label, model in self.models.items()
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("“From” must not be after “To”."))
        return data

    def selected_models(self):
        label = self.cleaned_data.get("model")
        return [self.models[label]] if label else list(self.models.values())

    def rows(self):
        def start_of(day):
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        return history_rows(
            self.selected_models(),
            user=self.cleaned_data.get("user"),
            since=start_of(since) if since else None,
            until=start_of(until + datetime.timedelta(days=1)) if until else None,
        )


def _entries(rows, models):
    """Page rows with who, what and links, reading the users in one query."""
    rows = list(rows)
    users = get_user_model().objects.in_bulk({row["history_user_id"] for row in rows} - {None})
    for row in rows:
        model = models[row["model_label"]]
        opts = model._meta
        user = users.get(row["history_user_id"])
        row["user"] = user.get_username() if user else gettext("(system)")
        row["action"] = ACTIONS.get(row["history_type"], row["history_type"])
        row["kind"] = opts.verbose_name
        try:
            row["history_url"] = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_history", args=[row["id"]]
            )
        except NoReverseMatch:
            row["history_url"] = ""
    return rows


class _Echo:
    def write(self, value):
        return value


def _csv_response(rows, models):
    writer = csv.writer(_Echo())
    header = ["time (UTC)", "user", "action", "kind", "record", "record id", "reason"]

    def lines():
        # A data file: its actions and kinds in the site's default language, like its
        # header, whatever the language of the admin page it was downloaded from.
        with translation.override(settings.LANGUAGE_CODE):
            yield writer.writerow(header)
            batch = []
            for row in rows[:EXPORT_LIMIT].iterator(chunk_size=2000):
                batch.append(row)
                if len(batch) == 2000:
                    yield from _csv_lines(writer, _entries(batch, models))
                    batch = []
            yield from _csv_lines(writer, _entries(batch, models))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="genetx-audit-log.csv"'
    return response


def _csv_lines(writer, entries):
    for row in entries:
        yield writer.writerow(
            [
                row["history_date"].astimezone(datetime.UTC).isoformat(timespec="seconds"),
                safe_cell(row["user"]),
                row["action"],
                row["kind"],
                safe_cell(row["record_label"]),
                row["id"],
                safe_cell(row["history_change_reason"] or ""),
            ]
        )


def audit_log_view(request, admin_site):
    """The audit log page (and its CSV download with ?format=csv)."""
    models = audited_models(request.user)
    form = AuditLogFilter(request.GET or None, models=models)
    context = {
        **admin_site.each_context(request),
        "title": gettext("Audit log"),
        "form": form,
        "export_limit": EXPORT_LIMIT,
    }
    if form.is_bound and not form.is_valid():
        return TemplateResponse(request, "admin/genetx/audit_log.html", context, status=400)
    if not form.is_bound:
        form = AuditLogFilter({}, models=models)
        form.is_valid()
        context["form"] = form
    rows = form.rows()
    by_label = {model._meta.label_lower: model for model in models}
    if rows is not None and request.GET.get("format") == "csv":
        return _csv_response(rows, by_label)
    page = Paginator(rows if rows is not None else [], PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(page=page, entries=_entries(page.object_list, by_label))
    return TemplateResponse(request, "admin/genetx/audit_log.html", context)
