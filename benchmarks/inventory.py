"""Concentrate loss detection: per-trip z-test against the CUSUM, on synthetic trips.

40 trucks carry ~30 wet t of copper concentrate (8 % moisture) from a mine
weighbridge to a port weighbridge. Every weighing gets an error drawn from the
model of docs/inventory.md (uniform within the instrument's MPE, normal moisture
sampling error); one truck loses a fixed fraction of its load on every trip. For
each planted loss the table gives the detection delay (trips of that truck until
the first alarm; mean, median and 90th percentile over replications) of the
per-trip test (z > 3.09) and of the CUSUM (k, h from the tunables), how often
each finds the loss within 40 trips, and the false alarms the 39 clean trucks raise
meanwhile. Then the in-control average run length (trips per false alarm per
series) of both tests on clean data.

Run: ``.venv/bin/python benchmarks/inventory.py [--replications 400] [--seed 1]``
(under a minute on one core). Uses the engine's functions; the vectorised CUSUM
below is checked against ``engine.sequential.cusum_alarms`` before timing.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from minewatch.inventory.engine.balance import dry_sigma_t, dry_tonnes
from minewatch.inventory.engine.sequential import cusum_alarms, siegmund_arl

WET_T, MOISTURE_PCT, MPE_PCT, MOISTURE_SD_PP = 30.0, 8.0, 0.1, 0.3
TRIP_Z, CUSUM_K, CUSUM_H = 3.09, 0.3, 7.0  # settings.TUNABLES defaults
TRUCKS, HORIZON, TARGET_TRIPS = 40, 400, 40
LOSSES_PCT = (0.1, 0.2, 0.3, 0.5, 1.0)


def simulate_z(rng: np.random.Generator, shape: tuple[int, ...], loss_pct: float) -> np.ndarray:
    """Standardised trip differences for ``shape`` trips, the truck losing ``loss_pct`` %."""
    wet = rng.normal(WET_T, 1.0, shape)
    arrived_wet = wet * (1 - loss_pct / 100)

    def weigh(true_wet: np.ndarray) -> np.ndarray:
        read = true_wet * (1 + rng.uniform(-MPE_PCT, MPE_PCT, shape) / 100)
        moisture = MOISTURE_PCT + rng.normal(0, MOISTURE_SD_PP, shape)
        return dry_tonnes(read, np.clip(moisture, 0, 30))

    out, received = weigh(wet), weigh(arrived_wet)
    sigma = np.hypot(dry_sigma_t(wet, MOISTURE_PCT, MPE_PCT, MOISTURE_SD_PP),
                     dry_sigma_t(arrived_wet, MOISTURE_PCT, MPE_PCT, MOISTURE_SD_PP))  # fmt: skip
    return (out - received) / sigma


def first_cusum_alarm(z: np.ndarray) -> np.ndarray:
    """Trip number (1-based) of each row's first CUSUM alarm; 0 when none (vectorised over rows)."""
    statistic = np.zeros(z.shape[0])
    first = np.zeros(z.shape[0], dtype=int)
    for t in range(z.shape[1]):
        statistic = np.maximum(0.0, statistic + z[:, t] - CUSUM_K)
        newly = (statistic > CUSUM_H) & (first == 0)
        first[newly] = t + 1
    return first


def first_trip_alarm(z: np.ndarray) -> np.ndarray:
    hit = z > TRIP_Z
    return np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, 0)


def check_against_engine(rng: np.random.Generator) -> None:
    z = simulate_z(rng, (20, 300), 0.3)
    fast = first_cusum_alarm(z)
    for row, found in zip(z, fast, strict=True):
        alarms = cusum_alarms(row, k=CUSUM_K, h=CUSUM_H)
        assert (alarms[0].alarm_index + 1 if alarms else 0) == found


def delays(first: np.ndarray, horizon: int) -> tuple[float, float, float, float]:
    """mean, median, p90 (censored at ``horizon``) and share found within TARGET_TRIPS."""
    capped = np.where(first == 0, horizon, first)
    within = float(np.mean((first > 0) & (first <= TARGET_TRIPS)))
    return float(capped.mean()), float(np.median(capped)), float(np.percentile(capped, 90)), within


def arl(first_fn, rng: np.random.Generator, series: int, horizon: int) -> float:
    """In-control average run length: trips per false alarm (rows without one count as censored)."""
    z = simulate_z(rng, (series, horizon), 0.0)
    first = first_fn(z)
    alarms = int((first > 0).sum())
    exposure = float(np.where(first == 0, horizon, first).sum())
    return exposure / max(alarms, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    check_against_engine(rng)
    sigma_t = float(np.hypot(*[dry_sigma_t(WET_T, MOISTURE_PCT, MPE_PCT, MOISTURE_SD_PP)] * 2))
    print(f"model: {WET_T:g} wet t, {MOISTURE_PCT:g} % moisture, MPE {MPE_PCT:g} %, moisture "
          f"sd {MOISTURE_SD_PP:g} pp -> one trip's sigma {sigma_t:.3f} dry t "
          f"({100 * sigma_t / (WET_T * 0.92):.2f} % of load)")  # fmt: skip
    print(f"per-trip test z > {TRIP_Z}; CUSUM k={CUSUM_K}, h={CUSUM_H}; {TRUCKS} trucks, one losing; "
          f"{args.replications} replications, horizon {HORIZON} trips\n")  # fmt: skip
    header = (f"{'loss %':>6} | {'per-trip delay mean/med/p90':>28} {'<=40':>5} | "
              f"{'CUSUM delay mean/med/p90':>25} {'<=40':>5} | {'false alarms, 39 clean trucks':>29}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for loss in LOSSES_PCT:
        z = simulate_z(rng, (args.replications, HORIZON), loss)
        trip, cusum = first_trip_alarm(z), first_cusum_alarm(z)
        t_mean, t_med, t_p90, t_in = delays(trip, HORIZON)
        c_mean, c_med, c_p90, c_in = delays(cusum, HORIZON)
        # The clean trucks run as long as the lossy one took to be found (per replication).
        window = int(np.median(np.where(cusum == 0, HORIZON, cusum)))
        clean = simulate_z(rng, (TRUCKS - 1, window), 0.0)
        false_alarms = int((first_cusum_alarm(clean) > 0).sum())
        print(f"{loss:>6.1f} | {t_mean:>9.1f} {t_med:>8.0f} {t_p90:>9.0f} {100 * t_in:>4.0f}% | "
              f"{c_mean:>8.1f} {c_med:>7.0f} {c_p90:>8.0f} {100 * c_in:>4.0f}% | "
              f"{false_alarms:>6d} in {window} trips each")  # fmt: skip
    series, horizon = 2000, 3000
    cusum_arl = arl(first_cusum_alarm, rng, series, horizon)
    trip_arl = arl(first_trip_alarm, rng, series, horizon)
    print(f"\nin-control ARL (trips per false alarm per series, {series} clean series x {horizon}"
          f" trips): CUSUM {cusum_arl:.0f} (Siegmund approx. {siegmund_arl(CUSUM_K, CUSUM_H):.0f}),"
          f" per-trip test {trip_arl:.0f} (theory {1 / 0.001:.0f}); target >= 500")  # fmt: skip
    print(f"elapsed {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
