"""Small builders of real evidence files and custody chains for the engine tests."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import wave
import zipfile
from datetime import UTC, datetime, timedelta

from PIL import Image

from minewatch.evidence.engine.custody import CustodyEntry, Recipient, append_entry

T0 = datetime(2024, 5, 1, 7, 30, tzinfo=UTC)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_image(fmt: str, size: tuple[int, int] = (16, 12)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def make_jpeg_with_exif(
    *,
    taken_local: str | None = "2024:05:01 02:30:00",
    offset: str | None = "-05:00",
    latitude_dms: tuple[float, float, float] | None = (15.0, 51.0, 0.0),
    latitude_ref: str = "S",
    longitude_dms: tuple[float, float, float] | None = (74.0, 15.0, 0.0),
    longitude_ref: str = "W",
) -> bytes:
    """A real JPEG with EXIF capture time (and offset) and GPS position."""
    exif = Image.Exif()
    exif[271], exif[272] = "ACME", "Cam 1"
    exif_ifd = exif.get_ifd(0x8769)
    if taken_local:
        exif_ifd[36867] = taken_local
    if offset:
        exif_ifd[36881] = offset
    gps = exif.get_ifd(0x8825)
    if latitude_dms and longitude_dms:
        gps.update({1: latitude_ref, 2: latitude_dms, 3: longitude_ref, 4: longitude_dms})
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 120, 10)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def make_wav(duration_s: float = 1.0, rate_hz: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate_hz)
        writer.writeframes(b"\x00\x01" * int(duration_s * rate_hz))
    return buffer.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_tar() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("nota.txt")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"hola"))
    return buffer.getvalue()


def make_gzip() -> bytes:
    return gzip.compress(b"hola", mtime=0)


def iso_box(brand: bytes) -> bytes:
    """An ISO base media file start: a real ``ftyp`` box with the major brand."""
    body = b"ftyp" + brand + b"\x00\x00\x02\x00" + brand + b"isom"
    return (8 + len(body) - 4).to_bytes(4, "big") + body + b"\x00\x00\x00\x08free"


def ebml_header(doctype: bytes) -> bytes:
    """A Matroska/WebM EBML header with the given DocType."""
    doc = b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(doc)]) + doc


def make_chain(
    length: int = 4, *, item_sha256: str = "a" * 64, step: timedelta = timedelta(minutes=5)
) -> list[CustodyEntry]:
    """A valid custody log: collected, uploaded, viewed..., handed over last if long enough."""
    actions = ["collected", "uploaded", "viewed", "handed_over", "returned", "verified"]
    entries: list[CustodyEntry] = []
    for number in range(length):
        action = actions[number % len(actions)]
        recipient = (
            Recipient("Comisaría PNP de Chala", "Oficio 123-2024-PNP")
            if action == "handed_over"
            else None
        )
        entries.append(
            append_entry(
                entries[-1] if entries else None,
                item_sha256=item_sha256,
                action=action,
                actor=f"usuario{number}",
                occurred_at=T0 + number * step,
                reason=f"paso {number}",
                recipient=recipient,
            )
        )
    return entries


def make_png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid 1-bit greyscale PNG of ``width``×``height`` black pixels, about 110 KB for 30000².

    Built row by row with zlib, so the test never holds the decoded image (112 MB) in memory.
    """
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
