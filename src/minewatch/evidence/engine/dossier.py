"""The complaint dossier ZIP (PDF + evidence files + manifest.json) and its verifier.

The manifest lists every file in the ZIP with its SHA-256 and size, plus the
incident facts and the generation time, so the police or the prosecutor can
check, without MineWatch, that nothing was changed, added or removed
(``minewatch dossier verify FILE.zip`` calls ``verify_dossier``). The PDF
itself is made by ``render_dossier_pdf`` (re-exported here).

Example
-------
>>> import io, hashlib
>>> from datetime import UTC, datetime
>>> data = b"foto"
>>> files = [DossierFile(hashlib.sha256(data).hexdigest(), "IMG 1.jpg", io.BytesIO(data))]
>>> target = io.BytesIO()
>>> manifest = build_dossier_zip(target, pdf_bytes=b"%PDF-1.4", files=files,
...     facts={"reference": "INC-1"}, generated_at=datetime(2024, 5, 1, tzinfo=UTC))
>>> [f["path"] for f in manifest["files"]]
['denuncia.pdf', 'evidence/001_IMG_1.jpg']
>>> verify_dossier(target)
[]
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any, BinaryIO

from minewatch.core.engine.ledger import verify_signature
from minewatch.evidence.engine.dossier_pdf import (  # noqa: F401 - public re-export
    DossierItem,
    OrganisationContact,
    render_dossier_pdf,
)
from minewatch.evidence.engine.store import DEFAULT_CHUNK_BYTES, validate_sha256

MANIFEST_NAME = "manifest.json"
PDF_NAME = "denuncia.pdf"
MANIFEST_FORMAT = "minewatch-dossier"
MANIFEST_VERSION = 1
_UNSAFE_NAME_CHARS = re.compile(r"[^\w.\- ()]+")


class EvidenceHashMismatchError(ValueError):
    """An evidence stream's bytes do not match the SHA-256 it was given with."""


@dataclass(frozen=True)
class DossierFile:
    """One evidence file to put in the dossier: expected hash, display name, readable stream."""

    sha256: str
    name: str
    stream: BinaryIO


@dataclass(frozen=True)
class DossierProblem:
    """A problem found by ``verify_dossier``; ``kind`` is machine-readable."""

    kind: str
    path: str | None
    message: str


