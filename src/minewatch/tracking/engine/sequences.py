"""Vectorised sequence primitives over fixes grouped by device and ordered in time.

Every function takes ``first`` (True on the first fix of each device in the
batch) and a carry-in per device, so a batch gives exactly what the same
fixes would give one at a time: this is what makes replay equal live.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RunCarry", "hysteresis", "previous", "track_runs"]


def previous(values: np.ndarray, first: np.ndarray, carry: np.ndarray) -> np.ndarray:
    """The previous fix's value of the same device; ``carry`` (per fix) at ``first``.

    Examples
    --------
    >>> previous(np.array([1, 2, 3]), np.array([True, False, True]), np.array([9, 9, 8])).tolist()
    [9, 1, 8]
    """
    shifted = np.empty_like(values)
    shifted[1:] = values[:-1]
    if len(values):
        shifted[0] = carry[0]
    return np.where(first, carry, shifted)


def hysteresis(
    high: np.ndarray, low: np.ndarray, first: np.ndarray, carry: np.ndarray
) -> np.ndarray:
    """Two-threshold switch: True after a ``high`` fix, False after a ``low`` one.

    Between thresholds a fix keeps the previous value; the first fix of a
    device in the batch starts from ``carry`` (per-fix array, the device's
    stored value). ``high`` wins when both are set.

    Examples
    --------
    >>> high = np.array([0, 1, 0, 0, 0], bool)
    >>> low = np.array([0, 0, 0, 1, 0], bool)
    >>> first = np.array([1, 0, 0, 0, 0], bool)
    >>> hysteresis(high, low, first, np.zeros(5, bool)).tolist()
    [False, True, True, False, False]
    """
    decisive = high | low | first
    value_at = high | (~low & carry)
    last = np.maximum.accumulate(np.where(decisive, np.arange(len(high)), 0))
    return value_at[last]


@dataclass
class RunCarry:
    """Per-device state of one run detector, as parallel arrays indexed by device id."""

    active: np.ndarray
    start_ms: np.ndarray
    count: np.ndarray
    fired: np.ndarray

    @classmethod
    def empty(cls, n: int) -> RunCarry:
        return cls(
            np.zeros(n, bool), np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, bool)
        )

    def grow(self, n: int) -> None:
        extra = n - len(self.active)
        if extra > 0:
            for name in ("active", "start_ms", "count", "fired"):
                old = getattr(self, name)
                setattr(self, name, np.concatenate([old, np.zeros(extra, old.dtype)]))


def track_runs(
    cond: np.ndarray,
    first: np.ndarray,
    breaks: np.ndarray,
    time_ms: np.ndarray,
    device: np.ndarray,
    last_index: np.ndarray,
    carry: RunCarry,
    *,
    min_ms: float,
    min_count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Fire once per run of ``cond`` once it lasts ``min_ms`` and ``min_count`` fixes.

    A run is a maximal stretch of consecutive fixes of one device with
    ``cond`` set; ``breaks`` (e.g. a signal gap before the fix) starts a new
    run. ``carry`` is read for runs continuing from the previous batch and
    updated in place for the devices present (``last_index`` = index of each
    device's last fix in this batch).

    Returns
    -------
    fire_index, run_start_ms
        The fix at which each run crossed both thresholds, and when the run began.

    Examples
    --------
    >>> cond = np.array([1, 1, 1, 0, 1], bool)
    >>> first = np.array([1, 0, 0, 0, 0], bool)
    >>> carry = RunCarry.empty(1)
    >>> fire, start = track_runs(cond, first, ~cond & False, np.array([0, 10, 20, 30, 40]),
    ...     np.zeros(5, int), np.array([4]), carry, min_ms=15, min_count=2)
    >>> fire.tolist(), start.tolist(), bool(carry.active[0]), int(carry.start_ms[0])
    ([2], [0], True, 40)
    """
    previous_cond = np.empty_like(cond)
    previous_cond[1:] = cond[:-1]
    previous_cond[:1] = False
    starts = cond & (first | ~previous_cond | breaks)
    start_index = np.flatnonzero(starts)
    start_device = device[start_index]
    continues = first[start_index] & ~breaks[start_index] & carry.active[start_device]
    run_start_ms = np.where(continues, carry.start_ms[start_device], time_ms[start_index])
    run_offset = np.where(continues, carry.count[start_device], 0) - start_index
    run_fired = continues & carry.fired[start_device]
    run_id = np.cumsum(starts) - 1
    members = np.flatnonzero(cond)
    run = run_id[members]
    eligible = (time_ms[members] - run_start_ms[run] >= min_ms) & (
        members + 1 + run_offset[run] >= min_count
    )
    candidates, candidate_run = members[eligible], run[eligible]
    is_first = np.ones(len(candidates), bool)
    is_first[1:] = candidate_run[1:] != candidate_run[:-1]
    candidates, candidate_run = candidates[is_first], candidate_run[is_first]
    fresh = ~run_fired[candidate_run]
    fire_index, fire_run = candidates[fresh], candidate_run[fresh]
    run_fired[candidate_run] = True
    _store_carry(cond, run_id, last_index, device, carry, run_start_ms, run_offset, run_fired)
    return fire_index, run_start_ms[fire_run]


def _store_carry(cond, run_id, last_index, device, carry, run_start_ms, run_offset, run_fired):
    last_device = device[last_index]
    active = cond[last_index]
    run = np.where(active, run_id[last_index], 0)
    carry.active[last_device] = active
    if len(run_start_ms):
        carry.start_ms[last_device] = np.where(active, run_start_ms[run], 0)
        carry.count[last_device] = np.where(active, last_index + 1 + run_offset[run], 0)
        carry.fired[last_device] = active & run_fired[run]
    else:
        carry.start_ms[last_device] = 0
        carry.count[last_device] = 0
        carry.fired[last_device] = False
