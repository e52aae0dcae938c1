"""Convoy split: a cargo vehicle too far from its escort (or, without escorts, from the convoy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from minewatch.tracking.engine.model import Detection
from minewatch.tracking.engine.sequences import hysteresis, track_runs

if TYPE_CHECKING:
    from minewatch.tracking.engine.detectors import Prepared
    from minewatch.tracking.engine.engine import TrackingEngine

__all__ = ["convoy_splits", "reference_distances"]


def _references(engine: TrackingEngine, device: int) -> list[int]:
    """Escorts of the device's trip, or every other member when the trip has none."""
    trip, _ = engine._device_trip[engine.device_keys[device]]
    others = [key for key in trip.members if key != engine.device_keys[device]]
    escorts = [key for key in others if trip.members[key] == "escort"]
    return [engine._device_ids[key] for key in (escorts or others) if key in engine._device_ids]


def reference_distances(engine: TrackingEngine, prepared: Prepared) -> np.ndarray:
    """Distance (m) from each cargo fix to the nearest reference vehicle, NaN if unknown.

    A reference position is that vehicle's newest fix strictly older than the
    cargo fix (from this batch or, before it, the stored last fix) and at most
    ``convoy_max_age_s`` old.
    """
    distance = np.full(len(prepared.device), np.nan)
    segments = {int(prepared.device[last]): last for last in prepared.last_index.tolist()}
    starts = {int(prepared.device[i]): i for i in np.flatnonzero(prepared.first).tolist()}
    state, max_age_ms = engine.state, engine.config.convoy_max_age_s * 1000
    for device, last in segments.items():
        if engine.columns.role[device] != "cargo":
            continue
        rows = slice(starts[device], last + 1)
        t, x, y = prepared.time_ms[rows], prepared.x[rows], prepared.y[rows]
        for reference in _references(engine, device):
            ref_t = np.array([state.last_time_ms[reference]])
            ref_lat, ref_lon = state.last_lat[[reference]], state.last_lon[[reference]]
            ref_x, ref_y = engine.plane.to_xy(ref_lat, ref_lon)
            if reference in starts:
                span = slice(starts[reference], segments[reference] + 1)
                ref_t = np.concatenate([ref_t, prepared.time_ms[span]])
                ref_x = np.concatenate([ref_x, prepared.x[span]])
                ref_y = np.concatenate([ref_y, prepared.y[span]])
            k = np.searchsorted(ref_t, t, side="left") - 1
            valid = (k >= 0) & (ref_t[np.maximum(k, 0)] >= 0)
            valid &= t - ref_t[np.maximum(k, 0)] <= max_age_ms
            gap = np.hypot(x - ref_x[np.maximum(k, 0)], y - ref_y[np.maximum(k, 0)])
            distance[rows] = np.fmin(distance[rows], np.where(valid, gap, np.nan))
    return distance


def convoy_splits(engine: TrackingEngine, prepared: Prepared, en_route) -> list[Detection]:
    """Convoy split: beyond ``split_distance_m`` on ``split_min_fixes`` consecutive
    fixes while en route; re-armed when back within ``split_rejoin_m``.

    A split needs a fresh reference: a cargo fix whose escort has no fix within
    ``convoy_max_age_s`` has an unknown distance, which neither counts towards
    a split nor continues one (the stale escort is reported by its own
    ``signal_loss``). Without this, the far state held over a stale stretch and
    the split fired with ``distance_m`` NaN.
    """
    from minewatch.tracking.engine.detectors import _at_fixes

    config, state = engine.config, engine.state
    distance = reference_distances(engine, prepared)
    far = hysteresis(
        distance > config.split_distance_m,
        distance < config.split_rejoin_m,
        prepared.first,
        state.flags["split_far"][prepared.device],
    )
    last = prepared.last_index
    state.flags["split_far"][prepared.device[last]] = far[last]
    known = ~np.isnan(distance)
    rows, start_ms = track_runs(
        far & en_route & known,
        prepared.first,
        np.zeros(len(far), bool),
        prepared.time_ms,
        prepared.device,
        last,
        state.runs["split"],
        min_ms=0,
        min_count=config.split_min_fixes,
    )

    def details(k, row):
        return {"distance_m": round(float(distance[row]), 1)}

    return _at_fixes(engine, prepared, "convoy_split", rows, details, start_ms)
