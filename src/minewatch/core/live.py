"""The live stream: core.events as server-sent events at ``/api/v1/stream/``.

Every event published with :func:`minewatch.core.events.publish` reaches the
:class:`LiveHub` of the process, which keeps the last events (for ``Last-Event-ID``)
and fans them out to each connected client's queue; a client sees only the events of
its organisation and of the sites its organisation is assigned to (the same rule as
``core.tenancy``), and only the events whose objects its role may see through the API
(:class:`RoleCheck`: e.g. a confidential incident's events reach managers, not
operators). On PostgreSQL a :class:`PostgresRelay` forwards each event with
``NOTIFY`` and feeds the events of other processes (web workers, the alerts worker,
the SIA receiver) into the local hub from ``LISTEN``, so every process streams
everything. The response is an async iterator, so uvicorn holds thousands of idle
streams without a thread each; a comment line every 15 s keeps proxies from closing it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from minewatch.core import events
from minewatch.core.events import Event
from minewatch.core.roles import may_read_model

logger = logging.getLogger("minewatch.live")

HEARTBEAT_S = 15.0
BUFFER_SIZE = 2000
QUEUE_SIZE = 1000
SCOPE_REFRESH_S = 60.0
CHANNEL = "minewatch_events"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
MAX_NOTIFY_BYTES = 7900


@dataclass(frozen=True)
class LiveEvent:
    """An event with its stream id (increasing in this process) and arrival time."""

    id: int
    name: str
    organisation_id: int | None
    site_id: int | None
    payload: dict[str, Any]
    at: float

    def as_sse(self) -> bytes:
        data = {"name": self.name, "organisation_id": self.organisation_id,
                "site_id": self.site_id, "payload": self.payload, "at": self.at}  # fmt: skip
        text = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.name}\ndata: {text}\n\n".encode()


@dataclass(eq=False)
class Listener:
    """One connected client: an asyncio queue on the loop that serves it."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: int = 0

    def offer(self, event: LiveEvent) -> None:
        """Runs on the listener's loop; a client too slow to keep up loses its oldest events."""
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(event)


