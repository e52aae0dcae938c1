"""Tracker-facing HTTP endpoints on the main server: OsmAnd and Traccar forwarding.

No session, no CSRF token: a tracker proves who it is with its device secret
(``tracking/credentials.py``: ``id=DEVICE:SECRET``, a ``secret`` parameter,
``Authorization: Bearer`` or the URL's last segment); a Traccar server
forwarding many devices uses an API token (``Authorization: Token …``) of a user
of the devices' organisation who may manage them. Everything else is in
``receivers.py`` and ``services/ingest.py``, shared with the ``--osmand-port`` listener.

Fixes are stored through the process's shared group-commit batcher
(``pipeline.shared_batcher``), as on the listener: the request thread waits for
the commit but never opens a database connection of its own, so hundreds of
concurrent trackers do not exhaust PostgreSQL's connections (they did: 500s at
256 concurrent senders), and their fixes are committed together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from minewatch.tracking.choices import IngestSource
from minewatch.tracking.engine import Fix, ProtocolError
from minewatch.tracking.pipeline import shared_batcher
from minewatch.tracking.receivers import (
    Answer,
    answer_for,
    bearer_token,
    guess_device,
    malformed,
    osmand_fixes,
    traccar_fixes,
)
from minewatch.tracking.services.ingest import ingest_fixes, reject_input

logger = logging.getLogger("minewatch.tracking")
# A tracker whose fix is not committed by then gets 503 and sends it again.
COMMIT_TIMEOUT_S = 30.0
RETRY_LATER = Answer(503, {"detail": ["temporarily unable to store; retry"]})


def ingest_answer(
    fixes: Sequence[Fix], *, source: str, token: str | None, sample: str,
    forwarder_organisation_id: int | None = None,
) -> Answer:  # fmt: skip
    """Ingest through the shared batcher and answer; inline inside an open transaction.

    Inside a caller's ``atomic`` block (a test, a management command) the fixes
    must be part of that transaction, so they are ingested right here.
    """
    if connection.in_atomic_block:
        return answer_for(ingest_fixes(list(fixes), source=source, token=token, sample=sample,
                                       forwarder_organisation_id=forwarder_organisation_id))  # fmt: skip
    future = shared_batcher(source).submit(list(fixes), token=token, sample=sample,
                                           forwarder_organisation_id=forwarder_organisation_id)  # fmt: skip
    try:
        return answer_for(future.result(timeout=COMMIT_TIMEOUT_S))
    except Exception:  # batch failed or too slow: the tracker keeps the fix and retries
        logger.warning("%s fixes not stored in time; answered 503", source)
        return RETRY_LATER


def _response(answer: Answer) -> HttpResponse:
    content_type = "application/json" if answer.body else "text/plain"
    return HttpResponse(answer.content(), status=answer.status, content_type=content_type)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def osmand(request: HttpRequest, secret: str | None = None) -> HttpResponse:
    """OsmAnd protocol: GET query, POST form or the JSON body of recent Traccar Client versions."""
    query, body = request.META.get("QUERY_STRING", ""), request.body
    try:
        fixes, token = osmand_fixes(
            query=query, content_type=request.content_type or "", body=body,
            received_at=timezone.now(),
        )  # fmt: skip
    except ProtocolError as error:
        return _response(malformed(error, source=IngestSource.OSMAND, query=query, body=body))
    token = token or bearer_token(request.headers.get("Authorization", "")) or secret
    sample = query or body[:500].decode("utf-8", errors="replace")
    return _response(ingest_answer(fixes, source=IngestSource.OSMAND, token=token, sample=sample))


def forwarder_organisation(authorization: str) -> int | None:
    """The organisation of a Traccar server that sent ``Authorization: Token <API token>``.

    The token's user must be active and allowed to manage the fleet
    (``manage_sites``, as for registering devices); anything else is no forwarder.
    """
    from rest_framework.authtoken.models import Token

    from minewatch.core.roles import has_capability

    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "token" or not key.strip():
        return None
    found = Token.objects.select_related("user").filter(key=key.strip()).first()
    if found is None or not found.user.is_active or not has_capability(found.user, "manage_sites"):
        return None
    return found.user.organisation_id


@csrf_exempt
@require_http_methods(["POST"])
def traccar(request: HttpRequest) -> HttpResponse:
    """A Traccar server's position and event forwarding (``forward.url`` / ``event.forward.url``)."""
    body = request.body
    try:
        fixes, bare_events = traccar_fixes(body)
    except ProtocolError as error:
        return _response(malformed(error, source=IngestSource.TRACCAR, query="", body=body))
    for event_type in bare_events:
        reject_input(
            source=IngestSource.TRACCAR, reason="event_without_position", field_name="position",
            message=f"event {event_type!r} carries no position", device_key=guess_device("", body),
            sample=body[:500].decode("utf-8", errors="replace"),
        )  # fmt: skip
    if not fixes:
        return _response(Answer(200, {"ignored": bare_events}))
    authorization = request.headers.get("Authorization", "")
    token = bearer_token(authorization) or request.GET.get("secret") or request.GET.get("token")
    sample = body[:500].decode("utf-8", errors="replace")
    return _response(ingest_answer(fixes, source=IngestSource.TRACCAR, token=token, sample=sample,
                                   forwarder_organisation_id=forwarder_organisation(authorization)))  # fmt: skip
