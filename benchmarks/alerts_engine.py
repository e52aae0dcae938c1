"""Benchmark of the pure alert-rules engine (no database).

Scenario from issue 4: a 10-minute burst of 10,000 duplicate detections (the same
perimeter breach on the same panel and zone) must fold into one alert. Also measures
raw evaluations per second with a mixed set of rules and subjects.

Run: .venv/bin/python benchmarks/alerts_engine.py
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from minewatch.alerts.engine.rules import AlertRule, AlertRuleEngine, Detection

START = datetime(2024, 6, 1, 7, 0, tzinfo=UTC)


def duplicate_burst(count: int = 10_000, span_s: float = 600.0) -> list[Detection]:
    step_s = span_s / count
    return [
        Detection(
            kind="perimeter_breach",
            severity="high",
            occurred_at_utc=START + timedelta(seconds=i * step_s),
            source="sia",
            site_id="mina-1",
            zone_id="cerco-norte",
            subject_id="panel-1234",
        )
        for i in range(count)
    ]


def mixed_stream(count: int = 100_000, subjects: int = 500) -> list[Detection]:
    kinds = ("perimeter_breach", "panic", "signal_loss", "route_deviation")
    return [
        Detection(
            kind=kinds[i % len(kinds)],
            severity=("medium", "high", "critical")[i % 3],
            occurred_at_utc=START + timedelta(seconds=i * 0.05),
            source="bench",
            site_id=f"site-{i % 20}",
            zone_id=f"zone-{i % 7}",
            subject_id=f"device-{i % subjects}",
        )
        for i in range(count)
    ]


RULES = [
    AlertRule("perimetro", kinds=frozenset({"perimeter_breach"}), dedup_window_s=600),
    AlertRule("panico", kinds=frozenset({"panic"}), min_severity="high", dedup_window_s=120),
    AlertRule("senal", kinds=frozenset({"signal_loss"}), throttle_max_alerts=50),
    AlertRule("todo-critico", min_severity="critical", dedup_window_s=300),
]


def run(detections: list[Detection]) -> tuple[Counter, float, AlertRuleEngine]:
    engine = AlertRuleEngine(RULES)
    actions: Counter = Counter()
    started = time.perf_counter()
    for detection in detections:
        for outcome in engine.evaluate(detection):
            actions[outcome.action] += 1
    return actions, time.perf_counter() - started, engine


def main() -> None:
    burst = duplicate_burst()
    actions, elapsed_s, engine = run(burst)
    open_alert = next(iter(engine.state["open"].values()))
    print("burst: 10,000 duplicate detections over 10 minutes, 4 rules")
    print(f"  alerts produced: {actions['new']}  folded: {actions['folded']}")
    print(f"  counter on the alert: {open_alert['count']}")
    print(f"  evaluations/s: {len(burst) / elapsed_s:,.0f}")
    mixed = mixed_stream()
    actions, elapsed_s, engine = run(mixed)
    state_bytes = len(json.dumps(engine.state))
    print("mixed: 100,000 detections, 500 subjects, 20 sites, 4 rules")
    print(f"  outcomes: {dict(actions)}")
    print(f"  evaluations/s: {len(mixed) / elapsed_s:,.0f}  state JSON: {state_bytes:,} bytes")


if __name__ == "__main__":
    main()
