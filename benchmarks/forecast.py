"""MineWatch forecasts beside open_cp (PredictCode) on the same events, area and days.

Run from the repository root::

    .venv/bin/python benchmarks/forecast.py [--datasets chicago,burkitt,synthetic]
                                            [--opencp-methods naive,kde,retro,sepp] [--json OUT]

How the comparison is made fair (see docs/forecasting.md):

* same events, same rolling days (train on everything before a day, predict it);
* same study area: the convex hull of all the dataset's events, buffered by one
  H3 cell edge. MineWatch ranks the H3 cells centred in it; open_cp ranks the
  square cells (its only grid) that intersect it;
* same cell area: the squares' side is the square root of the mean H3 cell
  area, so "5 % coverage" selects the same area from cells of the same size;
* same scoring code: open_cp's score matrices come back to this process and
  are scored with MineWatch's ``expected_hits_at_coverage`` (ties and the last
  cell counted in proportion to the area taken).

open_cp runs in its own venv, benchmarks/.peer-opencp/venv (see
benchmarks/README-forecast.md for how it is built). Nothing is downloaded at
run time.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from minewatch.risk.engine.backtest import run_backtest
from minewatch.risk.engine.events import EventSet
from minewatch.risk.engine.grid import build_study_area, project_m, study_hull_m
from minewatch.risk.engine.metrics import expected_hits_at_coverage

ROOT = Path(__file__).resolve().parent
PEER = ROOT / ".peer-opencp"
PEER_PYTHON = PEER / "venv" / "bin" / "python"
CHICAGO_CSV = PEER / "data" / "example.csv"
MIRROR = Path("/work/.mirror/QuantCrimAtLeeds+PredictCode/repo")
COVERAGES = (0.05, 0.10, 0.20)
DAY_S = 86_400.0

BURKITT_DUMP = """
import csv, sys, libpysal
rows = list(libpysal.io.open(libpysal.examples.get_path("burkitt.dbf")))
writer = csv.writer(sys.stdout)
writer.writerow(["x_km", "y_km", "t_days"])
for row in rows:
    writer.writerow([row[1], row[2], row[3]])
