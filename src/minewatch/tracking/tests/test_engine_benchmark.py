"""The tracking benchmark runs end to end at a small size (no timing asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[4] / "benchmarks" / "tracking.py"


@pytest.mark.slow
def test_tracking_benchmark_runs_small_and_prints_detector_table(capsys):
    spec = importlib.util.spec_from_file_location("tracking_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--fixes", "100000", "--no-peer"])
    out = capsys.readouterr().out
    assert "fixes/s" in out
    for kind in ("unscheduled_stop", "route_deviation", "signal_loss", "convoy_split"):
        assert kind in out
