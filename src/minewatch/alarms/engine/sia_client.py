"""A small SIA DC-09 transmitter: builds real frames and sends them over TCP or UDP.

Used by the tests and the demo's simulated alarm panel. The frame layout follows
SIA DC-09 (the IP transmission standard for alarm panels)::

    <LF><crc:4 hex><length:4 hex>"<id>"<seq:4><Rrcvr><Lpref>#<acct>[<data>]_HH:MM:SS,MM-DD-YYYY<CR>

* ``crc`` is CRC-16/ARC (poly 0xA001 reflected, init 0) over everything from the first
  ``"`` up to the end of the timestamp; ``length`` is the hex length of the same span.
* ``id`` is ``SIA-DCS`` (or ``*SIA-DCS`` when the part after ``[`` is AES-CBC encrypted,
  zero IV, hex-encoded, with random pad characters and a ``|`` in front of the data).
* ``data`` is ``#<acct>|N[ri<area>/]<code><zone>``.

The AES key is the account key's characters taken as bytes (16, 24 or 32 characters
give AES-128/192/256), the convention pysiaalarm's receiver uses.
"""

from __future__ import annotations

import asyncio
import secrets
import string
from datetime import UTC, datetime

from Crypto.Cipher import AES

__all__ = ["build_sia_frame", "send_sia_frame", "sia_crc16"]

# DC-09 pad characters must not be the separators the receiver looks for.
_PAD_ALPHABET = string.ascii_letters + string.digits
_ZERO_IV = bytes(16)


def sia_crc16(data: bytes) -> int:
    """Return the CRC-16/ARC checksum DC-09 puts in front of every frame.

    Parameters
    ----------
    data : bytes
        The message from the opening ``"`` of the id token to the end of the timestamp.

    Returns
    -------
    int
        The 16-bit checksum.

    Examples
    --------
    >>> hex(sia_crc16(b"123456789"))
    '0xbb3d'
    """
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _check_frame_arguments(account: str, code: str, key: str | None, sequence: int) -> None:
    try:
        int(account, 16)
    except ValueError:
        raise ValueError(f"account {account!r} must be 3-16 hexadecimal characters") from None
    if not 3 <= len(account) <= 16:
        raise ValueError(f"account {account!r} must be 3-16 hexadecimal characters")
    if len(code) != 2 or not code.isalpha():
        raise ValueError(f"code {code!r} must be a two-letter SIA event code")
    if key is not None and len(key) not in (16, 24, 32):
        raise ValueError(f"key must have 16, 24 or 32 characters, got {len(key)}")
    if not 0 <= sequence <= 9999:
        raise ValueError(f"sequence {sequence} must be within 0..9999")


def _encrypt(plain: str, key: str, pad_char: str | None) -> str:
    pad_length = 16 - (len(plain) + 1) % 16
    if pad_char is None:
        pad = "".join(secrets.choice(_PAD_ALPHABET) for _ in range(pad_length))
    elif len(pad_char) == 1 and pad_char in _PAD_ALPHABET:
        pad = pad_char * pad_length
    else:
        raise ValueError(f"pad_char {pad_char!r} must be one letter or digit")
    cipher = AES.new(key.encode("ascii"), AES.MODE_CBC, _ZERO_IV)
    return cipher.encrypt(f"{pad}|{plain}".encode("ascii")).hex().upper()


