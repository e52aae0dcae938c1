"""Upload size limit enforced while the request body streams in, not after.

Django writes every uploaded file to memory or a temporary file before a view
sees it, so a 10 GB upload would fill the disk before any size check ran.
:class:`LimitedUploadHandler` sits first in ``FILE_UPLOAD_HANDLERS``: it passes
chunks on to Django's handlers until a file passes the limit (tunable
``max_upload_mb``), then swallows the rest and hands the view an empty
:class:`OversizedUpload` whose ``size`` is what the sender sent. The usual
validation (e.g. ``evidence.services``) then refuses it naming the field, with
the same message as for any other oversized file.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


def max_upload_bytes() -> int:
    """The upload limit in bytes (tunable ``max_upload_mb``, megabytes of 1,048,576 bytes)."""
    return int(settings.TUNABLES["max_upload_mb"]) * 1024 * 1024


class OversizedUpload(UploadedFile):
    """A file refused for its size: no content kept, ``size`` is the bytes received."""

    def __init__(self, name: str, content_type: str, size: int, field_name: str) -> None:
        super().__init__(io.BytesIO(), name, content_type, size)
        self.field_name = field_name
        self.oversized = True


class LimitedUploadHandler(FileUploadHandler):
    """Counts each file's bytes; past the limit, nothing more reaches memory or disk."""

    def new_file(self, field_name: str, file_name: str, content_type: str, *args, **kwargs) -> None:
        super().new_file(field_name, file_name, content_type, *args, **kwargs)
        self.limit = max_upload_bytes()
        self.received = 0
        self.over = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received = start + len(raw_data)
        if self.received > self.limit:
            self.over = True
        return None if self.over else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.over:
            return None  # the next handler (memory or temporary file) completes it
        return OversizedUpload(self.file_name, self.content_type, self.received, self.field_name)
