"""Ideas for the forecast's unmet #19 targets, scored offline on stored daily maps.

One backtest pass per dataset stores, for every predicted day, the mixture's
component maps and fitted weights, SEPP's forecast and the day's events; the
ideas are then recombined from those maps, so each is scored on exactly the
same fits and days (hit rate at 5 %, expected hits with ties by area share):

* ``sepp component``: ½ mixture + ½ SEPP (each normalised to a probability map);
* ``online weighting``: mixture and SEPP weighted by the exponentiated sum of
  their past test days' log-scores (Bayesian model averaging, η 1 and 0.1);
* ``hit-rate selection``: each day, the map (mixture or one of its components)
  that captured most events at 5 % over the last K predicted days;
* ``hindsight weights``: fixed component weights searched on the test days
  themselves (not a forecast: an upper bound for re-weighting these maps).

``--oracle-squares`` also scores the SYNTHETIC oracles of ``forecast.py --oracle`` on
open_cp's squares. Run (needs the datasets of ``benchmarks/forecast.py``; results in
docs/forecasting.md)::

    PYTHONPATH=src .venv/bin/python benchmarks/forecast_ideas.py --datasets synthetic,fmd
    PYTHONPATH=src .venv/bin/python benchmarks/forecast_ideas.py --datasets "" --oracle-squares
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import forecast as bench
import numpy as np
from forecast import DATASETS, hex_study_area, study_geometry

from minewatch.risk.engine.forecast import History, make_method
from minewatch.risk.engine.grid import project_m
from minewatch.risk.engine.metrics import expected_hits_at_coverage, expected_hits_at_coverages

COVERAGE = 0.05


def daily_maps(name: str) -> dict:
    """Each predicted day's mixture maps and weights, SEPP forecast and events per cell."""
    events, start, days, resolution = DATASETS[name]()
    geometry, origin_lat, origin_lon = study_geometry(name, events, resolution)
    area = hex_study_area(geometry, origin_lat, origin_lon, events, resolution)
    cells = area.locate(events.lat, events.lon)
    inside = cells >= 0
    order = np.argsort(events.t_s[inside], kind="stable")
    cells = cells[inside][order]
    t_days = (events.t_s[inside][order] - start.timestamp()) / 86_400.0
    mixture, sepp = make_method("mixture", area), make_method("sepp", area)
    out = {"area_m2": area.area_m2, "hits": [], "maps": [], "weights": [], "sepp": []}
    for day in range(days):
        n_train = int(np.searchsorted(t_days, day, side="left"))
        n_until = int(np.searchsorted(t_days, day + 1, side="left"))
        if n_until == n_train or n_train == 0:
            continue
        history = History(cells[:n_train], t_days[:n_train])
        mixture.fit(history)
        sepp.fit(history)
        out["hits"].append(np.bincount(cells[n_train:n_until], minlength=area.n_cells))
        out["maps"].append(mixture.maps(day))
        out["weights"].append(mixture.weights.copy())
        out["sepp"].append(sepp.predict(day, 1.0))
    out["maps"] = np.stack(out["maps"])
    return out


def _normalised(values: np.ndarray) -> np.ndarray:
    values = np.maximum(values, 0.0) + 1e-12
    return values / values.sum()


def score_ideas(stored: dict, seed: int = 0, search_steps: int = 250) -> dict:
    """Hit rate at 5 % of each idea on the stored days."""
    area, hits, maps = stored["area_m2"], stored["hits"], stored["maps"]
    total = sum(int(h.sum()) for h in hits)

    def captured(forecasts) -> np.ndarray:
        return np.array(
            [
                expected_hits_at_coverage(f, area, h, COVERAGE)
                for f, h in zip(forecasts, hits, strict=True)
            ]
        )

    mixture = [_normalised(w @ m) for w, m in zip(stored["weights"], maps, strict=True)]
    sepp = [_normalised(s) for s in stored["sepp"]]
    out = {"mixture": captured(mixture).sum() / total, "sepp": captured(sepp).sum() / total}
    out["sepp component (1/2 + 1/2)"] = (
        captured([0.5 * m + 0.5 * s for m, s in zip(mixture, sepp, strict=True)]).sum() / total
    )
    log_scores = np.array(
        [[h @ np.log(m), h @ np.log(s)] for m, s, h in zip(mixture, sepp, hits, strict=True)]
    )
    before = np.vstack([np.zeros(2), np.cumsum(log_scores, axis=0)[:-1]])
    for eta in (1.0, 0.1):
        weight = np.exp(eta * (before - before.max(axis=1, keepdims=True)))
        weight /= weight.sum(axis=1, keepdims=True)
        blend = [a * m + b * s for (a, b), m, s in zip(weight, mixture, sepp, strict=True)]
        out[f"online weighting eta {eta:g}"] = captured(blend).sum() / total
    candidates = np.vstack(
        [captured(mixture)] + [captured(maps[:, k]) for k in range(maps.shape[1])]
    )
    for window in (15, 30, None):
        picked = 0.0
        for day in range(len(hits)):
            past = candidates[:, (0 if window is None else max(0, day - window)) : day].sum(axis=1)
            picked += candidates[int(np.argmax(past)) if day else 0, day]
        out[f"hit-rate selection, last {window or 'all'} days"] = picked / total
    rng = np.random.default_rng(seed)
    best_weights = np.mean(stored["weights"], axis=0)
    best = captured([best_weights @ m for m in maps]).sum()
    for _ in range(search_steps):
        trial = best_weights * np.exp(rng.normal(0, 0.7, len(best_weights)))
        trial = trial + 0.02 * rng.dirichlet(np.ones(len(best_weights)))
        trial /= trial.sum()
        score = captured([trial @ m for m in maps]).sum()
        if score > best:
            best, best_weights = score, trial
    out["hindsight fixed weights (not a forecast)"] = best / total
    return out


