"""File replay: GPX tracks and CSV exports through the same ingest path as live fixes.

CSV columns: ``device,time,lat,lon`` required, ``speed_kmh,course,altitude,accuracy``
optional (any further column becomes an attribute, e.g. ``alarm``). ``time`` is ISO
8601 or Unix seconds/milliseconds. A bad row stops the replay with an error that
names the row (1 = first data row... counted as the file's line number) and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from minewatch.tracking.choices import IngestSource
from minewatch.tracking.engine import Fix, ProtocolError, parse_timestamp
from minewatch.tracking.services.ingest import IngestResult, ingest_fixes

REQUIRED = ("device", "time", "lat", "lon")
NUMERIC = {"lat": None, "lon": None, "speed_kmh": "speed_kmh", "course": "course_deg",
           "altitude": "altitude_m", "accuracy": "accuracy_m"}  # fmt: skip


class ReplayError(ValueError):
    """A replay file cannot be read; names the line and column at fault."""

    def __init__(self, message: str, *, line: int | None = None, column: str = "") -> None:
        where = f"line {line}" if line is not None else ""
        where += f", column {column!r}" if column else ""
        super().__init__(f"{where}: {message}" if where else message)
        self.line, self.column = line, column


def _number(text: str, line: int, column: str) -> float | None:
    if text.strip() == "":
        if column in ("lat", "lon"):
            raise ReplayError("a value is required", line=line, column=column)
        return None
    try:
        return float(text)
    except ValueError:
        raise ReplayError(f"{text!r} is not a number", line=line, column=column) from None


def read_csv(text: str, *, device: str = "") -> list[Fix]:
    """Fixes from CSV text; ``device`` fills (or overrides) the device column."""
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    reader.fieldnames = columns
    missing = [c for c in REQUIRED if c not in columns and not (c == "device" and device)]
    if missing:
        raise ReplayError(f"missing column(s) {', '.join(missing)}", line=1, column=missing[0])
    fixes = []
    for row in reader:
        line = reader.line_num
        key = device or (row.get("device") or "").strip()
        if not key:
            raise ReplayError("a device identifier is required", line=line, column="device")
        try:
            fix_time = parse_timestamp(row["time"], field_name="time")
        except ProtocolError as error:
            raise ReplayError(error.message, line=line, column="time") from None
        values = {name: _number(row.get(name) or "", line, name) for name in NUMERIC}
        extra = {
            k: v for k, v in row.items() if k not in (*REQUIRED, *NUMERIC) and v not in ("", None)
        }
        try:
            fixes.append(Fix(key, fix_time, values["lat"], values["lon"],
                             **{NUMERIC[n]: values[n] for n in NUMERIC if NUMERIC[n]},
                             attributes=extra))  # fmt: skip
        except ValueError as error:
            raise ReplayError(str(error), line=line) from None
    return fixes


def read_gpx(text: str, *, device: str) -> list[Fix]:
    """Fixes from every track point (and route point) of a GPX file."""
    import gpxpy
    import gpxpy.gpx

    if not device:
        raise ReplayError("a GPX file has no device column: give --device")
    try:
        document = gpxpy.parse(text)
    except gpxpy.gpx.GPXException as error:
        raise ReplayError(f"not a readable GPX file: {error}") from None
    points = [p for track in document.tracks for segment in track.segments for p in segment.points]
    fixes = []
    for number, point in enumerate(points, start=1):
        if point.time is None:
            raise ReplayError(f"track point {number} has no <time>", column="time")
        when = point.time if point.time.tzinfo else point.time.replace(tzinfo=dt.UTC)
        speed = None if point.speed is None else point.speed * 3.6
        fixes.append(Fix(device, when.astimezone(dt.UTC), point.latitude, point.longitude,
                         speed_kmh=speed, altitude_m=point.elevation,
                         accuracy_m=point.horizontal_dilution))  # fmt: skip
    return fixes


def read_file(path: Path, *, device: str = "") -> list[Fix]:
    """Fixes from a ``.gpx`` or ``.csv`` file, in time order per file order."""
    text = path.read_text(encoding="utf-8-sig")
    suffix = path.suffix.lower()
    if suffix == ".gpx":
        return read_gpx(text, device=device)
    if suffix == ".csv":
        return read_csv(text, device=device)
    raise ReplayError(f"{path.name}: expected a .gpx or .csv file")


def batches(fixes: Sequence[Fix], size: int) -> Iterator[Sequence[Fix]]:
    for start in range(0, len(fixes), size):
        yield fixes[start : start + size]


def replay(
    fixes: Sequence[Fix], *, speed: float | None = None, batch_size: int = 500,
    progress: Callable[[int, IngestResult], None] | None = None,
) -> IngestResult:  # fmt: skip
    """Ingest ``fixes`` in batches; with ``speed`` N, pace them at N × their real time gaps."""
    if speed is not None and speed <= 0:
        raise ValueError(f"speed must be > 0 (times real time), got {speed}")
    total = IngestResult()
    size = 1 if speed else batch_size
    previous: dt.datetime | None = None
    for chunk in batches(fixes, size):
        if speed and previous is not None:
            time.sleep(max(0.0, (chunk[0].fix_time - previous).total_seconds() / speed))
        previous = chunk[-1].fix_time
        result = ingest_fixes(list(chunk), source=IngestSource.REPLAY, trusted=True)
        total.accepted += result.accepted
        total.rejected += result.rejected
        total.detections += result.detections
        if progress is not None:
            progress(len(chunk), result)
    return total
