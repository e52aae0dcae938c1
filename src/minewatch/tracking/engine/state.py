"""Per-device detector state: parallel arrays inside the engine, a small dataclass outside.

The engine keeps one array per field (indexed by device id) so a batch reads
and writes state with a few gathers. :class:`DeviceState` is the portable
form the database persists (``to_dict`` is JSON-ready, well under 2 KB).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from minewatch.tracking.engine.sequences import RunCarry

__all__ = ["RUN_DETECTORS", "DeviceState", "StateArrays"]

RUN_DETECTORS = ("stop", "deviation", "overspeed", "split")
_FLAGS = ("stopped", "off_route", "split_far", "arrived", "late_fired", "loss_reported")


@dataclass
class DeviceState:
    """Everything the detectors remember about one device between fixes.

    ``last_time_ms`` is the newest accepted fix time (Unix ms, -1 for none);
    ``runs`` maps a run detector to ``[active, start_ms, count, fired]``;
    ``zones_inside`` lists zone keys the device is inside (after hysteresis).

    Examples
    --------
    >>> state = DeviceState(last_time_ms=1, last_lat=-14.0, last_lon=-72.0)
    >>> DeviceState.from_dict(state.to_dict()) == state
    True
    """

    last_time_ms: int = -1
    last_lat: float = float("nan")
    last_lon: float = float("nan")
    last_alarm: str = ""
    stopped: bool = False
    off_route: bool = False
    split_far: bool = False
    arrived: bool = False
    late_fired: bool = False
    loss_reported: bool = False
    zones_inside: list[str] = field(default_factory=list)
    runs: dict[str, list[int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (NaN coordinates become ``None``)."""
        data = asdict(self)
        for name in ("last_lat", "last_lon"):
            if data[name] != data[name]:
                data[name] = None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceState:
        """Inverse of :meth:`to_dict`; unknown keys raise ``TypeError``."""
        values = dict(data)
        for name in ("last_lat", "last_lon"):
            if values.get(name) is None:
                values[name] = float("nan")
        return cls(**values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeviceState):
            return NotImplemented
        return self.to_dict() == other.to_dict()


class StateArrays:
    """Struct-of-arrays form of :class:`DeviceState` for ``n`` devices."""

    def __init__(self) -> None:
        self.size = 0
        self.last_time_ms = np.zeros(0, np.int64)
        self.last_lat = np.zeros(0)
        self.last_lon = np.zeros(0)
        self.last_alarm = np.zeros(0, np.int32)
        self.flags = {name: np.zeros(0, bool) for name in _FLAGS}
        self.runs = {name: RunCarry.empty(0) for name in RUN_DETECTORS}
        self.zones_inside: list[frozenset[int]] = []

    def grow(self, n: int) -> None:
        """Make room for device ids ``< n`` (new devices start empty)."""
        extra = n - self.size
        if extra <= 0:
            return
        self.last_time_ms = np.concatenate([self.last_time_ms, np.full(extra, -1, np.int64)])
        self.last_lat = np.concatenate([self.last_lat, np.full(extra, np.nan)])
        self.last_lon = np.concatenate([self.last_lon, np.full(extra, np.nan)])
        self.last_alarm = np.concatenate([self.last_alarm, np.zeros(extra, np.int32)])
        for name, values in self.flags.items():
            self.flags[name] = np.concatenate([values, np.zeros(extra, bool)])
        for carry in self.runs.values():
            carry.grow(n)
        self.zones_inside.extend(frozenset() for _ in range(extra))
        self.size = n

    def export(self, device: int, zone_keys: list[str], alarm_names: list[str]) -> DeviceState:
        """The portable state of one device id."""
        runs = {}
        for name, carry in self.runs.items():
            if carry.active[device] or carry.count[device]:
                runs[name] = [
                    int(carry.active[device]),
                    int(carry.start_ms[device]),
                    int(carry.count[device]),
                    int(carry.fired[device]),
                ]
        flags = {name: bool(values[device]) for name, values in self.flags.items()}
        alarm = int(self.last_alarm[device])
        return DeviceState(
            last_time_ms=int(self.last_time_ms[device]),
            last_lat=float(self.last_lat[device]),
            last_lon=float(self.last_lon[device]),
            last_alarm=alarm_names[alarm - 1] if alarm else "",
            zones_inside=sorted(zone_keys[z] for z in self.zones_inside[device]),
            runs=runs,
            **flags,
        )

    def load(self, device: int, state: DeviceState, zone_index: dict[str, int], alarm_code) -> None:
        """Overwrite one device id's state from its portable form."""
        self.grow(device + 1)
        self.last_time_ms[device] = state.last_time_ms
        self.last_lat[device] = state.last_lat
        self.last_lon[device] = state.last_lon
        self.last_alarm[device] = alarm_code(state.last_alarm) if state.last_alarm else 0
        for name in _FLAGS:
            self.flags[name][device] = getattr(state, name)
        for name, carry in self.runs.items():
            active, start_ms, count, fired = state.runs.get(name, [0, 0, 0, 0])
            carry.active[device], carry.start_ms[device] = bool(active), start_ms
            carry.count[device], carry.fired[device] = count, bool(fired)
        self.zones_inside[device] = frozenset(
            zone_index[key] for key in state.zones_inside if key in zone_index
        )
