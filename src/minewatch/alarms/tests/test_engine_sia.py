"""SIA DC-09 receiver: real frames over 127.0.0.1 TCP and UDP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pysiaalarm import SIAEvent

from minewatch.alarms.engine.sia import (
    PanelEvent,
    SiaFrameHandler,
    SiaPanelAccount,
    SiaReceiver,
)
from minewatch.alarms.engine.sia_categories import categorize_sia_code
from minewatch.alarms.engine.sia_client import build_sia_frame, send_sia_frame, sia_crc16
from minewatch.alarms.engine.supervision import find_silent_panels

KEY = "0123456789ABCDEF"
WRONG_KEY = "FEDCBA9876543210"
ACCOUNTS = [
    SiaPanelAccount("1234", perimeter_zones=frozenset({"7"})),
    SiaPanelAccount("AAA1", key=KEY),
]


def make_frame(**overrides: object) -> bytes:
    arguments: dict[str, object] = {"account": "1234", "code": "BA", "zone": 3}
    arguments.update(overrides)
    return build_sia_frame(**arguments)  # type: ignore[arg-type]


def minutes_from_now(minutes: float) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


async def exchange(frames: list[bytes], protocol: str) -> tuple[list[bytes], SiaReceiver, list]:
    """Start a receiver, send each frame, then one good frame; return answers and events."""
    events: list[PanelEvent] = []

    async def on_event(event: PanelEvent) -> None:
        events.append(event)

    async with SiaReceiver(accounts=ACCOUNTS, on_event=on_event) as receiver:
        port = receiver.tcp_port if protocol == "tcp" else receiver.udp_port
        answers = []
        for frame in [*frames, make_frame(code="RP", zone=0, sequence=99)]:
            answer = await send_sia_frame(frame, host="127.0.0.1", port=port, protocol=protocol)
            answers.append(answer)
        await asyncio.sleep(0.05)  # let UDP callbacks run
    return answers, receiver, events


def test_crc_matches_the_standard_check_value_and_pysiaalarm() -> None:
    assert sia_crc16(b"123456789") == 0xBB3D
    body = '"SIA-DCS"0001R0L0#1234[#1234|NBA3]'
    assert f"{sia_crc16(body.encode()):04X}" == SIAEvent._crc_calc(body)


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_good_event_is_acked_and_delivered_once(protocol: str) -> None:
    frame = make_frame(zone=7, area=2, sequence=5)
    answers, receiver, events = asyncio.run(exchange([frame], protocol))
    assert b'"ACK"0005' in answers[0]
    first = events[0]
    assert (first.account, first.code, first.zone, first.area) == ("1234", "BA", "7", "2")
    assert first.category == "perimeter"
    assert first.sequence == "0005" and not first.is_encrypted
    assert first.time_utc.tzinfo is not None
    assert receiver.counts["accepted"] == 2
    assert receiver.rejected_by_reason == {}


# Each frame is built when its test runs, not when the tests are collected: a timestamp ten
# minutes ahead, made at collection, was no longer stale when a long run reached the test.
BAD_FRAMES = [
    ("crc", lambda: make_frame(corrupt_crc=True), b'"ACK"'),
    ("unknown_account", lambda: make_frame(account="9999"), b'"NAK"'),
    ("stale_timestamp", lambda: make_frame(timestamp_utc=minutes_from_now(-10)), b"NAK"),
    ("stale_timestamp", lambda: make_frame(timestamp_utc=minutes_from_now(10)), b"NAK"),
    ("unknown_code", lambda: make_frame(code="QQ"), b'"DUH"'),
    ("malformed", lambda: b"\x00\xffhello garbage\r", b'"NAK"'),
    ("malformed", lambda: b'\n00000010"SIA-DCS"xx\r', b'"NAK"'),
    (
        "decrypt_failed",
        lambda: make_frame(
            account="AAA1",
            key=WRONG_KEY,
            pad_char="x",
            timestamp_utc=datetime(2024, 5, 1, 3, 4, 5, tzinfo=UTC),
        ),
        b'"NAK"',
    ),
    ("unknown_account", lambda: make_frame(account="BBB2", key=KEY), b'"NAK"'),
]


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
@pytest.mark.parametrize(("reason", "build", "marker"), BAD_FRAMES)
def test_bad_frame_is_refused_counted_and_receiver_keeps_working(
    protocol: str, reason: str, build: Callable[[], bytes], marker: bytes
) -> None:
    answers, receiver, events = asyncio.run(exchange([build()], protocol))
    if reason == "crc":
        assert marker not in answers[0]
    else:
        assert marker in answers[0]
    assert receiver.rejected_by_reason == {reason: 1}
    assert [e.code for e in events] == ["RP"]
    assert b'"ACK"0099' in answers[1]


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_encrypted_event_with_right_key_is_decrypted_and_acked_encrypted(protocol: str) -> None:
    frame = make_frame(account="AAA1", key=KEY, code="PA", zone=1)
    answers, receiver, events = asyncio.run(exchange([frame], protocol))
    assert b'"*ACK"0001' in answers[0]
    assert events[0].is_encrypted and events[0].category == "panic"
    assert receiver.rejected_by_reason == {}


def test_retransmitted_frame_is_acked_but_delivered_once() -> None:
    frame = make_frame(sequence=42)
    answers, receiver, events = asyncio.run(exchange([frame, frame], "tcp"))
    assert all(b'"ACK"0042' in a for a in answers[:2])
    assert [e.code for e in events] == ["BA", "RP"]
    assert receiver.counts["duplicate"] == 1


async def _send_many_on_one_connection(port: int) -> list[bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(make_frame(sequence=1) + b"\x00junk\r" + make_frame(code="TA", sequence=2))
    await writer.drain()
    answers = [await reader.readuntil(b"\r") for _ in range(3)]
    writer.close()
    await writer.wait_closed()
    return answers


def test_tcp_connection_with_several_frames_answers_each() -> None:
    async def scenario() -> tuple[list[bytes], SiaReceiver, list[PanelEvent]]:
        events: list[PanelEvent] = []
        async with SiaReceiver(accounts=ACCOUNTS, on_event=events.append, udp_port=None) as rx:
            answers = await _send_many_on_one_connection(rx.tcp_port)
        return answers, rx, events

    answers, receiver, events = asyncio.run(scenario())
    assert [b'"ACK"' in a for a in answers] == [True, False, True]
    assert [e.category for e in events] == ["burglary", "tamper"]
    assert receiver.rejected_by_reason == {"malformed": 1}


def test_oversized_tcp_frame_without_cr_is_refused() -> None:
    async def scenario() -> tuple[bytes, SiaReceiver]:
        async with SiaReceiver(accounts=ACCOUNTS, on_event=print, max_frame_bytes=128) as rx:
            answer = await send_sia_frame(b"A" * 4096, host="127.0.0.1", port=rx.tcp_port)
            ok = await send_sia_frame(make_frame(), host="127.0.0.1", port=rx.tcp_port)
        assert b'"ACK"' in ok
        return answer, rx

    answer, receiver = asyncio.run(scenario())
    assert b'"NAK"' in answer
    assert receiver.rejected_by_reason == {"oversized": 1}


def test_failing_callback_is_counted_and_does_not_stop_the_receiver() -> None:
    def on_event(event: PanelEvent) -> None:
        raise RuntimeError("database down")

    async def scenario() -> SiaReceiver:
        async with SiaReceiver(accounts=ACCOUNTS, on_event=on_event) as rx:
            for sequence, port, protocol in [(1, rx.tcp_port, "tcp"), (2, rx.udp_port, "udp")]:
                answer = await send_sia_frame(
                    make_frame(sequence=sequence), host="127.0.0.1", port=port, protocol=protocol
                )
                assert b'"ACK"' in answer
        return rx

    assert asyncio.run(scenario()).counts["callback_error"] == 2


def test_handler_without_network_records_last_seen() -> None:
    handler = SiaFrameHandler(ACCOUNTS)
    now = datetime.now(UTC)
    outcome = handler.handle(make_frame(code="RP"), received_at_utc=now)
    assert outcome.event is not None and outcome.event.category == "heartbeat"
    assert handler.last_seen_utc == {"1234": now}


@pytest.mark.parametrize(
    ("code", "zone", "expected"),
    [
        ("BA", "3", "burglary"),
        ("BA", "7", "perimeter"),
        ("TA", "1", "tamper"),
        ("PA", "1", "panic"),
        ("HA", "1", "panic"),
        ("FA", "1", "fire"),
        ("AT", "0", "trouble"),
        ("RP", "0", "heartbeat"),
        ("YK", "0", "heartbeat"),
        ("OP", "1", "opening"),
        ("CL", "1", "closing"),
        ("BR", "3", "restoral"),
        ("JT", "0", "other"),
    ],
)
def test_sia_codes_map_to_categories(code: str, zone: str, expected: str) -> None:
    assert categorize_sia_code(code, zone, perimeter_zones={"7"}) == expected


@pytest.mark.parametrize(
    ("account", "key"), [("12", None), ("XYZ1", None), ("1234", "short"), ("1234", "g" * 16)]
)
def test_invalid_panel_account_is_refused(account: str, key: str | None) -> None:
    with pytest.raises(ValueError, match="account"):
        SiaPanelAccount(account, key=key)


NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_seen", "expected"),
    [
        ({"A": NOW - timedelta(minutes=10), "B": NOW - timedelta(minutes=59)}, []),
        ({"A": NOW - timedelta(minutes=31), "B": NOW - timedelta(minutes=59)}, ["A"]),
        ({"A": NOW - timedelta(minutes=31)}, ["A", "B"]),
        ({"A": None, "B": NOW}, ["A"]),
    ],
)
def test_silent_panels_are_those_past_their_own_limit(last_seen: dict, expected: list) -> None:
    silent = find_silent_panels(
        last_seen_utc=last_seen, max_silence_s={"A": 1800, "B": 3600}, now_utc=NOW
    )
    assert [p.account for p in silent] == expected


def test_silent_panels_refuse_naive_now() -> None:
    with pytest.raises(ValueError, match="now_utc"):
        find_silent_panels(last_seen_utc={}, max_silence_s={}, now_utc=datetime(2024, 1, 1))
