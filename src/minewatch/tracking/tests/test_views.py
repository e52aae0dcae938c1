"""The tracker-facing endpoints with the exact messages real senders produce."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from minewatch.core import events
from minewatch.tracking.models import Detection, Device, IngestRejection, Position
from minewatch.tracking.testing import TEST_SECRET, route_start


def stamp(seconds_ago: float = 0.0) -> int:
    return int((timezone.now() - dt.timedelta(seconds=seconds_ago)).timestamp())


def rejection_count(reason: str) -> int:
    return sum(IngestRejection.objects.filter(reason=reason).values_list("count", flat=True))


@pytest.fixture
def tracker(world: Any) -> Client:
    """A sender that knows the test world's tracker secret (``Authorization: Bearer``)."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {TEST_SECRET}")


def test_traccar_client_get_query_is_stored_with_units_converted(world, tracker) -> None:
    # Traccar Client (Android) sends exactly this shape; speed is in knots.
    ts = stamp(5)
    query = (f"id=TRK-A&timestamp={ts}&lat=-14.0683&lon=-72.3181&speed=10.0&bearing=90.0"
             "&altitude=3900.0&accuracy=5.0&batt=89.0&charge=true")  # fmt: skip
    response = tracker.get(f"/ingest/osmand/?{query}")
    assert response.status_code == 200
    position = Position.objects.get(device__unique_id="TRK-A", fix_time__second=ts % 60,
                                    fix_time__gte=timezone.now() - dt.timedelta(seconds=30))  # fmt: skip
    assert position.speed_kmh == pytest.approx(18.52)
    assert (position.course, position.altitude, position.accuracy) == (90.0, 3900.0, 5.0)
    assert position.attributes == {"battery_level": 89.0, "charge": True}
    assert position.source == "osmand"


