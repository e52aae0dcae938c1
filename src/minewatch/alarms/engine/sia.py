"""SIA DC-09 receiver for intrusion alarm panels, built on ``pysiaalarm``.

pysiaalarm parses each frame, checks its CRC, decrypts it with the account key
(AES-CBC) and builds the standard answer (ACK, NAK, DUH). This module adds what a
monitoring centre needs around it: an asyncio TCP and UDP server that reads frames by
their CR terminator, a plain :class:`PanelEvent` per accepted event, a reason and a
counter for every rejected frame, retransmission folding, and heartbeat supervision.
Nothing here touches Django: a service passes ``on_event`` and stores what it receives.

Answers (from pysiaalarm): ACK for a good event; NAK for a malformed frame, an unknown
account, a frame that cannot be decrypted or a timestamp outside the account's window
(replay protection); DUH for an unknown event code; a bare LF CR (no acknowledgement,
so the panel retransmits) for a CRC mismatch.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pysiaalarm import SIAAccount, SIAEvent
from pysiaalarm.errors import EventFormatError, NoAccountError
from pysiaalarm.event import NAKEvent, OHEvent

from minewatch.alarms.engine.sia_categories import categorize_sia_code

__all__ = [
    "FrameOutcome",
    "PanelEvent",
    "SiaFrameHandler",
    "SiaPanelAccount",
    "SiaReceiver",
]

logger = logging.getLogger(__name__)

_ZONE_AND_TEXT = re.compile(r"(\d*)(.*)", re.S)

EventCallback = Callable[["PanelEvent"], Awaitable[None] | None]


@dataclass(frozen=True)
class SiaPanelAccount:
    """One alarm panel's account as the receiver knows it.

    ``key`` (16, 24 or 32 characters) makes the account encrypted; ``max_age_s`` and
    ``max_ahead_s`` bound how far the frame's timestamp may lie behind or ahead of the
    receiver's clock (DC-09 replay protection); ``perimeter_zones`` are the zones wired
    to fence/gate/beam sensors.
    """

    account: str
    key: str | None = None
    perimeter_zones: frozenset[str] = frozenset()
    max_age_s: int = 40
    max_ahead_s: int = 20

    def __post_init__(self) -> None:
        try:
            SIAAccount.validate_account(self.account, self.key)
        except Exception as exc:
            raise ValueError(
                f"account {self.account!r}: must be 3-16 hex characters, key 16/24/32 "
                f"hex characters ({type(exc).__name__})"
            ) from None
        if self.max_age_s < 0 or self.max_ahead_s < 0:
            raise ValueError(f"max_age_s={self.max_age_s}, max_ahead_s={self.max_ahead_s} < 0")
        object.__setattr__(self, "account", self.account.upper())

    def to_pysia(self) -> SIAAccount:
        """Return the pysiaalarm account (UTC device clock)."""
        return SIAAccount(
            self.account, self.key, allowed_timeband=(self.max_age_s, self.max_ahead_s)
        )


@dataclass(frozen=True)
class PanelEvent:
    """One accepted event from a panel, in plain values."""

    account: str
    receiver: str
    line: str
    code: str
    zone: str
    area: str
    message: str
    time_utc: datetime
    received_at_utc: datetime
    sequence: str
    is_encrypted: bool
    category: str


@dataclass(frozen=True)
class FrameOutcome:
    """What happened to one frame: the answer to send, the event, or why it was refused."""

    response: bytes | None
    event: PanelEvent | None = None
    rejected_reason: str | None = None
    is_duplicate: bool = False


def _split_zone(message: str | None, area: str | None) -> tuple[str, str]:
    """Return (zone, free text) from what pysiaalarm leaves after the code ("5", "5^text")."""
    match = _ZONE_AND_TEXT.match((message or "").strip())
    zone, text = (match.group(1), match.group(2)) if match else ("", "")
    return zone or (area or ""), text.strip(" ^")


@dataclass
class SiaFrameHandler:
    """Turn raw frame bytes into an answer and maybe a :class:`PanelEvent` (no sockets).

    Examples
    --------
    >>> from minewatch.alarms.engine.sia_client import build_sia_frame
    >>> handler = SiaFrameHandler([SiaPanelAccount("1234")])
    >>> outcome = handler.handle(build_sia_frame(account="1234", code="BA", zone=3))
    >>> outcome.event.category, b'"ACK"' in outcome.response
    ('burglary', True)
    """

    accounts: Iterable[SiaPanelAccount]
    duplicate_window_s: float = 120.0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    last_seen_utc: dict[str, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._panels = {a.account: a for a in self.accounts}
        self._pysia = {a.account: a.to_pysia() for a in self._panels.values()}
        self._recent: dict[tuple[str, ...], datetime] = {}

    def handle(self, data: bytes, *, received_at_utc: datetime | None = None) -> FrameOutcome:
        """Parse, check and answer one frame; never raises on bad input."""
        now = received_at_utc or datetime.now(UTC)
        if now.tzinfo is None:
            raise ValueError("received_at_utc must be timezone-aware (UTC)")
        line = data.decode("ascii", errors="replace").strip()
        if not line:
            return FrameOutcome(response=None)
        try:
            return self._handle_line(line, now)
        except Exception:  # a bug in parsing must not stop the receiver
            logger.exception("SIA frame could not be handled: %r", line[:200])
            return self._reject("internal_error", line, NAKEvent().create_response())

    def _reject(self, reason: str, line: str, response: bytes | None) -> FrameOutcome:
        self.rejected_by_reason[reason] = self.rejected_by_reason.get(reason, 0) + 1
        logger.warning("SIA frame rejected (%s): %r", reason, line[:200])
        return FrameOutcome(response=response, rejected_reason=reason)

    def _count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def _handle_line(self, line: str, now: datetime) -> FrameOutcome:
        is_encrypted = '"*' in line[:12]
        try:
            event = SIAEvent.from_line(line, self._pysia)
        except NoAccountError:
            return self._reject("unknown_account", line, NAKEvent().create_response())
        except (EventFormatError, ValueError, UnicodeError):
            # ValueError: odd hex or a ciphertext that is not whole AES blocks.
            reason = "decrypt_failed" if is_encrypted else "malformed"
            return self._reject(reason, line, NAKEvent().create_response())
        if isinstance(event, OHEvent):
            self._count("keepalive")
            return FrameOutcome(response=event.create_response())
        return self._check_event(event, line, now)

    def _check_event(self, event: SIAEvent, line: str, now: datetime) -> FrameOutcome:
        if not event.valid_message:
            return self._reject("crc", line, event.create_response())
        if int(event.length or "0", 16) != len(event.full_message or ""):
            return self._reject("length_mismatch", line, NAKEvent().create_response())
        if event.sia_account is None:
            # pysiaalarm answers a bare '"NAK"' here; send the framed NAK the standard defines.
            return self._reject("unknown_account", line, NAKEvent().create_response())
        if event.code_not_found:
            return self._reject("unknown_code", line, event.create_response())
        if not event.valid_timestamp:
            return self._reject("stale_timestamp", line, event.create_response())
        panel_event = self._to_panel_event(event, now)
        self.last_seen_utc[panel_event.account] = now
        if self._is_retransmission(panel_event, now):
            self._count("duplicate")
            return FrameOutcome(event.create_response(), panel_event, is_duplicate=True)
        self._count("accepted")
        return FrameOutcome(response=event.create_response(), event=panel_event)

    def _to_panel_event(self, event: SIAEvent, now: datetime) -> PanelEvent:
        account = (event.account or "").upper()
        zone, text = _split_zone(event.message, event.ri)
        panel = self._panels[account]
        stamp = event.timestamp if isinstance(event.timestamp, datetime) else now
        return PanelEvent(
            account=account,
            receiver=event.receiver or "",
            line=event.line or "",
            code=event.code or "",
            zone=zone,
            area=event.ri or "",
            message=text,
            time_utc=stamp.astimezone(UTC),
            received_at_utc=now,
            sequence=event.sequence or "",
            is_encrypted=bool(event.encrypted),
            category=categorize_sia_code(event.code or "", zone, panel.perimeter_zones),
        )

    def _is_retransmission(self, event: PanelEvent, now: datetime) -> bool:
        """A panel that missed our ACK sends the same frame again: ACK it, deliver it once."""
        horizon = now - timedelta(seconds=self.duplicate_window_s)
        self._recent = {k: t for k, t in self._recent.items() if t >= horizon}
        key = (event.account, event.sequence, event.code, event.zone, event.area)
        key += (event.time_utc.isoformat(),)
        if key in self._recent:
            return True
        self._recent[key] = now
        return False


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: SiaReceiver) -> None:
        self._receiver = receiver
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        outcome = self._receiver.handler.handle(data)
        if outcome.response and self.transport is not None:
            self.transport.sendto(outcome.response, addr)
        self._receiver.schedule_delivery(outcome)


class SiaReceiver:
    """asyncio SIA DC-09 receiver on TCP and/or UDP that hands events to a callback.

    Parameters
    ----------
    accounts : iterable of SiaPanelAccount
        Panels that may report; frames from others are refused.
    on_event : callable
        Called (or awaited, if it is a coroutine function) with each new PanelEvent;
        its exceptions are logged and counted in ``counts["callback_error"]``.
    host : str
        Address to bind.
    tcp_port, udp_port : int or None
        Ports to bind; 0 picks a free port, None disables that transport.
    max_frame_bytes : int
        A TCP frame longer than this without a CR is refused and the connection closed.
    idle_timeout_s : float
        A TCP connection silent this long is closed.

    Examples
    --------
    >>> # async with SiaReceiver(accounts=[SiaPanelAccount("1234")], on_event=print) as rx:
    >>> #     print(rx.tcp_port, rx.rejected_by_reason)
    """

    def __init__(
        self,
        *,
        accounts: Iterable[SiaPanelAccount],
        on_event: EventCallback,
        host: str = "127.0.0.1",
        tcp_port: int | None = 0,
        udp_port: int | None = 0,
        max_frame_bytes: int = 1024,
        idle_timeout_s: float = 30.0,
        duplicate_window_s: float = 120.0,
    ) -> None:
        if max_frame_bytes < 64:
            raise ValueError(f"max_frame_bytes={max_frame_bytes} is below 64 bytes")
        self.handler = SiaFrameHandler(accounts, duplicate_window_s=duplicate_window_s)
        self._on_event = on_event
        self._host = host
        self._requested = (tcp_port, udp_port)
        self._max_frame_bytes = max_frame_bytes
        self._idle_timeout_s = idle_timeout_s
        self._tcp_server: asyncio.Server | None = None
        self._udp_transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.tcp_port: int | None = None
        self.udp_port: int | None = None

    @property
    def rejected_by_reason(self) -> dict[str, int]:
        """Refused frames counted by reason (crc, unknown_account, stale_timestamp, ...)."""
        return self.handler.rejected_by_reason

    @property
    def counts(self) -> dict[str, int]:
        """Accepted, duplicate, keepalive and callback_error counts."""
        return self.handler.counts

    async def start(self) -> None:
        """Bind the configured ports; ``tcp_port``/``udp_port`` then hold the bound ones."""
        tcp_port, udp_port = self._requested
        if tcp_port is not None:
            self._tcp_server = await asyncio.start_server(
                self._serve_tcp, self._host, tcp_port, limit=self._max_frame_bytes
            )
            self.tcp_port = self._tcp_server.sockets[0].getsockname()[1]
        if udp_port is not None:
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(self._host, udp_port)
            )
            self._udp_transport = transport
            self.udp_port = transport.get_extra_info("sockname")[1]

    async def stop(self) -> None:
        """Close both servers and wait for callbacks still running."""
        if self._tcp_server is not None:
            self._tcp_server.close()
            await self._tcp_server.wait_closed()
            self._tcp_server = None
        if self._udp_transport is not None:
            self._udp_transport.close()
            self._udp_transport = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> SiaReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def schedule_delivery(self, outcome: FrameOutcome) -> None:
        """Run the callback for a new event in a task (UDP path)."""
        if outcome.event is None or outcome.is_duplicate:
            return
        task = asyncio.get_running_loop().create_task(self._deliver(outcome.event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: PanelEvent) -> None:
        try:
            result = self._on_event(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            self.handler.counts["callback_error"] = self.counts.get("callback_error", 0) + 1
            logger.exception("SIA event callback failed for %s", event)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._serve_one_tcp_frame(reader, writer):
                pass
        except (ConnectionError, TimeoutError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _serve_one_tcp_frame(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one CR-terminated frame; return False when the connection should close."""
        keep_open = True
        try:
            data = await asyncio.wait_for(reader.readuntil(b"\r"), self._idle_timeout_s)
        except asyncio.IncompleteReadError as exc:
            data, keep_open = exc.partial, False
        except asyncio.LimitOverrunError:
            self.handler._reject("oversized", "<no CR within limit>", None)
            writer.write(NAKEvent().create_response())
            return False
        outcome = self.handler.handle(data)
        if outcome.response:
            writer.write(outcome.response)
            await writer.drain()
        if outcome.event is not None and not outcome.is_duplicate:
            await self._deliver(outcome.event)
        return keep_open
