"""Web pages of the inventory app: the monthly reconciliation, lots, and one lot's chain."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from minewatch.inventory import queries
from minewatch.inventory.choices import DISPATCH_POINTS, RECEIPT_POINTS, CustodyPoint
from minewatch.inventory.filtersets import LotFilterSet


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    """Dry tonnes dispatched and received in a month, by route and contractor, with 1σ."""
    try:
        data = queries.reconciliation(request.user, request.GET.get("month"))
        error = ""
    except ValueError:
        data = queries.reconciliation(request.user, None)
        error = "month"
    start = data["start"]
    previous = (start - dt.timedelta(days=1)).strftime("%Y-%m")
    following = (data["end"] + dt.timedelta(days=1)).strftime("%Y-%m")
    findings = queries.findings(request.user).filter(created_at__gte=start,
                                                     created_at__lt=data["end"])[:50]  # fmt: skip
    return render(request, "inventory/reconciliation.html", {
        **data, "total_rows": [data["total"]] if data["total"] else [], "previous": previous, "following": following, "findings": findings,
        "month_error": error,
    })  # fmt: skip


@login_required
def lot_list(request: HttpRequest) -> HttpResponse:
    filterset = LotFilterSet(request.GET, queryset=queries.lots(request.user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inventory/lot_list.html",
                  {"filter": filterset, "page": page, "query": query.urlencode()})  # fmt: skip


@login_required
def lot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A lot's chain of custody: each weighing in chain order, its balance, seals and findings."""
    lot = get_object_or_404(queries.lots(request.user), pk=pk)
    order = {point: n for n, point in enumerate(CustodyPoint.values)}
    chain = sorted(queries.weighings(request.user).filter(lot=lot),
                   key=lambda w: order[w.custody_point])  # fmt: skip
    present = {w.custody_point for w in chain}
    dispatch = next((p for p in DISPATCH_POINTS if p in present), None)
    receipt = next((p for p in RECEIPT_POINTS if p in present), None)
    return render(request, "inventory/lot_detail.html", {
        "lot": lot, "chain": chain, "dispatch_point": dispatch, "receipt_point": receipt,
        "seal_checks": queries.seal_checks(request.user).filter(lot=lot),
        "findings": queries.findings(request.user).filter(lot=lot),
    })  # fmt: skip


@login_required
def magazine_list(request: HttpRequest) -> HttpResponse:
    return render(request, "inventory/magazine_list.html",
                  {"magazines": queries.magazines(request.user)})  # fmt: skip


@login_required
def magazine_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The magazine's monthly ledger, laid out to print (SUCAMEC-style inspection report)."""
    site = get_object_or_404(queries.magazines(request.user), pk=pk)
    try:
        data = queries.magazine_ledger(request.user, site, request.GET.get("month"))
        error = ""
    except ValueError:
        data = queries.magazine_ledger(request.user, site, None)
        error = "month"
    return render(request, "inventory/magazine_report.html", {
        **data, "magazine": site, "month_error": error,
        "previous": (data["start"] - dt.timedelta(days=1)).strftime("%Y-%m"),
        "following": (data["end"] + dt.timedelta(days=1)).strftime("%Y-%m"),
    })  # fmt: skip
