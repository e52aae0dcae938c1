"""A TCP client for a weighbridge indicator's continuous output (see ``engine.indicator``).

Indicators with an Ethernet module usually listen on a port and stream a frame per
reading; this client connects, splits the stream into lines (CR or LF), parses each
frame, and stores a :class:`~minewatch.inventory.models.ScaleCapture` each time a
truck's mass is stable. A malformed frame is counted and logged with its text, never
fatal; a dropped connection is retried after ``reconnect_s`` until ``stop`` is set.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from minewatch.inventory.engine.indicator import StableCapture, parse_frame

logger = logging.getLogger("minewatch.inventory.listener")
LINE_END = re.compile(rb"[\r\n]+")
MAX_LINE_BYTES = 256  # an indicator frame is ~20 bytes; longer is noise


@dataclass
class ListenerStats:
    frames: int = 0
    bad_frames: int = 0
    captures: list[float] = field(default_factory=list)
    last_error: str = ""


def _frames(buffer: bytearray, chunk: bytes) -> list[str]:
    buffer.extend(chunk)
    *complete, rest = LINE_END.split(bytes(buffer))
    buffer[:] = rest[-MAX_LINE_BYTES:]
    return [line.decode("ascii", "replace") for line in complete if line.strip()]


def listen(
    *, host: str, port: int, on_capture: Callable[[float, str], None],
    stop: threading.Event | None = None, detector: StableCapture | None = None,
    reconnect_s: float = 2.0, once: bool = False, timeout_s: float = 5.0,
) -> ListenerStats:  # fmt: skip
    """Read frames from ``host:port``; call ``on_capture(mass_kg, frame)`` per stable truck.

    ``once``: return when the indicator closes the connection (tests, a single session).
    """
    stop = stop or threading.Event()
    detector = detector or StableCapture()
    stats = ListenerStats()
    while not stop.is_set():
        try:
            with socket.create_connection((host, port), timeout=timeout_s) as connection:
                _session(connection, detector, on_capture, stats, stop)
        except OSError as exc:
            stats.last_error = str(exc)
            logger.warning("indicator %s:%s: %s", host, port, exc)
        if once:
            break
        stop.wait(reconnect_s)
    return stats


def _session(connection: socket.socket, detector: StableCapture,
             on_capture: Callable[[float, str], None], stats: ListenerStats,
             stop: threading.Event) -> None:  # fmt: skip
    buffer = bytearray()
    while not stop.is_set():
        try:
            chunk = connection.recv(4096)
        except TimeoutError:
            continue
        if not chunk:
            return
        for frame in _frames(buffer, chunk):
            stats.frames += 1
            try:
                reading = parse_frame(frame)
            except ValueError as exc:
                stats.bad_frames += 1
                logger.warning("indicator frame refused: %s", exc)
                continue
            mass = detector.feed(reading)
            if mass is not None:
                stats.captures.append(mass)
                on_capture(mass, frame)
