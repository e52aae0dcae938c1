"""Web pages of the risk app: the capability-gap heatmap (sites × threats) and losses per site."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from minewatch.core.errors import MineWatchError
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.incidents.choices import THREAT_CHOICES
from minewatch.risk import analysis, services
from minewatch.risk.choices import CONTROL_LABELS, band_label, control_label
from minewatch.risk.engine.register import BAND_NAMES
from minewatch.risk.models import DeployedControl, RiskRegisterEntry

THREAT_LABELS = dict(THREAT_CHOICES)


def _cell_class(gap: float, imbalance: bool) -> str:
    if imbalance:
        return "gap-imbalance"
    return "gap-high" if gap >= 0.3 else "gap-medium" if gap >= 0.15 else "gap-low"


def _legends(sites: list[Site]) -> list[dict[str, Any]]:
    """One band legend per organisation owning one of ``sites`` (usually one)."""
    owners: dict[int, Any] = {}
    for site in sites:
        owners.setdefault(site.organisation_id, site.organisation)
    return [_legend(org) for org in owners.values()]


def _legend(organisation: Any) -> dict[str, Any]:
    return {"organisation": organisation, "bands": analysis.band_legend(organisation.pk)}


@login_required
def heatmap(request: HttpRequest) -> HttpResponse:
    """Gap per site and threat; a red cell is a structural imbalance (high threat, low coverage)."""
    sites = list(restrict(Site.objects.select_related("organisation"), request.user))
    rows = []
    for site in sites:
        gaps = {g["threat"]: g for g in analysis.site_gaps(site)}
        rows.append({"site": site, "cells": [
            {**gaps[t], "label": THREAT_LABELS.get(t, t),
             "css": _cell_class(gaps[t]["gap"], gaps[t]["is_structural_imbalance"])}
            for t in analysis.THREATS]})  # fmt: skip
    threats = [THREAT_LABELS.get(t, t) for t in analysis.THREATS]
    can_edit_bands = has_capability(request.user, "manage_sites") and bool(
        request.user.organisation_id
    )
    return render(request, "risk/heatmap.html", {
        "rows": rows, "threats": threats, "legends": _legends(sites),
        "can_edit_bands": can_edit_bands,
    })  # fmt: skip


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One site: register, deployed controls, gaps and the cost of inaction (seeded Monte Carlo)."""
    site = get_object_or_404(restrict(Site.objects.select_related("organisation"), request.user),
                             pk=pk)  # fmt: skip
    proposed = [c for c in request.GET.getlist("controls") if c in CONTROL_LABELS]
    losses = analysis.site_losses(site, proposed, seed=0, years=20_000)
    gaps = [{**g, "label": THREAT_LABELS.get(g["threat"], g["threat"])}
            for g in analysis.site_gaps(site)]  # fmt: skip
    loss_rows = [{"threat": threat, "label": THREAT_LABELS.get(threat, threat), **row}
                 for threat, row in losses["threats"].items()]  # fmt: skip
    entries = list(RiskRegisterEntry.objects.filter(site=site).select_related("owner"))
    for entry in entries:
        entry.inherent_band_label = band_label(entry.inherent_band)
        entry.residual_band_label = band_label(entry.residual_band)
    return render(request, "risk/site_detail.html", {
        "site": site, "gaps": gaps, "losses": losses, "loss_rows": loss_rows,
        "proposed": proposed, "entries": entries,
        "controls": DeployedControl.objects.filter(site=site),
        "catalogue": [{"code": code, "label": control_label(code)} for code in CONTROL_LABELS],
        "legends": _legends([site]),
    })  # fmt: skip


@login_required
def bands(request: HttpRequest) -> HttpResponse:
    """A security manager sets the organisation's risk bands (the register is re-banded)."""
    user = request.user
    if not has_capability(user, "manage_sites") or user.organisation_id is None:
        raise PermissionDenied
    current = {b["name"]: b["min_score"] for b in analysis.band_legend(user.organisation_id)}
    values = {name: str(current.get(name, "")) for name in BAND_NAMES}
    error = ""
    if request.method == "POST":
        values = {name: request.POST.get(f"min_{name}", "").strip() for name in BAND_NAMES}
        chosen = []
        for name in BAND_NAMES:
            raw = values[name]
            if not raw:
                continue
            try:
                chosen.append({"name": name, "min_score": int(raw)})
            except ValueError:
                error = _("%(band)s: %(value)r is not a whole score") % {
                    "band": band_label(name),
                    "value": raw,
                }
                break
        if not error:
            try:
                services.set_risk_bands(actor=user, bands=chosen)
            except MineWatchError as exc:
                error = exc.text
            else:
                messages.success(request, _("Risk bands saved; the register has been re-banded."))
                return redirect("risk:heatmap")
    rows = [{"name": name, "label": band_label(name), "value": values[name]} for name in BAND_NAMES]
    return render(request, "risk/bands.html", {
        "rows": rows, "error": error, "legends": [_legend(user.organisation)],
    })  # fmt: skip
