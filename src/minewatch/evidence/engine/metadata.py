"""Metadata read from evidence files, and its comparison with what the person declared.

Photos: EXIF capture time and GPS position (JPEG, TIFF, and anything else
Pillow reads EXIF from). Audio and video: duration, where ``mutagen`` can
read it (MP3, MP4/M4A/MOV, Ogg, FLAC, WAV, ...). The file's metadata is kept
beside the declaration; disagreements are reported, never silently resolved.

Example
-------
>>> from datetime import UTC, datetime, timedelta
>>> observed = FileMetadata(captured_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
>>> declared = DeclaredFacts(occurred_at=datetime(2024, 5, 1, 15, 0, tzinfo=UTC))
>>> [d.field for d in compare_with_declared(observed, declared, max_time_difference_s=3600)]
['captured_at']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, BinaryIO

from minewatch.geo.engine.geometry import haversine_m

# Peru keeps UTC-5 all year (no daylight saving time).
PERU_UTC_OFFSET = timedelta(hours=-5)

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881
_DATETIME = 306
_MAKE, _MODEL = 271, 272


@dataclass(frozen=True)
class FileMetadata:
    """What the file says about itself; ``None`` where it says nothing.

    ``time_zone_assumed`` is True when the camera wrote a local time without
    an offset and ``default_utc_offset`` was applied.
    """

    captured_at: datetime | None = None
    time_zone_assumed: bool = False
    latitude: float | None = None
    longitude: float | None = None
    altitude_m: float | None = None
    duration_s: float | None = None
    camera: str | None = None
    read_error: str | None = None


class ImageTooLargeError(ValueError):
    """An image with more pixels than accepted: decoding it could exhaust memory.

    A 109 KB PNG can declare 30000×30000 pixels (a "decompression bomb"). Only the
    header is read to find out; ``width``/``height`` are ``None`` when Pillow
    itself refused the header as a bomb before saying its size.
    """

    def __init__(self, width: int | None, height: int | None, max_pixels: int) -> None:
        self.width, self.height, self.max_pixels = width, height, max_pixels
        size = f"{width}x{height} pixels" if width is not None else "too many pixels"
        super().__init__(f"image of {size}; at most {max_pixels} pixels are accepted")


@dataclass(frozen=True)
class DeclaredFacts:
    """What the person who submitted the item declared (UTC time, WGS84 position)."""

    occurred_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Discrepancy:
    """One disagreement between the file and the declaration."""

    field: str
    declared: Any
    observed: Any
    difference: float
    unit: str
    message: str


def _rational(value: Any) -> float:
    return float(value[0]) / float(value[1]) if isinstance(value, tuple) else float(value)


def _gps_degrees(dms: Any, ref: Any) -> float | None:
    if not dms or ref is None:
        return None
    degrees, minutes, seconds = (_rational(part) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(ref).strip().upper() in ("S", "W") else value


def _parse_exif_time(
    text: Any, offset_text: Any, default_utc_offset: timedelta
) -> tuple[datetime | None, bool]:
    if not text:
        return None, False
    try:
        local = datetime.strptime(str(text).strip("\x00 "), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None, False
    if offset_text:
        try:
            offset = datetime.strptime(str(offset_text).strip("\x00 "), "%z").utcoffset()
        except ValueError:
            offset = None
        if offset is not None:
            return local.replace(tzinfo=timezone(offset)).astimezone(UTC), False
    return local.replace(tzinfo=timezone(default_utc_offset)).astimezone(UTC), True


def read_photo_metadata(
    fileobj: BinaryIO,
    *,
    default_utc_offset: timedelta = PERU_UTC_OFFSET,
    max_pixels: int | None = None,
) -> FileMetadata:
    """Read EXIF capture time, GPS position and camera from an image.

    Parameters
    ----------
    fileobj : binary file
        The image (JPEG, TIFF, ...). Only headers are read, pixels are not decoded.
    default_utc_offset : timedelta
        Offset applied when EXIF has a local time but no ``OffsetTimeOriginal``
        (most phones in Peru: UTC-5). The result says the zone was assumed.
    max_pixels : int, optional
        Largest width × height accepted; a larger image raises ImageTooLargeError.
        Pillow refuses images past twice its own ``MAX_IMAGE_PIXELS`` (about 179
        million pixels) in any case; that refusal raises ImageTooLargeError too.

    Returns
    -------
    FileMetadata
        Empty fields, and ``read_error`` set, if the file has no readable EXIF.

    Raises
    ------
    ImageTooLargeError
        If the header declares more than ``max_pixels`` pixels.

    Examples
    --------
    >>> import io
    >>> read_photo_metadata(io.BytesIO(b"not an image")).read_error is not None
    True
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(fileobj) as image:
            width, height = image.size
            if max_pixels is not None and width * height > max_pixels:
                raise ImageTooLargeError(width, height, max_pixels)
            exif = image.getexif()
            exif_ifd = exif.get_ifd(_EXIF_IFD)
            gps = exif.get_ifd(_GPS_IFD)
    except Image.DecompressionBombError:
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        raise ImageTooLargeError(None, None, min(max_pixels or limit, limit)) from None
    except ImageTooLargeError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        return FileMetadata(read_error=f"unreadable image metadata: {error}")
    captured_at, assumed = _parse_exif_time(
        exif_ifd.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME),
        exif_ifd.get(_OFFSET_TIME_ORIGINAL),
        default_utc_offset,
    )
    camera = " ".join(str(exif[tag]).strip("\x00 ") for tag in (_MAKE, _MODEL) if exif.get(tag))
    try:
        latitude = _gps_degrees(gps.get(2), gps.get(1))
        longitude = _gps_degrees(gps.get(4), gps.get(3))
        altitude_m = (
            _rational(gps[6]) * (-1 if gps.get(5) in (1, b"\x01") else 1) if 6 in gps else None
        )
    except (TypeError, ValueError, ZeroDivisionError):
        latitude = longitude = altitude_m = None
    return FileMetadata(
        captured_at=captured_at,
        time_zone_assumed=assumed,
        latitude=latitude,
        longitude=longitude,
        altitude_m=altitude_m,
        camera=camera or None,
    )


