"""Real local servers for delivery tests: SMTP (aiosmtpd) and an HTTP receiver."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from minewatch.alerts.engine.channels import verify_webhook_signature

SECRET = "secreto-del-receptor"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


class Receiver:
    """/ok checks the signature (200 or 401), /fail answers 500, /hang stalls until released."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes, dict]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, body, dict(self.headers)))
                code = receiver.status_for(self.path, body, dict(self.headers))
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def status_for(self, path: str, body: bytes, headers: dict) -> int:
        if path == "/hang":
            self.release.wait(10)
            return 200
        if path == "/fail":
            return 500
        if path == "/sms":
            return 200
        ok = verify_webhook_signature(body, headers, secret=SECRET, now_utc=datetime.now(UTC))
        return 200 if ok else 401


@pytest.fixture
def http_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()
