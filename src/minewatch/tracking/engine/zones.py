"""Geofence membership with hysteresis, vectorised over the (fix, zone) pairs of a batch.

A device is *inside* a zone from the first fix inside the zone's inner
outline (shrunk by ``zone_margin_m``) until the first fix outside its outer
outline (grown by ``zone_margin_m``). Fixes between the outlines keep the
previous answer, so GPS noise at the fence does not flap enter/exit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from minewatch.tracking.engine.model import Detection

if TYPE_CHECKING:
    from minewatch.tracking.engine.detectors import Prepared
    from minewatch.tracking.engine.engine import TrackingEngine

__all__ = ["ZoneResult", "zone_detections", "zone_membership"]

AUTHORISED_KINDS = ("authorised_stop", "origin", "destination")


@dataclass
class ZoneResult:
    """Per-fix zone facts and the transitions found in one batch."""

    authorised: np.ndarray  # fix is within the outer outline of a stop-allowed zone
    speed_limit_kmh: np.ndarray  # tightest zone limit per fix, NaN if none
    arrival_index: np.ndarray  # per device id: first fix inside its destination (else huge)
    enter_rows: np.ndarray  # (fix, zone)
    exit_rows: np.ndarray  # (fix, zone)


def _zone_arrays(engine: TrackingEngine) -> tuple[np.ndarray, np.ndarray]:
    authorised = np.array([zone.kind in AUTHORISED_KINDS for zone in engine.zones], bool)
    limits = np.array(
        [np.nan if zone.speed_limit_kmh is None else zone.speed_limit_kmh for zone in engine.zones]
    )
    return authorised, limits


def zone_membership(engine: TrackingEngine, prepared: Prepared) -> ZoneResult:
    """Zone facts per fix and enter/exit transitions; updates ``state.zones_inside``."""
    n = len(prepared.device)
    fix, zone, inner = engine.zone_index.query(prepared.x, prepared.y)
    authorised_zone, zone_limit = _zone_arrays(engine)
    authorised = np.zeros(n, bool)
    authorised[fix[authorised_zone[zone]]] = True
    speed_limit = np.full(n, np.nan)
    np.fmin.at(speed_limit, fix, zone_limit[zone])
    order = np.lexsort((fix, zone))
    fix, zone, inner = fix[order], zone[order], inner[order]
    inside, start, end, carried = _chains(engine, prepared, fix, zone, inner)
    prev_inside = np.empty_like(inside)
    prev_inside[1:] = inside[:-1]
    prev_inside[start] = carried[start]
    is_last = np.zeros(n, bool)
    is_last[prepared.last_index] = True
    enter = np.column_stack([fix, zone])[inside & ~prev_inside]
    leaves = end & inside & ~is_last[fix]
    exits = [np.column_stack([fix[leaves] + 1, zone[leaves]])]
    exits.append(_dropped_memberships(engine, prepared, fix, zone, carried))
    _store_inside(
        engine, prepared, fix[end & inside & is_last[fix]], zone[end & inside & is_last[fix]]
    )
    arrival = np.full(len(engine.device_keys), np.iinfo(np.int64).max)
    destination = engine.columns.destination[prepared.device[fix]]
    reached = inside & (zone == destination)
    np.minimum.at(arrival, prepared.device[fix[reached]], fix[reached])
    return ZoneResult(authorised, speed_limit, arrival, enter, np.concatenate(exits))


def _chains(engine, prepared, fix, zone, inner):
    """Membership per (fix, zone) row; rows are sorted by zone then fix.

    A chain is a run of consecutive fixes of one device inside one zone's outer
    outline; within it the device is inside from the first inner fix on (or
    from the start, if it was inside before the batch).
    """
    start = np.ones(len(fix), bool)
    start[1:] = (zone[1:] != zone[:-1]) | (fix[1:] != fix[:-1] + 1)
    start |= prepared.first[fix]
    end = np.ones(len(fix), bool)
    end[:-1] = start[1:]
    carried = np.zeros(len(fix), bool)
    candidates = np.flatnonzero(start & prepared.first[fix])
    carried[candidates] = _carried(engine, prepared.device[fix[candidates]], zone[candidates])
    chain = np.cumsum(start) - 1
    inner_count = np.cumsum(inner)
    before = (inner_count - inner)[start]
    inside = carried[start][chain] | (inner_count - before[chain] > 0)
    return inside, start, end, carried


def _carried(engine, device: np.ndarray, zone: np.ndarray) -> np.ndarray:
    """Whether each (device, zone) was inside before this batch."""
    inside = engine.state.zones_inside
    return np.fromiter(
        (int(z) in inside[d] for d, z in zip(device.tolist(), zone.tolist(), strict=True)),
        bool,
        len(device),
    )


def _dropped_memberships(engine, prepared, fix, zone, carried) -> np.ndarray:
    """Zones a device was inside before the batch but whose outline its first fix left."""
    rows = []
    for first in np.flatnonzero(prepared.first).tolist():
        device = int(prepared.device[first])
        before = engine.state.zones_inside[device]
        if before:
            kept = set(zone[carried & (fix == first)].tolist())
            rows.extend((first, z) for z in sorted(before - kept))
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def _store_inside(engine, prepared, fix, zone) -> None:
    inside = engine.state.zones_inside
    for last in prepared.last_index.tolist():
        inside[int(prepared.device[last])] = frozenset()
    for f, z in zip(fix.tolist(), zone.tolist(), strict=True):
        device = int(prepared.device[f])
        inside[device] = inside[device] | {z}


def zone_detections(engine, prepared, result: ZoneResult) -> list[Detection]:
    """``zone_enter`` / ``zone_exit`` detections at the fixes that crossed."""
    from minewatch.tracking.engine.detectors import detection_at

    found = []
    for kind, rows in (("zone_enter", result.enter_rows), ("zone_exit", result.exit_rows)):
        for row, z in rows.tolist():
            zone = engine.zones[z]
            found.append(
                detection_at(
                    engine,
                    kind,
                    int(prepared.device[row]),
                    int(prepared.time_ms[row]),
                    float(prepared.lat[row]),
                    float(prepared.lon[row]),
                    {"zone": zone.key, "zone_kind": zone.kind},
                    evidence_ms=(int(prepared.time_ms[row]),),
                    evidence_indices=(int(prepared.source[row]),),
                )
            )
    return found
