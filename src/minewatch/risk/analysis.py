"""Read-only risk computations: load rows, call the pure engine, shape the answer.

Forecast cells, the capability gap per site and threat, the cost of inaction, and the
likelihood suggestion for the register. Nothing here writes (services.py does).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import h3
import numpy as np
from django.db.models import Min, QuerySet
from django.utils import timezone

from minewatch.core.errors import InvalidInput
from minewatch.geo.models import Site
from minewatch.incidents.models import Incident
from minewatch.risk.covariates import covariates_for
from minewatch.risk.engine import gaps as gap_engine
from minewatch.risk.engine import losses as loss_engine
from minewatch.risk.engine import register as register_engine
from minewatch.risk.engine.forecast import METHODS, History, fit_status, make_method
from minewatch.risk.engine.grid import StudyArea, check_resolution, study_area_from_cells
from minewatch.risk.models import (
    ControlEffectiveness,
    DeployedControl,
    RiskBands,
    RiskRegisterEntry,
)

THREATS = gap_engine.THREATS
HISTORY_DAYS = 3 * 365  # the register and loss model look at the last three years
MIN_WINDOW_DAYS = 90  # a rate is never measured over less than a quarter of a year
PARTIAL_YEAR_DAYS = 30  # records this far into a year do not make it a yearly bin of its own
NEAR_SITE_RING = 2  # forecast cells within this many H3 rings of a site count for it
SITE_FORECAST_RESOLUTION = 7  # ~5 km² cells: the scale of a mine and its surroundings


def check_threat(threat: Any, field: str = "threat", allow_all: bool = False) -> str | None:
    if allow_all and threat in (None, "", "all"):
        return None
    if threat not in THREATS:
        raise InvalidInput(f"unknown threat {threat!r}; one of {list(THREATS)}", field=field)
    return threat


def _event_arrays(incidents: QuerySet, now: dt.datetime) -> tuple[np.ndarray, ...]:
    rows = list(incidents.filter(occurred_at__lte=now).values_list("occurred_at", "lat", "lon"))
    if not rows:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    t_days = np.array([(now - r[0]).total_seconds() / -86400.0 for r in rows])
    return t_days, np.array([r[1] for r in rows]), np.array([r[2] for r in rows])


def forecast_cells(
    incidents: QuerySet, *, days: int, resolution: int, method: str = "mixture",
    now: dt.datetime | None = None,
    covariates: Callable[[StudyArea], Mapping[str, np.ndarray]] | None = None,
    explain: dict[str, Any] | None = None, boundaries: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """Expected incidents per H3 cell over the next ``days`` days, highest first.

    The study area is every cell holding a past incident plus its neighbours (one ring),
    so a country-wide history stays a few thousand cells at any resolution; with the
    mixture and a :class:`risk.covariates.Geography`, also the cells on and around the
    sites, routes and risk zones, so a road stretch with no incident yet can be ranked.
    ``covariates(area)`` (e.g. :func:`risk.covariates.covariates_for`) gives the mixture
    static maps of the geography; ``explain``, when given, is filled with the covariates
    used, the mixture's fitted weight per component, the study area in km² and ``fit``:
    whether the method could fit, and if not why and what replaced it (the mixture also
    gives the scales it chose).

    Each cell has ``top_share``: the share of the study area covered by it and every
    cell ranked above it, so "top_share <= 0.05" is the 5 % of the area the hit rate
    is measured on. ``boundaries`` adds each hexagon's outline as [lat, lon] pairs.
    """
    if method not in METHODS:
        raise InvalidInput(f"unknown method {method!r}; one of {sorted(METHODS)}", field="method")
    try:
        resolution = check_resolution(int(resolution))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(str(exc), field="resolution") from None
    if not 1 <= days <= 366:
        raise InvalidInput("days must be between 1 and 366", field="days")
    now = now or timezone.now()
    t_days, lat, lon = _event_arrays(incidents, now)
    if len(t_days) == 0:
        return []
    own = {h3.latlng_to_cell(a, o, resolution) for a, o in zip(lat, lon, strict=True)}
    cells = {c for cell in own for c in h3.grid_disk(cell, 1)}
    weighs_geography = covariates is not None and method == "mixture"
    if weighs_geography and hasattr(covariates, "cells"):  # roads and sites with no incident yet
        cells |= covariates.cells(resolution)
    area = study_area_from_cells(sorted(cells), resolution)
    order = np.argsort(t_days)
    maps = dict(covariates(area)) if weighs_geography else {}
    model = make_method(method, area, **({"covariates": maps} if maps else {}))
    model.fit(History(area.locate(lat[order], lon[order]), t_days[order]))
    expected = np.asarray(model.predict(0.0, float(days)))
    if explain is not None:
        explain["study_area_km2"] = round(area.total_area_m2 / 1e6, 3)
        explain["covariates"] = sorted(maps)
        weights = getattr(model, "weights_by_component", None)
        explain["weights"] = {k: round(v, 4) for k, v in weights.items()} if weights else {}
        explain["fit"] = fit_status(model)  # never a silent fallback: says what replaced it
    ranked = np.argsort(-expected, kind="stable")
    total = float(expected.sum()) or 1.0
    top_share = np.cumsum(area.area_m2[ranked]) / area.total_area_m2
    out = []
    for i, share in zip(ranked, top_share, strict=True):
        if expected[i] <= 0:
            continue
        cell = str(area.cells[i])
        lat_c, lon_c = h3.cell_to_latlng(cell)
        row = {"cell": cell, "expected": round(float(expected[i]), 6),
               "score": round(float(expected[i]) / total, 6), "top_share": round(float(share), 6),
               "lat": round(lat_c, 6), "lon": round(lon_c, 6)}  # fmt: skip
        if boundaries:
            row["boundary"] = [[round(a, 6), round(o, 6)] for a, o in h3.cell_to_boundary(cell)]
        out.append(row)
    return out


def observation_window_days(organisation_id: int, now: dt.datetime) -> float:
    """Days over which the organisation's incident rates are measured.

    The register's history window (``HISTORY_DAYS``), or the time since the
    organisation's first recorded incident (of any threat, anywhere) when that is
    shorter, because before it there are no records, not zero incidents; never less
    than ``MIN_WINDOW_DAYS``, so one fresh incident does not read as hundreds a year.
    """
    first = Incident.objects.filter(
        organisation_id=organisation_id, occurred_at__lte=now
    ).aggregate(first=Min("occurred_at"))["first"]
    if first is None:
        return float(HISTORY_DAYS)
    recorded = (now - first).total_seconds() / 86400.0
    return float(min(HISTORY_DAYS, max(MIN_WINDOW_DAYS, recorded)))


def forecast_per_year_near(
    site: Site, threat: str, now: dt.datetime, window_days: float | None = None
) -> float | None:
    """Forecast incidents of ``threat`` per year within a few kilometres of the site.

    The forecast (the organisation's incidents of the threat in the observation
    window, ``observation_window_days``) says *where*: the share of the expected
    incidents that falls in the cells near the site. The level is the observed rate
    over the same window (incidents / window × 365.25), not the forecast classes' own
    scaling (events / time between the first and last event, at least one day), which
    turns a single incident into one a day. So the forecast and the history rate are
    measured the same way and only differ in how the incidents are spread in space.
    """
    window_days = window_days or observation_window_days(site.organisation_id, now)
    incidents = Incident.objects.filter(
        organisation_id=site.organisation_id, threat=threat,
        occurred_at__gt=now - dt.timedelta(days=window_days), occurred_at__lte=now,
    )  # fmt: skip
    cells = forecast_cells(
        incidents, days=365, resolution=SITE_FORECAST_RESOLUTION, now=now,
        covariates=covariates_for(organisation_ids=[site.organisation_id]),
    )  # fmt: skip
    if not cells:
        return None
    centre = h3.latlng_to_cell(site.lat, site.lon, SITE_FORECAST_RESOLUTION)
    near = set(h3.grid_disk(centre, NEAR_SITE_RING))
    total = sum(c["expected"] for c in cells)
    share = sum(c["expected"] for c in cells if c["cell"] in near) / total if total else 0.0
    return share * incidents.count() / window_days * 365.25


def suggest(site: Site, threat: str, now: dt.datetime | None = None) -> tuple[int, dict[str, Any]]:
    """Suggested likelihood (1–5) from the site's incident history and the forecast, with why.

    Rule: both rates are incidents per year over the same observation window
    (``observation_window_days``: three years, or since the organisation's first
    incident if shorter, at least 90 days). History counts the site's incidents of
    the threat in that window; the forecast spreads the organisation's incidents of
    the threat in that window over H3 cells and takes the share near the site. The
    higher of the two is mapped to 1..5 by the engine's thresholds
    (``register.suggest_likelihood``). One incident in three years is 0.33 a year:
    "unlikely" (2).
    """
    now = now or timezone.now()
    window_days = observation_window_days(site.organisation_id, now)
    since = now - dt.timedelta(days=window_days)
    count = Incident.objects.filter(
        site=site, threat=threat, occurred_at__gt=since, occurred_at__lte=now
    ).count()
    forecast = forecast_per_year_near(site, threat, now, window_days)
    value = register_engine.suggest_likelihood(count, window_days, forecast_per_year=forecast)
    basis = {"incidents": count, "period_days": round(window_days, 1),
             "window_start": since.isoformat(),
             "history_per_year": round(count / window_days * 365.25, 3),
             "forecast_per_year": None if forecast is None else round(forecast, 3),
             "computed_at": now.isoformat()}  # fmt: skip
    return value, basis


def bands_for(organisation_id: int | None) -> tuple[tuple[int, str], ...]:
    """The organisation's risk bands, or the engine's defaults when it has set none."""
    row = RiskBands.objects.filter(organisation_id=organisation_id).first()
    if row is None:
        return register_engine.DEFAULT_BANDS
    return tuple((int(low), str(name)) for low, name in row.bands)


def band_legend(organisation_id: int | None) -> list[dict[str, Any]]:
    """Name, score range and label of each band, lowest first (API and the pages' legend)."""
    from minewatch.risk.choices import band_label

    return [{"name": name, "min_score": low, "max_score": high, "label": str(band_label(name))}
            for name, low, high in register_engine.band_ranges(bands_for(organisation_id))]  # fmt: skip


def matrix_for(organisation_id: int) -> dict[str, dict[str, float]]:
    """The engine's default matrix with this organisation's edits applied."""
    overrides: dict[str, dict[str, float]] = {}
    for row in ControlEffectiveness.objects.filter(organisation_id=organisation_id):
        overrides.setdefault(row.control, {})[row.threat] = row.effectiveness
    return gap_engine.effectiveness_matrix(overrides)


def deployed_for(site: Site) -> dict[str, float]:
    return dict(DeployedControl.objects.filter(site=site).values_list("control", "quality"))


def threat_levels(site: Site) -> dict[str, float]:
    """Level 0..1 per threat: the register's inherent score / 25, else history × severity.

    Without a register entry the likelihood is suggested from the site's history alone,
    over the same observation window as ``suggest``.
    """
    entries = {e.threat: e for e in RiskRegisterEntry.objects.filter(site=site)}
    now = timezone.now()
    window_days = observation_window_days(site.organisation_id, now)
    since = now - dt.timedelta(days=window_days)
    counts = Counter(
        Incident.objects.filter(site=site, occurred_at__gt=since, occurred_at__lte=now)
        .values_list("threat", flat=True)
    )  # fmt: skip
    levels = {}
    for threat in THREATS:
        if threat in entries:
            levels[threat] = entries[threat].inherent_score / 25
        else:
            likelihood = register_engine.suggest_likelihood(counts.get(threat, 0), window_days)
            levels[threat] = likelihood * 3 / 25  # impact "moderate" until someone rates it
    return levels


def site_gaps(site: Site) -> list[dict[str, Any]]:
    """Coverage, gap and the structural-imbalance flag per threat at the site."""
    found = gap_engine.capability_gaps(
        threat_levels(site), deployed_for(site), matrix_for(site.organisation_id)
    )
    return [
        {"threat": g.threat, "threat_level": round(g.threat_level, 4),
         "coverage": round(g.coverage, 4), "gap": round(g.gap, 4),
         "is_structural_imbalance": g.is_structural_imbalance,
         "contributions": {k: round(v, 4) for k, v in g.contributions.items()}}
        for g in found
    ]  # fmt: skip


def _yearly_counts_and_losses(site: Site, threat: str, now: dt.datetime):
    """Incidents per year back from ``now`` (newest first) and the losses recorded.

    As many yearly bins as the organisation has years of records (``observation_window_days``
    rounded up, at least one, at most the register's three), where a partial year counts
    once it holds more than ``PARTIAL_YEAR_DAYS`` of records: two years of records read an
    hour or a week later are still two bins, not a third nearly empty year that would cut
    the frequency by a third. Incidents older than the last bin are left out.
    """
    window = observation_window_days(site.organisation_id, now)
    years = max(1, min(HISTORY_DAYS // 365, math.ceil((window - PARTIAL_YEAR_DAYS) / 365)))
    rows = Incident.objects.filter(
        site=site, threat=threat, occurred_at__gte=now - dt.timedelta(days=years * 365)
    ).values_list("occurred_at", "loss_usd")
    counts = [0] * years
    losses = []
    for occurred_at, loss in rows:
        counts[min(int((now - occurred_at).days // 365), years - 1)] += 1
        if loss is not None and loss > 0:
            losses.append(float(loss))
    return counts, losses


def site_losses(site: Site, proposed: list[str], *, seed: int = 0, years: int = 20_000,
                now: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Annual loss per threat with today's controls and with ``proposed`` ones added (quality 1).

    ``total`` is the site's whole annual loss (all threats in the same simulated years;
    each threat has its own random stream from ``seed``).
    """
    now = now or timezone.now()
    matrix = matrix_for(site.organisation_id)
    current = deployed_for(site)
    unknown = [c for c in proposed if c not in matrix]
    if unknown:
        raise InvalidInput(f"unknown control(s) {unknown}", field="controls")
    with_proposed = {**current, **dict.fromkeys(proposed, 1.0)}
    inputs, per_threat = {}, {}
    for threat in THREATS:
        counts, losses = _yearly_counts_and_losses(site, threat, now)
        current_cov = gap_engine.threat_coverage(threat, current, matrix)[0]
        proposed_cov = gap_engine.threat_coverage(threat, with_proposed, matrix)[0]
        inputs[threat] = (counts, losses, proposed_cov, min(current_cov, 0.99))
        per_threat[threat] = {
            "yearly_counts": counts, "losses_observed": len(losses),
            "current_coverage": round(current_cov, 4), "proposed_coverage": round(proposed_cov, 4),
        }  # fmt: skip
    results = loss_engine.portfolio_cost_of_inaction(inputs, years, seed)
    for threat, row in per_threat.items():
        row.update(_comparison(results[threat]))
    return {"site": site.pk, "site_name": site.name, "proposed_controls": proposed,
            "seed": seed, "simulated_years": years, "threats": per_threat,
            "total": _comparison(results["total"])}  # fmt: skip


def _comparison(result: dict[str, Any]) -> dict[str, Any]:
    return {"without_controls": _summary(result["without_controls"]),
            "with_controls": _summary(result["with_controls"]),
            "expected_saving_usd": round(float(result["expected_saving_usd"]), 2)}  # fmt: skip


def _summary(summary: loss_engine.LossSummary) -> dict[str, float]:
    return {"mean_usd": round(summary.mean_usd, 2), "p50_usd": round(summary.p50_usd, 2),
            "p90_usd": round(summary.p90_usd, 2), "p99_usd": round(summary.p99_usd, 2)}  # fmt: skip
