"""A lean MQTT 3.1.1 subscriber session: the few packets an ingest worker needs, read in bulk.

Why not paho-mqtt here: paho reads a packet with one ``recv`` per header byte,
builds a message object and runs topic matching per message, and writes every
PUBACK as its own packet and wake-up; at tens of thousands of fixes per second
that alone fills a core. This session reads whatever the socket holds (up to
256 KB per ``recv``), splits it into packets in one loop, and sends the PUBACKs
of a committed batch in one ``sendall``. It speaks only what a QoS 1 subscriber
needs: CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH (QoS 0 and 1), PUBACK,
PINGREQ/PINGRESP and DISCONNECT (MQTT 3.1.1, OASIS standard, sections 3.1–3.14).
Publishing (alerts, tests, the simulator) still uses paho-mqtt.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from dataclasses import dataclass

CONNECT, CONNACK, PUBLISH, PUBACK = 0x10, 0x20, 0x30, 0x40
SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 0x82, 0x90, 0xC0, 0xD0, 0xE0
READ_BYTES = 262_144
_PINGREQ, _DISCONNECT = bytes([PINGREQ, 0]), bytes([DISCONNECT, 0])
CONNACK_REFUSED = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


class MqttError(ConnectionError):
    """The broker refused us, closed the connection or broke the protocol."""


@dataclass(frozen=True, slots=True)
class Message:
    """One PUBLISH: packet id (0 for QoS 0), QoS, topic and payload."""

    mid: int
    qos: int
    topic: str
    payload: bytes


def _remaining_length(size: int) -> bytes:
    out = bytearray()
    while True:
        size, digit = divmod(size, 128)
        out.append(digit | (0x80 if size else 0))
        if not size:
            return bytes(out)


def _string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    if len(data) > 65535:
        raise ValueError(f"MQTT string of {len(data)} bytes is longer than 65,535")
    return struct.pack("!H", len(data)) + data


def _packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _remaining_length(len(body)) + body


def connect_packet(
    client_id: str, *, keepalive_s: int, clean_session: bool, username: str = "",
    password: str = "",
) -> bytes:  # fmt: skip
    flags = (0x02 if clean_session else 0) | (0x80 if username else 0)
    flags |= 0x40 if username and password else 0
    body = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive_s)
    body += _string(client_id)
    if username:
        body += _string(username)
        if password:
            body += _string(password)
    return _packet(CONNECT, body)


def puback_packets(mids: list[int]) -> bytes:
    """The PUBACKs of many QoS 1 messages, ready for one ``sendall``."""
    return b"".join(b"\x40\x02" + mid.to_bytes(2, "big") for mid in mids)


class MqttSession:
    """A blocking connection to one broker for one subscriber.

    One thread reads; sending (acknowledgements, keep-alive) may come from another.
    """

    def __init__(
        self, host: str, port: int, client_id: str, *, keepalive_s: int = 30,
        clean_session: bool = False, username: str = "", password: str = "",
        connect_timeout_s: float = 10.0,
    ) -> None:  # fmt: skip
        if not client_id and not clean_session:
            raise ValueError("a persistent session (clean_session=False) needs a client id")
        self.host, self.port, self.client_id = host, port, client_id
        self.keepalive_s, self.clean_session = keepalive_s, clean_session
        self.username, self.password = username, password
        self.connect_timeout_s = connect_timeout_s
        self.sock: socket.socket | None = None
        self.session_present = False
        self._buffer = bytearray()
        self._last_sent = 0.0
        self._next_mid = 1
        self._send_lock = threading.Lock()  # acks come from the storing thread

    # -- connection ---------------------------------------------------------------------
    def connect(self) -> None:
        """Open the TCP connection and wait for CONNACK; MqttError if refused."""
        sock = socket.create_connection((self.host, self.port), self.connect_timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self._buffer = sock, bytearray()
        self._send(
            connect_packet(
                self.client_id,
                keepalive_s=self.keepalive_s,
                clean_session=self.clean_session,
                username=self.username,
                password=self.password,
            )  # fmt: skip
        )
        kind, body = self._wait_for(CONNACK, self.connect_timeout_s)
        if len(body) != 2:
            raise MqttError(f"CONNACK of {len(body)} bytes, expected 2")
        if body[1]:
            reason = CONNACK_REFUSED.get(body[1], f"code {body[1]}")
            raise MqttError(f"broker refused the connection: {reason}")
        self.session_present = bool(body[0] & 1)
        sock.settimeout(None)

    def subscribe(self, topic: str, qos: int = 1, timeout_s: float = 10.0) -> int:
        """Subscribe and wait for SUBACK; returns the granted QoS (MqttError if refused)."""
        if qos not in (0, 1):
            raise ValueError(f"qos must be 0 or 1 for this subscriber, got {qos}")
        mid = self._mid()
        self._send(_packet(SUBSCRIBE, struct.pack("!H", mid) + _string(topic) + bytes([qos])))
        while True:
            _kind, body = self._wait_for(SUBACK, timeout_s)
            if struct.unpack("!H", body[:2])[0] == mid:
                break
        granted = body[2] if len(body) > 2 else 0x80
        if granted == 0x80:
            raise MqttError(f"broker refused the subscription to {topic!r}")
        return granted

    def close(self, *, graceful: bool = True) -> None:
        if self.sock is None:
            return
        try:
            if graceful:
                self.sock.sendall(_DISCONNECT)
        except OSError:
            pass
        finally:
            self.sock.close()
            self.sock = None

    # -- traffic ------------------------------------------------------------------------
    def read(self, *, wait_s: float, max_messages: int) -> list[Message]:
        """PUBLISH messages received: wait up to ``wait_s`` for the first, then take what is there.

        Also answers PINGRESP silently and sends PINGREQ when the keepalive is due.
        """
        self.keep_alive()
        messages = self._parse(max_messages)
        if not messages:
            readable, _, _ = select.select([self.sock], [], [], wait_s)
            if not readable:
                return messages
            self._receive()
        # Then take everything the kernel already holds, without waiting, up to max_messages.
        while True:
            messages += self._parse(max_messages - len(messages))
            if len(messages) >= max_messages or not self._receive_ready():
                return messages

    def ack(self, messages: list[Message]) -> int:
        """PUBACK every QoS 1 message of ``messages`` in one write; returns how many."""
        mids = [m.mid for m in messages if m.qos == 1]
        if mids:
            self._send(puback_packets(mids))
        return len(mids)

    def keep_alive(self) -> None:
        if self.keepalive_s and time.monotonic() - self._last_sent > self.keepalive_s / 2:
            self._send(_PINGREQ)

    # -- internals ----------------------------------------------------------------------
    def _mid(self) -> int:
        mid, self._next_mid = self._next_mid, self._next_mid % 65535 + 1
        return mid

    def _send(self, data: bytes) -> None:
        with self._send_lock:
            if self.sock is None:
                raise MqttError("not connected")
            self.sock.sendall(data)
            self._last_sent = time.monotonic()

    def _receive(self) -> None:
        data = self.sock.recv(READ_BYTES)
        if not data:
            raise MqttError("the broker closed the connection")
        self._buffer += data

    def _receive_ready(self) -> bool:
        readable, _, _ = select.select([self.sock], [], [], 0)
        if readable:
            self._receive()
        return bool(readable)

    def _wait_for(self, wanted: int, timeout_s: float) -> tuple[int, bytes]:
        """The next control packet of kind ``wanted`` (PUBLISHes before it stay queued)."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self._next_control(wanted)
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MqttError(f"no answer {wanted >> 4} from the broker in {timeout_s:g} s")
            self.sock.settimeout(remaining)
            try:
                self._receive()
            except TimeoutError:
                continue

    def _next_control(self, wanted: int) -> tuple[int, bytes] | None:
        buffer, pos = self._buffer, 0
        while True:
            header = _header(buffer, pos)
            if header is None:
                return None
            kind, start, end = header
            if kind & 0xF0 == wanted & 0xF0:
                body = bytes(buffer[start:end])
                del buffer[pos:end]
                return kind, body
            if kind & 0xF0 not in (PUBLISH, PINGRESP):
                raise MqttError(f"unexpected packet type {kind >> 4} while waiting")
            pos = end

    def _parse(self, max_messages: int) -> list[Message]:
        buffer, pos, messages = self._buffer, 0, []
        size = len(buffer)
        while len(messages) < max_messages and pos + 2 <= size:
            first = buffer[pos]
            # Remaining length: 1 byte below 128 (every position message), else varint.
            length = buffer[pos + 1]
            start = pos + 2
            if length & 0x80:
                header = _header(buffer, pos)
                if header is None:
                    break
                _, start, end = header
            else:
                end = start + length
                if end > size:
                    break
            kind = first & 0xF0
            if kind == PUBLISH:
                qos = (first >> 1) & 3
                topic_end = start + 2 + (buffer[start] << 8 | buffer[start + 1])
                if qos:
                    if qos > 1:
                        raise MqttError("QoS 2 message on a QoS 1 subscription")
                    mid = buffer[topic_end] << 8 | buffer[topic_end + 1]
                    payload_start = topic_end + 2
                else:
                    mid, payload_start = 0, topic_end
                topic = buffer[start + 2 : topic_end].decode("utf-8", errors="replace")
                messages.append(Message(mid, qos, topic, bytes(buffer[payload_start:end])))
            elif kind not in (PINGRESP, SUBACK, PUBACK):
                raise MqttError(f"unexpected packet type {kind >> 4}")
            pos = end
        if pos:
            del buffer[:pos]
        return messages


def _header(buffer: bytearray, pos: int) -> tuple[int, int, int] | None:
    """(first byte, body start, body end) of the packet at ``pos``, None if incomplete."""
    size, multiplier, length, index = len(buffer), 1, 0, pos + 1
    while True:
        if index >= size:
            return None
        digit = buffer[index]
        length += (digit & 0x7F) * multiplier
        index += 1
        if not digit & 0x80:
            break
        multiplier *= 128
        if multiplier > 128**3:
            raise MqttError("malformed remaining length")
    end = index + length
    return (buffer[pos], index, end) if end <= size else None
