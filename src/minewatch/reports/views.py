"""Web pages of the reports: pick a month (or year) and a site, preview, download the PDF."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin

from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability
from minewatch.reports import services
from minewatch.reports.engine.periods import previous_month
from minewatch.reports.scope import ReportScope, resolve_scope

KINDS = {"monthly": "month", "annual": "year"}
# The preview is framed by the reports page itself: same origin only.
PREVIEW_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
               "frame-ancestors 'self'")  # fmt: skip


def _require_reports(request: HttpRequest) -> None:
    if not has_capability(request.user, "see_reports"):
        raise PermissionDenied


def _scope(request: HttpRequest, kind: str) -> ReportScope:
    period_field = KINDS[kind]
    return resolve_scope(
        actor=request.user, now=timezone.now(), site=request.GET.get("site") or None,
        language=request.GET.get("lang") or "es",
        **{period_field: request.GET.get(period_field, "")},
    )  # fmt: skip


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The form; with a period given, the preview and the download link (or the error)."""
    _require_reports(request)
    from django.conf import settings

    now = timezone.now()
    kind = request.GET.get("kind") if request.GET.get("kind") in KINDS else "monthly"
    context: dict[str, Any] = {
        "kind": kind,
        "month": request.GET.get("month") or previous_month(now, settings.TIME_ZONE).label,
        "year": request.GET.get("year") or str(timezone.localtime(now).year),
        "site": request.GET.get("site", ""),
        "lang": request.GET.get("lang", "es"),
        "sites": ReportScope(request.user.organisation, None).organisation_sites()
        if request.user.organisation_id else [],
    }  # fmt: skip
    if KINDS[kind] in request.GET:
        try:
            _scope(request, kind)
        except MineWatchError as error:
            context["error"], context["error_field"] = error.text, error.field
        else:
            query = urlencode({key: request.GET[key] for key in ("site", "lang", KINDS[kind])
                               if request.GET.get(key)})  # fmt: skip
            context["query"] = query
    return render(request, "reports/index.html", context, status=400 if "error" in context else 200)


@login_required
@xframe_options_sameorigin
def document(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """The report itself as HTML (the preview) or PDF (the download)."""
    _require_reports(request)
    try:
        scope = _scope(request, kind)
        builder = services.render_monthly if kind == "monthly" else services.render_annual
        report = builder(scope, now=timezone.now(), fmt=fmt)
    except MineWatchError as error:
        return HttpResponse(error.text, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(report.content, content_type=report.content_type)
    disposition = "attachment" if fmt == "pdf" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{report.filename}"'
    response["Content-Security-Policy"] = PREVIEW_CSP
    return response
