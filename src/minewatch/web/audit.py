"""The audit log in the web app: filter by user, object, action and date; export CSV.

For the roles with the ``audit`` capability (auditors, managers, admins), over the same
scoped queryset and filters as ``/api/v1/audit/`` (``core.filtersets.AuditEntryFilterSet``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import django_filters
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minewatch.core.filtersets import AuditEntryFilterSet
from minewatch.core.models import AuditEntry
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict

CSV_LIMIT = 100_000
PAGE_SIZE = 100
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuditLogFilterSet(AuditEntryFilterSet):
    """The API's filters, plus the user's name and calendar days (local time) for the page."""

    user = django_filters.CharFilter(field_name="actor_name", label=gettext_lazy("User"))
    date_from = django_filters.DateFilter(
        field_name="at", lookup_expr="date__gte", label=gettext_lazy("From (date)")
    )
    date_to = django_filters.DateFilter(
        field_name="at", lookup_expr="date__lte", label=gettext_lazy("To (date)")
    )

    class Meta(AuditEntryFilterSet.Meta):
        fields = ["action", "object_type", "object_id"]


def visible_entries(user: Any) -> Any:
    return restrict(AuditEntry.objects.all(), user).order_by("-at", "-id")


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text (no formula injection).

    >>> safe_cell("=1+1"), safe_cell("ok")
    ("'=1+1", 'ok')
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(entries: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([_("Time"), _("User"), _("Action"), _("Object type"), _("Object id"),
                           _("Object"), _("Changed fields"), _("Note")])  # fmt: skip
    for entry in entries.iterator(chunk_size=2000):
        yield writer.writerow([safe_cell(v) for v in (
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"), entry.actor_name,
            entry.get_action_display(), entry.object_type, entry.object_id, entry.object_repr,
            ", ".join(sorted(entry.changes or {})), entry.note,
        )])  # fmt: skip


def changed_field_labels(entry: AuditEntry) -> list[str]:
    """The changed fields by their names in words (verbose names), for the page; a field
    since removed, or of a model no longer installed, keeps its stored name."""
    try:
        model = apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        model = None
    labels = []
    for name in sorted(entry.changes or {}):
        try:
            labels.append(str(model._meta.get_field(name).verbose_name) if model else name)
        except FieldDoesNotExist:
            labels.append(name)
    return labels


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log page; ``?export=csv`` downloads the filtered entries."""
    if not has_capability(request.user, "audit"):
        raise PermissionDenied
    entries = visible_entries(request.user)
    filterset = AuditLogFilterSet(request.GET, queryset=entries)
    if not filterset.is_valid():
        return render(request, "web/audit_log.html", {
            "filter": filterset, "page": None, "users": [], "object_types": [], "query": "",
        }, status=400)  # fmt: skip
    if request.GET.get("export") == "csv":
        response = StreamingHttpResponse(csv_rows(filterset.qs[:CSV_LIMIT]),
                                         content_type="text/csv; charset=utf-8")  # fmt: skip
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page:
        entry.field_labels = changed_field_labels(entry)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(request, "web/audit_log.html", {
        "filter": filterset, "page": page, "query": query.urlencode(),
        "users": entries.order_by().values_list("actor_name", flat=True).distinct(),
        "object_types": entries.order_by().values_list("object_type", flat=True).distinct(),
    })  # fmt: skip
