"""POST /api/v1/access-events/: a batch, idempotent, anomalies to the alert rules."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from minewatch.alerts.models import Alert
from minewatch.geo import services as geo_services
from minewatch.people.models import AccessAnomaly, AccessEvent

LIMA = ZoneInfo("America/Lima")


def at(hour, minute=0, days_ago=1):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LIMA).isoformat()


def event(gate, event_id, credential="A-001", direction="in", time=None, **values):
    body = {"controller_event_id": event_id, "access_point": gate.pk, "direction": direction,
            "credential": credential, "result": "granted", "time": time or at(8)}  # fmt: skip
    body.update(values)
    return body


def post(client, *events):
    return client.post("/api/v1/access-events/", {"events": list(events)}, format="json")


def anomalies_of(event_id):
    return sorted(AccessAnomaly.objects.filter(event__controller_event_id=event_id)
                  .values_list("kind", flat=True))  # fmt: skip


def test_normal_pass_has_no_anomaly(world, api_client, gates):
    response = post(api_client(world.users["operator"]), event(gates["a1"], "c-1"))
    assert response.status_code == 201, response.content
    stored = response.json()["stored"]
    assert len(stored) == 1 and stored[0]["anomalies"] == []
    assert stored[0]["person"] == world.extra["people_a"]["guard"].pk


def test_each_anomaly_is_stored_and_raises_an_alert(
    world, api_client, gates, django_capture_on_commit_callbacks
):
    client = api_client(world.users["operator"])
    gate = gates["a1"]
    before = Alert.objects.filter(organisation=world.orgs["a"]).count()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            event(gate, "u-1", credential="99999999"),  # unknown credential
            event(gate, "s-1", credential="A-002"),  # staff: not cleared, not assigned
            event(gate, "i-1", time=at(8)),  # the guard comes in on shift: normal
            event(gate, "p-1", time=at(9)),  # in again without out: anti-passback
            event(gate, "o-1", direction="out", time=at(20)),  # leaves after the day shift
        )  # fmt: skip
    assert response.status_code == 201, response.content
    assert anomalies_of("u-1") == ["unknown_credential"]
    assert anomalies_of("s-1") == ["not_assigned", "not_cleared"]
    assert anomalies_of("i-1") == []
    assert anomalies_of("o-1") == ["outside_shift"]
    assert anomalies_of("p-1") == ["anti_passback"]
    unknown = AccessEvent.objects.get(controller_event_id="u-1")
    assert unknown.person is None and unknown.credential == "99999999"
    # Yesterday's passes are history (a controller flushing its log): stored, nobody paged.
    assert Alert.objects.filter(organisation=world.orgs["a"]).count() == before


def test_a_fresh_anomaly_raises_an_alert(world, api_client, gates,
                                         django_capture_on_commit_callbacks):  # fmt: skip
    recent = (timezone.now() - dt.timedelta(minutes=2)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_client(world.users["operator"]),
                        event(gates["a1"], "n-1", credential="99999999", time=recent),
                        event(gates["a1"], "n-2", credential="A-002", time=recent))  # fmt: skip
    assert response.status_code == 201
    alerts = Alert.objects.filter(organisation=world.orgs["a"], kind__startswith="access.")
    assert {"access.unknown_credential", "access.not_cleared", "access.not_assigned"} <= set(
        alerts.values_list("kind", flat=True)
    )
    assert set(alerts.values_list("site_id", flat=True)) == {gates["a1"].pk}


def test_duplicate_controller_id_is_stored_once(world, api_client, gates):
    client = api_client(world.users["operator"])
    first = post(client, event(gates["a1"], "dup-1"))
    assert first.status_code == 201
    again = post(client, event(gates["a1"], "dup-1"), event(gates["a1"], "dup-1"))
    assert again.status_code == 201
    assert again.json()["stored"] == [] and again.json()["duplicates"] == ["dup-1", "dup-1"]
    assert AccessEvent.objects.filter(controller_event_id="dup-1").count() == 1


@pytest.mark.parametrize(
    "values,field",
    [({"access_point": 0}, "access_point"), ({"direction": "sideways"}, "direction"),
     ({"time": "yesterday"}, "time"), ({"credential": ""}, "credential"),
     ({"controller_event_id": ""}, "controller_event_id"), ({"result": "maybe"}, "result")],
)  # fmt: skip
def test_bad_event_is_400_naming_the_field(world, api_client, gates, values, field):
    before = AccessEvent.objects.count()
    response = post(api_client(world.users["operator"]), event(gates["a1"], "bad-1", **values))
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert AccessEvent.objects.count() == before


def test_time_beyond_clock_skew_is_refused_and_others_stored(world, api_client, gates):
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    response = post(api_client(world.users["operator"]), event(gates["a1"], "f-1", time=future),
                    event(gates["a1"], "ok-1"))  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert body["rejected"] == [{"index": 0, "field": "time", "message": body["rejected"][0]
                                 ["message"]}]  # fmt: skip
    assert [e["controller_event_id"] for e in body["stored"]] == ["ok-1"]
    assert not AccessEvent.objects.filter(controller_event_id="f-1").exists()


def test_an_access_point_of_another_company_is_unknown(world, api_client, gates):
    response = post(api_client(world.users["operator"]), event(gates["b1"], "x-1"))
    assert response.status_code == 400 and "access_point" in response.json()
    # a mine is not an access point
    response = post(api_client(world.users["operator"]),
                    event(gates["a1"], "x-2", access_point=world.sites["a1"].pk))  # fmt: skip
    assert response.status_code == 400 and "access_point" in response.json()


def test_roles_and_tenancy_of_events(world, api_client, gates):
    assert post(api_client(world.users["analyst"]), event(gates["a1"], "r-1")).status_code == 403
    assert post(api_client(world.users["guard"]), event(gates["a1"], "r-2")).status_code == 201
    # a contractor assigned to the gate records there too (tenancy is per site, not inherited)
    assert (
        post(api_client(world.users["psc-operator"]), event(gates["a1"], "r-0")).status_code == 400
    )
    geo_services.assign_contractor(actor=world.users["security_manager"], site=gates["a1"],
                                   contractor=world.orgs["psc"])  # fmt: skip
    assert (
        post(api_client(world.users["psc-operator"]), event(gates["a1"], "r-3")).status_code == 201
    )
    b_rows = api_client(world.users["b-manager"]).get("/api/v1/access-events/").json()["results"]
    assert b_rows == []
    a_rows = api_client(world.users["operator"]).get("/api/v1/access-events/").json()["results"]
    assert {r["controller_event_id"] for r in a_rows} == {"r-2", "r-3"}
    event_id = a_rows[0]["id"]
    assert (
        api_client(world.users["b-manager"]).get(f"/api/v1/access-events/{event_id}/").status_code
        == 404
    )
