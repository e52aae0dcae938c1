"""Content sniffing from real magic bytes, and the allow-list by evidence kind."""

import io
import json

import pytest

from minewatch.evidence.engine.sniff import (
    ContentRefusedError,
    check_kind_allowed,
    sniff_bytes,
    sniff_file,
)
from minewatch.evidence.tests.builders import (
    ebml_header,
    iso_box,
    make_gzip,
    make_image,
    make_jpeg_with_exif,
    make_tar,
    make_wav,
    make_zip,
)

OOXML_TYPES = b'<?xml version="1.0"?><Types/>'
EMAIL = (
    b"Return-Path: <x@example.pe>\r\nFrom: Desconocido <x@example.pe>\r\n"
    b"To: gerencia@minera.example\r\nSubject: Pago\r\nDate: Wed, 1 May 2024 02:00:00 -0500\r\n"
    b"\r\nPaguen o atenganse a las consecuencias.\r\n"
)

ACCEPTED_CASES = [
    ("jpeg", make_jpeg_with_exif()),
    ("png", make_image("PNG")),
    ("gif", make_image("GIF")),
    ("webp", make_image("WEBP")),
    ("tiff", make_image("TIFF")),
    ("heic", iso_box(b"heic")),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    ("mp4", iso_box(b"isom")),
    ("mp4", iso_box(b"mp42")),
    ("mov", iso_box(b"qt  ")),
    ("mov", b"\x00\x00\x00\x08wide\x00\x00\x00\x10mdat"),
    ("3gp", iso_box(b"3gp4")),
    ("m4a", iso_box(b"M4A ")),
    ("webm", ebml_header(b"webm")),
    ("mkv", ebml_header(b"matroska")),
    ("avi", b"RIFF\x24\x00\x00\x00AVI LIST\x00\x00\x00\x00"),
    ("wav", make_wav(0.1)),
    ("mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(20)),
    ("mp3", b"\xff\xfb\x90\x64" + bytes(40)),
    ("aac", b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(20)),
    ("ogg", b"OggS\x00\x02" + bytes(30)),
    ("amr", b"#!AMR\n" + bytes(20)),
    ("flac", b"fLaC\x00\x00\x00\x22" + bytes(34)),
    ("text", "Si no pagan el cupo, atacamos el convoy. Ñuñoa, año 2024.".encode()),
    ("json", json.dumps({"event": "alarm", "zone": 3}).encode()),
    ("json", b'[{"chat": "mensaje"}]'),
    ("eml", EMAIL),
    ("docx", make_zip({"[Content_Types].xml": OOXML_TYPES, "word/document.xml": b"<w/>"})),
    ("xlsx", make_zip({"[Content_Types].xml": OOXML_TYPES, "xl/workbook.xml": b"<x/>"})),
]


# ids by label: the bytes of some samples (ZIP, gzip) embed the current time,
# and pytest-xdist needs the same test ids in every worker.
@pytest.mark.parametrize(("label", "data"), ACCEPTED_CASES, ids=[c[0] for c in ACCEPTED_CASES])
def test_sniff_file_recognises_real_magic_bytes(label, data):
    assert sniff_file(io.BytesIO(data)).label == label


REFUSED_CASES = [
    ("zip", make_zip({"foto.jpg": make_image("JPEG")}), "ZIP archives are not accepted"),
    ("tar", make_tar(), "tar archive"),
    ("gzip", make_gzip(), "gzip archive"),
    ("rar", b"Rar!\x1a\x07\x01\x00" + bytes(20), "RAR archive"),
    ("7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(20), "7-Zip archive"),
    ("exe", b"MZ\x90\x00" + bytes(60), "executable"),
    ("elf", b"\x7fELF\x02\x01\x01" + bytes(20), "executable"),
    ("html", b"<!DOCTYPE html><script>alert(1)</script>", "markup"),
    ("empty", b"", "empty"),
    ("binary", bytes(range(256)) * 4, "could not be recognised"),
]


@pytest.mark.parametrize(
    ("case", "data", "message"), REFUSED_CASES, ids=[c[0] for c in REFUSED_CASES]
)
def test_archives_executables_and_unknown_bytes_refused_with_clear_message(case, data, message):
    with pytest.raises(ContentRefusedError, match=message):
        sniff_file(io.BytesIO(data))


def test_sniff_file_leaves_stream_position_unchanged():
    stream = io.BytesIO(make_zip({"[Content_Types].xml": OOXML_TYPES, "xl/workbook.xml": b""}))
    sniff_file(stream)
    assert stream.tell() == 0


def test_truncated_json_sample_is_still_json_but_complete_invalid_json_is_text():
    assert sniff_bytes(b'{"a": [1, 2,', is_complete=False).label == "json"
    assert sniff_bytes(b'{"a": [1, 2,', is_complete=True).label == "text"


def test_multibyte_character_cut_by_sample_end_is_still_text():
    assert sniff_bytes("señal ñ".encode()[:-1], is_complete=False).label == "text"


KIND_CASES = [
    ("photo", make_jpeg_with_exif(), True),
    ("photo", b"%PDF-1.7", False),
    ("video", iso_box(b"isom"), True),
    ("video", make_wav(0.1), False),
    ("audio", b"OggS\x00\x02" + bytes(30), True),
    ("audio", iso_box(b"isom"), False),
    ("document", b"%PDF-1.7", True),
    ("document", make_wav(0.1), False),
    ("message", make_image("PNG"), True),
    ("message", EMAIL, True),
    ("message", ebml_header(b"webm"), False),
    ("sensor_snapshot", json.dumps({"camera": "cam-3"}).encode(), True),
    ("sensor_snapshot", b"#!AMR\n" + bytes(10), False),
]


@pytest.mark.parametrize(("kind", "data", "is_allowed"), KIND_CASES)
def test_declared_kind_must_match_sniffed_type(kind, data, is_allowed):
    sniffed = sniff_file(io.BytesIO(data))
    if is_allowed:
        assert check_kind_allowed(kind, sniffed) == sniffed
    else:
        with pytest.raises(ContentRefusedError, match=f"declared {kind}, but the content is"):
            check_kind_allowed(kind, sniffed)


def test_unknown_kind_refused_naming_choices():
    with pytest.raises(ValueError, match="unknown evidence kind 'selfie'.*photo"):
        check_kind_allowed("selfie", sniff_bytes(b"%PDF-1.7"))


def test_allow_list_is_an_argument():
    sniffed = sniff_bytes(b"%PDF-1.7")
    with pytest.raises(ContentRefusedError):
        check_kind_allowed("document", sniffed, allowed_types={})
