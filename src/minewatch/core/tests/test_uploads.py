"""The upload limit applies while the body streams in: nothing past it is kept."""

from __future__ import annotations

import io
import os
from typing import Any

from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from minewatch.core.uploads import LimitedUploadHandler, OversizedUpload


class CountingHandler(MemoryFileUploadHandler):
    """Django's memory handler, recording how many bytes reached it."""

    seen = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        CountingHandler.seen += len(raw_data)
        return super().receive_data_chunk(raw_data, start)


def parse(files: dict[str, Any], handlers: list[Any]) -> Any:
    body = encode_multipart(BOUNDARY, files)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    return MultiPartParser(meta, io.BytesIO(body), handlers).parse()[1]


def named(name: str, data: bytes) -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def test_a_file_over_the_limit_arrives_empty_with_the_size_sent(settings: Any) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "max_upload_mb": 1}
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024  # the memory handler takes it all
    CountingHandler.seen = 0
    sent = 3 * 1024 * 1024 + 7
    files = parse({"file": named("big.jpg", os.urandom(sent))},
                  [LimitedUploadHandler(), CountingHandler()])  # fmt: skip
    upload = files["file"]
    assert isinstance(upload, OversizedUpload)
    assert (upload.size, upload.name, upload.field_name) == (sent, "big.jpg", "file")
    assert upload.read() == b""
    # Django's handler saw at most the limit plus one chunk, never the whole body.
    assert CountingHandler.seen <= 1024 * 1024 + 64 * 1024


def test_a_file_within_the_limit_passes_through_untouched(settings: Any) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "max_upload_mb": 1}
    data = os.urandom(300_000)
    files = parse({"file": named("ok.jpg", data), "other": named("b.txt", b"abc")},
                  [LimitedUploadHandler(), MemoryFileUploadHandler(),
                   TemporaryFileUploadHandler()])  # fmt: skip
    assert not isinstance(files["file"], OversizedUpload)
    assert files["file"].read() == data
    assert files["other"].read() == b"abc"


def test_each_file_of_a_request_is_counted_on_its_own(settings: Any) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "max_upload_mb": 1}
    big, small = os.urandom(1024 * 1024 + 1), os.urandom(1024 * 1024 - 1)
    files = parse({"a": named("a.bin", big), "b": named("b.bin", small)},
                  [LimitedUploadHandler(), MemoryFileUploadHandler(),
                   TemporaryFileUploadHandler()])  # fmt: skip
    assert isinstance(files["a"], OversizedUpload) and files["a"].size == len(big)
    assert files["b"].read() == small
