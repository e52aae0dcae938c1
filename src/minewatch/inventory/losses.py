"""Loss detection: each trip's balance against its tolerance, and a CUSUM per series across trips.

Called by ``services.record_weighing`` inside its transaction once a lot has a dispatch
and a receipt weighing. Findings are stored and published (``inventory.finding``); the
alert rules turn them into alerts (``signals``). The statistics are in ``engine``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.events import Event, publish
from minewatch.inventory.choices import DISPATCH_POINTS, RECEIPT_POINTS, FindingKind, SeriesKind
from minewatch.inventory.engine.balance import trip_alarm, trip_balance
from minewatch.inventory.engine.sequential import cusum_alarms
from minewatch.inventory.models import LossFinding, Lot, Weighing
from minewatch.tracking.models import Detection

# What the tracking engine may have seen on a trip that makes missing mass worse news.
TRACKING_SIGNS = ("unscheduled_stop", "route_deviation", "signal_loss", "convoy_split")
TRIP_LOSS_SEVERITY = 4
TRIP_LOSS_WITH_TRACKING_SEVERITY = 5  # a stop plus missing mass: one alert, one level higher
DRIFT_SEVERITY = 4


@dataclass(frozen=True)
class LossParams:
    """The loss model's tunables (``settings.TUNABLES``, see docs/inventory.md)."""

    moisture_sd_pp: float
    trip_z: float
    cusum_k: float
    cusum_h: float

    @classmethod
    def from_settings(cls) -> LossParams:
        t = settings.TUNABLES
        return cls(float(t["inventory_moisture_sd_pp"]), float(t["inventory_trip_z"]),
                   float(t["inventory_cusum_k"]), float(t["inventory_cusum_h"]))  # fmt: skip


def _first(by_point: dict[str, Weighing], points: tuple[str, ...]) -> Weighing | None:
    return next((by_point[p] for p in points if p in by_point), None)


def tracking_signs(lot: Lot) -> list[dict[str, Any]]:
    """Stops, deviations, signal losses and splits the tracking engine saw on the lot's trip."""
    if lot.trip_id is None:
        return []
    # The lot's own truck (a convoy's escort raises the same stop once more) or the whole trip.
    rows = (
        Detection.objects.filter(trip_id=lot.trip_id, kind__in=TRACKING_SIGNS)
        .filter(Q(device__vehicle_id=lot.truck_id) | Q(device__isnull=True))
        .order_by("time")
    )
    return [{"kind": kind, "time": time.isoformat(), "lat": lat, "lon": lon}
            for kind, time, lat, lon in rows.values_list("kind", "time", "lat", "lon")[:20]]  # fmt: skip


def changes_balance(lot: Lot, point: str) -> bool:
    """True when a new weighing at ``point`` is now the lot's dispatch or receipt weighing
    (a final receipt after a weighbridge-in changes nothing the balance uses)."""
    present = set(Weighing.objects.filter(lot=lot).values_list("custody_point", flat=True))
    dispatch = next((p for p in DISPATCH_POINTS if p in present), None)
    receipt = next((p for p in RECEIPT_POINTS if p in present), None)
    return point in (dispatch, receipt)


def evaluate_lot(lot: Lot, params: LossParams | None = None) -> list[LossFinding]:
    """Balance the lot (if it has both ends weighed), then test it and its series."""
    params = params or LossParams.from_settings()
    by_point = {w.custody_point: w for w in lot.weighings.all()}
    out, received = _first(by_point, DISPATCH_POINTS), _first(by_point, RECEIPT_POINTS)
    if out is None or received is None:
        return []
    balance = trip_balance(
        out_wet_t=out.wet_tonnes, out_moisture_pct=out.moisture_pct, out_mpe_pct=out.mpe_pct,
        in_wet_t=received.wet_tonnes, in_moisture_pct=received.moisture_pct,
        in_mpe_pct=received.mpe_pct, moisture_sd_pp=params.moisture_sd_pp,
    )  # fmt: skip
    lot.dispatched_dry_t, lot.received_dry_t = balance.dispatched_dry_t, balance.received_dry_t
    lot.difference_t, lot.sigma_t, lot.z_score = (
        balance.difference_t,
        balance.sigma_t,
        balance.z_score,
    )
    Lot.objects.filter(pk=lot.pk).update(
        dispatched_dry_t=lot.dispatched_dry_t, received_dry_t=lot.received_dry_t,
        difference_t=lot.difference_t, sigma_t=lot.sigma_t, z_score=lot.z_score,
    )  # fmt: skip
    findings = []
    if trip_alarm(balance.z_score, params.trip_z):
        found = _trip_finding(lot, balance.difference_pct, params)
        findings += [found] if found else []
    for series in lot_series(lot):
        findings += evaluate_series(lot.organisation_id, series, params)
    return findings


