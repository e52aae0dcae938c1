"""File replay: CSV/GPX reading with clear errors, and replay = live (same detections)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from minewatch.tracking.choices import IngestSource
from minewatch.tracking.engine import Fix
from minewatch.tracking.models import Detection, Position, TrackerState, Trip
from minewatch.tracking.replay import ReplayError, read_csv, read_file, read_gpx, replay
from minewatch.tracking.services.ingest import ingest_fixes
from minewatch.tracking.testing import TEST_SECRET, reset_engines


def along(world: Any, fraction: float, east_m: float = 0.0) -> tuple[float, float]:
    """(lat, lon) at ``fraction`` of route a, shifted ``east_m`` metres east."""
    (lon0, lat0), (lon1, lat1) = world.routes["a"].geometry["coordinates"][:2]
    lat, lon = lat0 + fraction * (lat1 - lat0), lon0 + fraction * (lon1 - lon0)
    return lat, lon + east_m / (111_320.0 * math.cos(math.radians(lat)))


def convoy_track(world: Any, start: dt.datetime) -> list[Fix]:
    """TRK-A drives route a with a 17-minute stop, a 2 km deviation, a 10-minute gap, a panic."""
    fixes, t, fraction, step = [], start, 0.0, 0.0013  # ~167 m per 10 s fix: 60 km/h

    def add(speed: float, east_m: float = 0.0, **attributes: Any) -> None:
        lat, lon = along(world, fraction, east_m)
        fixes.append(Fix("TRK-A", t, lat, lon, speed_kmh=speed, attributes=attributes))

    plan = [("drive", 60), ("stop", 100), ("drive", 30), ("deviate", 20), ("drive", 20),
            ("gap", 1), ("drive", 30)]  # fmt: skip
    for what, count in plan:
        for _ in range(count):
            if what == "gap":
                t += dt.timedelta(seconds=600)
                continue
            moving = what != "stop"
            fraction += step if moving else 0.0
            add(60.0 if moving else 0.0, 2000.0 if what == "deviate" else 0.0)
            t += dt.timedelta(seconds=10)
    add(55.0, alarm="sos")
    return fixes


def detections_summary() -> list[tuple]:
    return sorted(
        (d.kind, d.device.unique_id, d.trip.reference if d.trip else None, d.time.isoformat(),
         round(d.lat, 6), round(d.lon, 6), tuple(d.evidence_times))
        for d in Detection.objects.filter(device__unique_id="TRK-A").select_related("device", "trip")
    )  # fmt: skip


def reset_tracking_rows(world: Any) -> None:
    Detection.objects.all().delete()
    Position.objects.all().delete()
    TrackerState.objects.all().delete()
    reset_engines()


@pytest.fixture
def track(world: Any) -> list[Fix]:
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    Trip.objects.filter(reference="TRIP-A-1").update(departed_at=start - dt.timedelta(minutes=1))
    reset_tracking_rows(world)
    return convoy_track(world, start)


def test_replay_finds_the_same_detections_as_live_ingest(world, track) -> None:
    for fix in track:  # live: one HTTP-sized call per fix, as trackers send them
        ingest_fixes([fix], source=IngestSource.OSMAND, token=TEST_SECRET)
    live = detections_summary()
    kinds = {row[0] for row in live}
    assert {"unscheduled_stop", "route_deviation", "signal_loss", "signal_restored",
            "alarm"} <= kinds, kinds  # fmt: skip
    reset_tracking_rows(world)
    result = replay(track, batch_size=97)
    assert result.accepted == len(track) and not result.rejected
    assert detections_summary() == live


def test_csv_file_replays_like_live(world, track, tmp_path: Path) -> None:
    for fix in track:
        ingest_fixes([fix], source=IngestSource.OSMAND, token=TEST_SECRET)
    live = detections_summary()
    reset_tracking_rows(world)
    lines = ["device,time,lat,lon,speed_kmh,alarm"] + [
        f"TRK-A,{f.fix_time.isoformat()},{f.lat!r},{f.lon!r},{f.speed_kmh},"
        f"{f.attributes.get('alarm', '')}"
        for f in track
    ]
    path = tmp_path / "track.csv"
    path.write_text("\n".join(lines) + "\n")
    replay(read_file(path))
    assert detections_summary() == live
    assert Position.objects.filter(source="replay").count() == len(track)


CSV_ERRORS = [
    ("device,time,lat\nT,2025-01-01T00:00:00Z,1\n", 1, "lon"),
    ("device,time,lat,lon\nT,2025-01-01T00:00:00Z,-14.0,-72\nT,yesterday,-14,-72\n", 3, "time"),
    ("device,time,lat,lon\nT,2025-01-01T00:00:00Z,abc,-72\n", 2, "lat"),
    ("device,time,lat,lon,speed_kmh\nT,1700000000,-14,-72,fast\n", 2, "speed_kmh"),
    ("device,time,lat,lon\n,1700000000,-14,-72\n", 2, "device"),
]


@pytest.mark.parametrize("text,line,column", CSV_ERRORS)
def test_bad_csv_row_names_line_and_column(text: str, line: int, column: str) -> None:
    with pytest.raises(ReplayError) as raised:
        read_csv(text)
    assert (raised.value.line, raised.value.column) == (line, column)
    assert f"line {line}" in str(raised.value) and repr(column) in str(raised.value)


def test_gpx_track_points_become_fixes() -> None:
    gpx = """<?xml version="1.0"?><gpx version="1.1" creator="test"
      xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
      <trkpt lat="-14.07" lon="-72.31"><ele>3900</ele><time>2025-03-01T10:00:00Z</time></trkpt>
      <trkpt lat="-14.08" lon="-72.30"><ele>3910</ele><time>2025-03-01T10:00:10Z</time></trkpt>
      </trkseg></trk></gpx>"""
    fixes = read_gpx(gpx, device="TRK-A")
    assert [(f.lat, f.lon, f.altitude_m) for f in fixes] == [(-14.07, -72.31, 3900.0),
                                                          (-14.08, -72.30, 3910.0)]  # fmt: skip
    assert fixes[1].fix_time == dt.datetime(2025, 3, 1, 10, 0, 10, tzinfo=dt.UTC)
    with pytest.raises(ReplayError, match="--device"):
        read_gpx(gpx, device="")
