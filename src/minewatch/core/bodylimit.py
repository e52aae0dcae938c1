"""Request bodies over the limit are refused before they are buffered, read or authenticated.

Django's ASGI handler reads a whole request body (to memory, then a temporary
file) before any view, authentication or 405 runs: a 1.5 GB POST to
``/api/v1/health`` was written to disk before it was refused. :class:`BodyLimit`
wraps an ASGI application (the web app of ``minewatch serve``, the tracker
listener) and answers 413 with a JSON message as soon as the declared
``Content-Length`` or, for a streamed body, the bytes received so far pass the
limit. Limits come from the settings registry (``max_body_mb``,
``max_upload_mb``, ``max_tracker_body_kb``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

MB = 1024 * 1024
# A multipart upload carries its form fields and part headers besides the file itself.
MULTIPART_OVERHEAD_BYTES = MB

LimitFor = Callable[[dict[str, Any]], int]


def header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def web_limit(scope: dict[str, Any]) -> int:
    """Bytes a web request may send: uploads (multipart) up to ``max_upload_mb``, else ``max_body_mb``."""
    from django.conf import settings

    content_type = (header(scope, b"content-type") or "").lower()
    if content_type.startswith("multipart/form-data"):
        return int(settings.TUNABLES["max_upload_mb"]) * MB + MULTIPART_OVERHEAD_BYTES
    return int(settings.TUNABLES["max_body_mb"]) * MB


def tracker_limit(scope: dict[str, Any]) -> int:
    """Bytes a tracker request may send to the listener (``max_tracker_body_kb``)."""
    from django.conf import settings

    return int(settings.TUNABLES["max_tracker_body_kb"]) * 1024


def refusal(limit: int, declared: int | None) -> dict[str, list[str]]:
    """The 413 body, naming the body and the limit (in the site's language)."""
    from django.conf import settings
    from django.utils import translation
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        if declared is None:
            message = _("The request body is larger than the %(limit)s bytes accepted.") % {
                "limit": limit
            }
        else:
            message = _(
                "The request body is %(size)s bytes; at most %(limit)s bytes are accepted."
            ) % {"size": declared, "limit": limit}
    return {"body": [message]}


async def send_json(send: Callable[[dict], Awaitable[None]], status: int, body: Any) -> None:
    content = json.dumps(body, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(content)).encode()),
                            (b"connection", b"close")]})  # fmt: skip
    await send({"type": "http.response.body", "body": content})


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit_for(scope)`` bytes, before the app reads it."""

    def __init__(self, app: Any, limit_for: LimitFor) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = header(scope, b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await send_json(send, 400, {"body": ["Content-Length is not a number"]})
                return
            if size > limit:
                await send_json(send, 413, refusal(limit, size))
                return
        received = 0
        refused = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now; the application sees a client that went away and stops.
                    refused = True
                    await send_json(send, 413, refusal(limit, None))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)