def build_sia_frame(
    *,
    account: str,
    code: str,
    zone: int | str = 0,
    area: int | str | None = None,
    sequence: int = 1,
    receiver: str | None = "R0",
    line: str = "L0",
    key: str | None = None,
    timestamp_utc: datetime | None = None,
    pad_char: str | None = None,
    corrupt_crc: bool = False,
) -> bytes:
    """Build one SIA DC-09 ``SIA-DCS`` frame, optionally encrypted.

    Parameters
    ----------
    account : str
        Panel account number, 3-16 hexadecimal characters.
    code : str
        Two-letter SIA event code, e.g. ``"BA"`` (burglary alarm) or ``"RP"`` (test).
    zone : int or str
        Zone/point number written after the code.
    area : int or str, optional
        Area (partition) written as ``ri<area>/``; omitted when None.
    sequence : int
        Sequence number 0-9999.
    receiver, line : str
        ``R`` and ``L`` tokens; ``receiver=None`` leaves the optional receiver out.
    key : str, optional
        Account key; when given the frame is AES-CBC encrypted (``*SIA-DCS``).
    timestamp_utc : datetime, optional
        Event time, timezone-aware; defaults to now. Naive datetimes raise ValueError.
    pad_char : str, optional
        One letter or digit repeated as the pad of an encrypted frame, so tests get a
        reproducible ciphertext; random pad characters when None.
    corrupt_crc : bool
        Write a wrong CRC on purpose (tests of the receiver's CRC check).

    Returns
    -------
    bytes
        The frame including the leading LF and trailing CR.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> build_sia_frame(account="1234", code="BA", zone=5,
    ...                 timestamp_utc=datetime(2024, 5, 1, 3, 4, 5, tzinfo=UTC))
    b'\\nC0440036"SIA-DCS"0001R0L0#1234[#1234|NBA5]_03:04:05,05-01-2024\\r'
    """
    account = account.upper()
    _check_frame_arguments(account, code, key, sequence)
    when = timestamp_utc if timestamp_utc is not None else datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("timestamp_utc must be timezone-aware (UTC)")
    stamp = when.astimezone(UTC).strftime("_%H:%M:%S,%m-%d-%Y")
    area_token = f"ri{area}/" if area is not None else ""
    data = f"#{account}|N{area_token}{code.upper()}{zone}]{stamp}"
    token = '"*SIA-DCS"' if key else '"SIA-DCS"'
    body = f"{token}{sequence:04d}{receiver or ''}{line}#{account}["
    body += _encrypt(data, key, pad_char) if key else data
    crc = sia_crc16(body.encode("ascii"))
    if corrupt_crc:
        crc ^= 0xFFFF
    return f"\n{crc:04X}{len(body):04X}{body}\r".encode("ascii")


async def send_sia_frame(
    frame: bytes,
    *,
    host: str,
    port: int,
    protocol: str = "tcp",
    timeout_s: float = 5.0,
) -> bytes:
    """Send one frame to a receiver and return its answer (ACK/NAK/DUH frame).

    Parameters
    ----------
    frame : bytes
        Raw bytes to send (usually from :func:`build_sia_frame`, or garbage in tests).
    host, port : str, int
        Receiver address.
    protocol : {"tcp", "udp"}
        Transport.
    timeout_s : float
        How long to wait for the answer; ``asyncio.TimeoutError`` after that.

    Returns
    -------
    bytes
        The receiver's answer as received, b"" if the receiver closed without answering.

    Examples
    --------
    >>> # answer = await send_sia_frame(build_sia_frame(account="1234", code="RP"),
    >>> #                               host="127.0.0.1", port=12128)
    """
    if protocol == "tcp":
        return await asyncio.wait_for(_send_tcp(frame, host, port), timeout_s)
    if protocol == "udp":
        return await asyncio.wait_for(_send_udp(frame, host, port), timeout_s)
    raise ValueError(f"protocol {protocol!r} must be 'tcp' or 'udp'")


async def _send_tcp(frame: bytes, host: str, port: int) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(frame)
        await writer.drain()
        answer = await reader.readuntil(b"\r")
    except asyncio.IncompleteReadError as exc:
        answer = exc.partial
    finally:
        writer.close()
        await writer.wait_closed()
    return answer


class _OneAnswer(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.answer.done():
            self.answer.set_result(data)


async def _send_udp(frame: bytes, host: str, port: int) -> bytes:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_OneAnswer, remote_addr=(host, port))
    try:
        transport.sendto(frame)
        return await protocol.answer
    finally:
        transport.close()
