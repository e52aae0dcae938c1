"""Guard tours: checkpoint scans against a patrol route, and lone-guard check-ins.

A patrol route is an ordered list of checkpoints, each expected at a fixed offset from
the tour's start, plus or minus a tolerance. Given the scans a guard made (QR/NFC codes
posted from a phone), each checkpoint is ``on_time``, ``early``, ``late``,
``out_of_order``, ``missed`` or still ``pending``. A lone guard who has not checked in
within the allowed interval is reported ("man down").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "Checkpoint",
    "CheckpointResult",
    "CheckpointScan",
    "CheckpointStatus",
    "OverdueGuard",
    "PatrolRoute",
    "TourReport",
    "evaluate_tour",
    "find_guards_without_check_in",
]


class CheckpointStatus:
    """Status names of a checkpoint in a tour."""

    ON_TIME = "on_time"
    EARLY = "early"
    LATE = "late"
    OUT_OF_ORDER = "out_of_order"
    MISSED = "missed"
    PENDING = "pending"


@dataclass(frozen=True)
class Checkpoint:
    """A point on the route: its posted code and when it is due after the tour starts."""

    code: str
    offset_s: float
    tolerance_s: float = 300.0

    def __post_init__(self) -> None:
        if self.offset_s < 0 or self.tolerance_s < 0:
            raise ValueError(
                f"checkpoint {self.code!r}: offset_s={self.offset_s} s and "
                f"tolerance_s={self.tolerance_s} s must not be negative"
            )


@dataclass(frozen=True)
class PatrolRoute:
    """Checkpoints in the order the guard must visit them."""

    route_id: str
    checkpoints: tuple[Checkpoint, ...]

    def __post_init__(self) -> None:
        codes = [c.code for c in self.checkpoints]
        if len(set(codes)) != len(codes):
            raise ValueError(f"route {self.route_id!r} repeats a checkpoint code: {codes}")
        offsets = [c.offset_s for c in self.checkpoints]
        if offsets != sorted(offsets):
            raise ValueError(f"route {self.route_id!r}: offset_s must not decrease: {offsets}")


@dataclass(frozen=True)
class CheckpointScan:
    """One scan of a posted checkpoint code."""

    checkpoint_code: str
    scanned_at_utc: datetime
    guard_id: str = ""


@dataclass(frozen=True)
class CheckpointResult:
    """The verdict on one checkpoint; ``delay_s`` is scan minus due time (negative: early)."""

    code: str
    status: str
    due_at_utc: datetime
    scanned_at_utc: datetime | None
    delay_s: float | None


@dataclass(frozen=True)
class TourReport:
    """Per-checkpoint results in route order, plus scans of codes not on the route."""

    results: tuple[CheckpointResult, ...]
    unknown_scans: tuple[CheckpointScan, ...]

    @property
    def has_problem(self) -> bool:
        """True if any checkpoint is missed, late or out of order."""
        bad = {CheckpointStatus.MISSED, CheckpointStatus.LATE, CheckpointStatus.OUT_OF_ORDER}
        return any(result.status in bad for result in self.results)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value}")


def _first_scans(
    route: PatrolRoute, tour_start_utc: datetime, scans: Iterable[CheckpointScan]
) -> tuple[dict[str, CheckpointScan], list[CheckpointScan]]:
    known = {c.code for c in route.checkpoints}
    first: dict[str, CheckpointScan] = {}
    unknown: list[CheckpointScan] = []
    for scan in sorted(scans, key=lambda s: s.scanned_at_utc):
        _require_aware(scan.scanned_at_utc, "scanned_at_utc")
        if scan.scanned_at_utc < tour_start_utc:
            continue  # a scan from before this tour belongs to an earlier one
        if scan.checkpoint_code not in known:
            unknown.append(scan)
        elif scan.checkpoint_code not in first:
            first[scan.checkpoint_code] = scan
    return first, unknown


def _timing_status(delay_s: float, tolerance_s: float) -> str:
    if delay_s < -tolerance_s:
        return CheckpointStatus.EARLY
    if delay_s > tolerance_s:
        return CheckpointStatus.LATE
    return CheckpointStatus.ON_TIME


def evaluate_tour(
    route: PatrolRoute,
    *,
    tour_start_utc: datetime,
    scans: Iterable[CheckpointScan],
    now_utc: datetime,
) -> TourReport:
    """Compare a tour's scans with its route.

    Parameters
    ----------
    route : PatrolRoute
    tour_start_utc : datetime
        When the tour started (scans before it are ignored).
    scans : iterable of CheckpointScan
        Scans in any order; only the first scan of each checkpoint counts.
    now_utc : datetime
        Checkpoints not scanned are ``missed`` once ``now_utc`` is past their window,
        else ``pending``.

    Returns
    -------
    TourReport
        A checkpoint scanned before an earlier checkpoint of the route was scanned is
        ``out_of_order`` (whatever its timing).

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> start = datetime(2024, 6, 1, 22, tzinfo=UTC)
    >>> route = PatrolRoute("r1", (Checkpoint("A", 0, 300), Checkpoint("B", 1800, 300)))
    >>> scans = [CheckpointScan("A", start + timedelta(minutes=2))]
    >>> report = evaluate_tour(route, tour_start_utc=start, scans=scans,
    ...                        now_utc=start + timedelta(hours=1))
    >>> [r.status for r in report.results]
    ['on_time', 'missed']
    """
    _require_aware(tour_start_utc, "tour_start_utc")
    _require_aware(now_utc, "now_utc")
    first, unknown = _first_scans(route, tour_start_utc, scans)
    results = []
    latest_scan: datetime | None = None
    for checkpoint in route.checkpoints:
        due = tour_start_utc + timedelta(seconds=checkpoint.offset_s)
        scan = first.get(checkpoint.code)
        if scan is None:
            closes = due + timedelta(seconds=checkpoint.tolerance_s)
            status = CheckpointStatus.MISSED if now_utc > closes else CheckpointStatus.PENDING
            results.append(CheckpointResult(checkpoint.code, status, due, None, None))
            continue
        delay_s = (scan.scanned_at_utc - due).total_seconds()
        status = _timing_status(delay_s, checkpoint.tolerance_s)
        if latest_scan is not None and scan.scanned_at_utc < latest_scan:
            status = CheckpointStatus.OUT_OF_ORDER
        latest_scan = max(latest_scan or scan.scanned_at_utc, scan.scanned_at_utc)
        results.append(CheckpointResult(checkpoint.code, status, due, scan.scanned_at_utc, delay_s))
    return TourReport(tuple(results), tuple(unknown))


@dataclass(frozen=True)
class OverdueGuard:
    """A lone guard with no check-in for longer than allowed."""

    guard_id: str
    last_check_in_utc: datetime | None
    silent_s: float


def find_guards_without_check_in(
    *,
    on_duty_since_utc: Mapping[str, datetime],
    last_check_in_utc: Mapping[str, datetime],
    max_interval_s: float,
    now_utc: datetime,
) -> list[OverdueGuard]:
    """Return lone guards on duty who have not checked in within ``max_interval_s``.

    Parameters
    ----------
    on_duty_since_utc : mapping of guard id to datetime
        Guards working alone and when their shift started; silence is counted from
        the later of the shift start and the last check-in.
    last_check_in_utc : mapping of guard id to datetime
        Last check-in (a scan, a button press, a position) per guard.
    max_interval_s : float
        Longest allowed silence in seconds.
    now_utc : datetime

    Returns
    -------
    list of OverdueGuard
        Sorted by the longest silence first.

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> now = datetime(2024, 6, 1, 3, tzinfo=UTC)
    >>> overdue = find_guards_without_check_in(
    ...     on_duty_since_utc={"g1": now - timedelta(hours=3)},
    ...     last_check_in_utc={"g1": now - timedelta(minutes=45)},
    ...     max_interval_s=1800, now_utc=now)
    >>> [(g.guard_id, g.silent_s) for g in overdue]
    [('g1', 2700.0)]
    """
    if max_interval_s <= 0:
        raise ValueError(f"max_interval_s={max_interval_s} s must be positive")
    _require_aware(now_utc, "now_utc")
    overdue = []
    for guard_id, since in on_duty_since_utc.items():
        _require_aware(since, f"on_duty_since_utc[{guard_id!r}]")
        last = last_check_in_utc.get(guard_id)
        reference = since if last is None or last < since else last
        _require_aware(reference, f"last_check_in_utc[{guard_id!r}]")
        silent_s = (now_utc - reference).total_seconds()
        if silent_s > max_interval_s:
            check_in = last if last is not None and last >= since else None
            overdue.append(OverdueGuard(guard_id, check_in, silent_s))
    return sorted(overdue, key=lambda guard: -guard.silent_s)