"""


def load_chicago() -> tuple[EventSet, datetime, int, int]:
    """PredictCode's quick_start/example.csv: 1,000 real Chicago crimes of 2016 (times: UTC)."""
    if not CHICAGO_CSV.exists():
        if not MIRROR.exists():
            sys.exit(
                f"{CHICAGO_CSV} is missing. Fetch github:QuantCrimAtLeeds/PredictCode "
                "(it lands in /work/.mirror/...) and rerun, or copy quick_start/example.csv there."
            )
        CHICAGO_CSV.parent.mkdir(parents=True, exist_ok=True)
        blob = subprocess.run(
            ["git", f"--git-dir={MIRROR}", "show", "HEAD:quick_start/example.csv"],
            check=True,
            capture_output=True,
        ).stdout
        CHICAGO_CSV.write_bytes(blob)
    with open(CHICAGO_CSV, newline="") as handle:
        rows = list(csv.DictReader(handle))
    t_s = [
        datetime.strptime(r["Date"], "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=UTC).timestamp()
        for r in rows
    ]
    events = EventSet(
        np.array(t_s),
        np.array([float(r["Latitude"]) for r in rows]),
        np.array([float(r["Longitude"]) for r in rows]),
    )
    return events, datetime(2016, 10, 1, tzinfo=UTC), 92, 10


def load_burkitt() -> tuple[EventSet, datetime, int, int]:
    """libpysal's burkitt (188 Burkitt's lymphoma cases, West Nile, Uganda, 1961-75).

    X/Y are km on a local grid and T days since 1960-01-01; we place the grid
    on a tangent plane at 3°N 31°E (the district's rough location) so H3 can
    index it. Predict every day of the second half of the period.
    """
    dump = subprocess.run(
        [str(PEER_PYTHON), "-c", BURKITT_DUMP], check=True, capture_output=True, text=True
    ).stdout
    rows = list(csv.DictReader(dump.splitlines()))
    x_m = np.array([float(r["x_km"]) for r in rows]) * 1000
    y_m = np.array([float(r["y_km"]) for r in rows]) * 1000
    epoch = datetime(1960, 1, 1, tzinfo=UTC).timestamp()
    t_s = epoch + np.array([float(r["t_days"]) for r in rows]) * DAY_S
    lat = 3.0 + np.degrees(y_m / 6_371_008.8)
    lon = 31.0 + np.degrees(x_m / (6_371_008.8 * np.cos(np.radians(3.0))))
    order = np.argsort(t_s)
    events = EventSet(t_s[order], lat[order], lon[order])
    middle = float(np.median(t_s))
    start = datetime.fromtimestamp(middle - middle % DAY_S, tz=UTC)
    days = int((t_s.max() - start.timestamp()) // DAY_S) + 1
    return events, start, days, 7


def load_synthetic(seed: int = 7) -> tuple[EventSet, datetime, int, int]:
    """SYNTHETIC demo-like incidents around a Pataz-like district: ~3 a day for 2 years.

    Hotspots (concession edges, a blockade point, a corridor) with stable
    rates, a Poisson background, and near-repeat offspring (a third of events
    trigger one more within ~2 km and ~5 days). Labelled synthetic; no real data.
    """
    rng = np.random.default_rng(seed)
    centre_lat, centre_lon = -7.80, -77.45
    hot_xy_m = rng.uniform(-12_000, 12_000, size=(8, 2))
    hot_weight = rng.dirichlet(np.ones(8))
    days, per_day = 730, 2.2
    n = rng.poisson(per_day * days)
    t_days = np.sort(rng.uniform(0, days, n))
    kind = rng.random(n)
    which = rng.choice(8, size=n, p=hot_weight)
    xy = hot_xy_m[which] + rng.normal(0, 900, size=(n, 2))
    corridor = kind < 0.25
    along = rng.uniform(-15_000, 15_000, corridor.sum())
    xy[corridor] = np.column_stack([along, 0.3 * along]) + rng.normal(0, 300, (corridor.sum(), 2))
    background = kind > 0.85
    xy[background] = rng.uniform(-15_000, 15_000, size=(background.sum(), 2))
    parents = rng.random(n) < 0.35
    child_xy = xy[parents] + rng.normal(0, 400, size=(parents.sum(), 2))
    child_t = t_days[parents] + rng.exponential(5.0, parents.sum())
    xy, t_days = np.vstack([xy, child_xy]), np.concatenate([t_days, child_t])
    inside = t_days < days
    xy, t_days = xy[inside], t_days[inside]
    lat = centre_lat + np.degrees(xy[:, 1] / 6_371_008.8)
    lon = centre_lon + np.degrees(xy[:, 0] / (6_371_008.8 * np.cos(np.radians(centre_lat))))
    t0 = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
    order = np.argsort(t_days)
    events = EventSet(t0 + t_days[order] * DAY_S, lat[order], lon[order])
    return events, datetime(2024, 7, 1, tzinfo=UTC), 184, 8


DATASETS = {"chicago": load_chicago, "burkitt": load_burkitt, "synthetic": load_synthetic}


def _predicted_days(events: EventSet, start: datetime, days: int) -> list[float]:
    """Day starts with at least one test event and one training event (as run_backtest)."""
    start_s = start.timestamp()
    day_starts = []
    for day in range(days):
        begin = start_s + day * DAY_S
        has_test = np.any((events.t_s >= begin) & (events.t_s < begin + DAY_S))
        if has_test and np.any(events.t_s < begin):
            day_starts.append(begin)
    return day_starts


def run_opencp(events: EventSet, start: datetime, days: int, resolution: int, methods) -> dict:
    """Run open_cp in its venv on the same hull, equal-area squares, same days; score here."""
    hull, origin_lat, origin_lon = study_hull_m(events.lat, events.lon, resolution)
    area = build_study_area(events.lat, events.lon, resolution)
    cell_m = float(np.sqrt(area.area_m2.mean()))
    x_m, y_m = project_m(events.lat, events.lon, origin_lat, origin_lon)
    minx, miny, maxx, maxy = hull.bounds
    ncols, nrows = int((maxx - minx) // cell_m) + 1, int((maxy - miny) // cell_m) + 1
    day_starts = _predicted_days(events, start, days)
    spec = {
        "events": {"x_m": x_m.tolist(), "y_m": y_m.tolist(), "t_s": events.t_s.tolist()},
        "cell_m": cell_m,
        "region": [minx, miny, minx + ncols * cell_m, miny + nrows * cell_m],
        "polygon": list(hull.exterior.coords),
        "day_starts_s": day_starts,
        "methods": list(methods),
    }
    with tempfile.TemporaryDirectory() as folder:
        in_path, out_path = Path(folder) / "in.json", Path(folder) / "out.npz"
        in_path.write_text(json.dumps(spec))
        runner = ROOT / "opencp_runner.py"
        subprocess.run([str(PEER_PYTHON), str(runner), str(in_path), str(out_path)], check=True)
        out = dict(np.load(out_path))
    return _score_opencp(out, x_m, y_m, events.t_s, day_starts, cell_m, methods)


def _score_opencp(out, x_m, y_m, t_s, day_starts, cell_m, methods) -> dict:
    failed = {m: str(out[f"{m}_error"]) for m in methods if f"{m}_error" in out}
    methods = [m for m in methods if m not in failed]
    mask = out["mask"]
    index = -np.ones(mask.shape, dtype=np.int64)
    index[~mask] = np.arange(int((~mask).sum()))
    gx = np.floor((x_m - float(out["xoffset"])) / cell_m).astype(int)
    gy = np.floor((y_m - float(out["yoffset"])) / cell_m).astype(int)
    n_cells = int((~mask).sum())
    area = np.ones(n_cells)
    results, total = {}, 0
    captured = {m: np.zeros(len(COVERAGES)) for m in methods}
    for row, begin in enumerate(day_starts):
        test = (t_s >= begin) & (t_s < begin + DAY_S)
        cells = index[gy[test], gx[test]]
        hits = np.bincount(cells[cells >= 0], minlength=n_cells)
        total += int(test.sum())
        for method in methods:
            scores = np.nan_to_num(out[f"{method}_scores"][row])
            captured[method] += [
                expected_hits_at_coverage(scores, area, hits, c) for c in COVERAGES
            ]
    for method in methods:
        fit_s, predict_s = out[f"{method}_seconds"] / max(len(day_starts), 1)
        results[f"open_cp {method}"] = {
            "hit_rate": {
                f"{c:.2f}": h / total for c, h in zip(COVERAGES, captured[method], strict=True)
            },
            "pai": {
                f"{c:.2f}": h / total / c for c, h in zip(COVERAGES, captured[method], strict=True)
            },
            "seconds_per_day": float(fit_s + predict_s),
            "cells": n_cells,
            "cell_m": cell_m,
        }
    for method, error in failed.items():
        results[f"open_cp {method}"] = {"error": error}
    return results


def _print_table(name: str, rows: dict) -> None:
    print(f"\n== {name} ==")
    print(f"{'method':<22}{'hit@5%':>8}{'hit@10%':>9}{'hit@20%':>9}{'PAI@5%':>8}{'s/day':>9}")
    for method, row in rows.items():
        if "error" in row:
            print(f"{method:<22}failed: {row['error'][:70]}")
            continue
        hr, pai = row["hit_rate"], row["pai"]
        print(
            f"{method:<22}{hr['0.05']:>8.3f}{hr['0.10']:>9.3f}{hr['0.20']:>9.3f}"
            f"{pai['0.05']:>8.2f}{row['seconds_per_day']:>9.4f}"
        )


def benchmark_dataset(name: str, opencp_methods, resolution_override: int | None = None) -> dict:
    events, start, days, resolution = DATASETS[name]()
    resolution = resolution_override or resolution
    ours = run_backtest(events, start, days, resolution=resolution)
    rows = {
        f"minewatch {method}": {
            **stats,
            "seconds_per_day": stats["fit_seconds_per_day"] + stats["predict_seconds_per_day"],
        }
        for method, stats in ours["methods"].items()
    }
    rows.update(run_opencp(events, start, days, resolution, opencp_methods))
    _print_table(
        f"{name}: {len(events)} events, {ours['test_events']} predicted over "
        f"{ours['days_predicted']} days, H3 res {resolution}, {ours['study_area']['cells']} "
        f"cells, {ours['study_area']['area_km2']:.1f} km²",
        rows,
    )
    best_peer = max(
        v["hit_rate"]["0.05"]
        for k, v in rows.items()
        if k.startswith("open_cp") and "hit_rate" in v
    )
    ours_5 = rows["minewatch blend"]["hit_rate"]["0.05"]
    print(
        f"target: minewatch blend hit@5% {ours_5:.3f} vs 1.10 × best open_cp "
        f"{1.1 * best_peer:.3f} -> {'MET' if ours_5 >= 1.1 * best_peer else 'NOT MET'}"
    )
    return {"study_area": ours["study_area"], "test_events": ours["test_events"], "rows": rows}


def time_minewatch_at_scale(n_events: int, resolution: int = 9, days: int = 10) -> None:
    """Seconds per day for MineWatch's methods with ``n_events`` of training history."""
    rng = np.random.default_rng(3)
    per_day = 3.0
    span_days = n_events / per_day
    synthetic, _, _, _ = load_synthetic()
    pick = rng.integers(0, len(synthetic), n_events)
    t_s = np.sort(
        datetime(2015, 1, 1, tzinfo=UTC).timestamp() + rng.uniform(0, span_days, n_events) * DAY_S
    )
    events = EventSet(t_s, synthetic.lat[pick], synthetic.lon[pick])
    start = datetime.fromtimestamp(t_s[-1] - days * DAY_S - t_s[-1] % DAY_S, tz=UTC)
    result = run_backtest(events, start, days, resolution=resolution)
    print(
        f"\n== timing: {n_events} events (SYNTHETIC), H3 res {resolution}, "
        f"{result['study_area']['cells']} cells, last {days} days =="
    )
    for method, stats in result["methods"].items():
        per_day_s = stats["fit_seconds_per_day"] + stats["predict_seconds_per_day"]
        print(
            f"minewatch {method:<8} fit+predict {per_day_s:.4f} s/day "
            f"(setup once {stats['setup_seconds']:.3f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="chicago,burkitt,synthetic")
    parser.add_argument("--opencp-methods", default="naive,kde,retro,sepp")
    parser.add_argument("--json", type=Path, help="also write all numbers to this file")
    parser.add_argument("--resolution", type=int, help="override every dataset's H3 resolution")
    parser.add_argument("--scale-events", type=int, default=0, help="also time on N events")
    args = parser.parse_args()
    if not PEER_PYTHON.exists():
        sys.exit(f"{PEER_PYTHON} missing: build the open_cp venv (benchmarks/README-forecast.md)")
    methods = args.opencp_methods.split(",")
    report = {
        name: benchmark_dataset(name, methods, args.resolution)
        for name in args.datasets.split(",")
        if name
    }
    if args.scale_events:
        time_minewatch_at_scale(args.scale_events)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