class LiveHub:
    """In-process fan-out of events with a replay buffer; safe to publish from any thread."""

    def __init__(self, buffer_size: int = BUFFER_SIZE) -> None:
        self._lock = threading.Lock()
        # Ids start from the clock (ms) so they keep increasing across a restart.
        self._last_id = int(time.time() * 1000)
        self._buffer: deque[LiveEvent] = deque(maxlen=buffer_size)
        self._listeners: set[Listener] = set()
        self.relay: PostgresRelay | None = None

    def on_event(self, event: Event) -> None:
        """core.events subscriber: stream it here and relay it to other processes."""
        self.publish(event.name, event.organisation_id, event.site_id, event.payload)
        if self.relay is not None:
            self.relay.forward(event)

    def publish(self, name: str, organisation_id: int | None, site_id: int | None,
                payload: dict[str, Any]) -> LiveEvent:  # fmt: skip
        with self._lock:
            self._last_id = max(self._last_id + 1, int(time.time() * 1000))
            live = LiveEvent(self._last_id, name, organisation_id, site_id, payload, time.time())
            self._buffer.append(live)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener.loop.call_soon_threadsafe(listener.offer, live)
            except RuntimeError:  # its loop closed: the client is gone
                self.unlisten(listener)
        return live

    def listen(self) -> Listener:
        listener = Listener(asyncio.get_running_loop())
        with self._lock:
            self._listeners.add(listener)
        return listener

    def unlisten(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def since(self, last_id: int | None) -> list[LiveEvent]:
        """Buffered events after ``last_id`` (none when the id is unknown or absent)."""
        if last_id is None:
            return []
        with self._lock:
            return [event for event in self._buffer if event.id > last_id]

    @property
    def listener_count(self) -> int:
        return len(self._listeners)


class PostgresRelay:
    """Share events between processes with PostgreSQL LISTEN/NOTIFY (psycopg 3).

    One thread sends ``pg_notify`` for local events, one thread listens and publishes
    the others' events into the hub; each message carries the sender's ``origin`` so a
    process never streams its own event twice. Both reconnect after a database outage.
    """

    def __init__(self, hub: LiveHub, conninfo: str, channel: str = CHANNEL) -> None:
        self.hub, self.conninfo, self.channel = hub, conninfo, channel
        self.origin = uuid.uuid4().hex
        self._outgoing: queue.Queue[Event | None] = queue.Queue(10_000)
        self._stop = threading.Event()
        self.listening = threading.Event()
        self.received = 0

    def start(self) -> PostgresRelay:
        for target in (self._send_loop, self._listen_loop):
            threading.Thread(target=target, name=f"live-{target.__name__}", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._outgoing.put(None)

    def forward(self, event: Event) -> None:
        try:
            self._outgoing.put_nowait(event)
        except queue.Full:
            logger.warning("live relay queue full; %s not relayed", event.name)

    def encode(self, event: Event) -> str:
        message = {"o": self.origin, "n": event.name, "org": event.organisation_id,
                   "site": event.site_id, "p": event.payload}  # fmt: skip
        text = json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))
        if len(text.encode()) > MAX_NOTIFY_BYTES:
            message["p"] = {"id": event.payload.get("id"), "truncated": True}
            text = json.dumps(message, cls=DjangoJSONEncoder, separators=(",", ":"))
        return text

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.conninfo, autocommit=True)

    def _send_loop(self) -> None:
        connection = None
        while not self._stop.is_set():
            event = self._outgoing.get()
            if event is None:
                break
            try:
                connection = connection or self._connect()
                connection.execute("SELECT pg_notify(%s, %s)", (self.channel, self.encode(event)))
            except Exception:
                logger.exception("live relay could not NOTIFY %s", event.name)
                connection = None
                time.sleep(1.0)
        if connection is not None:
            connection.close()

    def _listen_loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self._connect() as connection:
                    connection.execute(f'LISTEN "{self.channel}"')
                    self.listening.set()
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=1.0):
                            self._receive(notice.payload)
            except Exception:
                self.listening.clear()
                logger.exception("live relay lost its LISTEN connection; reconnecting")
                self._stop.wait(2.0)

    def _receive(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            logger.warning("live relay ignored a malformed notification")
            return
        if message.get("o") == self.origin:
            return
        self.received += 1
        self.hub.publish(
            message["n"], message.get("org"), message.get("site"), message.get("p") or {}
        )


_hub: LiveHub | None = None
_hub_lock = threading.Lock()


def conninfo_from_settings(settings_dict: dict[str, Any]) -> str:
    from psycopg.conninfo import make_conninfo

    parts = {"dbname": settings_dict.get("NAME"), "user": settings_dict.get("USER"),
             "password": settings_dict.get("PASSWORD"), "host": settings_dict.get("HOST"),
             "port": settings_dict.get("PORT")}  # fmt: skip
    return make_conninfo(**{k: str(v) for k, v in parts.items() if v})


def get_hub(*, relay: bool | None = None) -> LiveHub:
    """The process's hub, subscribed to core.events on first use.

    ``relay`` (default: on PostgreSQL outside tests) starts the LISTEN/NOTIFY relay.
    """
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = LiveHub()
            events.subscribe(_hub.on_event)
        hub = _hub
    if relay is None:
        import os

        from django.conf import settings

        is_test = os.environ.get("MINEWATCH_TESTING") == "1"
        relay = settings.DATABASE_VENDOR == "postgresql" and not is_test
    if relay and hub.relay is None:
        from django.db import connection

        with _hub_lock:
            if hub.relay is None:
                hub.relay = PostgresRelay(
                    hub, conninfo_from_settings(connection.settings_dict)
                ).start()
    return hub


def install() -> LiveHub:
    """Start the hub (and relay) now, so this process's events reach other processes."""
    return get_hub()


@dataclass
class TenantScope:
    """What one streaming user may see: their organisation and their assigned sites."""

    is_superuser: bool
    organisation_id: int | None
    site_ids: frozenset[int] = frozenset()
    refreshed_at: float = 0.0

    @classmethod
    def for_user(cls, user: Any) -> TenantScope:
        from minewatch.core.tenancy import assigned_site_ids

        org_id = getattr(user, "organisation_id", None)
        sites = frozenset(assigned_site_ids(org_id)) if org_id is not None else frozenset()
        return cls(bool(user.is_superuser), org_id, sites, time.monotonic())

    def allows(self, event: LiveEvent) -> bool:
        if self.is_superuser:
            return True
        if self.organisation_id is None:
            return False
        return event.organisation_id == self.organisation_id or (
            event.site_id is not None and event.site_id in self.site_ids
        )


# What an event is about, so the stream applies the API's rules to it: the model of the
# object named by ``payload["id"]``, by event-name prefix (``incident.reported``) ...
EVENT_SUBJECTS = {
    "incident": "incidents.Incident", "evidence": "evidence.EvidenceItem",
    "intel_report": "intel.IntelReport", "early_warning": "intel.EarlyWarning",
    "tour": "alarms.TourRun", "alert": "alerts.Alert",
}  # fmt: skip
# The model each event is about, for the roles that may read only some models
# (``core.roles.may_read_model``); an event of a prefix not listed here reaches only the
# roles that read everything.
EVENT_MODELS = {
    **EVENT_SUBJECTS, "site": "geo.Site", "zone": "geo.Zone", "route": "geo.Route",
    "protocol": "alerts.ProtocolChecklist",
    "detection": "tracking.Detection", "tracking": "tracking.Position", "trip": "tracking.Trip",
    "vehicle": "tracking.Vehicle", "device": "tracking.Device",
    "risk_entry": "risk.RiskRegisterEntry",
}  # fmt: skip
# ... and payload keys that name other objects in any event (an alert linked to an
# incident, a ticked protocol step, evidence of an incident, a warning citing incidents).
REFERENCE_KEYS = {
    "incident_id": "incidents.Incident", "incident": "incidents.Incident",
    "alert_id": "alerts.Alert",
}  # fmt: skip
REFERENCE_LIST_KEYS = {"incidents": "incidents.Incident", "reports": "intel.IntelReport"}


def _as_pk(value: Any) -> int | None:
    """12, "12" or a reason key such as "incident:12" -> 12; anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        tail = value.rsplit(":", 1)[-1]
        return int(tail) if tail.isdigit() else None
    return None


def references(event: LiveEvent) -> set[tuple[str, int]]:
    """The ``(model label, pk)`` of every object the event names whose model has a
    ``role_filter`` (tenancy alone is settled by the event's organisation and site)."""
    from django.apps import apps

    found: set[tuple[str, int]] = set()
    payload = event.payload if isinstance(event.payload, dict) else {}
    subject = EVENT_SUBJECTS.get(event.name.split(".", 1)[0])
    if subject is not None and _as_pk(payload.get("id")) is not None:
        found.add((subject, _as_pk(payload["id"])))
    for key, label in REFERENCE_KEYS.items():
        if _as_pk(payload.get(key)) is not None:
            found.add((label, _as_pk(payload[key])))
    for key, label in REFERENCE_LIST_KEYS.items():
        values = payload.get(key)
        for value in values if isinstance(values, list) else ():
            if _as_pk(value) is not None:
                found.add((label, _as_pk(value)))
    return {
        (label, pk) for label, pk in found
        if getattr(apps.get_model(label), "role_filter", None) is not None
    }  # fmt: skip


class RoleCheck:
    """Whether one streaming user may see the objects an event names, by the same rules as
    the API (``Model.objects.visible_to(user)``: tenancy and the model's ``role_filter``).

    Answers are kept ``SCOPE_REFRESH_S`` per object, so a burst of events about one
    incident costs one query; an object that cannot be found (deleted, or another
    company's) is not visible.
    """

    def __init__(self, user: Any) -> None:
        self.user = user
        self._known: dict[tuple[str, int], tuple[bool, float]] = {}
        self._limited: dict[str, bool] = {}

    def references(self, event: LiveEvent) -> set[tuple[str, int]]:
        """The objects the event names whose model limits rows for this user's role (a
        model whose ``role_filter`` is empty for the role needs no query: tenancy decides)."""
        from django.apps import apps

        refs = references(event)
        for label in {label for label, _pk in refs} - set(self._limited):
            self._limited[label] = bool(apps.get_model(label).role_filter(self.user))
        return {ref for ref in refs if self._limited[ref[0]]}

    def reads_model(self, event: LiveEvent) -> bool:
        """Whether the user's role reads the kind of object the event is about at all."""
        return may_read_model(self.user, EVENT_MODELS.get(event.name.split(".", 1)[0], ""))

    def needs_database(self, event: LiveEvent) -> bool:
        now = time.monotonic()
        return any(
            ref not in self._known or now - self._known[ref][1] > SCOPE_REFRESH_S
            for ref in self.references(event)
        )

    def allows(self, event: LiveEvent) -> bool:
        """Call from a thread that may query the database (``sync_to_async``)."""
        if getattr(self.user, "is_superuser", False):
            return True
        from django.apps import apps

        refs = self.references(event)
        now = time.monotonic()
        stale: dict[str, list[int]] = {}
        for label, pk in refs:
            known = self._known.get((label, pk))
            if known is None or now - known[1] > SCOPE_REFRESH_S:
                stale.setdefault(label, []).append(pk)
        for label, pks in stale.items():
            visible = set(apps.get_model(label).objects.visible_to(self.user)
                          .filter(pk__in=pks).values_list("pk", flat=True))  # fmt: skip
            for pk in pks:
                self._known[(label, pk)] = (pk in visible, now)
        return all(self._known[ref][0] for ref in refs)


async def _visible(scope: TenantScope, roles: RoleCheck | None, event: LiveEvent) -> bool:
    if not scope.allows(event):
        return False
    if roles is None:
        return True
    if not roles.reads_model(event):
        return False
    if not roles.references(event):
        return True
    if roles.needs_database(event):
        return await sync_to_async(roles.allows)(event)
    return roles.allows(event)


async def event_stream(
    hub: LiveHub, scope: TenantScope, *, last_event_id: int | None = None,
    heartbeat_s: float = HEARTBEAT_S, user: Any = None,
) -> AsyncIterator[bytes]:  # fmt: skip
    """The SSE byte stream for one client: replay after ``last_event_id``, then live events.

    With ``user`` (the view passes it) events are also checked against what the user's
    role may see (:class:`RoleCheck`); without one, only tenancy (``scope``) applies.
    """
    listener = hub.listen()
    roles = RoleCheck(user) if user is not None else None
    try:
        yield b"retry: 5000\n: connected\n\n"
        seen = last_event_id or 0
        for event in hub.since(last_event_id):
            seen = event.id
            if await _visible(scope, roles, event):
                yield event.as_sse()
        while True:
            try:
                event = await asyncio.wait_for(listener.queue.get(), heartbeat_s)
            except TimeoutError:
                yield b": heartbeat\n\n"
                if user is not None and time.monotonic() - scope.refreshed_at > SCOPE_REFRESH_S:
                    scope = await sync_to_async(TenantScope.for_user)(user)
                continue
            if event.id <= seen:
                continue
            if await _visible(scope, roles, event):
                yield event.as_sse()
    finally:
        hub.unlisten(listener)


def _last_event_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _token_user(key: str) -> Any:
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token is not None and token.user.is_active else None


async def authenticate(request: HttpRequest) -> Any:
    """The user of an ``Authorization: Token …`` header or of the session, else None."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        return await sync_to_async(_token_user)(header.removeprefix("Token ").strip())
    user = await request.auser()
    return user if user.is_authenticated else None


async def stream(request: HttpRequest) -> HttpResponse:
    """``GET /api/v1/stream/``: server-sent events of the user's organisation and sites.

    Event names are the core.events names (``alert.raised``, ``incident.reported``,
    ``detection.route_deviation`` …); ``data`` is JSON with ``name``, ``organisation_id``,
    ``site_id``, ``payload`` and ``at``. Reconnecting with ``Last-Event-ID`` replays
    the events this process still buffers.
    """
    from minewatch.core.roles import has_capability

    if request.method != "GET":
        return JsonResponse({"detail": "Method not allowed."}, status=405)
    user = await authenticate(request)
    if user is None:
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    if not has_capability(user, "read"):
        return JsonResponse({"detail": "Your role does not allow this action."}, status=403)
    scope = await sync_to_async(TenantScope.for_user)(user)
    body = event_stream(get_hub(), scope, last_event_id=_last_event_id(request), user=user)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def names(events_: Iterable[LiveEvent]) -> list[str]:
    """Event names (handy in tests and logs)."""
    return [event.name for event in events_]
