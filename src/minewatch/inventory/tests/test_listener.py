"""The indicator listener against a simulated indicator on 127.0.0.1: frames in, one capture
per truck, malformed frames counted; the capture then becomes a weighing."""

from __future__ import annotations

import socket
import threading

import pytest

from minewatch.core.errors import InvalidInput
from minewatch.inventory import services
from minewatch.inventory.engine.indicator import StableCapture, parse_frame
from minewatch.inventory.listener import listen
from minewatch.inventory.models import ScaleCapture
from minewatch.inventory.testing import make_chain, weighing

FRAMES = (["US,GS,+0005000kg", "US,GS,+0021000kg"] + ["ST,GS,+0031240kg"] * 6
          + ["garbage!!", "ST,GS,+0000000kg"] + ["S S      28.760 t"] * 6 + ["S D     100 kg"])  # fmt: skip


def simulated_indicator(frames, *, chunk=7):
    """A one-connection TCP server streaming ``frames`` (CRLF) in odd-sized chunks."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve():
        connection, _address = server.accept()
        with connection:
            data = "".join(f + "\r\n" for f in frames).encode()
            for start in range(0, len(data), chunk):
                connection.sendall(data[start : start + chunk])
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return port


@pytest.mark.parametrize("frame", ["ST,GS,12345kg", "ST,XX,+1kg", "S S abc kg", ""])
def test_malformed_frames_are_refused_with_the_text(frame):
    with pytest.raises(ValueError, match="not an indicator frame"):
        parse_frame(frame)


def test_listener_captures_each_truck_once_and_the_capture_becomes_a_weighing(world):
    made = make_chain(world, "a")
    port = simulated_indicator(FRAMES)
    bridge = made["mine_bridge"]
    before = ScaleCapture.objects.filter(weighbridge=bridge).count()
    stored = []
    stats = listen(host="127.0.0.1", port=port, once=True,
                   detector=StableCapture(frames=5, min_kg=2000, tolerance_kg=20),
                   on_capture=lambda kg, frame: stored.append(
                       services.record_capture(weighbridge=bridge, mass_kg=kg, frame=frame)))  # fmt: skip
    assert stats.captures == [31240.0, 28760.0]
    assert stats.bad_frames == 1 and stats.frames == len(FRAMES)
    assert ScaleCapture.objects.filter(weighbridge=bridge).count() == before + 2
    values = weighing(made["lot"], "weighbridge_out", bridge, 0, ticket="IND-1")
    values.pop("wet_tonnes")
    result, created = services.record_weighing(actor=made["user"],
                                               values={**values, "capture": stored[0].pk})  # fmt: skip
    assert created and result.wet_tonnes == pytest.approx(31.24)
    again = {**values, "ticket_number": "IND-2", "custody_point": "mine_scale",
             "capture": stored[0].pk}  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        services.record_weighing(actor=made["user"], values=again)
    assert caught.value.field == "capture"
    other_bridge = {**again, "weighbridge": made["port_bridge"].code, "capture": stored[1].pk}
    with pytest.raises(InvalidInput) as caught:
        services.record_weighing(actor=made["user"], values=other_bridge)
    assert caught.value.field == "capture"


def test_listener_survives_a_refused_connection():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    stats = listen(host="127.0.0.1", port=port, once=True, on_capture=lambda kg, f: None)
    assert stats.last_error and stats.captures == []
