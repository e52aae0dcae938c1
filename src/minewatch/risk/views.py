"""Web pages of the risk app: the capability-gap heatmap (sites × threats) and losses per site."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.incidents.choices import THREAT_CHOICES
from minewatch.risk import analysis
from minewatch.risk.choices import CONTROL_LABELS
from minewatch.risk.models import DeployedControl, RiskRegisterEntry

THREAT_LABELS = dict(THREAT_CHOICES)


def _cell_class(gap: float, imbalance: bool) -> str:
    if imbalance:
        return "gap-imbalance"
    return "gap-high" if gap >= 0.3 else "gap-medium" if gap >= 0.15 else "gap-low"


@login_required
def heatmap(request: HttpRequest) -> HttpResponse:
    """Gap per site and threat; a red cell is a structural imbalance (high threat, low coverage)."""
    rows = []
    for site in restrict(Site.objects.all(), request.user):
        gaps = {g["threat"]: g for g in analysis.site_gaps(site)}
        rows.append({"site": site, "cells": [
            {**gaps[t], "css": _cell_class(gaps[t]["gap"], gaps[t]["is_structural_imbalance"])}
            for t in analysis.THREATS]})  # fmt: skip
    threats = [THREAT_LABELS.get(t, t) for t in analysis.THREATS]
    return render(request, "risk/heatmap.html", {"rows": rows, "threats": threats})


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One site: register, deployed controls, gaps and the cost of inaction (seeded Monte Carlo)."""
    site = get_object_or_404(restrict(Site.objects.all(), request.user), pk=pk)
    proposed = [c for c in request.GET.getlist("controls") if c in CONTROL_LABELS]
    losses = analysis.site_losses(site, proposed, seed=0, years=20_000)
    return render(request, "risk/site_detail.html", {
        "site": site, "gaps": analysis.site_gaps(site), "losses": losses,
        "threat_labels": THREAT_LABELS, "proposed": proposed,
        "entries": RiskRegisterEntry.objects.filter(site=site),
        "controls": DeployedControl.objects.filter(site=site),
        "catalogue": sorted(CONTROL_LABELS),
    })  # fmt: skip
