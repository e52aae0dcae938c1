"""Guard tours and lone-guard check-ins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minewatch.alarms.engine.tours import (
    Checkpoint,
    CheckpointScan,
    PatrolRoute,
    evaluate_tour,
    find_guards_without_check_in,
)

START = datetime(2024, 6, 1, 22, 0, tzinfo=UTC)
ROUTE = PatrolRoute(
    "ronda_nocturna",
    (
        Checkpoint("PORTON", 0, 300),
        Checkpoint("POLVORIN", 1200, 300),
        Checkpoint("PLANTA", 2400, 300),
    ),
)


def scans_at(**minutes_by_code: float) -> list[CheckpointScan]:
    return [
        CheckpointScan(code, START + timedelta(minutes=minutes), "g1")
        for code, minutes in minutes_by_code.items()
    ]


def statuses(scans: list[CheckpointScan], now_minutes: float = 120) -> list[str]:
    now = START + timedelta(minutes=now_minutes)
    report = evaluate_tour(ROUTE, tour_start_utc=START, scans=scans, now_utc=now)
    return [result.status for result in report.results]


@pytest.mark.parametrize(
    ("scans", "now_minutes", "expected"),
    [
        (scans_at(PORTON=1, POLVORIN=20, PLANTA=41), 120, ["on_time", "on_time", "on_time"]),
        (scans_at(PORTON=1, POLVORIN=30, PLANTA=41), 120, ["on_time", "late", "on_time"]),
        (scans_at(PORTON=1, POLVORIN=10, PLANTA=41), 120, ["on_time", "early", "on_time"]),
        (scans_at(PORTON=1, PLANTA=41), 120, ["on_time", "missed", "on_time"]),
        (scans_at(PORTON=1), 22, ["on_time", "pending", "pending"]),
        (scans_at(PORTON=1), 26, ["on_time", "missed", "pending"]),
        (scans_at(PORTON=1, PLANTA=19, POLVORIN=21), 120, ["on_time", "on_time", "out_of_order"]),
        ([], 120, ["missed", "missed", "missed"]),
    ],
)
def test_checkpoint_statuses(scans: list, now_minutes: float, expected: list[str]) -> None:
    assert statuses(scans, now_minutes) == expected


def test_first_scan_counts_and_unknown_codes_are_reported() -> None:
    scans = scans_at(PORTON=1, POLVORIN=20) + [
        CheckpointScan("POLVORIN", START + timedelta(minutes=45)),
        CheckpointScan("COCINA", START + timedelta(minutes=5)),
        CheckpointScan("PLANTA", START - timedelta(minutes=5)),
    ]
    report = evaluate_tour(
        ROUTE, tour_start_utc=START, scans=scans, now_utc=START + timedelta(hours=2)
    )
    assert report.results[1].delay_s == 0
    assert report.results[2].status == "missed"  # the scan before the tour does not count
    assert [s.checkpoint_code for s in report.unknown_scans] == ["COCINA"]
    assert report.has_problem


@pytest.mark.parametrize(
    "checkpoints",
    [
        (Checkpoint("A", 0), Checkpoint("A", 60)),
        (Checkpoint("A", 600), Checkpoint("B", 60)),
    ],
)
def test_invalid_route_is_refused(checkpoints: tuple) -> None:
    with pytest.raises(ValueError, match="route"):
        PatrolRoute("r", checkpoints)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="tour_start_utc"):
        evaluate_tour(ROUTE, tour_start_utc=datetime(2024, 1, 1), scans=[], now_utc=START)


NOW = datetime(2024, 6, 2, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since_min", "last_min", "expected"),
    [
        (180, 10, []),
        (180, 45, [("g1", 2700.0)]),
        (20, None, []),
        (40, None, [("g1", 2400.0)]),
        (20, 600, []),  # a check-in from the previous shift does not count; shift is young
    ],
)
def test_lone_guard_without_check_in(since_min: float, last_min: float | None, expected) -> None:
    last = {} if last_min is None else {"g1": NOW - timedelta(minutes=last_min)}
    overdue = find_guards_without_check_in(
        on_duty_since_utc={"g1": NOW - timedelta(minutes=since_min)},
        last_check_in_utc=last,
        max_interval_s=1800,
        now_utc=NOW,
    )
    assert [(g.guard_id, g.silent_s) for g in overdue] == expected
