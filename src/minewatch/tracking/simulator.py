"""A convoy simulator for the demo: trackers that speak OsmAnd over real HTTP.

Each convoy (cargo trucks behind an escort) drives its route and reports every
``interval_s`` seconds to ``<base_url>/ingest/osmand/``, exactly like the
Traccar Client app. Its day is compressed: every ``cycle_s`` seconds (30 min by
default, instead of an hour) each convoy makes one unscheduled stop, one route
deviation and one signal gap, and the first convoy presses panic in its first
minute, so detections (and alerts) appear within minutes of ``minewatch demo``.
Convoys are staggered so their incidents do not coincide. Everything it sends
is synthetic.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

logger = logging.getLogger("minewatch.tracking")
EARTH_RADIUS_M = 6_371_008.8
KNOT_KMH = 1.852

# Phases of one cycle (seconds from its start): what the convoy does.
STOP = (120.0, 780.0)  # 11 min stopped outside any authorised stop (threshold 10 min)
DEVIATION = (900.0, 1080.0)  # 3 min, 1.5 km off the corridor
GAP = (1200.0, 1560.0)  # 6 min without a fix (threshold 5 min)
DEVIATION_M = 1500.0
FOLLOW_M = 250.0  # spacing of the vehicles in a convoy


@dataclass
class ConvoyPlan:
    """One convoy: its devices (escort first) and its route as (lon, lat) vertices."""

    reference: str
    device_keys: list[str]
    line_lonlat: list[tuple[float, float]]
    offset_s: float = 0.0
    speed_kmh: float = 55.0
    panic_at_s: float | None = None
    distance_m: float = 0.0
    # Device key → its secret: sent as the Traccar Client does, ``id=KEY:SECRET``.
    secrets: dict[str, str] = field(default_factory=dict)
    _cumulative: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        lon, lat = np.radians(np.asarray(self.line_lonlat, dtype=float).T)
        a = (np.sin(np.diff(lat) / 2) ** 2
             + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2)  # fmt: skip
        steps = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        self._cumulative = np.concatenate([[0.0], np.cumsum(steps)])

    @property
    def length_m(self) -> float:
        return float(self._cumulative[-1])

    def point_at(self, distance_m: float, east_m: float = 0.0) -> tuple[float, float, float]:
        """(lat, lon, course) ``distance_m`` along the route, shifted ``east_m`` metres east."""
        distance_m = min(max(distance_m, 0.0), self.length_m)
        i = int(np.searchsorted(self._cumulative, distance_m, side="right") - 1)
        i = min(i, len(self.line_lonlat) - 2)
        (lon0, lat0), (lon1, lat1) = self.line_lonlat[i], self.line_lonlat[i + 1]
        span = self._cumulative[i + 1] - self._cumulative[i]
        f = 0.0 if span <= 0 else (distance_m - self._cumulative[i]) / span
        lat, lon = lat0 + f * (lat1 - lat0), lon0 + f * (lon1 - lon0)
        course = math.degrees(math.atan2((lon1 - lon0) * math.cos(math.radians(lat)), lat1 - lat0))
        lon += east_m / (EARTH_RADIUS_M * math.radians(1.0) * math.cos(math.radians(lat)))
        return lat, lon, course % 360.0


def phase(t_s: float, cycle_s: float) -> str:
    """``drive``, ``stop``, ``deviate`` or ``gap`` at ``t_s`` seconds into the cycle."""
    scale = cycle_s / 1800.0
    p = t_s % cycle_s
    for name, (start, end) in (("stop", STOP), ("deviate", DEVIATION), ("gap", GAP)):
        if start * scale <= p < end * scale:
            return name
    return "drive"


def convoy_messages(plan: ConvoyPlan, t_s: float, dt_s: float, cycle_s: float) -> list[dict]:
    """The OsmAnd parameters each of the convoy's devices sends now (none during a gap)."""
    what = phase(t_s + plan.offset_s, cycle_s)
    if what != "stop":
        plan.distance_m = (plan.distance_m + plan.speed_kmh / 3.6 * dt_s) % plan.length_m
    if what == "gap":
        return []
    speed = 0.0 if what == "stop" else plan.speed_kmh
    east = DEVIATION_M if what == "deviate" else 0.0
    messages = []
    for rank, key in enumerate(plan.device_keys):
        lat, lon, course = plan.point_at(plan.distance_m - rank * FOLLOW_M, east)
        identifier = f"{key}:{plan.secrets[key]}" if key in plan.secrets else key
        params = {"id": identifier, "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
                  "speed": f"{speed / KNOT_KMH:.2f}", "bearing": f"{course:.1f}",
                  "altitude": "3800", "accuracy": "8", "batt": "87"}  # fmt: skip
        panic = plan.panic_at_s is not None and plan.panic_at_s <= t_s < plan.panic_at_s + dt_s
        if panic and rank == 1:  # the first truck behind the escort
            params["alarm"] = "sos"
        messages.append(params)
    return messages


class ConvoySimulator(threading.Thread):
    """Sends every convoy's fixes to the OsmAnd endpoint until ``stop()``."""

    def __init__(
        self, base_url: str, plans: list[ConvoyPlan], *, interval_s: float = 10.0,
        cycle_s: float = 1800.0,
    ) -> None:  # fmt: skip
        super().__init__(name="convoy-simulator", daemon=True)
        self.url = base_url.rstrip("/") + "/ingest/osmand/"
        self.plans, self.interval_s, self.cycle_s = plans, interval_s, cycle_s
        self._stop_event = threading.Event()
        self.sent = self.failed = 0

    def stop(self) -> None:
        self._stop_event.set()

    def _wait_for_server(self, session) -> None:
        while not self._stop_event.is_set():
            try:
                session.get(self.url, timeout=2)
                return
            except Exception:  # the server is still starting
                self._stop_event.wait(1.0)

    def run(self) -> None:
        import requests

        session = requests.Session()
        self._wait_for_server(session)
        started = time.monotonic()
        last = started
        while not self._stop_event.wait(self.interval_s):
            now = time.monotonic()
            for plan in self.plans:
                for params in convoy_messages(plan, now - started, now - last, self.cycle_s):
                    params["timestamp"] = str(int(time.time()))
                    self._send(session, params)
            last = now

    def _send(self, session, params: dict) -> None:
        try:
            response = session.get(self.url, params=params, timeout=10)
            if response.status_code == 200:
                self.sent += 1
                return
            logger.warning("simulator fix refused: %s %s", response.status_code, response.text)
        except Exception as error:
            logger.warning("simulator could not send: %s", error)
        self.failed += 1