def test_post_form_and_location_parameter_are_accepted(world, tracker) -> None:
    body = f"deviceid=ESC-A&location=-14.07,-72.31&timestamp={stamp(3) * 1000}&hdop=0.9"
    response = tracker.post(
        "/ingest/osmand/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    position = Position.objects.filter(device__unique_id="ESC-A").latest("fix_time")
    assert (position.lat, position.lon, position.attributes["hdop"]) == (-14.07, -72.31, 0.9)


def test_post_with_query_and_empty_body_like_old_clients(world, tracker) -> None:
    url = f"/ingest/osmand/?id=TRK-A&lat=-14.05&lon=-72.3&timestamp={stamp(2)}"
    response = tracker.post(url)
    assert response.status_code == 200
    assert Position.objects.filter(device__unique_id="TRK-A", lat=-14.05).exists()


def test_traccar_client_json_body_is_stored(world, tracker) -> None:
    when = (timezone.now() - dt.timedelta(seconds=4)).isoformat(timespec="milliseconds")
    body = {
        "location": {
            "timestamp": when.replace("+00:00", "Z"),
            "coords": {"latitude": -14.08, "longitude": -72.32, "accuracy": 4.7, "speed": 12.5,
                       "heading": 181.2, "altitude": 3905.1},
            "is_moving": True, "odometer": 1520.3, "event": "motionchange",
            "battery": {"level": 0.79, "is_charging": False},
            "activity": {"type": "in_vehicle"}, "extras": {},
        },
        "device_id": "TRK-A",
    }  # fmt: skip
    response = tracker.post("/ingest/osmand/", json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    position = Position.objects.get(device__unique_id="TRK-A", lat=-14.08)
    assert position.speed_kmh == pytest.approx(45.0)
    assert position.attributes["battery_level"] == 79.0
    assert position.attributes["activity"] == "in_vehicle"


TRACCAR_POSITION = {
    "position": {
        "id": 91, "attributes": {"ignition": True, "motion": True, "odometer": 1200},
        "deviceId": 7, "protocol": "teltonika", "serverTime": None, "deviceTime": None,
        "fixTime": None, "outdated": False, "valid": True, "latitude": -14.09,
        "longitude": -72.33, "altitude": 3890.0, "speed": 20.0, "course": 45.0,
        "address": None, "accuracy": 0.0, "network": None,
    },
    "device": {"id": 7, "attributes": {}, "groupId": 0, "name": "Camión A1",
               "uniqueId": "TRK-A", "status": "online", "lastUpdate": None, "positionId": 90,
               "phone": None, "model": None, "contact": None, "category": "truck",
               "disabled": False},
}  # fmt: skip


def traccar_payload(event: dict | None = None, seconds_ago: float = 1.0) -> dict:
    payload = json.loads(json.dumps(TRACCAR_POSITION))
    fix_time = (timezone.now() - dt.timedelta(seconds=seconds_ago)).isoformat(
        timespec="milliseconds"
    )
    payload["position"]["fixTime"] = payload["position"]["deviceTime"] = fix_time
    if event is not None:
        payload["event"] = event
    return payload


def test_traccar_position_forward_is_stored(world, tracker) -> None:
    response = tracker.post("/ingest/traccar/", traccar_payload(), content_type="application/json")
    assert response.status_code == 200
    position = Position.objects.get(device__unique_id="TRK-A", lat=-14.09)
    assert position.source == "traccar"
    assert position.speed_kmh == pytest.approx(37.04)
    assert position.attributes["ignition"] is True


def test_traccar_alarm_event_becomes_an_alarm_detection(world, tracker) -> None:
    event = {"id": 5, "attributes": {"alarm": "sos"}, "deviceId": 7, "type": "alarm",
             "eventTime": timezone.now().isoformat(), "positionId": 91}  # fmt: skip
    response = tracker.post(
        "/ingest/traccar/", traccar_payload(event), content_type="application/json"
    )
    assert response.status_code == 200
    detection = Detection.objects.filter(kind="alarm", device__unique_id="TRK-A").latest("time")
    assert detection.details["alarm"] == "sos"


def test_traccar_event_without_position_is_counted_not_stored(world, tracker) -> None:
    payload = {"event": {"type": "deviceOffline", "deviceId": 7}, "device": {"uniqueId": "TRK-A"}}
    before = Position.objects.count()
    response = tracker.post("/ingest/traccar/", payload, content_type="application/json")
    assert response.status_code == 200
    assert Position.objects.count() == before
    assert rejection_count("event_without_position") == 1


BAD_INPUTS = [
    # (query, field named in the answer, reason counted)
    ("id=TRK-A&lat=-94.0&lon=-72.0&timestamp={ts}", "lat", "malformed"),
    ("id=TRK-A&lat=-14.0&lon=-190.5&timestamp={ts}", "lon", "malformed"),
    ("id=TRK-A&lat=abc&lon=-72.0&timestamp={ts}", "lat", "malformed"),
    ("id=TRK-A&lon=-72.0&timestamp={ts}", "lat", "malformed"),
    ("lat=-14.0&lon=-72.0&timestamp={ts}", "id", "malformed"),
    ("id=TRK-A&lat=-14.0&lon=-72.0&timestamp=yesterday", "timestamp", "malformed"),
    ("id=TRK-A&lat=-14.0&lon=-72.0&timestamp={ts}&speed=200", "speed", "speed_too_high"),
    ("id=TRK-A&lat=-14.0&lon=-72.0&timestamp={future}", "timestamp", "time_in_future"),
    ("id=TRK-A&lat=0&lon=0&timestamp={ts}", "lat", "null_island"),
]


@pytest.mark.parametrize("query,field,reason", BAD_INPUTS)
def test_bad_input_is_refused_naming_the_field_counted_and_not_stored(
    world, tracker, query, field, reason
) -> None:
    before = Position.objects.count()
    text = query.format(ts=stamp(1), future=stamp(-3600))
    response = tracker.get(f"/ingest/osmand/?{text}")
    assert response.status_code == 400
    body = response.json()
    assert field in body and body["reason"] == reason
    assert Position.objects.count() == before
    assert rejection_count(reason) >= 1


def test_unknown_device_rejection_is_visible_to_platform_admins_only(world, tracker) -> None:
    tracker.get(f"/ingest/osmand/?id=NOPE-9&lat=-14.0&lon=-72.0&timestamp={stamp(1)}")
    counter = IngestRejection.objects.get(reason="unknown_device")
    assert counter.organisation_id is None and counter.device_key == "NOPE-9"
    assert not Device.objects.filter(unique_id="NOPE-9").exists()


def test_malformed_json_body_names_body(world, tracker) -> None:
    response = tracker.post("/ingest/osmand/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "body" in response.json()


def test_duplicate_fix_is_stored_once(world, tracker) -> None:
    url = f"/ingest/osmand/?id=TRK-A&lat=-14.061&lon=-72.31&timestamp={stamp(10)}"
    assert tracker.get(url).status_code == 200
    assert tracker.get(url).status_code == 200
    assert Position.objects.filter(device__unique_id="TRK-A", lat=-14.061).count() == 1


def test_out_of_order_fix_is_stored_but_does_not_move_the_last_position(world, tracker) -> None:
    lat, lon = route_start(world, "a")
    newer, older = stamp(5), stamp(50)
    tracker.get(f"/ingest/osmand/?id=TRK-A&lat={lat}&lon={lon}&timestamp={newer}")
    tracker.get(f"/ingest/osmand/?id=TRK-A&lat={lat + 0.001}&lon={lon}&timestamp={older}")
    device = Device.objects.get(unique_id="TRK-A")
    assert Position.objects.filter(device=device, lat=lat + 0.001).exists()
    last = device.tracker_state.last_position
    assert dt.datetime.fromisoformat(last["fix_time"]).timestamp() == newer


def test_sender_without_the_secret_is_refused_like_an_unknown_id(world) -> None:
    # Issue #12 item 2: anyone could forge a position with a device id alone, and an
    # unknown id answered differently (ids could be enumerated).
    anonymous = Client()
    base = f"/ingest/osmand/?lat=-14.07&lon=-72.31&timestamp={stamp(1)}"
    before = Position.objects.count()
    answers = [anonymous.get(base + "&id=ESC-A"),
               anonymous.get(base + "&id=ESC-A&secret=wrong-secret-0123456789"),
               anonymous.get(base + "&id=NO-SUCH-DEVICE")]  # fmt: skip
    assert {a.status_code for a in answers} == {401}
    assert {a.json()["reason"] for a in answers} == {"unauthorised"}
    assert answers[0].json()["id"][0] == answers[2].json()["id"][0].replace("NO-SUCH-DEVICE",
                                                                            "ESC-A")  # fmt: skip
    assert Position.objects.count() == before
    assert rejection_count("bad_secret") == 2 and rejection_count("unknown_device") == 1


@pytest.mark.parametrize(
    "how",
    ["id_suffix", "secret_param", "token_param", "bearer", "path", "path_no_slash", "json"],
)
def test_the_secret_is_accepted_wherever_traccar_client_can_put_it(world, how) -> None:
    anonymous = Client()
    ts = stamp(1)
    query = f"id=ESC-A&lat=-14.07&lon=-72.31&timestamp={ts}"
    if how == "id_suffix":
        response = anonymous.get(
            f"/ingest/osmand/?{query.replace('ESC-A', 'ESC-A:' + TEST_SECRET)}"
        )
    elif how in ("secret_param", "token_param"):
        response = anonymous.get(f"/ingest/osmand/?{query}&{how[:-6]}={TEST_SECRET}")
    elif how == "bearer":
        response = anonymous.get(f"/ingest/osmand/?{query}",
                                 HTTP_AUTHORIZATION=f"Bearer {TEST_SECRET}")  # fmt: skip
    elif how == "path":
        response = anonymous.get(f"/ingest/osmand/{TEST_SECRET}/?{query}")
    elif how == "path_no_slash":
        response = anonymous.get(f"/ingest/osmand/{TEST_SECRET}?{query}")
    else:
        body = {"device_id": f"ESC-A:{TEST_SECRET}", "location": {
            "timestamp": dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(),
            "coords": {"latitude": -14.07, "longitude": -72.31}}}  # fmt: skip
        response = anonymous.post("/ingest/osmand/", json.dumps(body),
                                  content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    position = Position.objects.filter(device__unique_id="ESC-A").latest("fix_time")
    assert int(position.fix_time.timestamp()) == ts
    assert "secret" not in position.attributes and "token" not in position.attributes


def test_legacy_tracker_opt_out_accepts_without_secret_and_is_flagged(world, api_client) -> None:
    from minewatch.tracking.services import fleet

    device = Device.objects.get(unique_id="ESC-A")
    fleet.save_device(actor=world.users["security_manager"], device=device,
                      accepts_unauthenticated=True)  # fmt: skip
    from minewatch.tracking.testing import reset_engines

    reset_engines()
    response = Client().get(f"/ingest/osmand/?id=ESC-A&lat=-14.07&lon=-72.31&timestamp={stamp(1)}")
    assert response.status_code == 200
    shown = api_client(world.users["security_manager"]).get(
        f"/api/v1/devices/{device.pk}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert shown.json()["accepts_unauthenticated"] is True
    assert "forge" in shown.json()["authentication_warning"]


def test_traccar_server_forward_authenticates_with_an_api_token(world) -> None:
    from minewatch.core.services import get_or_create_token

    body = json.dumps({"device": {"uniqueId": "TRK-A"}, "position": {
        "fixTime": timezone.now().isoformat(), "latitude": -14.07, "longitude": -72.31}})  # fmt: skip
    anonymous = Client()
    assert anonymous.post("/ingest/traccar/", body, content_type="application/json"
                          ).status_code == 401  # fmt: skip
    manager = get_or_create_token(world.users["security_manager"])
    ok = anonymous.post("/ingest/traccar/", body, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Token {manager}")  # fmt: skip
    assert ok.status_code == 200, ok.content
    other = get_or_create_token(world.users["b-manager"])  # another company's token
    body_b = body.replace("TRK-A", "TRK-B")
    assert anonymous.post("/ingest/traccar/", body_b, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Token {manager}").status_code == 401  # fmt: skip
    assert anonymous.post("/ingest/traccar/", body_b, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Token {other}").status_code == 200  # fmt: skip


def test_alarm_fix_stores_a_detection_and_publishes_it(
    world, tracker, django_capture_on_commit_callbacks
) -> None:
    received: list[events.Event] = []
    events.subscribe(received.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = tracker.get(
                f"/ingest/osmand/?id=ESC-A&lat=-14.07&lon=-72.31&timestamp={stamp(1)}&alarm=sos"
            )
    finally:
        events.unsubscribe(received.append)
    assert response.status_code == 200
    detection = Detection.objects.filter(kind="alarm", device__unique_id="ESC-A").latest("time")
    published = [e for e in received if e.name == "detection.alarm"]
    assert len(published) == 1
    payload = published[0].payload
    assert payload["device"] == "ESC-A" and payload["trip"] == "TRIP-A-1"
    assert payload["id"] == detection.pk and published[0].site_id == world.sites["a1"].pk
    assert published[0].organisation_id == world.orgs["a"].pk


def test_concurrent_requests_share_one_batcher_and_hold_no_connection(transactional_db) -> None:
    """Outside a transaction the endpoint hands fixes to the shared batcher and waits.

    60 trackers at once: every one answered 200 after its fix is stored, the
    fixes committed in fewer transactions than requests, and the request threads
    never opened a database connection (on PostgreSQL, 256 of them gave 500s).
    """
    import threading

    from django.db.backends.signals import connection_created

    from minewatch.tracking.pipeline import shared_batcher, stop_shared_batchers
    from minewatch.tracking.testing import make_organisation_devices

    keys = make_organisation_devices(60)
    statuses, opened = [], []
    start = threading.Barrier(len(keys))

    def send(key: str) -> None:
        start.wait(10)
        for k in range(3):
            query = (f"id={key}&lat=-14.1&lon=-72.3&timestamp={stamp(100 - k)}&speed=10"
                     f"&secret={TEST_SECRET}")  # fmt: skip
            statuses.append(Client().get(f"/ingest/osmand/?{query}").status_code)

    def created(sender, connection, **kwargs) -> None:
        opened.append(threading.current_thread())

    threads = [threading.Thread(target=send, args=(key,)) for key in keys]
    connection_created.connect(created)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        batches = shared_batcher("osmand").batches
    finally:
        connection_created.disconnect(created)
        stop_shared_batchers()
    assert statuses == [200] * (3 * len(keys))
    assert not set(opened) & set(threads)
    assert Position.objects.filter(source="osmand").count() == 3 * len(keys)
    assert 1 <= batches < 3 * len(keys)


def test_traccar_forward_with_nan_is_refused_naming_the_body(world, tracker) -> None:
    body = json.dumps(traccar_payload()).replace('"ignition": true', '"ignition": NaN')
    assert "NaN" in body
    before = Position.objects.count()
    response = tracker.post("/ingest/traccar/", body, content_type="application/json")
    assert response.status_code == 400
    assert "body" in response.json()
    assert Position.objects.count() == before


def _fresh_convoy(world: Any, suffix: str) -> dict[str, str]:
    """A new escort and cargo truck on route a with no fix yet (like the demo's live convoys)."""
    from minewatch.tracking.services import fleet

    user, site = world.users["security_manager"], world.sites["a1"]
    keys = {}
    members = []
    for role, kind in (("escort", "escort"), ("cargo", "truck")):
        vehicle = fleet.save_vehicle(actor=user, plate=f"{suffix}-{role[:3]}".upper(), kind=kind,
                                     site=site)  # fmt: skip
        device = fleet.save_device(actor=user, unique_id=f"{suffix}-{role}", vehicle=vehicle,
                                   site=site, secret=TEST_SECRET)  # fmt: skip
        keys[role] = device.unique_id
        members.append((vehicle, role))
    trip = fleet.save_trip(actor=user, reference=f"TRIP-{suffix}", route=world.routes["a"],
                           site=site, departure_after=timezone.now() - dt.timedelta(hours=1),
                           vehicles=members)  # fmt: skip
    fleet.change_trip_status(trip, actor=user, to_status="en_route",
                             at=timezone.now() - dt.timedelta(minutes=30))  # fmt: skip
    from minewatch.tracking.testing import reset_engines

    reset_engines()  # the on-commit signal that rebuilds engines never fires inside a test
    return keys


def test_stale_escort_does_not_stop_ingest(world, tracker) -> None:
    # Issue #12 item 1: escort one fix at T, cargo 6 km away at T+1, T+2, T+130 (T = now-250 s).
    # The split detector emitted {"distance_m": NaN}; the database refused it and every
    # later batch answered 503.
    keys = _fresh_convoy(world, "nan")
    lat, lon = route_start(world, "a")
    t = stamp(250)
    sends = [(keys["escort"], 0, lat), (keys["cargo"], 1, lat + 0.06),
             (keys["cargo"], 2, lat + 0.06), (keys["cargo"], 130, lat + 0.065)]  # fmt: skip
    for key, offset, fix_lat in sends:
        response = tracker.get(
            f"/ingest/osmand/?id={key}&lat={fix_lat}&lon={lon}&timestamp={t + offset}&speed=20"
        )
        assert response.status_code == 200, response.content
    assert Position.objects.filter(device__unique_id=keys["cargo"]).count() == 3
    state = Device.objects.get(unique_id=keys["cargo"]).tracker_state.state
    assert state["split_far"] is True  # the split detector did see the cargo far away
    for detection in Detection.objects.filter(device__unique_id__in=keys.values()):
        assert json.dumps(detection.details, allow_nan=False)
    assert (
        tracker.get(
            f"/ingest/osmand/?id=TRK-A&lat={lat}&lon={lon}&timestamp={stamp(1)}"
        ).status_code
        == 200
    )


def test_one_unstorable_detection_does_not_fail_the_batch(world, caplog) -> None:
    from minewatch.tracking.engine import Detection as EngineDetection
    from minewatch.tracking.engines import directory, registry
    from minewatch.tracking.services.ingest import save_detections

    org_engine = registry.get(world.orgs["a"].pk)
    devices = directory.lookup({"TRK-A", "ESC-A"})
    at = timezone.now()
    found = [
        EngineDetection("overspeed", "TRK-A", None, at, -14.0, -72.0,
                        {"speed_kmh": float("nan"), "limit_kmh": 60.0}),
        EngineDetection("overspeed", "ESC-A", None, at, -14.0, -72.0, {"bad": {1, 2}}),
        EngineDetection("alarm", "ESC-A", None, at, -14.0, -72.0, {"alarm": "sos"}),
    ]  # fmt: skip
    stored = save_detections(org_engine, found, devices)
    assert [row.kind for row in stored] == ["overspeed", "alarm"]
    assert Detection.objects.get(pk=stored[0].pk).details == {"speed_kmh": None, "limit_kmh": 60.0}
    assert "detection not stored" in caplog.text


def test_a_secret_never_reaches_the_rejection_samples_operators_read(world) -> None:
    anonymous = Client()
    too_fast = f"id=ESC-A:{TEST_SECRET}&lat=-14.07&lon=-72.31&timestamp={stamp(1)}&speed=500"
    assert anonymous.get(f"/ingest/osmand/?{too_fast}").status_code == 400
    broken = f"id=ESC-A:{TEST_SECRET}&lat=north&lon=-72.31&secret={TEST_SECRET}"
    assert anonymous.get(f"/ingest/osmand/?{broken}").status_code == 400
    counters = IngestRejection.objects.filter(reason__in=["speed_too_high", "malformed"],
                                              device_key="ESC-A")  # fmt: skip
    assert counters.count() == 2
    for counter in counters:
        assert TEST_SECRET not in counter.last_sample and "ESC-A:***" in counter.last_sample


def test_a_detector_fault_in_one_organisation_does_not_refuse_the_batch(
    world, monkeypatch, caplog
) -> None:
    # Fault injection: no detector is known to raise any more; if one ever does, the
    # fixes of every device and the other organisations' detections must still be stored.
    from minewatch.tracking.engine import Fix
    from minewatch.tracking.engine import engine as engine_module
    from minewatch.tracking.services.ingest import ingest_fixes

    real = engine_module.run_detectors

    def failing(engine, prepared):
        if "TRK-A" in engine.device_keys:
            raise RuntimeError("injected detector fault")
        return real(engine, prepared)

    monkeypatch.setattr(engine_module, "run_detectors", failing)
    at = timezone.now() - dt.timedelta(seconds=5)
    fixes = [Fix("TRK-A", at, -14.07, -72.31), Fix("TRK-B", at, -9.5, -77.5,
                                                     attributes={"alarm": "tampering"})]  # fmt: skip
    result = ingest_fixes(fixes, source="osmand", token=TEST_SECRET)
    assert result.accepted == 2 and not result.rejected
    assert (
        Position.objects.filter(device__unique_id__in=["TRK-A", "TRK-B"], fix_time=at).count() == 2
    )
    assert Detection.objects.filter(device__unique_id="TRK-B", details__alarm="tampering").exists()
    assert "injected detector fault" in caplog.text
