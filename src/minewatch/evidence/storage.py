"""The blob store chosen by the ``evidence_store`` tunable (a directory, or s3://bucket/prefix)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings

from minewatch.core.uploads import max_upload_bytes
from minewatch.evidence.engine.store import BlobStore, LocalBlobStore, S3BlobStore

__all__ = ["get_store", "max_upload_bytes", "store_location"]


def store_location() -> str:
    """The configured location: MINEWATCH_EVIDENCE_STORE, or ``<data dir>/evidence``."""
    return str(settings.TUNABLES.get("evidence_store") or Path(settings.DATA_DIR) / "evidence")


def get_store() -> BlobStore:
    """The evidence blob store. Read on each call, so a test may point it elsewhere."""
    location = store_location()
    if location.startswith("s3://"):
        parsed = urlparse(location)
        prefix = parsed.path.strip("/")
        return S3BlobStore(parsed.netloc, prefix=f"{prefix}/" if prefix else "")
    return LocalBlobStore(location)