def _trip_finding(lot: Lot, difference_pct: float, params: LossParams) -> LossFinding | None:
    if LossFinding.objects.filter(lot=lot, kind=FindingKind.TRIP_LOSS).exists():
        return None
    signs = tracking_signs(lot)
    severity = TRIP_LOSS_WITH_TRACKING_SEVERITY if signs else TRIP_LOSS_SEVERITY
    details = {"difference_pct": round(difference_pct, 3), "sigma_t": lot.sigma_t,
               "z_alarm": params.trip_z, "tracking": signs}  # fmt: skip
    return store_finding(LossFinding(
        organisation_id=lot.organisation_id, site_id=lot.origin_id, kind=FindingKind.TRIP_LOSS,
        lot=lot, z_score=lot.z_score, estimated_loss_t=lot.difference_t or 0.0,
        severity=severity, details=details, is_synthetic=lot.is_synthetic,
        began_at=lot.dispatched_at,
    ))  # fmt: skip


@dataclass(frozen=True)
class Series:
    """One series of trips: all lots of a truck, a driver, a contractor or a route."""

    kind: str
    key: str
    label: str
    lookup: dict[str, Any]


def lot_series(lot: Lot) -> list[Series]:
    """The series the lot belongs to (truck always; driver, contractor, route when known)."""
    series = [
        Series(SeriesKind.TRUCK, str(lot.truck_id), lot.truck.plate, {"truck_id": lot.truck_id})
    ]
    if lot.driver_name:
        series.append(Series(SeriesKind.DRIVER, lot.driver_name, lot.driver_name,
                             {"driver_name": lot.driver_name}))  # fmt: skip
    if lot.contractor_id:
        series.append(Series(SeriesKind.CONTRACTOR, str(lot.contractor_id), lot.contractor.name,
                             {"contractor_id": lot.contractor_id}))  # fmt: skip
    if lot.route_id:
        series.append(Series(SeriesKind.ROUTE, str(lot.route_id), lot.route.name,
                             {"route_id": lot.route_id}))  # fmt: skip
    return series


def evaluate_series(organisation_id: int, series: Series, params: LossParams) -> list[LossFinding]:
    """Run the CUSUM over the series' balanced lots in dispatch order; store new alarms."""
    rows = list(
        Lot.objects.filter(organisation_id=organisation_id, z_score__isnull=False, **series.lookup)
        .order_by("dispatched_at", "pk")
        .values_list("pk", "z_score", "difference_t", "dispatched_at", "origin_id", "is_synthetic")
    )
    if not rows:
        return []
    alarms = cusum_alarms([r[1] for r in rows], k=params.cusum_k, h=params.cusum_h,
                          differences_t=[r[2] for r in rows])  # fmt: skip
    found = []
    for alarm in alarms:
        began, alarmed = rows[alarm.start_index], rows[alarm.alarm_index]
        run = rows[alarm.start_index : alarm.alarm_index + 1]
        if all(row[1] > params.trip_z for row in run):
            continue  # every trip of the run already raised its own alert: nothing slow here
        if LossFinding.objects.filter(
            organisation_id=organisation_id, kind=FindingKind.DRIFT, series_kind=series.kind,
            series_key=series.key, began_lot_id=began[0],
        ).exists():  # fmt: skip
            continue
        found.append(store_finding(LossFinding(
            organisation_id=organisation_id, site_id=alarmed[4], kind=FindingKind.DRIFT,
            lot_id=alarmed[0], series_kind=series.kind, series_key=series.key,
            series_label=series.label, began_lot_id=began[0], began_at=began[3],
            trips=alarm.alarm_index - alarm.start_index + 1, z_score=alarm.statistic,
            estimated_loss_t=alarm.estimated_loss_t, severity=DRIFT_SEVERITY,
            details={"k": params.cusum_k, "h": params.cusum_h,
                     "mean_shift_sd": round(alarm.estimated_shift, 3)},
            is_synthetic=bool(alarmed[5]),
        )))  # fmt: skip
    return found


def store_finding(finding: LossFinding) -> LossFinding:
    """Save a finding, audit it and publish ``inventory.finding`` (alerts follow on commit)."""
    finding.full_clean()
    finding.save()
    audit.record(actor=None, action=AuditAction.CREATE, instance=finding,
                 after=audit.snapshot(finding), note=_("raised by the loss detection"))  # fmt: skip
    publish(Event("inventory.finding", finding.organisation_id, {"id": finding.pk},
                  site_id=finding.site_id))  # fmt: skip
    return finding
