"""Event sets for forecasting, and the backtest CSV loader.

The CSV has a header with the columns ``time``, ``lat``, ``lon`` and,
optionally, ``threat`` and ``type``. ``time`` is ISO 8601 with a UTC offset
(``2024-03-01T14:05:00Z`` or ``...-05:00``); a time without an offset is an
error unless ``naive_as_utc=True``. Errors name the data row (1 = first row
after the header) and the column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REQUIRED_COLUMNS = ("time", "lat", "lon")
OPTIONAL_COLUMNS = ("threat", "type")


class EventsCsvError(ValueError):
    """A bad backtest CSV; ``row`` (1-based data row) and ``column`` say where."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        where = ", ".join(
            part
            for part in (
                f"row {row}" if row is not None else "",
                f"column {column!r}" if column else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.row, self.column = row, column


@dataclass(frozen=True)
class EventSet:
    """Events as arrays: UTC epoch seconds, latitude, longitude, optional threat."""

    t_s: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    threat: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.t_s)
        if len(self.lat) != n or len(self.lon) != n:
            raise ValueError("EventSet needs one lat and one lon per time")
        if self.threat is not None and len(self.threat) != n:
            raise ValueError("EventSet needs one threat per time")

    def __len__(self) -> int:
        return len(self.t_s)

    def select(self, mask: np.ndarray) -> EventSet:
        """The events where ``mask`` is true."""
        threat = None if self.threat is None else self.threat[mask]
        return EventSet(self.t_s[mask], self.lat[mask], self.lon[mask], threat)


def events_from_records(
    times: list[datetime], lat: list[float], lon: list[float], threat: list[str] | None = None
) -> EventSet:
    """Build an :class:`EventSet` from aware datetimes; raises ValueError on a naive one."""
    for index, moment in enumerate(times):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"event {index}: time {moment.isoformat()} has no UTC offset")
    return EventSet(
        np.array([m.timestamp() for m in times], float),
        np.asarray(lat, float),
        np.asarray(lon, float),
        None if threat is None else np.asarray(threat, dtype=object),
    )


@dataclass(frozen=True)
class LoadedEvents:
    """Result of :func:`load_events_csv`: the events and what was skipped."""

    events: EventSet
    skipped_rows: int
    skipped_reasons: tuple[str, ...]


def _parse_time(text: str, row: int, naive_as_utc: bool) -> float:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise EventsCsvError(f"unparsable date {text!r} (want ISO 8601)", row, "time") from None
    if moment.tzinfo is None:
        if not naive_as_utc:
            raise EventsCsvError(f"time {text!r} has no UTC offset", row, "time")
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _parse_coordinate(text: str, row: int, column: str, limit_deg: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise EventsCsvError(f"not a number: {text!r}", row, column) from None
    if not -limit_deg <= value <= limit_deg:
        raise EventsCsvError(f"{value} degrees is out of range ±{limit_deg:g}", row, column)
    return value


def _parse_row(record: dict[str, str | None], row: int, naive_as_utc: bool) -> tuple:
    for column in REQUIRED_COLUMNS:
        if not (record.get(column) or "").strip():
            raise EventsCsvError("empty value", row, column)
    t_s = _parse_time(record["time"] or "", row, naive_as_utc)
    lat = _parse_coordinate(record["lat"] or "", row, "lat", 90.0)
    lon = _parse_coordinate(record["lon"] or "", row, "lon", 180.0)
    threat = (record.get("threat") or record.get("type") or "").strip() or None
    return t_s, lat, lon, threat


def load_events_csv(
    path: str | Path, skip_bad: bool = False, naive_as_utc: bool = False
) -> LoadedEvents:
    """Read a backtest CSV (columns time, lat, lon[, threat, type]).

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8, header row first).
    skip_bad : bool
        Skip rows that do not parse and count them, instead of raising.
    naive_as_utc : bool
        Read times without a UTC offset as UTC instead of rejecting them.

    Returns
    -------
    LoadedEvents
        Events sorted by time, the number of skipped rows and why.

    Raises
    ------
    EventsCsvError
        Missing columns (always), or the first bad row when ``skip_bad`` is False.

    Examples
    --------
    >>> loaded = load_events_csv("incidents.csv", skip_bad=True)  # doctest: +SKIP
    >>> loaded.skipped_rows  # doctest: +SKIP
    0
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise EventsCsvError(f"missing column(s) {', '.join(missing)}; header is {header}")
        reader.fieldnames = header
        parsed, reasons = [], []
        for row, record in enumerate(reader, start=1):
            try:
                parsed.append(_parse_row(record, row, naive_as_utc))
            except EventsCsvError as error:
                if not skip_bad:
                    raise
                reasons.append(str(error))
    parsed.sort(key=lambda item: item[0])
    threats = [item[3] for item in parsed]
    events = EventSet(
        np.array([item[0] for item in parsed], float),
        np.array([item[1] for item in parsed], float),
        np.array([item[2] for item in parsed], float),
        None if all(t is None for t in threats) else np.array(threats, dtype=object),
    )
    return LoadedEvents(events, len(reasons), tuple(reasons))
