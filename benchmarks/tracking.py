"""Benchmark the tracking engine on synthetic convoys along the southern mining corridor.

Las Bambas -> Espinar -> Arequipa -> Matarani. The road polyline is
SYNTHETIC: a meandering line (>= 1,000 vertices) through the real towns, not
surveyed geometry. 100 vehicles in 25 convoys (1 escort + 3 cargo) report
every 10 s with GPS noise; we plant unscheduled stops, authorised stops, short
traffic stops, deviations, signal gaps, overspeed, SOS alarms, a lagging
truck per third convoy (convoy split) and tight arrival windows (late
arrival). Prints fixes/s with all detectors on, state bytes per device,
precision/recall per detector, and MovingPandas' TrajectoryStopDetector on
the same fixes (run in benchmarks/.peer-movingpandas as a subprocess).

    .venv/bin/python benchmarks/tracking.py --fixes 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from minewatch.tracking.engine import (
    DetectorConfig,
    FixBatch,
    LocalPlane,
    Route,
    TrackingEngine,
    Trip,
    Zone,
)

WAYPOINTS = [(-14.08, -72.32), (-14.30, -72.05), (-14.79, -71.41), (-15.30, -71.25),
             (-15.84, -71.09), (-16.40, -71.54), (-16.45, -71.85), (-17.00, -72.10)]  # fmt: skip
T0 = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
EVERY_S = 10
PEER = Path(__file__).parent / ".peer-movingpandas" / "bin" / "python"
CONFIG = DetectorConfig(stop_min_s=600, max_gap_s=300, deviation_min_s=60, split_distance_m=5000)


def synthetic_road(plane: LocalPlane, vertices: int = 1500) -> np.ndarray:
    """SYNTHETIC road: waypoints joined by gently meandering curves, ``vertices`` points (x, y m)."""
    lat, lon = np.array(WAYPOINTS).T
    x, y = plane.to_xy(lat, lon)
    legs = np.hypot(np.diff(x), np.diff(y))
    s = np.linspace(0, legs.sum(), vertices)
    knots = np.concatenate([[0], np.cumsum(legs)])
    bx, by = np.interp(s, knots, x), np.interp(s, knots, y)
    leg = np.minimum(np.searchsorted(knots, s, side="right") - 1, len(legs) - 1)
    nx, ny = -np.diff(y)[leg] / legs[leg], np.diff(x)[leg] / legs[leg]
    along = (s - knots[leg]) / legs[leg]
    wiggle = 2500 * np.sin(2 * np.pi * s / 9000) * np.sin(np.pi * along)
    return np.column_stack([bx + nx * wiggle, by + ny * wiggle])


class Road:
    """Arc-length parametrisation of the road for placing vehicles."""

    def __init__(self, xy: np.ndarray) -> None:
        self.xy = xy
        self.cum = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
        self.length = self.cum[-1]

    def at(self, s: np.ndarray, lateral: np.ndarray | float = 0.0):
        s = np.clip(s, 0, self.length)
        seg = np.clip(np.searchsorted(self.cum, s, side="right") - 1, 0, len(self.xy) - 2)
        d = self.xy[seg + 1] - self.xy[seg]
        d /= np.hypot(d[:, 0], d[:, 1])[:, None]
        f = (s - self.cum[seg])[:, None]
        p = self.xy[seg] + d * f
        return p[:, 0] - d[:, 1] * lateral, p[:, 1] + d[:, 0] * lateral


def build_zones(plane: LocalPlane, road: Road, rng) -> tuple[list[Zone], list[tuple[float, float]]]:
    """50 zones: mine, port, 8 authorised stops, 10 towns (60 km/h), 30 risk zones."""

    def lonlat(x, y):
        lat, lon = plane.to_latlon(np.atleast_1d(x), np.atleast_1d(y))
        return float(lon[0]), float(lat[0])

    zones = [Zone("mine-las-bambas", "origin", center_lonlat=lonlat(*road.xy[0]), radius_m=2000)]
    end_x, end_y = road.xy[-1]
    port = [lonlat(end_x + dx, end_y + dy) for dx, dy in ((-1500, -1500), (1500, -1500),
            (1500, 1500), (-1500, 1500))]  # fmt: skip
    zones.append(Zone("port-matarani", "destination", polygon_lonlat=port))
    spans = []  # (s_from, s_to) of route stretches inside zones, to keep planted stops out
    for i, s in enumerate(np.linspace(0.1, 0.9, 8) * road.length):
        x, y = road.at(np.array([s]))
        zones.append(Zone(f"stop-{i}", "authorised_stop", center_lonlat=lonlat(x[0], y[0]),
                          radius_m=1000))  # fmt: skip
        spans.append((s - 1100, s + 1100))
    for i, s in enumerate(np.linspace(0.05, 0.95, 10) * road.length + 7000):
        x, y = road.at(np.array([s]))
        box = [lonlat(x[0] + dx, y[0] + dy) for dx, dy in ((-700, -700), (700, -700), (700, 700),
               (-700, 700))]  # fmt: skip
        zones.append(Zone(f"town-{i}", "speed", polygon_lonlat=box, speed_limit_kmh=60.0))
        spans.append((s - 1100, s + 1100))
    for i in range(30):
        s = rng.uniform(0.05, 0.95) * road.length
        off = 0.0 if i < 15 else rng.choice([-1, 1]) * rng.uniform(3000, 8000)
        x, y = road.at(np.array([s]), off)
        zones.append(Zone(f"risk-{i}", "high_risk", center_lonlat=lonlat(x[0], y[0]),
                          radius_m=float(rng.uniform(300, 1500))))  # fmt: skip
    return zones, spans


def plant_convoy(rng, steps, cruise_kmh):
    """Speed schedule (km/h per step), lateral offsets and truth windows for one convoy."""
    speed = np.full(steps, cruise_kmh)
    truth = {"stop": [], "deviation": [], "overspeed": []}

    def free_slot(length, pad=60):
        for _ in range(200):
            a = int(rng.integers(200, steps - length - 200))
            if (speed[a - pad : a + length + pad] == cruise_kmh).all():
                return a
        return None

    def place_stop(minutes, kind):
        a = free_slot(int(minutes * 60 / EVERY_S))
        if a is None:
            return
        speed[a : a + int(minutes * 60 / EVERY_S)] = 0.0
        if kind:
            truth[kind].append((a, a + int(minutes * 60 / EVERY_S)))

    scale = steps / 10_000
    for _ in range(max(1, round(10 * scale))):
        place_stop(rng.uniform(12, 25), "stop")
    for _ in range(max(1, round(3 * scale))):
        place_stop(rng.uniform(1, 4), None)  # traffic: below the 10 min threshold
    for _ in range(max(1, round(2 * scale))):
        a = free_slot(18)
        if a is not None:
            speed[a : a + 18] = rng.uniform(100, 110)
            truth["overspeed"].append((a, a + 18))
    lateral = np.zeros(steps)
    for _ in range(max(1, round(2 * scale))):
        a = free_slot(48)
        if a is not None:
            ramp = np.concatenate([np.linspace(0, 1, 6), np.ones(36), np.linspace(1, 0, 6)])
            lateral[a : a + 48] = 1200.0 * ramp
            speed[a : a + 48] = cruise_kmh - 0.01  # marks the slot as used
            truth["deviation"].append((a + 3, a + 45))
    return speed, lateral, truth


def arc_length(speed_kmh: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(speed_kmh[:-1] / 3.6 * EVERY_S)])


def stop_is_clear(s_stop, spans):
    return all(not (a <= s_stop <= b) for a, b in spans)


def add_authorised_stops(rng, speed, lateral, road, spans, cruise_kmh):
    """Stop 25-40 min inside two authorised stop zones (must NOT be reported)."""
    for a_s, b_s in rng.permutation(np.array(spans[:8]))[:2]:
        s = arc_length(speed)  # again after each insertion: later positions moved
        k = int(np.searchsorted(s, (a_s + b_s) / 2))
        m = int(rng.uniform(25, 40) * 60 / EVERY_S)
        if k + m < len(speed) and (speed[k - 30 : k + m + 30] == cruise_kmh).all():
            speed[k : k + m] = 0.0


def simulate(n_fixes: int, seed: int = 7):
    """Fixes (arrival = time order), trips, zones, route, truth episodes per detector."""
    rng = np.random.default_rng(seed)
    plane = LocalPlane(-15.54, -71.71)
    road = Road(synthetic_road(plane))
    zones, spans = build_zones(plane, road, rng)
    steps = n_fixes // 100
    cruise = float(np.clip(road.length / 1000 / (steps * EVERY_S / 3600 * 0.85 - 4.5), 30, 55))
    columns = {k: [] for k in ("device", "time", "x", "y", "x0", "y0", "speed", "alarm")}
    truth = {k: [] for k in ("unscheduled_stop", "route_deviation", "overspeed", "signal_loss",
                             "alarm", "late_arrival")}  # fmt: skip
    trips, lag_paths = [], {}
    for c in range(25):
        speed, lateral, windows = plant_convoy(rng, steps, cruise)
        add_authorised_stops(rng, speed, lateral, road, spans, cruise)
        members, depart = {}, T0 + timedelta(minutes=20 * c)
        for j in range(4):
            v = c * 4 + j
            members[f"V{v:03d}"] = "escort" if j == 0 else "cargo"
            sp, lat_off, win = speed, lateral, windows
            if j == 3 and c % 3 == 0:
                sp, lat_off, win = lag(rng, speed, lateral, windows, cruise)
            s = arc_length(sp) - 250.0 * j
            lag_paths[f"V{v:03d}"] = (c, s, lat_off)
            emit_vehicle(rng, v, c, sp, lat_off, s, win, road, spans, columns, truth, cruise)
        arrival = [int(np.argmax(p[1] >= road.length - 1000)) or steps for p in
                   list(lag_paths.values())[-4:]]  # fmt: skip
        late = c % 3 == 1
        deadline_step = (min(arrival) - 360) if late else max(arrival) + 540
        deadline = depart + timedelta(seconds=int(deadline_step) * EVERY_S)
        deadline_ms = int(deadline.timestamp() * 1000)
        for key, arrive in zip(members, arrival, strict=True):
            if arrive > deadline_step:
                truth["late_arrival"].append((key, deadline_ms, deadline_ms + 86_400_000))
        trips.append(Trip(f"C{c:02d}", members, "R", "port-matarani", depart, deadline))
    truth["convoy_split"] = split_truth(lag_paths, road)
    return plane, road, zones, trips, columns, truth


def lag(rng, speed, lateral, windows, cruise):
    """A cargo truck that stops 25 min extra and then follows the same schedule, late."""
    delay = 150
    a = int(np.flatnonzero(speed == cruise)[len(speed) // 4])
    sp = np.concatenate([speed[:a], np.zeros(delay), speed[a:]])[: len(speed)]
    lat_off = np.concatenate([lateral[:a], np.zeros(delay), lateral[a:]])[: len(speed)]
    win = {
        k: [(x + delay, y + delay) if x >= a else (x, y) for x, y in v] for k, v in windows.items()
    }
    win["stop"] = win["stop"] + [(a, a + delay)]
    return sp, lat_off, win


def emit_vehicle(rng, v, c, speed, lateral, s, windows, road, spans, columns, truth, cruise):
    steps, key = len(speed), f"V{v:03d}"
    x0, y0 = road.at(s, lateral)
    x = x0 + rng.normal(0, 6, steps)
    y = y0 + rng.normal(0, 6, steps)
    moving = (speed > 0) & (s < road.length)  # after arrival the truck is parked at the port
    reported = np.where(moving, speed + rng.normal(0, 1.5, steps), rng.choice(
        [0.0, 0.4, 1.2, 2.5, 7.0], steps, p=[0.5, 0.2, 0.15, 0.1, 0.05]))  # fmt: skip
    keep = np.ones(steps, bool)
    start_ms = int((T0 + timedelta(minutes=20 * c)).timestamp() * 1000)
    t_ms = start_ms + np.arange(steps, dtype=np.int64) * EVERY_S * 1000
    for _ in range(max(1, round(2 * steps / 10_000))):  # signal gaps while driving
        length = int(rng.uniform(8, 15) * 60 / EVERY_S)
        a = int(rng.integers(100, steps - length - 100))
        clear = (speed[a - 12 : a + length + 12] == cruise).all() and not lateral[
            a - 12 : a + length
        ].any()
        if clear and s[a] < road.length - 3000:
            keep[a : a + length] = False
            truth["signal_loss"].append((key, t_ms[a - 1], t_ms[a + length]))
    alarm = np.zeros(steps, np.int32)
    if v % 5 == 0:
        a = int(np.flatnonzero(keep)[steps // 2])
        alarm[a : a + 3] = 1
        truth["alarm"].append((key, t_ms[a], t_ms[a + 3]))
    for kind, name, pad in (("stop", "unscheduled_stop", 0), ("deviation", "route_deviation", 6),
                            ("overspeed", "overspeed", 0)):  # fmt: skip
        for a, b in windows[kind]:
            inside_authorised = kind == "stop" and any(lo <= s[a] <= hi for lo, hi in spans[:8])
            if b < steps and s[b] < road.length - 1600 and not inside_authorised:
                truth[name].append((key, t_ms[a], t_ms[min(b + pad, steps - 1)]))
    for name, values in (("device", np.full(steps, v)), ("time", t_ms), ("x", x), ("y", y),
                         ("x0", x0), ("y0", y0), ("speed", reported), ("alarm", alarm)):  # fmt: skip
        columns[name].append(values[keep])


def split_truth(paths, road):
    """Noise-free split episodes: cargo > 5 km from its escort (re-armed under 4 km)."""
    episodes = []
    for key, (c, s, lateral) in paths.items():
        escort = paths[f"V{c * 4:03d}"]
        if key == f"V{c * 4:03d}":
            continue
        ex, ey = road.at(escort[1], escort[2])
        x, y = road.at(s, lateral)
        far, start = False, None
        distance = np.hypot(x - ex, y - ey)
        en_route = s < road.length - 1000
        for i in range(len(s)):
            if not far and distance[i] > 5000 and en_route[i]:
                far, start = True, i
            elif far and distance[i] < 4000:
                far = False
                episodes.append((key, start, i))
        if far:
            episodes.append((key, start, len(s) - 1))
    start0 = int(T0.timestamp() * 1000)
    return [(k, start0 + (int(k[1:]) // 4 * 1200 + a * EVERY_S) * 1000,
             start0 + (int(k[1:]) // 4 * 1200 + b * EVERY_S + 120) * 1000) for k, a, b in episodes]  # fmt: skip


def zone_truth(engine: TrackingEngine, columns) -> dict[str, list]:
    """Exact (no margin) zone transitions of the noise-free positions."""
    import shapely

    from minewatch.tracking.engine.engine import _zone_polygon

    found = {"zone_enter": [], "zone_exit": []}
    by_device = np.argsort(columns["device"], kind="stable")
    columns = {k: v[by_device] for k, v in columns.items()}
    device, t = columns["device"], columns["time"]
    first = np.ones(len(device), bool)
    first[1:] = device[1:] != device[:-1]
    for zone in engine.zones:
        polygon = _zone_polygon(zone, engine.plane)
        minx, miny, maxx, maxy = polygon.bounds
        near = np.flatnonzero((columns["x0"] > minx - 1) & (columns["x0"] < maxx + 1)
                              & (columns["y0"] > miny - 1) & (columns["y0"] < maxy + 1))  # fmt: skip
        inside = np.zeros(len(device), bool)
        inside[near] = shapely.contains_xy(polygon, columns["x0"][near], columns["y0"][near])
        before = np.concatenate([[False], inside[:-1]]) & ~first
        for kind, rows in (("zone_enter", inside & ~before), ("zone_exit", ~inside & before)):
            for i in np.flatnonzero(rows):
                key = f"V{device[i]:03d}|{zone.key}"
                found[kind].append((key, int(t[i]) - 60_000, int(t[i]) + 60_000))
    return found


def score(detections: list[tuple[str, int]], truth: list[tuple[str, int, int]]):
    """Precision and recall: a detection is right when inside a truth window of its device."""
    by_key: dict[str, list[tuple[int, int]]] = {}
    for key, a, b in truth:
        by_key.setdefault(key, []).append((a, b))
    hit = set()
    correct = 0
    for key, t in detections:
        match = [w for w in by_key.get(key, []) if w[0] <= t <= w[1]]
        correct += bool(match)
        hit.update((key, w) for w in match)
    precision = correct / len(detections) if detections else float("nan")
    recall = len(hit) / len(truth) if truth else float("nan")
    return len(truth), len(detections), precision, recall


def run_engine(plane, road, zones, trips, columns, batch_size):
    lat, lon = plane.to_latlon(road.xy[:, 0], road.xy[:, 1])
    limits = np.where(np.arange(len(road.xy) - 1) < len(road.xy) // 3, 80.0, 90.0)
    route = Route("R", list(zip(lon, lat, strict=True)), buffer_m=300.0, speed_limits_kmh=limits)
    engine = TrackingEngine(CONFIG, zones=zones, routes=[route], trips=trips, plane=plane)
    ids = np.array([engine.device_id(f"V{v:03d}") for v in range(100)])
    engine.alarm_code("sos")
    order = np.argsort(columns["time"], kind="stable")  # arrival = time order, vehicles interleaved
    fix_lat, fix_lon = plane.to_latlon(columns["x"][order], columns["y"][order])
    batches = [FixBatch.from_columns(ids[columns["device"][order][i : i + batch_size]],
               columns["time"][order][i : i + batch_size], fix_lat[i : i + batch_size],
               fix_lon[i : i + batch_size], columns["speed"][order][i : i + batch_size],
               alarm=columns["alarm"][order][i : i + batch_size])
               for i in range(0, len(order), batch_size)]  # fmt: skip
    started = time.perf_counter()
    detections = [d for batch in batches for d in engine.process(batch)]
    elapsed = time.perf_counter() - started
    return engine, detections, elapsed, fix_lat, fix_lon, order


PEER_SCRIPT = """
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd, geopandas as gpd, movingpandas as mpd
from datetime import timedelta
data = np.load(sys.argv[1])
t0 = time.perf_counter()
df = pd.DataFrame({"device": data["device"], "t": pd.to_datetime(data["time"], unit="ms"),
                   "lat": data["lat"], "lon": data["lon"]})
gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs="EPSG:4326")
collection = mpd.TrajectoryCollection(gdf, "device", t="t")
t1 = time.perf_counter()
stops = mpd.TrajectoryStopDetector(collection).get_stop_points(
    min_duration=timedelta(seconds=float(sys.argv[2])), max_diameter=float(sys.argv[3]))
t2 = time.perf_counter()
rows = [[int(str(i).split("_")[0]), int(pd.Timestamp(r.start_time).value // 10**6),
         int(pd.Timestamp(r.end_time).value // 10**6)] for i, r in stops.iterrows()]
print(json.dumps({"build_s": t1 - t0, "detect_s": t2 - t1, "stops": rows}))
"""


def run_movingpandas(columns, fix_lat, fix_lon, order, max_diameter_m=100.0):
    if not PEER.exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fixes.npz"
        np.savez(path, device=columns["device"][order], time=columns["time"][order],
                 lat=fix_lat, lon=fix_lon)  # fmt: skip
        out = subprocess.run([str(PEER), "-c", PEER_SCRIPT, str(path), str(CONFIG.stop_min_s),
                              str(max_diameter_m)], capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixes", type=int, default=1_000_000, help="total fixes (>= 100,000)")
    parser.add_argument("--batch", type=int, default=50_000, help="fixes per engine.process call")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-peer", action="store_true", help="skip MovingPandas")
    args = parser.parse_args(argv)
    if args.fixes < 100_000:
        parser.error("--fixes must be >= 100000 (1,000 fixes per vehicle)")
    plane, road, zones, trips, columns, truth = simulate(args.fixes, args.seed)
    columns = {k: np.concatenate(v) for k, v in columns.items()}
    n = len(columns["time"])
    print(f"synthetic corridor: {len(road.xy)} vertices, {road.length / 1000:.0f} km (SYNTHETIC "
          f"road through real towns); {len(zones)} zones; 100 vehicles; {n:,} fixes")  # fmt: skip
    engine, detections, elapsed, fix_lat, fix_lon, order = run_engine(
        plane, road, zones, trips, columns, args.batch
    )
    truth.update(zone_truth(engine, {k: v[order] for k, v in columns.items()}))
    sizes = [len(json.dumps(s.to_dict())) for s in engine.export_state().values()]
    print(f"\nengine, all detectors: {n / elapsed:,.0f} fixes/s ({elapsed:.2f} s, one core, "
          f"batches of {args.batch:,}); state JSON bytes/device: mean {np.mean(sizes):.0f}, "
          f"max {max(sizes)}")  # fmt: skip
    print(f"\n{'detector':<18}{'truth':>7}{'found':>7}{'precision':>11}{'recall':>9}")
    for kind in sorted(truth):
        found = [((f"{d.device_key}|{d.details['zone']}") if kind.startswith("zone") else d.device_key,
                  int(d.time.timestamp() * 1000)) for d in detections if d.kind == kind]  # fmt: skip
        total, count, precision, recall = score(found, truth[kind])
        print(f"{kind:<18}{total:>7}{count:>7}{precision:>11.3f}{recall:>9.3f}")
    if args.no_peer:
        return
    peer = run_movingpandas(columns, fix_lat, fix_lon, order)
    if peer is None:
        print(f"\nMovingPandas peer venv missing ({PEER}); skipped")
        return
    ours = [
        (d.device_key, int(d.time.timestamp() * 1000))
        for d in detections
        if d.kind == "unscheduled_stop"
    ]
    theirs = [(f"V{dev:03d}", (a + b) // 2) for dev, a, b in peer["stops"]]
    truth_stops = truth["unscheduled_stop"]
    _, _, p_ours, r_ours = score(ours, truth_stops)
    _, _, p_mp, r_mp = score(
        [(k, t) for k, t in theirs], [(k, a, b + 3_600_000) for k, a, b in truth_stops]
    )
    rate_mp = n / peer["detect_s"]
    print(
        "\nunscheduled stops, same fixes          MineWatch engine   MovingPandas TrajectoryStopDetector"
    )
    print(
        f"{'fixes/s':<38}{n / elapsed:>17,.0f}   {rate_mp:>12,.0f} (detect only; +{peer['build_s']:.1f} s to build)"
    )
    print(f"{'stops found':<38}{len(ours):>17}   {len(theirs):>12}")
    print(f"{'recall of planted unscheduled stops':<38}{r_ours:>17.3f}   {r_mp:>12.3f}")
    print(f"{'precision':<38}{p_ours:>17.3f}   {p_mp:>12.3f}")
    print(
        "(MovingPandas has no notion of authorised zones, trips or arrival: its stops inside\n"
        " authorised stop zones, at the port and before departure count against its precision;\n"
        " its stop time used for matching is the stop midpoint.)"
    )


if __name__ == "__main__":
    main()