def read_media_duration_s(fileobj: BinaryIO) -> float | None:
    """Return the duration in seconds of an audio or video file, or None if unreadable.

    Examples
    --------
    >>> import io
    >>> read_media_duration_s(io.BytesIO(b"no media here")) is None
    True
    """
    import mutagen

    try:
        media = mutagen.File(fileobj)
    except (mutagen.MutagenError, ValueError, OSError, EOFError):
        return None
    length = getattr(getattr(media, "info", None), "length", None)
    return float(length) if length else None


_PHOTO_LABELS = frozenset({"jpeg", "tiff", "png", "webp", "heic"})
_MEDIA_LABELS = frozenset({"mp3", "wav", "ogg", "m4a", "aac", "flac", "mp4", "mov", "3gp"})


def read_file_metadata(
    fileobj: BinaryIO,
    sniffed_label: str,
    *,
    default_utc_offset: timedelta = PERU_UTC_OFFSET,
    max_pixels: int | None = None,
) -> FileMetadata:
    """Read what metadata there is, choosing the reader by the sniffed type label.

    ``max_pixels`` limits photos (see :func:`read_photo_metadata`).

    Examples
    --------
    >>> import io
    >>> read_file_metadata(io.BytesIO(b"hola"), "text") == FileMetadata()
    True
    """
    start = fileobj.tell()
    try:
        if sniffed_label in _PHOTO_LABELS:
            return read_photo_metadata(
                fileobj, default_utc_offset=default_utc_offset, max_pixels=max_pixels
            )
        if sniffed_label in _MEDIA_LABELS:
            return FileMetadata(duration_s=read_media_duration_s(fileobj))
        return FileMetadata()
    finally:
        fileobj.seek(start)


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware UTC datetime, got naive {value}")


def compare_with_declared(
    observed: FileMetadata,
    declared: DeclaredFacts,
    *,
    max_time_difference_s: float = 3600.0,
    max_distance_m: float = 1000.0,
) -> list[Discrepancy]:
    """List the disagreements between the file's metadata and the declaration.

    A field missing on either side is not a discrepancy (most messaging apps
    strip EXIF); only values that both exist and differ beyond tolerance are.

    Parameters
    ----------
    observed, declared : FileMetadata, DeclaredFacts
    max_time_difference_s : float
        Tolerance between capture time and declared time, seconds.
    max_distance_m : float
        Tolerance between the EXIF position and the declared one, metres.

    Examples
    --------
    >>> compare_with_declared(FileMetadata(latitude=-14.0, longitude=-72.0),
    ...     DeclaredFacts(latitude=-14.0, longitude=-72.0))
    []
    """
    if max_time_difference_s < 0:
        raise ValueError(f"max_time_difference_s must be >= 0 s, got {max_time_difference_s}")
    if max_distance_m < 0:
        raise ValueError(f"max_distance_m must be >= 0 m, got {max_distance_m}")
    _require_aware(observed.captured_at, "observed.captured_at")
    _require_aware(declared.occurred_at, "declared.occurred_at")
    found: list[Discrepancy] = []
    if observed.captured_at is not None and declared.occurred_at is not None:
        delta_s = abs((observed.captured_at - declared.occurred_at).total_seconds())
        if delta_s > max_time_difference_s:
            note = " (camera time zone assumed)" if observed.time_zone_assumed else ""
            found.append(
                Discrepancy(
                    "captured_at",
                    declared.occurred_at,
                    observed.captured_at,
                    delta_s,
                    "s",
                    f"the file was captured {delta_s / 60:.0f} min away from the declared time, "
                    f"tolerance {max_time_difference_s / 60:.0f} min{note}",
                )
            )
    both_positions = None not in (observed.latitude, observed.longitude)
    if both_positions and None not in (declared.latitude, declared.longitude):
        distance_m = haversine_m(
            declared.latitude,
            declared.longitude,
            observed.latitude,
            observed.longitude,  # type: ignore[arg-type]
        )
        if distance_m > max_distance_m:
            found.append(
                Discrepancy(
                    "position",
                    (declared.latitude, declared.longitude),
                    (observed.latitude, observed.longitude),
                    distance_m,
                    "m",
                    f"the file's GPS position is {distance_m:.0f} m from the declared place, "
                    f"tolerance {max_distance_m:.0f} m",
                )
            )
    return found
