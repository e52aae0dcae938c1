"""The early-warning service: load signals and targets, run the pure engine, store warnings.

Part of the service layer (every write here is audited and published). Runs from
``minewatch intel warnings`` and after each new report or incident (see ``signals.py``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.events import Event, publish
from minewatch.core.roles import has_capability
from minewatch.geo.models import Route, Site
from minewatch.incidents.choices import IncidentStatus
from minewatch.incidents.models import Incident
from minewatch.intel.choices import WarningTargetKind
from minewatch.intel.engine import grading
from minewatch.intel.engine import warnings as engine
from minewatch.intel.models import EarlyWarning, EarlyWarningSettings, IntelReport

# An incident only reported (not yet verified) counts a little less than a verified one.
INCIDENT_WEIGHT = {IncidentStatus.REPORTED: 0.7}
VERIFIED_INCIDENT_WEIGHT = 1.0


@dataclass(frozen=True)
class WarningParams:
    """The tunables of one scan (defaults documented in ``intel.engine``).

    ``reliability_weights`` / ``credibility_weights`` are the factor of each Admiralty
    grade (a report weighs their product); missing grades take the documented default.
    """

    window_days: float = engine.DEFAULT_WINDOW_DAYS
    distance_km: float = engine.DEFAULT_DISTANCE_KM
    min_weight: float = engine.DEFAULT_MIN_WEIGHT
    min_signals: int = engine.DEFAULT_MIN_SIGNALS
    reliability_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(grading.DEFAULT_RELIABILITY_WEIGHTS)
    )
    credibility_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(grading.DEFAULT_CREDIBILITY_WEIGHTS)
    )

    @classmethod
    def for_organisation(cls, organisation_id: int, **overrides: Any) -> WarningParams:
        """The organisation's stored settings, with ``overrides`` (not None) on top."""
        stored = settings_for(organisation_id)
        values = {name: getattr(stored, name) for name in SETTINGS_FIELDS}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def report_weight(self, report: IntelReport) -> float:
        return grading.grade_weight(
            report.source_reliability, report.information_credibility,
            self.reliability_weights, self.credibility_weights,
        )  # fmt: skip


SETTINGS_FIELDS = (
    "window_days", "distance_km", "min_weight", "min_signals", "reliability_weights",
    "credibility_weights",
)  # fmt: skip
# Bounds of the numeric settings: (smallest, largest, smallest is allowed). The engine needs
# a positive window, distance and threshold; the upper bounds keep a typo from scanning
# a continent or a decade.
SETTING_BOUNDS = {
    "window_days": (0.0, 365.0, False),
    "distance_km": (0.0, 500.0, False),
    "min_weight": (0.0, 100.0, False),
    "min_signals": (1, 1000, True),
}


def settings_for(organisation_id: int) -> EarlyWarningSettings:
    """The organisation's settings row (created with the defaults when missing)."""
    found, _created = EarlyWarningSettings.objects.get_or_create(organisation_id=organisation_id)
    return found


def _clean_number(name: str, raw: Any) -> float | int:
    low, high, low_allowed = SETTING_BOUNDS[name]
    if isinstance(raw, bool) or raw is None or raw == "":
        raise InvalidInput("a number is required", field=name)
    try:
        value = int(raw) if name == "min_signals" else float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(f"{raw!r} is not a number", field=name) from None
    if name == "min_signals" and float(raw) != value:
        raise InvalidInput(f"{raw!r} is not a whole number", field=name)
    if (
        not math.isfinite(value)
        or value > high
        or value < low
        or (value == low and not low_allowed)
    ):
        bound = f">= {low}" if low_allowed else f"> {low}"
        raise InvalidInput(f"{value} must be {bound} and <= {high}", field=name)
    return value


