"""Request bodies over the limit are refused (413, JSON) before they are buffered or authenticated.

Real servers on real sockets: the uvicorn app ``minewatch serve`` runs, and the tracker listener.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

GB = 1024**3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def web_server(transactional_db: Any) -> Iterator[tuple[str, int]]:
    """The ASGI application of ``minewatch serve`` under uvicorn on a free port."""
    import uvicorn

    from minewatch.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(10)


def raw_request(
    address: tuple[str, int], head: str, body_chunks: Iterable[bytes] = ()
) -> tuple[int, dict[str, Any], int]:
    """Send ``head`` then chunks until the server answers; (status, JSON body, bytes sent)."""
    sent = 0
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        sock.settimeout(0.05)
        answer = b""
        for chunk in body_chunks:
            with contextlib.suppress(TimeoutError):
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sock.sendall(chunk)
            except OSError:
                break
            sent += len(chunk)
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) == 0:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    status = int(answer.split(b" ", 2)[1])
    body = answer.split(b"\r\n\r\n", 1)[1]
    return status, json.loads(body) if body.startswith(b"{") else {}, sent


def test_web_refuses_a_declared_huge_body_before_reading_it(web_server: tuple[str, int]) -> None:
    head = (f"POST /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {int(1.5 * GB)}\r\n\r\n")  # fmt: skip
    status, body, sent = raw_request(web_server, head)
    assert status == 413
    assert "body" in body
    assert sent == 0


def test_web_refuses_a_chunked_body_while_it_streams(web_server: tuple[str, int]) -> None:
    head = ("POST /api/v1/incidents/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    piece = b"x" * 1_000_000
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    status, body, sent = raw_request(web_server, head, iter([chunk] * 200))
    assert status == 413
    assert "body" in body
    assert sent < 100 * len(chunk)  # refused long before the 200 MB the client meant to send


def test_web_accepts_a_normal_body(web_server: tuple[str, int]) -> None:
    payload = b'{"username": "nobody", "password": "x"}'
    head = (f"POST /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n")  # fmt: skip
    status, _body, _sent = raw_request(web_server, head + payload.decode())
    assert status == 405


def test_tracker_listener_refuses_a_declared_huge_body(transactional_db: Any) -> None:
    from minewatch.tracking.listener import OsmandListener

    port = free_port()
    listener = OsmandListener("127.0.0.1", port).start()
    try:
        assert listener.wait_started()
        head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {int(1.5 * GB)}\r\n\r\n")  # fmt: skip
        status, body, sent = raw_request(("127.0.0.1", port), head)
        assert status == 413 and "body" in body and sent == 0
    finally:
        listener.stop()
