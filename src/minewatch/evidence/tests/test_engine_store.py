"""The content-addressed blob store: layout, limits, read-only files, verification."""

import io
import os
import stat

import pytest

from minewatch.evidence.engine.store import (
    BlobNotFoundError,
    BlobStore,
    BlobTooLargeError,
    LocalBlobStore,
    S3BlobStore,
)
from minewatch.evidence.tests.builders import sha256_of


def flip_byte(path: str, offset: int = 0) -> None:
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0xFF]))


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(tmp_path / "blobs", chunk_bytes=7)


def test_put_stream_stores_under_hash_path_and_reads_back(store):
    data = b"foto del bloqueo" * 10
    blob = store.put_stream(io.BytesIO(data), max_bytes=1000)
    sha = sha256_of(data)
    assert (blob.sha256, blob.size_bytes) == (sha, len(data))
    assert store.path_for(sha).endswith(os.path.join("sha256", sha[:2], sha[2:4], sha))
    with store.open(sha) as handle:
        assert handle.read() == data
    assert isinstance(store, BlobStore)


def test_stored_file_is_read_only_after_intake(store):
    blob = store.put_stream(io.BytesIO(b"x"), max_bytes=10)
    mode = os.stat(store.path_for(blob.sha256)).st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_same_content_stored_once(store):
    first = store.put_stream(io.BytesIO(b"igual"), max_bytes=10)
    second = store.put_stream(io.BytesIO(b"igual"), max_bytes=10)
    assert first == second
    assert list(store.iter_hashes()) == [first.sha256]


@pytest.mark.parametrize(("size", "is_stored"), [(10, True), (11, False), (1000, False)])
def test_stream_beyond_max_bytes_refused_and_nothing_left(store, size, is_stored):
    if is_stored:
        assert store.put_stream(io.BytesIO(b"a" * size), max_bytes=10).size_bytes == size
        return
    with pytest.raises(BlobTooLargeError, match="larger than the upload limit of 10 bytes"):
        store.put_stream(io.BytesIO(b"a" * size), max_bytes=10)
    assert list(store.iter_hashes()) == []
    assert os.listdir(store.root / "tmp") == []


def test_non_positive_max_bytes_refused(store):
    with pytest.raises(ValueError, match="max_bytes must be a positive number of bytes, got 0"):
        store.put_stream(io.BytesIO(b"a"), max_bytes=0)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "0" * 63, "g" * 64])
def test_malformed_hash_never_becomes_a_path(store, bad):
    with pytest.raises(ValueError, match="64 lower-case hex"):
        store.path_for(bad)


def test_verify_detects_flipped_byte_and_missing_file(store):
    blob = store.put_stream(io.BytesIO(b"evidencia original"), max_bytes=100)
    assert store.verify(blob.sha256)
    flip_byte(store.path_for(blob.sha256), offset=3)
    assert not store.verify(blob.sha256)
    os.unlink(store.path_for(blob.sha256))
    assert not store.verify(blob.sha256)
    assert not store.exists(blob.sha256)
    with pytest.raises(BlobNotFoundError):
        store.open(blob.sha256)


def test_s3_store_without_boto3_explains_how_to_install():
    try:
        import boto3  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="S3BlobStore needs boto3"):
            S3BlobStore("evidence")
    else:
        pytest.skip("boto3 is installed here")


def test_s3_store_keys_follow_local_layout():
    store = S3BlobStore("evidence", prefix="minewatch/", client=object())
    sha = "ab" + "c" * 62
    assert store.path_for(sha) == f"minewatch/sha256/ab/cc/{sha}"
