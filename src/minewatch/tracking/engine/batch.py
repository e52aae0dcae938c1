"""Column batches of fixes: what :meth:`TrackingEngine.process` consumes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from minewatch.tracking.engine.protocols import Fix

__all__ = ["FixBatch"]


@dataclass
class FixBatch:
    """Fixes as parallel numpy arrays, in arrival order.

    Attributes
    ----------
    device
        Engine device ids (``TrackingEngine.device_id(key)``), int.
    time_ms
        Fix time, Unix epoch milliseconds (UTC), int64.
    lat, lon
        WGS 84 degrees.
    speed_kmh
        Reported ground speed; NaN where unknown (then derived from positions).
    accuracy_m
        Reported horizontal accuracy; NaN where unknown (treated as good).
    alarm
        Alarm code per fix (``TrackingEngine.alarm_code(name)``), 0 = none.

    Examples
    --------
    >>> batch = FixBatch.from_columns([0, 0], [0, 5000], [-14.0, -14.0], [-72.0, -72.0])
    >>> len(batch), batch.speed_kmh.tolist()
    (2, [nan, nan])
    """

    device: np.ndarray
    time_ms: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    speed_kmh: np.ndarray
    accuracy_m: np.ndarray
    alarm: np.ndarray

    def __len__(self) -> int:
        return len(self.time_ms)

    @classmethod
    def from_columns(
        cls,
        device: Sequence[int] | np.ndarray,
        time_ms: Sequence[int] | np.ndarray,
        lat: Sequence[float] | np.ndarray,
        lon: Sequence[float] | np.ndarray,
        speed_kmh: Sequence[float] | np.ndarray | None = None,
        accuracy_m: Sequence[float] | np.ndarray | None = None,
        alarm: Sequence[int] | np.ndarray | None = None,
    ) -> FixBatch:
        """Build a batch, filling optional columns with "unknown" and checking lengths."""
        n = len(time_ms)
        columns = {
            "device": np.asarray(device, dtype=np.int64),
            "time_ms": np.asarray(time_ms, dtype=np.int64),
            "lat": np.asarray(lat, dtype=np.float64),
            "lon": np.asarray(lon, dtype=np.float64),
            "speed_kmh": np.full(n, np.nan) if speed_kmh is None else np.asarray(speed_kmh, float),
            "accuracy_m": np.full(n, np.nan)
            if accuracy_m is None
            else np.asarray(accuracy_m, float),
            "alarm": np.zeros(n, np.int32) if alarm is None else np.asarray(alarm, np.int32),
        }
        for name, values in columns.items():
            if values.shape != (n,):
                raise ValueError(f"column {name} has shape {values.shape}, expected ({n},)")
        if n and columns["time_ms"].min() < 0:
            raise ValueError("time_ms must be >= 0 ms since the Unix epoch")
        return cls(**columns)

    @classmethod
    def from_fixes(
        cls,
        fixes: Sequence[Fix],
        device_id: Callable[[str], int],
        alarm_code: Callable[[str], int],
    ) -> FixBatch:
        """Columns from parsed :class:`Fix` objects (``alarm`` attribute -> code)."""

        def optional(value: float | None) -> float:
            return np.nan if value is None else value

        return cls.from_columns(
            [device_id(fix.device_key) for fix in fixes],
            [round(fix.fix_time.timestamp() * 1000) for fix in fixes],
            [fix.lat for fix in fixes],
            [fix.lon for fix in fixes],
            [optional(fix.speed_kmh) for fix in fixes],
            [optional(fix.accuracy_m) for fix in fixes],
            [_alarm_of(fix, alarm_code) for fix in fixes],
        )


def _alarm_of(fix: Fix, alarm_code: Callable[[str], int]) -> int:
    alarm = fix.attributes.get("alarm")
    if alarm in (None, "", False, 0, 0.0):
        return 0
    return alarm_code(str(alarm))
