"""Content-addressed blob store for evidence files, keyed by SHA-256.

A file is written once, under a path derived only from its hash
(``<root>/sha256/ab/cd/<hex>``), never from the name the uploader gave it, and
is made read-only after intake. Identical content is stored once.

Example
-------
>>> import io, tempfile
>>> store = LocalBlobStore(tempfile.mkdtemp())
>>> blob = store.put_stream(io.BytesIO(b"hola"), max_bytes=1024)
>>> blob.size_bytes, store.verify(blob.sha256)
(4, True)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

DEFAULT_CHUNK_BYTES = 1024 * 1024
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobTooLargeError(ValueError):
    """The stream is longer than the allowed ``max_bytes``; nothing was stored."""


class BlobNotFoundError(FileNotFoundError):
    """No blob with this SHA-256 is in the store."""


@dataclass(frozen=True)
class StoredBlob:
    """A blob as stored: its SHA-256 (lower-case hex) and its size in bytes."""

    sha256: str
    size_bytes: int


def validate_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lower-case hex digits, else raise ValueError.

    Only validated hashes ever become paths or object keys, so a crafted value
    (``../../etc``) cannot escape the store.

    Examples
    --------
    >>> validate_sha256("0" * 64) == "0" * 64
    True
    """
    if not isinstance(sha256, str) or not _HEX_SHA256.match(sha256):
        raise ValueError(f"sha256 must be 64 lower-case hex digits, got {sha256!r}")
    return sha256