def clean_settings(values: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` checked and merged onto ``current``; InvalidInput naming the bad field.

    Grade tables may be partial (``{"B": 0.9}`` changes only B); an unknown grade, a
    weight outside 0..1 or anything but a mapping is refused.
    """
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown setting(s): {sorted(unknown)}", field=sorted(unknown)[0])
    merged = dict(current)
    for name, raw in values.items():
        if name in SETTING_BOUNDS:
            merged[name] = _clean_number(name, raw)
            continue
        if not isinstance(raw, Mapping):
            raise InvalidInput("a mapping of grade to weight is expected", field=name)
        scale = "reliability" if name == "reliability_weights" else "credibility"
        try:
            checked = grading.check_weights({str(k): v for k, v in raw.items()}, scale)
        except ValueError as exc:
            raise InvalidInput(str(exc), field=name) from None
        merged[name] = {**dict(current.get(name) or {}), **checked}
    return merged


def save_warning_settings(
    settings: EarlyWarningSettings, *, actor: Any, **values: Any
) -> EarlyWarningSettings:
    """Change an organisation's early-warning settings (analysts and managers; audited).

    Nothing is stored when any value is refused. The next scan (automatic or CLI) uses them.
    """
    if not has_capability(actor, "analyse"):
        raise NotAllowed("your role cannot change the early-warning settings", field="role")
    if (
        not getattr(actor, "is_superuser", False)
        and actor.organisation_id != settings.organisation_id
    ):
        raise NotAllowed("these settings belong to another organisation", field="organisation")
    current = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
    merged = clean_settings(values, current)
    with transaction.atomic():
        locked = EarlyWarningSettings.objects.select_for_update().get(pk=settings.pk)
        before = audit.snapshot(locked)
        for name, value in merged.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), note="early-warning settings")  # fmt: skip
    return locked


def _signals(
    organisation_id: int, since: dt.datetime, now: dt.datetime, params: WarningParams
) -> list[engine.Signal]:
    """Reports and incidents of the organisation between ``since`` and ``now``.

    A report counts only while it is valid: one whose ``valid_until`` has passed by
    ``now`` counts in no new scan, even if it expired inside the window.
    """
    reports = IntelReport.objects.filter(
        organisation_id=organisation_id, observed_at__gte=since, observed_at__lte=now
    ).exclude(valid_until__lt=now)
    signals = [
        engine.Signal(f"report:{r.pk}", "report", r.observed_at, r.lat, r.lon,
                      params.report_weight(r))
        for r in reports
    ]  # fmt: skip
    incidents = Incident.objects.filter(
        organisation_id=organisation_id, occurred_at__gte=since, occurred_at__lte=now
    ).only("pk", "occurred_at", "lat", "lon", "status")
    signals += [
        engine.Signal(f"incident:{i.pk}", "incident", i.occurred_at, i.lat, i.lon,
                      INCIDENT_WEIGHT.get(i.status, VERIFIED_INCIDENT_WEIGHT))
        for i in incidents
    ]  # fmt: skip
    return signals


def _line(geometry: dict[str, Any] | None) -> tuple[tuple[float, float], ...]:
    if not geometry:
        return ()
    coords = geometry.get("coordinates") or []
    if geometry.get("type") == "MultiLineString":
        coords = [point for part in coords for point in part]
    return tuple((float(lon), float(lat)) for lon, lat, *_rest in coords)


def _targets(organisation_id: int) -> tuple[list[engine.Target], dict[str, Any]]:
    targets: list[engine.Target] = []
    records: dict[str, Any] = {}
    for site in Site.objects.filter(organisation_id=organisation_id, is_active=True):
        targets.append(engine.Target(f"site:{site.pk}", "site", lat=site.lat, lon=site.lon))
        records[f"site:{site.pk}"] = site
    for route in Route.objects.filter(organisation_id=organisation_id):
        line = _line(route.geometry)
        if line:
            targets.append(engine.Target(f"route:{route.pk}", "route", line_lonlat=line))
            records[f"route:{route.pk}"] = route
    return targets, records


def _reason_rows(found: engine.ClusterWarning) -> list[dict[str, Any]]:
    return [
        {"key": r.key, "kind": r.kind, "at": r.at.isoformat(), "distance_km": r.distance_km,
         "weight": r.weight}
        for r in found.reasons
    ]  # fmt: skip


def _ids(found: engine.ClusterWarning, kind: str) -> list[int]:
    return [int(r.key.split(":")[1]) for r in found.reasons if r.kind == kind]


def _covering(organisation_id: int, found: engine.ClusterWarning) -> EarlyWarning | None:
    """An earlier warning about the same target sharing signals with this cluster, if any."""
    kind, pk = found.target_key.split(":")
    keys = {r.key for r in found.reasons}
    earlier = EarlyWarning.objects.filter(
        organisation_id=organisation_id, **{f"{kind}_id": int(pk)},
        window_end__gte=found.window_start - dt.timedelta(days=found_days(found)),
    )  # fmt: skip
    for warning in earlier:
        if keys & {row["key"] for row in warning.reasons}:
            return warning
    return None


def found_days(found: engine.ClusterWarning) -> float:
    return (found.window_end - found.window_start).total_seconds() / 86400.0


def _store(
    organisation_id: int,
    found: engine.ClusterWarning,
    target: Any,
    params: WarningParams,
    actor: Any,
) -> tuple[EarlyWarning, str] | None:
    """Create the warning, grow an earlier one that this cluster extends, or do nothing."""
    if EarlyWarning.objects.filter(organisation_id=organisation_id,
                                   fingerprint=found.fingerprint).exists():  # fmt: skip
        return None
    warning = _covering(organisation_id, found)
    new_keys = {r.key for r in found.reasons}
    if warning is not None and new_keys <= {row["key"] for row in warning.reasons}:
        return None  # a part of a cluster already warned about
    before = audit.snapshot(warning) if warning else None
    is_site = found.target_kind == WarningTargetKind.SITE
    warning = warning or EarlyWarning(
        organisation_id=organisation_id, target_kind=found.target_kind,
        site=target if is_site else None, route=None if is_site else target,
    )  # fmt: skip
    warning.fingerprint = found.fingerprint
    warning.window_start, warning.window_end = found.window_start, found.window_end
    warning.total_weight, warning.reasons = found.total_weight, _reason_rows(found)
    warning.min_weight, warning.window_days = params.min_weight, params.window_days
    warning.distance_km = params.distance_km
    warning.save()
    warning.reports.set(_ids(found, "report"))
    warning.incidents.set(_ids(found, "incident"))
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=warning, before=before, after=audit.snapshot(warning),
                 note="early-warning scan")  # fmt: skip
    return warning, "early_warning.updated" if before else "early_warning.raised"


def _publish(warning: EarlyWarning, name: str, target: Any) -> None:
    payload = {
        "id": warning.pk, "target_kind": warning.target_kind, "site_id": warning.site_id,
        "route_id": warning.route_id, "target_name": str(target),
        "total_weight": warning.total_weight, "min_weight": warning.min_weight,
        "window_start": warning.window_start.isoformat(),
        "window_end": warning.window_end.isoformat(),
        "reports": [r["key"] for r in warning.reasons if r["kind"] == "report"],
        "incidents": [r["key"] for r in warning.reasons if r["kind"] == "incident"],
    }  # fmt: skip
    publish(Event(name, warning.organisation_id, payload, site_id=warning.site_id))


def scan_warnings(
    *, organisation_id: int, actor: Any = None, now: dt.datetime | None = None,
    since: dt.datetime | None = None, params: WarningParams | None = None,
) -> list[EarlyWarning]:  # fmt: skip
    """Find clusters near the organisation's sites and routes and store new warnings.

    Looks at signals between ``since`` (default: one window before ``now``) and ``now``.
    ``params`` default to the organisation's stored settings (:func:`settings_for`).
    Returns the warnings created or grown; a cluster already stored is not stored twice.
    Each new warning is published as ``early_warning.raised`` (grown: ``early_warning.updated``).
    """
    params = params or WarningParams.for_organisation(organisation_id)
    now = now or timezone.now()
    since = since or now - dt.timedelta(days=params.window_days)
    if since.tzinfo is None or now.tzinfo is None:
        raise ValueError("since and now must be timezone-aware")
    targets, records = _targets(organisation_id)
    found = engine.find_warnings(
        _signals(organisation_id, since, now, params), targets, window_days=params.window_days,
        distance_km=params.distance_km, min_weight=params.min_weight,
        min_signals=params.min_signals,
    )  # fmt: skip
    stored: list[EarlyWarning] = []
    with transaction.atomic():
        for cluster in found:
            result = _store(organisation_id, cluster, records[cluster.target_key], params, actor)
            if result is not None:
                stored.append(result[0])
                _publish(result[0], result[1], records[cluster.target_key])
    return stored
