"""Content type of an evidence file, sniffed from its bytes, and the allow-list by kind.

The name and the browser's declared type are never trusted: an ``.jpg`` that
is really a ZIP is refused. Archives (zip, rar, 7z, tar, gzip, ...) are
refused outright, never unpacked: an evidence item must be one file whose
hash means one thing. Office files (DOCX/XLSX) are ZIP containers recognised
by their member names, read from the central directory without extracting.

Example
-------
>>> sniff_bytes(b"\\xff\\xd8\\xff\\xe0" + bytes(20)).label
'jpeg'
>>> check_kind_allowed("photo", sniff_bytes(b"\\x89PNG\\r\\n\\x1a\\n")).mime
'image/png'
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

DEFAULT_HEAD_BYTES = 64 * 1024


class EvidenceKind(StrEnum):
    """What the person says the item is."""

    PHOTO = "photo"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    MESSAGE = "message"
    SENSOR_SNAPSHOT = "sensor_snapshot"


class ContentRefusedError(ValueError):
    """The bytes are of a type that is never accepted, unknown, or not allowed for the kind."""


@dataclass(frozen=True)
class SniffedType:
    """A sniffed content type: short ``label`` (``jpeg``), MIME type and a readable name."""

    label: str
    mime: str
    description: str


def _t(label: str, mime: str, description: str) -> SniffedType:
    return SniffedType(label, mime, description)


JPEG = _t("jpeg", "image/jpeg", "JPEG image")
PNG = _t("png", "image/png", "PNG image")
GIF = _t("gif", "image/gif", "GIF image")
WEBP = _t("webp", "image/webp", "WebP image")
HEIC = _t("heic", "image/heic", "HEIC/HEIF image")
TIFF = _t("tiff", "image/tiff", "TIFF image")
PDF = _t("pdf", "application/pdf", "PDF document")
MP4 = _t("mp4", "video/mp4", "MP4 video")
MOV = _t("mov", "video/quicktime", "QuickTime video")
THREE_GP = _t("3gp", "video/3gpp", "3GP media")
WEBM = _t("webm", "video/webm", "WebM media")
MKV = _t("mkv", "video/x-matroska", "Matroska video")
AVI = _t("avi", "video/x-msvideo", "AVI video")
MP3 = _t("mp3", "audio/mpeg", "MP3 audio")
WAV = _t("wav", "audio/wav", "WAV audio")
OGG = _t("ogg", "audio/ogg", "Ogg audio")
M4A = _t("m4a", "audio/mp4", "M4A audio")
AAC = _t("aac", "audio/aac", "AAC audio")
AMR = _t("amr", "audio/amr", "AMR audio")
FLAC = _t("flac", "audio/flac", "FLAC audio")
DOCX = _t(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word document",
)
XLSX = _t(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"
)
TEXT = _t("text", "text/plain; charset=utf-8", "plain text (UTF-8)")
JSON = _t("json", "application/json", "JSON data")
EML = _t("eml", "message/rfc822", "e-mail message")

# (offset, magic) -> type; checked in order, first match wins.
_SIMPLE_MAGIC: tuple[tuple[int, bytes, SniffedType], ...] = (
    (0, b"\xff\xd8\xff", JPEG),
    (0, b"\x89PNG\r\n\x1a\n", PNG),
    (0, b"GIF87a", GIF),
    (0, b"GIF89a", GIF),
    (0, b"II*\x00", TIFF),
    (0, b"MM\x00*", TIFF),
    (0, b"%PDF-", PDF),
    (0, b"OggS", OGG),
    (0, b"fLaC", FLAC),
    (0, b"#!AMR", AMR),
)

# Archives and executables: refused, whatever kind is declared.
_REFUSED_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"Rar!\x1a\x07", "RAR archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (0, b"\x1f\x8b", "gzip archive"),
    (0, b"BZh", "bzip2 archive"),
    (0, b"\xfd7zXZ\x00", "xz archive"),
    (0, b"\x28\xb5\x2f\xfd", "zstd archive"),
    (0, b"MSCF", "cabinet archive"),
    (257, b"ustar", "tar archive"),
    (0, b"MZ", "Windows executable"),
    (0, b"\x7fELF", "Linux executable"),
)

_FTYP_BRANDS: tuple[tuple[tuple[str, ...], SniffedType], ...] = (
    (("heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"), HEIC),
    (("M4A ", "M4B ", "M4P "), M4A),
    (("qt  ",), MOV),
    (("3gp", "3g2"), THREE_GP),
    (("isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "dash", "M4V ", "mmp4"), MP4),
)
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_EML_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_EML_KNOWN = (b"from:", b"to:", b"subject:", b"date:", b"received:", b"return-path:")
_EML_KNOWN += (b"message-id:", b"mime-version:", b"delivered-to:", b"reply-to:")


def _sniff_ftyp(head: bytes) -> SniffedType | None:
    if head[4:8] == b"ftyp":
        brand = head[8:12].decode("latin-1")
        for prefixes, sniffed in _FTYP_BRANDS:
            if brand.startswith(prefixes):
                return sniffed
        raise ContentRefusedError(f"unsupported ISO media brand {brand!r}")
    if head[4:8] in _QUICKTIME_ATOMS:
        return MOV
    return None


def _sniff_riff(head: bytes) -> SniffedType | None:
    if head[:4] != b"RIFF":
        return None
    form = head[8:12]
    found = {b"WEBP": WEBP, b"WAVE": WAV, b"AVI ": AVI}.get(form)
    if found is None:
        raise ContentRefusedError(f"unsupported RIFF form {form!r}")
    return found


def _sniff_mpeg_audio(head: bytes) -> SniffedType | None:
    if head[:3] == b"ID3":
        return MP3
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        layer_bits = (head[1] >> 1) & 0b11
        if layer_bits == 0 and head[1] & 0xF6 == 0xF0:
            return AAC  # ADTS: sync word 0xFFF, layer 00
        if layer_bits != 0:
            return MP3
    return None


def _sniff_text(head: bytes, *, is_complete: bool) -> SniffedType | None:
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if b"\x00" in body:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the end of the sample is not an error.
        if is_complete or error.start < len(body) - 3:
            return None
        text = body[: error.start].decode("utf-8")
    controls = sum(1 for char in text if ord(char) < 32 and char not in "\t\n\r\f")
    if controls > len(text) // 100:
        return None
    stripped = text.lstrip()
    if stripped.startswith("<"):
        raise ContentRefusedError("markup (HTML, SVG or XML) is not accepted as evidence text")
    if stripped[:1] in ("{", "["):
        if not is_complete:
            return JSON
        try:
            json.loads(stripped)
        except ValueError:
            return TEXT
        return JSON
    return EML if _looks_like_email(body) else TEXT


def _looks_like_email(body: bytes) -> bool:
    header_block = body.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].split(b"\n")
    if not header_block or not _EML_HEADER.match(header_block[0]):
        return False
    names = {
        line.split(b":", 1)[0].lower() + b":" for line in header_block if _EML_HEADER.match(line)
    }
    return b"from:" in names and len(names & set(_EML_KNOWN)) >= 3


def sniff_zip_members(member_names: Sequence[str]) -> SniffedType:
    """Classify a ZIP container by its member names: DOCX, XLSX, or a refused archive.

    Examples
    --------
    >>> sniff_zip_members(["[Content_Types].xml", "word/document.xml"]).label
    'docx'
    """
    names = set(member_names)
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    raise ContentRefusedError(
        "ZIP archives are not accepted and never unpacked: upload each file on its own"
    )


def sniff_bytes(
    head: bytes, *, is_complete: bool = False, zip_member_names: Sequence[str] | None = None
) -> SniffedType:
    """Sniff the type of a file from its first bytes.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (64 KiB is plenty; 512 B is enough for binaries).
    is_complete : bool
        True if ``head`` is the whole file (lets JSON be parsed, not guessed).
    zip_member_names : sequence of str, optional
        For a ZIP container, its member names (see ``sniff_file``); without
        them a ZIP is refused as an archive.

    Raises
    ------
    ContentRefusedError
        Archive, executable, markup, empty or unrecognised content.

    Examples
    --------
    >>> sniff_bytes(b'{"a": 1}', is_complete=True).label
    'json'
    """
    if not head:
        raise ContentRefusedError("the file is empty")
    for offset, magic, description in _REFUSED_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            raise ContentRefusedError(f"{description} files are not accepted as evidence")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return sniff_zip_members(zip_member_names or ())
    for offset, magic, sniffed in _SIMPLE_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return sniffed
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return WEBM if b"webm" in head[:64] else MKV
    found = _sniff_ftyp(head) or _sniff_riff(head) or _sniff_mpeg_audio(head)
    found = found or _sniff_text(head, is_complete=is_complete)
    if found is None:
        raise ContentRefusedError("the content type could not be recognised from the bytes")
    return found


def sniff_file(fileobj: BinaryIO, *, head_bytes: int = DEFAULT_HEAD_BYTES) -> SniffedType:
    """Sniff a seekable binary file; the position is restored afterwards.

    ZIP containers are identified by listing the central directory (no member
    is decompressed). Examples: see ``sniff_bytes``.
    """
    start = fileobj.tell()
    try:
        head = fileobj.read(head_bytes + 1)
        is_complete = len(head) <= head_bytes
        head = head[:head_bytes]
        members = None
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            fileobj.seek(start)
            try:
                members = zipfile.ZipFile(fileobj).namelist()
            except zipfile.BadZipFile as error:
                raise ContentRefusedError(f"damaged ZIP container: {error}") from error
        return sniff_bytes(head, is_complete=is_complete, zip_member_names=members)
    finally:
        fileobj.seek(start)


_PHOTO = frozenset({"jpeg", "png", "gif", "webp", "heic", "tiff"})
_VIDEO = frozenset({"mp4", "mov", "3gp", "webm", "mkv", "avi"})
# Phone voice notes: WhatsApp uses Ogg/Opus, older phones AMR and 3GP, browsers WebM.
_AUDIO = frozenset({"mp3", "wav", "ogg", "m4a", "aac", "amr", "flac", "3gp", "webm"})

DEFAULT_ALLOWED_TYPES: Mapping[EvidenceKind, frozenset[str]] = {
    EvidenceKind.PHOTO: _PHOTO,
    EvidenceKind.VIDEO: _VIDEO,
    EvidenceKind.AUDIO: _AUDIO,
    # Scanned paper (a written threat, a complaint receipt) arrives as an image.
    EvidenceKind.DOCUMENT: frozenset({"pdf", "docx", "xlsx", "text", "jpeg", "png", "tiff"}),
    # Extortion messages arrive as chat exports, e-mails and, most often, screenshots.
    EvidenceKind.MESSAGE: frozenset({"text", "json", "eml", "pdf", "jpeg", "png", "webp"}),
    # Camera stills and clips (Frigate: JPEG + MP4), alarm events (JSON).
    EvidenceKind.SENSOR_SNAPSHOT: frozenset({"jpeg", "png", "mp4", "json", "text"}),
}


def check_kind_allowed(
    kind: str,
    sniffed: SniffedType,
    *,
    allowed_types: Mapping[EvidenceKind, frozenset[str]] = DEFAULT_ALLOWED_TYPES,
) -> SniffedType:
    """Return ``sniffed`` if it is allowed for the declared ``kind``, else raise.

    Raises
    ------
    ValueError
        ``kind`` is not an EvidenceKind.
    ContentRefusedError
        The sniffed type is not in the kind's allow-list.

    Examples
    --------
    >>> check_kind_allowed("audio", sniff_bytes(b"OggS" + bytes(30))).label
    'ogg'
    """
    try:
        evidence_kind = EvidenceKind(kind)
    except ValueError as error:
        choices = ", ".join(k.value for k in EvidenceKind)
        raise ValueError(f"unknown evidence kind {kind!r}; expected one of: {choices}") from error
    allowed = allowed_types.get(evidence_kind, frozenset())
    if sniffed.label not in allowed:
        raise ContentRefusedError(
            f"declared {evidence_kind.value}, but the content is {sniffed.label} "
            f"({sniffed.description}); a {evidence_kind.value} must be one of: "
            f"{', '.join(sorted(allowed))}"
        )
    return sniffed
