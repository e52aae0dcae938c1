"""Turn what a tracker or server sent over HTTP into fixes, and results into HTTP answers.

Shared by the Django views (``/ingest/osmand/``, ``/ingest/traccar/``) and the
lightweight listener on ``--osmand-port`` (``listener.py``), so both speak the
protocol the same way.

OsmAnd (Traccar Client and many hardware trackers) sends a GET query or a POST
form; recent Traccar Client versions POST a JSON body instead. A tracker only
looks at the status: 200 means "stored, send the next"; anything else makes it
retry later, so a 400 is kept for input that can never succeed, and the body
names the field for the person debugging it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import orjson

from minewatch.tracking.credentials import looks_like_secret, split_device_id
from minewatch.tracking.engine import (
    Fix,
    ProtocolError,
    parse_osmand_json,
    parse_osmand_query,
    parse_traccar_forward,
)
from minewatch.tracking.services.ingest import (
    AUTH_REASONS,
    IngestResult,
    Rejection,
    reject_input,
)

SAMPLE_BYTES = 500


@dataclass(frozen=True)
class Answer:
    """An HTTP status and a JSON-able body."""

    status: int
    body: dict[str, Any]

    def content(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode() if self.body else b""


OK = Answer(200, {})


def bearer_token(authorization: str) -> str | None:
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _pop_token(fixes: list[Fix]) -> str | None:
    """The ``secret`` (or older ``token``) parameter, removed from the stored attributes."""
    token = None
    for fix in fixes:
        for name in ("secret", "token"):
            value = fix.attributes.pop(name, None)
            token = token or (str(value) if value not in (None, "") else None)
    return token


def path_secret(path: str) -> str | None:
    """A secret given as the server URL's last path segment (``.../SECRET``), if any."""
    last = path.rstrip("/").rpartition("/")[2]
    return last if looks_like_secret(last) and last not in ("osmand", "ingest") else None


def osmand_fixes(
    *, query: str, content_type: str, body: bytes, received_at: dt.datetime
) -> tuple[list[Fix], str | None]:
    """Fixes and the ``token`` parameter from an OsmAnd request (raises ProtocolError)."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" and body.strip():
        fixes = parse_osmand_json(body)
    elif body.strip() and media in ("application/x-www-form-urlencoded", "text/plain", ""):
        form = body.decode("utf-8", errors="replace")
        merged = f"{query}&{form}" if query else form
        fixes = [parse_osmand_query(merged, received_at=received_at)]
    elif body.strip() and body.lstrip().startswith(b"{"):
        fixes = parse_osmand_json(body)
    else:
        fixes = [parse_osmand_query(query, received_at=received_at)]
    return fixes, _pop_token(fixes)


def traccar_fixes(body: bytes) -> tuple[list[Fix], list[str]]:
    """Fixes from a Traccar server's forwarded positions or events (one object or a list).

    Also returns the types of forwarded events that carry no position
    (``deviceOnline``, ``deviceOffline``...): nothing to store, but counted.
    """
    try:
        document = orjson.loads(body)  # refuses NaN/Infinity, which no database column takes
    except ValueError as error:
        raise ProtocolError("body", f"not valid JSON: {error}") from None
    items = document if isinstance(document, list) else [document]
    fixes, bare_events = [], []
    for item in items:
        event = item.get("event") if isinstance(item, dict) else None
        if isinstance(event, dict) and not item.get("position"):
            bare_events.append(str(event.get("type") or "unknown"))
        else:
            fixes.append(parse_traccar_forward(item))
    return fixes, bare_events


def sample_of(query: str, body: bytes) -> str:
    text = body[:SAMPLE_BYTES].decode("utf-8", errors="replace")
    return (query + ("\n" if query and text else "") + text)[:SAMPLE_BYTES]


def guess_device(query: str, body: bytes) -> str:
    """The device identifier of a message that failed to parse (without a secret it carries)."""
    return split_device_id(_guess_device(query, body))[0][:64]


def _guess_device(query: str, body: bytes) -> str:
    from urllib.parse import parse_qs

    params = parse_qs(query) if query else {}
    for key in ("id", "deviceid"):
        if params.get(key):
            return params[key][-1]
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return ""
    if isinstance(document, dict):
        device = document.get("device")
        if isinstance(device, dict):
            return str(device.get("uniqueId", ""))
        return str(document.get("device_id") or device or "")
    return ""


def malformed(error: ProtocolError, *, source: str, query: str, body: bytes) -> Answer:
    """Count a message that did not parse and answer 400 naming the field."""
    problem = reject_input(
        source=source, reason="malformed", field_name=error.field, message=error.message,
        device_key=guess_device(query, body), sample=sample_of(query, body),
    )  # fmt: skip
    return rejected(problem)


def malformed_in_thread(error: ProtocolError, *, source: str, query: str, body: bytes) -> Answer:
    """:func:`malformed` for a helper thread: closes that thread's connection afterwards."""
    from django.db import connections

    try:
        return malformed(error, source=source, query=query, body=body)
    finally:
        connections.close_all()


def rejected(problem: Rejection) -> Answer:
    """400 naming the field; 401, the same for an unknown id and a wrong secret, if unauthorised."""
    if problem.reason in AUTH_REASONS:
        return Answer(401, {problem.field: [problem.message], "reason": "unauthorised"})
    return Answer(400, {problem.field: [problem.message], "reason": problem.reason})


def answer_for(result: IngestResult) -> Answer:
    """200 when every fix was taken, else 400 naming the first refused fix's field."""
    return OK if result.ok else rejected(result.rejected[0])
