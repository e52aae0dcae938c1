"""EXIF time and GPS, media duration, and discrepancies with what the person declared."""

import io
from datetime import UTC, datetime, timedelta

import pytest

from minewatch.evidence.engine.metadata import (
    DeclaredFacts,
    FileMetadata,
    compare_with_declared,
    haversine_m,
    read_file_metadata,
    read_media_duration_s,
    read_photo_metadata,
)
from minewatch.evidence.tests.builders import make_image, make_jpeg_with_exif, make_wav

CAPTURED = datetime(2024, 5, 1, 7, 30, tzinfo=UTC)


def test_jpeg_exif_time_with_offset_converted_to_utc_and_gps_read():
    found = read_photo_metadata(io.BytesIO(make_jpeg_with_exif(offset="-05:00")))
    assert found.captured_at == CAPTURED
    assert not found.time_zone_assumed
    assert found.latitude == pytest.approx(-15.85)
    assert found.longitude == pytest.approx(-74.25)
    assert found.camera == "ACME Cam 1"


def test_jpeg_exif_time_without_offset_uses_given_zone_and_says_so():
    data = make_jpeg_with_exif(offset=None)
    found = read_photo_metadata(io.BytesIO(data), default_utc_offset=timedelta(hours=0))
    assert found.captured_at == datetime(2024, 5, 1, 2, 30, tzinfo=UTC)
    assert found.time_zone_assumed


def test_photo_without_exif_has_empty_metadata():
    found = read_photo_metadata(io.BytesIO(make_image("PNG")))
    assert (found.captured_at, found.latitude, found.read_error) == (None, None, None)


def test_tiff_exif_is_read():
    assert read_file_metadata(io.BytesIO(make_image("TIFF")), "tiff").read_error is None


def test_wav_duration_read_and_stream_rewound():
    stream = io.BytesIO(make_wav(duration_s=2.5))
    assert read_file_metadata(stream, "wav").duration_s == pytest.approx(2.5)
    assert stream.tell() == 0


def test_unreadable_media_has_no_duration():
    assert read_media_duration_s(io.BytesIO(b"OggS garbage")) is None


def test_haversine_one_degree_of_latitude_is_about_111_km():
    assert haversine_m(-15.0, -74.0, -16.0, -74.0) == pytest.approx(111_195, rel=1e-3)


POINT = (-15.85, -74.25)
COMPARE_CASES = [
    ("same time and place", CAPTURED, POINT, []),
    ("30 min off, tolerance 1 h", CAPTURED + timedelta(minutes=30), POINT, []),
    ("3 h off", CAPTURED + timedelta(hours=3), POINT, ["captured_at"]),
    ("5 km away", CAPTURED, (-15.85 + 0.045, -74.25), ["position"]),
    ("both off", CAPTURED - timedelta(days=1), (-12.0, -77.0), ["captured_at", "position"]),
    ("nothing declared", None, (None, None), []),
]


@pytest.mark.parametrize(("case", "declared_at", "declared_point", "fields"), COMPARE_CASES)
def test_compare_with_declared_reports_only_differences_beyond_tolerance(
    case, declared_at, declared_point, fields
):
    observed = FileMetadata(captured_at=CAPTURED, latitude=POINT[0], longitude=POINT[1])
    declared = DeclaredFacts(declared_at, *declared_point)
    found = compare_with_declared(
        observed, declared, max_time_difference_s=3600, max_distance_m=1000
    )
    assert [d.field for d in found] == fields


def test_discrepancy_message_names_amount_and_unit():
    observed = FileMetadata(latitude=-15.0, longitude=-74.0)
    (found,) = compare_with_declared(observed, DeclaredFacts(None, -16.0, -74.0))
    assert found.unit == "m"
    assert "111195 m from the declared place" in found.message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_time_difference_s": -1}, "max_time_difference_s must be >= 0 s"),
        ({"max_distance_m": -5}, "max_distance_m must be >= 0 m"),
    ],
)
def test_negative_tolerance_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare_with_declared(FileMetadata(), DeclaredFacts(), **kwargs)


def test_naive_declared_time_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        compare_with_declared(FileMetadata(), DeclaredFacts(datetime(2024, 5, 1)))