def hash_stream(fileobj: BinaryIO, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> StoredBlob:
    """Read ``fileobj`` to its end and return its SHA-256 and size in bytes.

    Examples
    --------
    >>> import io
    >>> hash_stream(io.BytesIO(b"")).sha256[:8]
    'e3b0c442'
    """
    digest = hashlib.sha256()
    size_bytes = 0
    while chunk := fileobj.read(chunk_bytes):
        digest.update(chunk)
        size_bytes += len(chunk)
    return StoredBlob(digest.hexdigest(), size_bytes)


def _check_max_bytes(max_bytes: int) -> None:
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive number of bytes, got {max_bytes}")


def _too_large(max_bytes: int) -> BlobTooLargeError:
    return BlobTooLargeError(
        f"file is larger than the upload limit of {max_bytes} bytes "
        f"({max_bytes / 1_048_576:.1f} MiB); nothing was stored"
    )


def copy_hashing(
    source: BinaryIO, target: BinaryIO, *, max_bytes: int, chunk_bytes: int = DEFAULT_CHUNK_BYTES
) -> StoredBlob:
    """Copy ``source`` into ``target`` while hashing; raise BlobTooLargeError past ``max_bytes``.

    Examples
    --------
    >>> import io
    >>> copy_hashing(io.BytesIO(b"abc"), io.BytesIO(), max_bytes=3).size_bytes
    3
    """
    _check_max_bytes(max_bytes)
    digest = hashlib.sha256()
    size_bytes = 0
    while chunk := source.read(chunk_bytes):
        size_bytes += len(chunk)
        if size_bytes > max_bytes:
            raise _too_large(max_bytes)
        digest.update(chunk)
        target.write(chunk)
    return StoredBlob(digest.hexdigest(), size_bytes)


@runtime_checkable
class BlobStore(Protocol):
    """What the evidence services need from a store (local disk or S3-compatible)."""

    def put_stream(self, fileobj: BinaryIO, max_bytes: int) -> StoredBlob: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def exists(self, sha256: str) -> bool: ...

    def path_for(self, sha256: str) -> str: ...

    def iter_hashes(self) -> Iterator[str]: ...

    def verify(self, sha256: str) -> bool: ...


class LocalBlobStore:
    """Blob store on a local filesystem under ``root``.

    Parameters
    ----------
    root : str or Path
        Directory of the store; created if missing. Blobs live in
        ``root/sha256/ab/cd/<hex>``, partial uploads in ``root/tmp`` (same
        filesystem, so the final rename is atomic).
    chunk_bytes : int
        Read size while streaming.
    fsync : bool
        Flush each blob to disk before it is renamed into place (default True:
        a power cut must not leave a truncated file under a valid hash).

    Examples
    --------
    >>> import io, tempfile
    >>> store = LocalBlobStore(tempfile.mkdtemp())
    >>> sha = store.put_stream(io.BytesIO(b"x"), max_bytes=10).sha256
    >>> store.open(sha).read()
    b'x'
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        fsync: bool = True,
    ) -> None:
        if chunk_bytes <= 0:
            raise ValueError(f"chunk_bytes must be positive, got {chunk_bytes}")
        self.root = Path(root)
        self.chunk_bytes = chunk_bytes
        self.fsync = fsync
        (self.root / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> str:
        """Return the filesystem path where the blob ``sha256`` is (or would be) stored."""
        validate_sha256(sha256)
        return str(self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256)

    def put_stream(self, fileobj: BinaryIO, max_bytes: int) -> StoredBlob:
        """Stream ``fileobj`` into the store; return its hash and size.

        Raises BlobTooLargeError (a ValueError) as soon as more than
        ``max_bytes`` have been read; the partial file is removed. If the same
        content is already stored, the existing blob is kept untouched.
        """
        _check_max_bytes(max_bytes)
        handle, temp_name = tempfile.mkstemp(dir=self.root / "tmp", prefix="upload-")
        try:
            with os.fdopen(handle, "wb") as temp_file:
                blob = copy_hashing(
                    fileobj, temp_file, max_bytes=max_bytes, chunk_bytes=self.chunk_bytes
                )
                if self.fsync:
                    temp_file.flush()
                    os.fsync(temp_file.fileno())
            final = Path(self.path_for(blob.sha256))
            if final.exists():
                os.unlink(temp_name)
                return blob
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(temp_name, stat.S_IRUSR | stat.S_IRGRP)
            os.replace(temp_name, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        return blob

    def open(self, sha256: str) -> BinaryIO:
        """Open the blob for reading; raise BlobNotFoundError if it is not stored."""
        path = self.path_for(sha256)
        try:
            return open(path, "rb")  # noqa: SIM115 - the caller closes the handle
        except FileNotFoundError as error:
            raise BlobNotFoundError(f"no blob with sha256 {sha256} in {self.root}") from error

    def exists(self, sha256: str) -> bool:
        """Return True if a blob is stored under ``sha256`` (its content is not checked)."""
        return os.path.isfile(self.path_for(sha256))

    def iter_hashes(self) -> Iterator[str]:
        """Yield the hash of every stored blob (file names that are not hashes are skipped)."""
        for path in (self.root / "sha256").glob("*/*/*"):
            if _HEX_SHA256.match(path.name) and path.is_file():
                yield path.name

    def verify(self, sha256: str) -> bool:
        """Recompute the blob's SHA-256; False if it changed or is missing."""
        try:
            with self.open(sha256) as blob_file:
                return hash_stream(blob_file, chunk_bytes=self.chunk_bytes).sha256 == sha256
        except BlobNotFoundError:
            return False


class S3BlobStore:
    """Blob store in an S3-compatible bucket (needs ``boto3``, which is optional).

    Objects are keyed ``<prefix>sha256/ab/cd/<hex>``. The upload is spooled to
    a local temporary file while it is hashed, because the key depends on the
    hash. Pass ``client`` to reuse a configured boto3 client (endpoint, keys).
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        client: Any = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> None:
        if client is None:
            try:
                import boto3  # type: ignore[import-not-found]
            except ImportError as error:
                raise ImportError(
                    "S3BlobStore needs boto3, which is not installed: pip install boto3 "
                    "(or use LocalBlobStore, the default)"
                ) from error
            client = boto3.client("s3")
        self.bucket = bucket
        self.prefix = prefix
        self.client = client
        self.chunk_bytes = chunk_bytes

    def path_for(self, sha256: str) -> str:
        """Return the object key of the blob ``sha256``."""
        validate_sha256(sha256)
        return f"{self.prefix}sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def put_stream(self, fileobj: BinaryIO, max_bytes: int) -> StoredBlob:
        """Hash ``fileobj`` into a spool file, then upload it unless already stored."""
        with tempfile.TemporaryFile() as spool:
            blob = copy_hashing(fileobj, spool, max_bytes=max_bytes, chunk_bytes=self.chunk_bytes)
            if not self.exists(blob.sha256):
                spool.seek(0)
                self.client.upload_fileobj(spool, self.bucket, self.path_for(blob.sha256))
        return blob

    def open(self, sha256: str) -> BinaryIO:
        """Return a streaming body for the object; BlobNotFoundError if absent."""
        if not self.exists(sha256):
            raise BlobNotFoundError(f"no blob with sha256 {sha256} in s3://{self.bucket}")
        return self.client.get_object(Bucket=self.bucket, Key=self.path_for(sha256))["Body"]

    def exists(self, sha256: str) -> bool:
        """Return True if the object exists (HEAD request)."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.path_for(sha256))
        except Exception as error:  # botocore's ClientError; botocore is optional
            status = (
                getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
            )
            if status == 404:
                return False
            raise
        return True

    def iter_hashes(self) -> Iterator[str]:
        """Yield the hash of every object under the prefix."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}sha256/"):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if _HEX_SHA256.match(name):
                    yield name

    def verify(self, sha256: str) -> bool:
        """Download and rehash the object; False if it changed or is missing."""
        try:
            body = self.open(sha256)
        except BlobNotFoundError:
            return False
        return hash_stream(body, chunk_bytes=self.chunk_bytes).sha256 == sha256
