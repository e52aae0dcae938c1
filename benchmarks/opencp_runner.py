"""Run open_cp's predictors day by day; executed by benchmarks/forecast.py in the peer venv.

Usage (done for you by forecast.py)::

    benchmarks/.peer-opencp/venv/bin/python benchmarks/opencp_runner.py IN.json OUT.npz

IN.json holds events already projected to local metres (x_m, y_m, t_s), the
square cell size, the region (grid origin and extent), the path of the grid
mask (.npy, True = outside the study area; forecast.py keeps the squares whose
centre is in the study region, the rule MineWatch's hexagons follow), the day
starts to predict and the methods. OUT.npz holds, per
method, the risk score of every masked grid cell for every predicted day, and
the fit and predict seconds. Scoring is done by forecast.py with MineWatch's
metric code, so both sides are measured identically. This file never imports
minewatch (it runs under open_cp's own environment).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import open_cp.data
import open_cp.kde
import open_cp.naive
import open_cp.retrohotspot
import open_cp.seppexp

KDE_SAMPLES = 4  # random points per grid cell for open_cp's KDE (seeded per day)
DAY_MS = 86_400_000


def _points(events: dict, upto_s: float):
    t_s = np.asarray(events["t_s"], float)
    keep = t_s < upto_s
    stamps = (t_s[keep] * 1000).astype("datetime64[ms]")
    return open_cp.data.TimedPoints.from_coords(
        list(stamps), np.asarray(events["x_m"])[keep], np.asarray(events["y_m"])[keep]
    )


def _predict(method: str, region, cell_m: float, points, day_s: float):
    day = np.datetime64(int(day_s * 1000), "ms")
    began = time.perf_counter()
    if method == "naive":
        model = open_cp.naive.CountingGridKernel(cell_m, region=region)
        model.data = points
        fitted = time.perf_counter()
        prediction = model.predict()
    elif method == "kde" or method.startswith("kde@"):
        # kde@W: only the last W days (kde@all: every past event); a bounded, seeded
        # number of random sample points per grid cell (open_cp's own sampling)
        window = method.partition("@")[2] or "all"
        model = open_cp.kde.KDE(region=region, grid_size=cell_m)
        model.data = points
        begin = None if window == "all" else day - np.timedelta64(int(float(window) * DAY_MS), "ms")
        fitted = time.perf_counter()
        np.random.seed(int(day_s) % 2**31)
        recent = (
            points.timestamps >= begin
            if begin is not None
            else np.ones(points.number_data_points, bool)
        )
        prediction = None  # no map (scored as all-equal) when the window holds no usable data
        if np.sum(recent) >= 2:
            try:
                prediction = model.predict(start_time=begin, end_time=day, samples=KDE_SAMPLES)
            except (ValueError, np.linalg.LinAlgError):  # e.g. all points on a line: singular
                prediction = None
        if prediction is not None and not np.all(np.isfinite(prediction.intensity_matrix)):
            prediction = None
    elif method == "retro":
        model = open_cp.retrohotspot.RetroHotSpotGrid(region=region, grid_size=cell_m)
        model.weight = open_cp.retrohotspot.Quartic(bandwidth=2 * cell_m)
        model.data = points
        fitted = time.perf_counter()
        prediction = model.predict(end_time=day)
    elif method == "sepp":
        trainer = open_cp.seppexp.SEPPTrainer(region=region, grid_size=cell_m)
        trainer.data = points
        predictor = trainer.train(cutoff_time=day, iterations=20)
        predictor.data = points
        fitted = time.perf_counter()
        prediction = predictor.predict(day)
    else:
        raise ValueError(f"unknown open_cp method {method!r}")
    done = time.perf_counter()
    if prediction is None:
        width, height = region.grid_size(cell_m)
        return np.zeros((height, width)), fitted - began, done - fitted
    return np.asarray(prediction.intensity_matrix, float), fitted - began, done - fitted


def main(in_path: str, out_path: str) -> None:
    with open(in_path) as handle:
        spec = json.load(handle)
    cell_m = float(spec["cell_m"])
    xmin, ymin, xmax, ymax = spec["region"]
    region = open_cp.data.RectangularRegion(xmin, xmax, ymin, ymax)
    mask = np.load(spec["mask_path"])
    keep = ~mask
    out = {"mask": mask, "xoffset": xmin, "yoffset": ymin}
    for method in spec["methods"]:
        try:
            out.update(_run_method(method, spec, region, cell_m, keep))
        except Exception as error:  # noqa: BLE001 - report the peer's failure, keep going
            out[f"{method}_error"] = np.array(f"{type(error).__name__}: {error}")
        print(f"open_cp {method}: done", file=sys.stderr, flush=True)
    np.savez_compressed(out_path, **out)


def _run_method(method: str, spec: dict, region, cell_m: float, keep) -> dict:
    rows, fit_s, predict_s = [], 0.0, 0.0
    for day_s in spec["day_starts_s"]:
        points = _points(spec["events"], day_s)
        matrix, fit, predict = _predict(method, region, cell_m, points, day_s)
        rows.append(matrix[: keep.shape[0], : keep.shape[1]][keep])
        fit_s, predict_s = fit_s + fit, predict_s + predict
    return {f"{method}_scores": np.array(rows), f"{method}_seconds": np.array([fit_s, predict_s])}


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