def synthetic_oracle_on_squares(seed: int = 7, samples: int = 300_000) -> dict:
    """``forecast.synthetic_oracle``'s maps scored on open_cp's squares instead of hexagons.

    Same generator draws, samples, days and scoring as the benchmark's oracle;
    only the cells differ (open_cp's squares of the hexagons' mean area), so the
    gap from open_cp's best to the truth can be read on open_cp's own grid.
    """
    world = bench._synthetic_world(seed)
    events, start, days, resolution = bench.load_synthetic(seed)
    geometry, origin_lat, origin_lon = study_geometry("synthetic", events, resolution)
    area = hex_study_area(geometry, origin_lat, origin_lon, events, resolution)
    cell_m = float(np.sqrt(area.area_m2.mean()))
    x_m, y_m = project_m(events.lat, events.lon, origin_lat, origin_lon)
    mask, region, _ = bench.square_grid(geometry, geometry, x_m, y_m, cell_m)
    outputs = [{"mask": mask, "region": region}]
    event_square, n_squares = bench._square_index(outputs, x_m, y_m, cell_m)

    def locate(xy: np.ndarray) -> np.ndarray:
        x, y = project_m(*bench._synthetic_latlon(xy), origin_lat, origin_lon)
        return bench._square_index(outputs, x, y, cell_m)[0]

    rng = np.random.default_rng(seed + 1)
    sample_xy, _ = bench._synthetic_spatial(rng, samples, world["hot_xy_m"], world["hot_weight"])
    where = locate(sample_xy)
    static = np.bincount(where[where >= 0], minlength=n_squares) / samples
    offsets = rng.normal(0, bench.SYNTHETIC_CHILD_SIGMA_M, size=(200, 2))
    n_all, n_children = len(world["t_days"]), len(world["parent_t_days"])
    n_immigrants = n_all - n_children
    inside = world["t_days"] < world["days"]
    order = np.argsort(world["t_days"][inside])
    share = bench.SYNTHETIC_CHILD_SHARE
    parents = {
        "static + children": (world["parent_xy"], world["parent_t_days"], np.ones(n_children)),
        "... immigrants known": (
            world["xy"][:n_immigrants],
            world["t_days"][:n_immigrants],
            np.full(n_immigrants, share),
        ),
        "... past events only": (
            world["xy"][inside][order],
            world["t_days"][inside][order],
            np.full(int(inside.sum()), share * n_immigrants / n_all),
        ),
    }
    t_rel = (events.t_s - start.timestamp()) / 86_400.0
    offset_days = (start.timestamp() - datetime(2023, 1, 1, tzinfo=UTC).timestamp()) / 86_400.0
    ones = np.ones(n_squares)
    rows = {name: np.zeros(len(bench.COVERAGES)) for name in ("static", *parents)}
    total = 0
    for day in range(days):
        test = (t_rel >= day) & (t_rel < day + 1)
        if test.sum() == 0 or not np.any(t_rel < day):
            continue
        squares = event_square[test]
        hits = np.bincount(squares[squares >= 0], minlength=n_squares)
        rows["static"] += expected_hits_at_coverages(static, ones, hits, bench.COVERAGES)
        for name, (xy, t_days, expected) in parents.items():
            born = t_days < offset_days + day
            age = offset_days + day - t_days[born]
            mean = bench.SYNTHETIC_CHILD_MEAN_DAYS
            chance = np.exp(-age / mean) - np.exp(-(age + 1) / mean)
            keep = chance > 1e-4
            points = (xy[born][keep][:, None, :] + offsets[None]).reshape(-1, 2)
            at = locate(points)
            weight = np.repeat(chance[keep] * expected[born][keep], len(offsets)) / len(offsets)
            children = np.bincount(at[at >= 0], weights=weight[at >= 0], minlength=n_squares)
            score = static * bench.SYNTHETIC_PER_DAY + children
            rows[name] += expected_hits_at_coverages(score, ones, hits, bench.COVERAGES)
        total += int(test.sum())
    return {name: (captured / total).round(4).tolist() for name, captured in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="burkitt,fmd,chicago,synthetic")
    parser.add_argument(
        "--oracle-squares", action="store_true", help="SYNTHETIC's oracles on open_cp's squares"
    )
    args = parser.parse_args()
    if args.oracle_squares:
        for name, rates in synthetic_oracle_on_squares().items():
            print(f"squares: oracle {name:<22} hit@5/10/20 % {rates}")
    for name in (n for n in args.datasets.split(",") if n):
        for idea, rate in score_ideas(daily_maps(name)).items():
            print(f"{name:<10} {idea:<45} hit@5% {rate:.4f}")


if __name__ == "__main__":
    main()