def safe_member_name(name: str, index: int) -> str:
    """ZIP path for an evidence file: numbered, no directories, no odd characters.

    Examples
    --------
    >>> safe_member_name("../../etc/pass wd", 3)
    'evidence/003_pass_wd'
    >>> safe_member_name("..", 1)
    'evidence/001_item'
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME_CHARS.sub("_", base).replace(" ", "_").lstrip(".")[:100]
    return f"evidence/{index:03d}_{base or 'item'}"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"facts hold a naive datetime {value}; use timezone-aware UTC")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise ValueError(f"facts value {value!r} of type {type(value).__name__} is not JSON-ready")


def _copy_checked(
    source: BinaryIO, target: IO[bytes], expected_sha256: str, chunk_bytes: int
) -> int:
    digest = hashlib.sha256()
    size_bytes = 0
    while chunk := source.read(chunk_bytes):
        digest.update(chunk)
        target.write(chunk)
        size_bytes += len(chunk)
    if digest.hexdigest() != expected_sha256:
        raise EvidenceHashMismatchError(
            f"evidence {expected_sha256} read back as {digest.hexdigest()}: the stored file "
            "changed; the dossier was not built"
        )
    return size_bytes


def build_dossier_zip(
    target: str | os.PathLike[str] | BinaryIO,
    *,
    pdf_bytes: bytes,
    files: Sequence[DossierFile],
    facts: Mapping[str, Any],
    generated_at: datetime,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    sign: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write the dossier ZIP and return its manifest (also stored as ``manifest.json``).

    Evidence files are stored uncompressed (photos and video are already
    compressed) and rehashed while copied: a file whose bytes do not match
    its recorded SHA-256 stops the build with EvidenceHashMismatchError.

    Parameters
    ----------
    target : path or writable binary file
    pdf_bytes : bytes
        The rendered complaint PDF, stored as ``denuncia.pdf``.
    files : sequence of DossierFile
    facts : mapping
        Incident facts, JSON-ready (aware datetimes, enums, sets are converted).
    generated_at : datetime
        Timezone-aware generation time.
    sign : callable, optional
        Given the manifest (without its signature), returns the ``signature`` block
        (``algorithm``, ``key_id``, ``public_key``, ``signature``) stored beside it, so the
        manifest can be checked with the public key alone (:func:`verify_dossier`).

    Examples
    --------
    See the module docstring.
    """
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise ValueError(f"generated_at must be timezone-aware UTC, got naive {generated_at}")
    entries = [_manifest_row(PDF_NAME, hashlib.sha256(pdf_bytes).hexdigest(), len(pdf_bytes))]
    entries[0]["role"] = "report"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PDF_NAME, pdf_bytes)
        for index, item in enumerate(files, start=1):
            validate_sha256(item.sha256)
            path = safe_member_name(item.name, index)
            info = zipfile.ZipInfo(path, date_time=generated_at.astimezone(UTC).timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED
            with archive.open(info, "w", force_zip64=True) as member:
                size_bytes = _copy_checked(item.stream, member, item.sha256, chunk_bytes)
            entries.append(_manifest_row(path, item.sha256, size_bytes))
        manifest = {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "generated_at": _json_default(generated_at),
            "facts": dict(facts),
            "files": entries,
        }
        if sign is not None:
            body = json.loads(json.dumps(manifest, default=_json_default, ensure_ascii=False))
            manifest["signature"] = sign(body)
        text = json.dumps(manifest, default=_json_default, ensure_ascii=False, indent=2)
        archive.writestr(MANIFEST_NAME, text.encode("utf-8"))
    return json.loads(text)


def _manifest_row(path: str, sha256: str, size_bytes: int) -> dict[str, Any]:
    return {"path": path, "sha256": sha256, "size_bytes": size_bytes, "role": "evidence"}


def _manifest_errors(manifest: Any) -> list[str]:
    if not isinstance(manifest, dict):
        return ["the manifest is not a JSON object"]
    errors = []
    if manifest.get("format") != MANIFEST_FORMAT:
        errors.append(f"format is {manifest.get('format')!r}, expected {MANIFEST_FORMAT!r}")
    rows = manifest.get("files")
    if not isinstance(rows, list):
        return [*errors, "'files' is missing or not a list"]
    seen: set[str] = set()
    for number, row in enumerate(rows):
        path = row.get("path") if isinstance(row, dict) else None
        if not isinstance(path, str) or path.startswith("/") or ".." in path.split("/"):
            errors.append(f"files[{number}] has no safe 'path'")
            continue
        if path in seen or path == MANIFEST_NAME:
            errors.append(f"files[{number}] repeats path {path!r}")
        seen.add(path)
        sha = row.get("sha256")
        if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{64}", sha):
            errors.append(f"files[{number}] ({path}) has no valid 'sha256'")
        size = row.get("size_bytes")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            errors.append(f"files[{number}] ({path}) has no valid 'size_bytes'")
    return errors


def _check_member(archive: zipfile.ZipFile, row: dict[str, Any], chunk_bytes: int) -> str | None:
    digest = hashlib.sha256()
    size_bytes = 0
    try:
        with archive.open(row["path"]) as member:
            # Stop one byte past the declared size: a zip bomb is not read to its end.
            while size_bytes <= row["size_bytes"] and (chunk := member.read(chunk_bytes)):
                digest.update(chunk)
                size_bytes += len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        return f"{row['path']} is corrupted in the ZIP: {error}"
    if size_bytes != row["size_bytes"]:
        return f"{row['path']} has {size_bytes}+ bytes, the manifest says {row['size_bytes']}"
    if digest.hexdigest() != row["sha256"]:
        return f"{row['path']} has SHA-256 {digest.hexdigest()}, the manifest says {row['sha256']}"
    return None


def _unrecorded(rows: list[dict[str, Any]], expected: set[str]) -> list[DossierProblem]:
    return [
        DossierProblem(
            "unrecorded_hash",
            row["path"],
            f"{row['path']} has SHA-256 {row['sha256']}, which no evidence item recorded",
        )
        for row in rows
        if row.get("role") == "evidence" and row["sha256"] not in expected
    ]


def verify_dossier(
    zip_path: str | os.PathLike[str] | BinaryIO,
    *,
    expected_sha256s: Collection[str] | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    public_key_pem: str | None = None,
) -> list[DossierProblem]:
    """Check a dossier ZIP against its manifest; return every problem (empty if intact).

    Kinds: ``not_a_zip``, ``manifest_missing``, ``manifest_malformed``,
    ``file_missing``, ``hash_mismatch``, ``extra_file``, and, when
    ``expected_sha256s`` (the hashes recorded at intake) is given,
    ``unrecorded_hash``: a file swapped together with its manifest row is
    consistent within the ZIP, so only the outside record reveals it;
    ``signature_invalid`` when the manifest's Ed25519 signature does not verify (with
    ``public_key_pem``, the key the company published, or else the key in the manifest) and
    ``signature_missing`` when ``public_key_pem`` is given but the manifest is unsigned.

    Examples
    --------
    >>> import io
    >>> [p.kind for p in verify_dossier(io.BytesIO(b"not a zip"))]
    ['not_a_zip']
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        return [DossierProblem("not_a_zip", None, f"not a readable ZIP file: {error}")]
    with archive:
        names = [name for name in archive.namelist() if not name.endswith("/")]
        if MANIFEST_NAME not in names:
            return [DossierProblem("manifest_missing", MANIFEST_NAME, "manifest.json is missing")]
        try:
            manifest = json.loads(archive.read(MANIFEST_NAME).decode("utf-8"))
        except (ValueError, zipfile.BadZipFile, zlib.error) as error:
            return [DossierProblem("manifest_malformed", MANIFEST_NAME, f"unreadable: {error}")]
        errors = _manifest_errors(manifest)
        if errors:
            return [DossierProblem("manifest_malformed", MANIFEST_NAME, e) for e in errors]
        problems = _signature_problems(manifest, public_key_pem)
        for row in manifest["files"]:
            if row["path"] not in names:
                message = f"{row['path']} is listed in the manifest but not in the ZIP"
                problems.append(DossierProblem("file_missing", row["path"], message))
            elif (message := _check_member(archive, row, chunk_bytes)) is not None:
                problems.append(DossierProblem("hash_mismatch", row["path"], message))
        if expected_sha256s is not None:
            problems += _unrecorded(manifest["files"], set(expected_sha256s))
        listed = {row["path"] for row in manifest["files"]} | {MANIFEST_NAME}
        for name in sorted(set(names) - listed):
            message = f"{name} is in the ZIP but not in the manifest"
            problems.append(DossierProblem("extra_file", name, message))
        if len(names) != len(set(names)):
            message = "the ZIP holds two members with the same name"
            problems.append(DossierProblem("extra_file", None, message))
    return problems


def _signature_problems(
    manifest: dict[str, Any], public_key_pem: str | None
) -> list[DossierProblem]:
    block = manifest.get("signature")
    if not isinstance(block, dict):
        if public_key_pem is None:
            return []
        return [DossierProblem("signature_missing", MANIFEST_NAME, "the manifest is not signed")]
    pem = public_key_pem or block.get("public_key")
    body = {key: value for key, value in manifest.items() if key != "signature"}
    signed = {"payload": body, "signature": block.get("signature")}
    if isinstance(pem, str) and verify_signature(pem, signed):
        return []
    whose = "the given public key" if public_key_pem else "the public key it carries"
    message = f"the manifest's signature does not verify with {whose} (it was altered)"
    return [DossierProblem("signature_invalid", MANIFEST_NAME, message)]
