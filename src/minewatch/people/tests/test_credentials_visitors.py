"""Credentials (validity, revocation), the new gate anomalies, the hire-from-outside rule,
visitors and trip manifests through the API (issue #15)."""

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.people import checks, services, visits
from minewatch.people.models import AccessAnomaly, Assignment, TripPassenger
from minewatch.people.tests.test_access_events import at, event, post


def kinds(event_id):
    return sorted(AccessAnomaly.objects.filter(event__controller_event_id=event_id)
                  .values_list("kind", flat=True))  # fmt: skip


def issue(client, **body):
    return client.post("/api/v1/access-credentials/", body, format="json")


def test_credentials_issue_revoke_and_resolve(world, api_client, gates):
    manager = api_client(world.users["security_manager"])
    guard = world.extra["people_a"]["guard"]
    start = (timezone.now() - dt.timedelta(days=30)).isoformat()
    response = issue(manager, kind="qr", value="qr-77", person=guard.pk, valid_from=start)
    assert response.status_code == 201, response.content
    qr = response.json()
    assert qr["value"] == "QR77" and qr["state"] == "valid"
    expired = issue(manager, kind="badge", value="T-9", person=guard.pk, valid_from=start,
                    valid_until=(timezone.now() - dt.timedelta(days=3)).isoformat())  # fmt: skip
    assert expired.status_code == 201 and expired.json()["state"] == "expired"
    operator = api_client(world.users["operator"])
    assert post(operator, event(gates["a1"], "q-1", credential="QR77")).status_code == 201
    assert kinds("q-1") == []
    refused = manager.post(f"/api/v1/access-credentials/{qr['id']}/revoke/", {}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    done = manager.post(f"/api/v1/access-credentials/{qr['id']}/revoke/", {"reason": "lost"},
                        format="json")  # fmt: skip
    assert done.status_code == 200 and done.json()["state"] == "revoked"
    now = timezone.now().isoformat()
    post(operator, event(gates["a1"], "q-2", credential="QR77", direction="out", time=now),
         event(gates["a1"], "q-3", credential="T9", direction="out", time=now))  # fmt: skip
    # (now may be outside the guard's day shift: that anomaly may come along)
    assert set(kinds("q-2")) - {"outside_shift"} == {"revoked_credential"}
    assert set(kinds("q-3")) - {"outside_shift"} == {"expired_credential"}


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "laser", "value": "1"}, "kind"),
    ({"kind": "badge", "value": ""}, "value"),
    ({"kind": "badge", "value": "Z1"}, "person"),  # nobody
    ({"kind": "plate", "value": "ABC123", "person": "self"}, "vehicle"),
    ({"kind": "badge", "value": "A-001", "person": "staff"}, "value"),  # the guard's badge
    ({"kind": "badge", "value": "Z2", "person": "self", "valid_from": "2026-02-01",
      "valid_until": "2026-01-01"}, "valid_until"),
    ({"kind": "badge", "value": "Z3", "person": "self", "valid_from": "yesterday"}, "valid_from"),
])  # fmt: skip
def test_bad_credentials_name_the_field(world, api_client, body, field):
    mine = {
        "self": world.extra["people_a"]["guard"].pk,
        "staff": world.extra["people_a"]["staff"].pk,
    }
    body = {k: mine.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = issue(api_client(world.users["security_manager"]), **body)
    assert response.status_code == 400 and field in response.json(), response.content


@pytest.mark.parametrize("role", ["operator", "guard", "analyst"])
def test_credentials_are_for_managers(world, api_client, role):
    client = api_client(world.users[role])
    assert client.get("/api/v1/access-credentials/").status_code == 403
    guard = world.extra["people_a"]["guard"]
    assert issue(client, kind="qr", value="X1", person=guard.pk).status_code == 403


def test_plates_repeated_denials_and_magazine(world, api_client, gates):
    from minewatch.geo import services as geo_services
    from minewatch.tracking.services import fleet as tracking_services

    manager_user = world.users["security_manager"]
    manager = api_client(manager_user)
    operator = api_client(world.users["operator"])
    vehicle = tracking_services.save_vehicle(actor=manager_user, organisation=world.orgs["a"],
                                             plate="ABC-123", kind="pickup")  # fmt: skip
    gate = gates["a1"]
    post(operator, event(gate, "v-1", credential="ABC123", kind="plate"),
         event(gate, "v-2", credential="ZZZ999", kind="plate"))  # fmt: skip
    assert kinds("v-1") == ["unplanned_vehicle"] and kinds("v-2") == ["unplanned_vehicle"]
    assert issue(manager, kind="plate", value="ABC-123", vehicle=vehicle.pk).status_code == 201
    post(operator, event(gate, "v-3", credential="ABC123", time=timezone.now().isoformat()))
    assert kinds("v-3") == []
    # three denials within ten minutes (the default): the third is an anomaly
    denials = [event(gate, f"d-{i}", credential="99999999", result="denied", time=at(8, i))
               for i in range(4)]  # fmt: skip
    post(operator, *denials)
    assert [("repeated_denials" in kinds(f"d-{i}")) for i in range(4)] == [False, False, True,
                                                                          False]  # fmt: skip
    magazine = geo_services.save_site(actor=manager_user, organisation=world.orgs["a"],
                                      name="Polvorín", kind="explosives_magazine",
                                      lat=-7.74, lon=-77.53, parent=world.sites["a1"])  # fmt: skip
    door = geo_services.save_site(actor=manager_user, organisation=world.orgs["a"],
                                  name="Puerta polvorín", kind="access_point", lat=-7.741,
                                  lon=-77.53, parent=magazine)  # fmt: skip
    post(operator, event(door, "m-1", time=at(23)), event(door, "m-2", time=at(9)))
    assert "after_hours_magazine" in kinds("m-1") and "after_hours_magazine" not in kinds("m-2")


def test_hire_from_outside_warns_or_refuses(world, api_client):
    manager_user = world.users["security_manager"]
    manager = api_client(manager_user)
    response = manager.post(
        "/api/v1/people/",
        {
            "name": "Local Guard",
            "document_number": "10000009",
            "role": "guard",
            "home_ubigeo": "130805",
            "home_lat": -7.70,
            "home_lon": -77.50,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    local = response.json()["id"]
    a1 = world.sites["a1"]
    body = {"person": local, "site": a1.pk, "shift_start": "06:00", "shift_end": "18:00"}
    warned = manager.post("/api/v1/person-assignments/", body, format="json")
    assert warned.status_code == 201 and warned.json()["local_hire"] == "within_distance"
    assert manager.get(f"/api/v1/people/{local}/").json()["hired_locally"] == [a1.pk]
    operator_view = api_client(world.users["operator"]).get(f"/api/v1/people/{local}/").json()
    assert operator_view["hired_locally"] == [a1.pk] and "home_lat" not in operator_view
    settings = {"local_hire_action": "refuse", "site_districts": {str(a1.pk): "130801"}}
    assert manager.patch("/api/v1/people-settings/", settings, format="json").status_code == 200
    refused = manager.post("/api/v1/person-assignments/", body, format="json")
    assert refused.status_code == 400 and "site" in refused.json()
    bad = manager.patch("/api/v1/people-settings/", {"site_districts": {"999999": "130801"}},
                        format="json")  # fmt: skip
    assert bad.status_code == 400 and "site_districts" in bad.json()
    bad = manager.patch("/api/v1/people-settings/", {"local_hire_action": "maybe"}, format="json")
    assert bad.status_code == 400 and "local_hire_action" in bad.json()
    assert Assignment.objects.filter(person_id=local).count() == 1


def test_visitors_check_in_out_and_overstay(world, api_client, gates):
    guard_client = api_client(world.users["guard"])
    host = world.extra["people_a"]["staff"]
    body = {"access_point": gates["a1"].pk, "name": "Ana Visitante", "document_number": "10000003",
            "host": host.pk, "purpose": "Auditoría", "vehicle_plate": "xyz-987",
            "expected_exit": (timezone.now() + dt.timedelta(hours=2)).isoformat()}  # fmt: skip
    response = guard_client.post("/api/v1/visitors/", body, format="json")
    assert response.status_code == 201, response.content
    visitor = response.json()
    assert visitor["inside"] and "document_number" not in visitor  # guards: no document numbers
    assert checks.check_overstays() == 0
    assert checks.check_overstays(timezone.now() + dt.timedelta(hours=3)) == 1
    assert checks.check_overstays(timezone.now() + dt.timedelta(hours=4)) == 0  # once
    out = guard_client.post(f"/api/v1/visitors/{visitor['id']}/check-out/")
    assert out.status_code == 200 and out.json()["inside"] is False
    again = guard_client.post(f"/api/v1/visitors/{visitor['id']}/check-out/")
    assert again.status_code == 400
    for field, value in (("document_number", "1234"), ("expected_exit", "2000-01-01T00:00Z"),
                         ("purpose", ""), ("access_point", 999999)):  # fmt: skip
        bad = guard_client.post("/api/v1/visitors/", {**body, field: value}, format="json")
        assert bad.status_code == 400 and field in bad.json(), (field, bad.content)
    b_gate = gates["b1"]
    other = guard_client.post("/api/v1/visitors/", {**body, "access_point": b_gate.pk},
                              format="json")  # fmt: skip
    assert other.status_code == 400 and "access_point" in other.json()
    assert api_client(world.users["b-manager"]).get("/api/v1/visitors/").json()["count"] == 0


def test_manifest_board_arrive_and_missing_passenger(world, api_client, gates):
    from minewatch.tracking.models import Trip
    from minewatch.tracking.services import fleet as tracking_services

    manager_user = world.users["security_manager"]
    manager = api_client(manager_user)
    trip = tracking_services.save_trip(actor=manager_user, organisation=world.orgs["a"],
                                         reference="BUS-1", site=world.sites["a1"])  # fmt: skip
    guard, staff = world.extra["people_a"]["guard"], world.extra["people_a"]["staff"]
    lines = {}
    for person in (guard, staff):
        response = manager.post("/api/v1/trip-passengers/", {"trip": trip.pk, "person": person.pk},
                                format="json")  # fmt: skip
        assert response.status_code == 201, response.content
        lines[person.pk] = response.json()["id"]
    dup = manager.post("/api/v1/trip-passengers/", {"trip": trip.pk, "person": guard.pk},
                       format="json")  # fmt: skip
    assert dup.status_code == 400 and "person" in dup.json()
    guard_client = api_client(world.users["guard"])
    assert guard_client.post(f"/api/v1/trip-passengers/{lines[staff.pk]}/check/",
                             {"stage": "board"}, format="json").status_code == 200  # fmt: skip
    # the guard passes the gate out: boarded (reconciled with the gate event)
    services.record_gate_pass(actor=manager_user, access_point=gates["a1"], credential="A-001",
                              direction="out")  # fmt: skip
    assert TripPassenger.objects.get(pk=lines[guard.pk]).boarded_at is not None
    Trip.objects.filter(pk=trip.pk).update(
        status="arrived", arrived_at=timezone.now() - dt.timedelta(hours=1)
    )
    visits.check_passenger(actor=manager_user, passenger=lines[guard.pk], stage="arrive")
    assert checks.check_missing_passengers() == 1  # staff boarded but never arrived
    assert checks.check_missing_passengers() == 0
    bad = guard_client.post(f"/api/v1/trip-passengers/{lines[staff.pk]}/check/",
                            {"stage": "fly"}, format="json")  # fmt: skip
    assert bad.status_code == 400 and "stage" in bad.json()
    assert api_client(world.users["b-manager"]).get("/api/v1/trip-passengers/").json()[
        "count"] == 0  # fmt: skip
