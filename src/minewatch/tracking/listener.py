"""The second listener where trackers expect it (``minewatch serve --osmand-port 5055``).

A bare ASGI application, not Django: it speaks only the OsmAnd protocol (any
path, GET or POST, query/form/JSON) and hands the fixes to a shared
:class:`~minewatch.tracking.pipeline.IngestBatcher`, so many trackers' fixes
are committed together and each tracker gets its 200 once its fix is stored.
Parsing and the answers are the ones of ``/ingest/osmand/`` (``receivers.py``).
It runs under its own uvicorn server in a daemon thread of the web process.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from django.utils import timezone

from minewatch.core.bodylimit import BodyLimit, tracker_limit
from minewatch.tracking.choices import IngestSource
from minewatch.tracking.engine import ProtocolError
from minewatch.tracking.pipeline import IngestBatcher
from minewatch.tracking.receivers import (
    Answer,
    answer_for,
    bearer_token,
    malformed_in_thread,
    osmand_fixes,
    path_secret,
    sample_of,
)

logger = logging.getLogger("minewatch.tracking")


class OsmandApp:
    """ASGI app: OsmAnd requests in, 200 / 400 (naming the field) / 503 out."""

    def __init__(self, batcher: IngestBatcher) -> None:
        self.batcher = batcher

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "POST"):
            await _send(send, Answer(405, {"method": ["use GET or POST"]}))
            return
        body = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        await _send(send, await self.answer(query, headers, body, scope.get("path", "")))

    async def answer(
        self, query: str, headers: dict[str, str], body: bytes, path: str = ""
    ) -> Answer:
        try:
            fixes, token = osmand_fixes(
                query=query, content_type=headers.get("content-type", ""), body=body,
                received_at=timezone.now(),
            )  # fmt: skip
        except ProtocolError as error:
            return await asyncio.to_thread(
                malformed_in_thread, error, source=IngestSource.OSMAND, query=query, body=body
            )
        token = token or bearer_token(headers.get("authorization", "")) or path_secret(path)
        future = self.batcher.submit(fixes, token=token, sample=sample_of(query, body))
        try:
            result = await asyncio.wrap_future(future)
        except Exception:  # the batch failed; the tracker keeps the fix and retries
            return Answer(503, {"detail": ["temporarily unable to store; retry"]})
        return answer_for(result)


async def _read_body(receive: Any) -> bytes:
    """The whole body; :class:`~minewatch.core.bodylimit.BodyLimit` has bounded its size."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Any, answer: Answer) -> None:
    content = answer.content()
    kind = b"application/json" if answer.body else b"text/plain"
    await send({"type": "http.response.start", "status": answer.status,
                "headers": [(b"content-type", kind),
                            (b"content-length", str(len(content)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": content})


def quiet_http_protocol() -> type:
    """uvicorn's HTTP protocol (httptools when installed, else h11) without the access log.

    ``access_log=False`` is not enough in the web process: the main server's uvicorn
    re-enables the shared ``uvicorn.access`` logger, and one log line per fix cost
    more than a tenth of the listener's time.
    """
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # httptools missing: the pure-Python parser
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base

    class QuietProtocol(Base):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.access_log = False

    return QuietProtocol


class OsmandListener:
    """A uvicorn server for :class:`OsmandApp` in a daemon thread, with its batcher."""

    def __init__(self, host: str, port: int, *, max_wait_s: float = 0.0) -> None:
        import uvicorn

        self.batcher = IngestBatcher(source=IngestSource.OSMAND, max_wait_s=max_wait_s)
        config = uvicorn.Config(
            BodyLimit(OsmandApp(self.batcher), tracker_limit), host=host, port=port, lifespan="off", access_log=False,
            log_level="warning", backlog=2048, http=quiet_http_protocol(),
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="osmand-listener", daemon=True)

    def start(self) -> OsmandListener:
        self.batcher.start()
        self.thread.start()
        return self

    def wait_started(self, timeout_s: float = 10.0) -> bool:
        self.thread.join(0)
        deadline = threading.Event()
        for _ in range(int(timeout_s / 0.05)):
            if self.server.started:
                return True
            deadline.wait(0.05)
        return self.server.started

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.batcher.stop()


def osmand_starter(host: str, port: int):
    """A starter for ``serve_forever``: listen for OsmAnd trackers on ``host:port``."""

    def start() -> None:
        OsmandListener(host, port).start()
        logger.info("OsmAnd listener on %s:%d", host, port)

    return start
