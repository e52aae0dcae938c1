"""The OsmAnd listener of ``serve --osmand-port``: real HTTP, the same answers as /ingest/osmand/."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.utils import timezone

from minewatch.tracking.models import IngestRejection, Position
from minewatch.tracking.testing import TEST_SECRET, make_organisation_devices


@pytest.fixture
def listener(transactional_db) -> Iterator[str]:
    from minewatch.tracking.listener import OsmandListener

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = OsmandListener("127.0.0.1", port).start()
    assert server.wait_started()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_listener_stores_concurrent_trackers_and_answers_200(listener) -> None:
    keys = make_organisation_devices(10)
    base = timezone.now() - dt.timedelta(minutes=10)

    def send(i: int) -> int:
        stamp = int((base + dt.timedelta(seconds=i)).timestamp())
        query = f"id={keys[i % 10]}&lat=-14.{i:04d}&lon=-72.3&timestamp={stamp}&speed=20"
        if i % 2:  # the secret in the id (Traccar Client's identifier field)
            query = query.replace(f"id={keys[i % 10]}", f"id={keys[i % 10]}:{TEST_SECRET}")
            return requests.get(f"{listener}/?{query}", timeout=10).status_code
        # or as the server URL's last path segment
        return requests.get(f"{listener}/{TEST_SECRET}?{query}", timeout=10).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(send, range(200)))
    assert statuses == [200] * 200
    assert Position.objects.count() == 200


def test_listener_refuses_bad_input_naming_the_field(listener) -> None:
    make_organisation_devices(1)
    unknown = requests.post(f"{listener}/", data={"id": "NOPE", "lat": "-14", "lon": "-72"},
                            timeout=10)  # fmt: skip
    forged = requests.post(f"{listener}/", data={"id": "MQ-000", "lat": "-14", "lon": "-72"},
                           timeout=10)  # fmt: skip
    wrong = requests.post(f"{listener}/wrong-secret-0123456789",
                          data={"id": "MQ-000", "lat": "-14", "lon": "-72"}, timeout=10)  # fmt: skip
    # Unknown and unauthenticated senders get the same answer (no enumeration of ids).
    assert unknown.status_code == forged.status_code == wrong.status_code == 401
    assert unknown.json()["reason"] == forged.json()["reason"] == "unauthorised"
    broken = requests.get(f"{listener}/?id=MQ-000&lat=-14&lon=east", timeout=10)
    assert broken.status_code == 400 and "lon" in broken.json()
    assert Position.objects.count() == 0
    assert IngestRejection.objects.filter(reason="unknown_device").exists()
    assert requests.put(f"{listener}/", timeout=10).status_code == 405


def test_the_convoy_simulator_sends_with_secrets(live_server) -> None:
    """The demo's simulated trackers authenticate like real ones (``id=KEY:SECRET``)."""
    from minewatch.tracking.simulator import ConvoyPlan, ConvoySimulator

    keys = make_organisation_devices(2)
    line = [(-72.30, -14.10), (-72.20, -14.20)]
    signed = ConvoyPlan("SIM-1", keys[:1], line, secrets={keys[0]: TEST_SECRET})
    unsigned = ConvoyPlan("SIM-2", keys[1:], line)
    simulator = ConvoySimulator(live_server.url, [signed, unsigned], interval_s=0.2)
    simulator.start()
    try:
        deadline = timezone.now() + dt.timedelta(seconds=20)
        while (simulator.sent < 2 or simulator.failed < 2) and timezone.now() < deadline:
            simulator.join(0.1)
    finally:
        simulator.stop()
        simulator.join(5)
    assert simulator.sent >= 2 and simulator.failed >= 2  # the one without a secret is refused
    assert set(Position.objects.values_list("device__unique_id", flat=True)) == {keys[0]}
