"""The alerts API: actions, the ladder for the console, panic, rules and ladders, metrics, roles."""

from __future__ import annotations

import pytest

from minewatch.alerts.models import Alert, AlertRule, EscalationPolicy

pytestmark = pytest.mark.django_db


def detail(client, alert) -> dict:
    response = client.get(f"/api/v1/alerts/{alert.pk}/")
    assert response.status_code == 200
    return response.json()


def test_detail_shows_the_ladder_with_timers_and_who_was_told(world, api_client) -> None:
    body = detail(api_client(world.users["operator"]), world.extra["alert_a1"])
    steps = body["ladder"]["steps"]
    assert [s["state"] for s in steps] == ["fired", "due", "due", "due"]
    assert steps[1]["expected_at"] == body["ladder"]["next_escalation_at"]
    told = {d["recipient_label"] for d in steps[0]["deliveries"]}
    assert {"a-operator", "psc-operator"} <= told
    assert body["checklists"][0]["protocol_code"] == "concession_invasion"


def test_operator_acknowledges_escalates_and_resolves(world, api_client) -> None:
    client = api_client(world.users["operator"])
    alert = world.extra["alert_a1"]
    ack = client.post(f"/api/v1/alerts/{alert.pk}/ack/", {"note": "voy"}, format="json")
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    up = client.post(f"/api/v1/alerts/{alert.pk}/escalate/", {}, format="json")
    assert up.json()["status"] == "escalated" and up.json()["steps_fired"] == 2
    bad = client.post(f"/api/v1/alerts/{alert.pk}/resolve/", {}, format="json")
    assert bad.status_code == 400 and "note" in bad.json()
    done = client.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "controlado"}, format="json")
    assert done.json()["status"] == "resolved"
    assert [c["to_status"] for c in done.json()["status_changes"]] == [
        "open", "acknowledged", "escalated", "resolved"]  # fmt: skip
    again = client.post(f"/api/v1/alerts/{alert.pk}/ack/", {}, format="json")
    assert again.status_code == 409


@pytest.mark.parametrize("role", ["guard", "auditor", "analyst"])
def test_roles_that_do_not_operate_cannot_acknowledge(world, api_client, role) -> None:
    response = api_client(world.users[role]).post(
        f"/api/v1/alerts/{world.extra['alert_a1'].pk}/ack/", {}, format="json"
    )
    assert response.status_code == 403


def test_other_company_cannot_act_on_an_alert(world, api_client) -> None:
    response = api_client(world.users["b-manager"]).post(
        f"/api/v1/alerts/{world.extra['alert_a1'].pk}/ack/", {}, format="json"
    )
    assert response.status_code == 404


def test_guard_presses_panic_with_a_position(world, api_client) -> None:
    client = api_client(world.users["guard"])
    body = {"lat": -7.73, "lon": -77.52, "site": world.sites["a1"].pk, "note": "disparos"}
    response = client.post("/api/v1/alerts/panic/", body, format="json")
    assert response.status_code == 201
    assert (response.json()["severity"], response.json()["source"]) == (5, "panic")
    missing = client.post("/api/v1/alerts/panic/", {"lat": -7.7}, format="json")
    assert missing.status_code == 400 and "lon" in missing.json()
    other_site = client.post(
        "/api/v1/alerts/panic/", {**body, "site": world.sites["b1"].pk}, format="json"
    )
    assert other_site.status_code == 400 and "site" in other_site.json()


def test_create_incident_from_alert_returns_the_prefilled_incident(world, api_client) -> None:
    alert = world.extra["alert_a1"]
    response = api_client(world.users["operator"]).post(
        f"/api/v1/alerts/{alert.pk}/create-incident/", {"assailants_min": 12}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["incident_type"], body["site"], body["assailants_min"]) == (
        "concession_invasion", world.sites["a1"].pk, 12)  # fmt: skip
    assert Alert.objects.get(pk=alert.pk).incident_id == body["id"]


def test_manager_edits_rules_and_operator_may_not(world, api_client) -> None:
    rule = AlertRule.objects.filter(organisation=world.orgs["a"]).first()
    url = f"/api/v1/alert-rules/{rule.pk}/"
    patch = {"dedup_minutes": 30, "sites": [world.sites["a1"].pk], "throttle_max_alerts": 5}
    manager = api_client(world.users["security_manager"])
    response = manager.patch(url, patch, format="json")
    assert response.status_code == 200 and response.json()["dedup_minutes"] == 30
    assert api_client(world.users["operator"]).patch(url, patch, format="json").status_code == 403
    foreign = manager.patch(url, {"sites": [world.sites["b1"].pk]}, format="json")
    assert foreign.status_code == 400 and "sites" in foreign.json()
    half = manager.patch(url, {"window_start": "22:00"}, format="json")
    assert half.status_code == 400 and "window_end" in half.json()


def test_manager_creates_a_ladder_with_steps(world, api_client) -> None:
    police = world.extra["police_a1"]
    body = {"name": "Invasiones", "threats": ["illegal_mining"], "min_severity": 4, "steps": [
        {"name": "Operador", "recipient_roles": ["operator"], "channels": ["inapp"], "wait_s": 120},
        {"name": "PNP Pataz", "contacts": [police.pk], "channels": ["email", "sms"], "wait_s": 0},
    ]}  # fmt: skip
    client = api_client(world.users["security_manager"])
    response = client.post("/api/v1/escalation-policies/", body, format="json")
    assert response.status_code == 201, response.json()
    policy = EscalationPolicy.objects.get(pk=response.json()["id"])
    assert [s.name for s in policy.steps.all()] == ["Operador", "PNP Pataz"]
    bad = client.post("/api/v1/escalation-policies/", {**body, "steps": [{"channels": ["fax"]}]},
                      format="json")  # fmt: skip
    assert bad.status_code == 400 and "steps" in bad.json()


def test_channel_secrets_are_write_only(world, api_client) -> None:
    client = api_client(world.users["security_manager"])
    body = {"name": "SMTP", "kind": "email", "config": {"host": "127.0.0.1", "port": 25,
            "sender": "a@b.pe", "password": "s3cr3t"}}  # fmt: skip
    created = client.post("/api/v1/notification-channels/", body, format="json")
    assert created.status_code == 201 and created.json()["config"]["password"] == "***"
    missing = client.post("/api/v1/notification-channels/", {**body, "config": {}}, format="json")
    assert missing.status_code == 400 and "config" in missing.json()


def test_checklist_step_is_ticked_through_the_api(world, api_client) -> None:
    checklist = world.extra["alert_a1"].checklists.get()
    item = checklist.items.first()
    client = api_client(world.users["operator"])
    response = client.post(f"/api/v1/protocol-checklists/{checklist.pk}/tick/",
                           {"item": item.pk, "note": "hecho"}, format="json")  # fmt: skip
    assert response.status_code == 200
    ticked = next(i for i in response.json()["items"] if i["id"] == item.pk)
    assert ticked["ticked_by_name"] == "a-operator" and ticked["ticked_at"]
    alien = client.post(
        f"/api/v1/protocol-checklists/{checklist.pk}/tick/", {"item": 0}, format="json"
    )
    assert alien.status_code == 400


def test_metrics_summarise_response_times_per_site_and_month(world, api_client) -> None:
    client = api_client(world.users["operator"])
    alert = world.extra["alert_a1"]
    client.post(f"/api/v1/alerts/{alert.pk}/ack/", {}, format="json")
    client.post(f"/api/v1/alerts/{alert.pk}/police-notified/", {}, format="json")
    client.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "ok"}, format="json")
    rows = client.get("/api/v1/alert-metrics/", {"kind": "alarm.burglary"}).json()["results"]
    row = next(r for r in rows if r["site"] == world.sites["a1"].pk)
    assert row["alerts"] >= 1  # other apps' test worlds add alerts here too
    assert (
        row["time_to_acknowledge_s"]["count"] == 1
        and row["time_to_acknowledge_s"]["median_s"] >= 300
    )
    assert row["time_to_notify_police_s"]["count"] == 1
    assert all(r["site"] != world.sites["b1"].pk for r in rows)


def test_delivery_log_is_for_operators_and_auditors(world, api_client) -> None:
    rows = api_client(world.users["auditor"]).get("/api/v1/delivery-attempts/").json()["results"]
    own = set(Alert.objects.filter(organisation=world.orgs["a"]).values_list("pk", flat=True))
    assert world.extra["alert_a1"].pk in {r["alert"] for r in rows} <= own
    assert (
        api_client(world.users["guard"]).get("/api/v1/delivery-attempts/").json()["results"] == []
    )


def test_source_and_kind_come_translated_for_the_console(world, api_client) -> None:
    from django.utils import translation

    from minewatch.alerts.choices import kind_label

    client = api_client(world.users["operator"])
    body = client.get(
        f"/api/v1/alerts/{world.extra['alert_a1'].pk}/", HTTP_ACCEPT_LANGUAGE="es"
    ).json()
    assert (body["source"], body["source_display"]) == ("alarm_panel", "Panel de alarma")
    assert (body["kind"], body["kind_display"]) == ("alarm.burglary", "Alarma de intrusión")
    body = client.get(
        f"/api/v1/alerts/{world.extra['alert_a1'].pk}/", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert (body["source_display"], body["kind_display"]) == ("Alarm panel", "Intrusion alarm")
    with translation.override("es"):
        assert kind_label("tracking.route_deviation") == "Desvío de ruta"
        assert kind_label("route_deviation") == "Desvío de ruta"
        assert kind_label("incident.extortion") == "Extorsión"
        assert kind_label("something.unknown") == "something.unknown"
    with translation.override("en"):
        assert kind_label("detection.signal_loss") == "Signal loss (possible jamming)"
        assert kind_label("incident.extortion") == "Extortion"


def test_escalated_alert_is_acknowledged_and_the_api_says_so(world, api_client) -> None:
    """The console asks ``actions``: an escalated alert still offers "ack" (stops the ladder)."""
    client = api_client(world.users["operator"])
    alert = world.extra["alert_a1"]
    assert detail(client, alert)["actions"] == ["ack", "escalate", "resolve"]
    up = client.post(f"/api/v1/alerts/{alert.pk}/escalate/", {}, format="json").json()
    assert up["status"] == "escalated" and "ack" in up["actions"]
    listed = client.get("/api/v1/alerts/?is_open=true").json()["results"]
    assert "ack" in next(a for a in listed if a["id"] == alert.pk)["actions"]
    ack = client.post(f"/api/v1/alerts/{alert.pk}/ack/", {}, format="json")
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    assert ack.json()["next_escalation_at"] is None
    assert ack.json()["actions"] == ["escalate", "resolve"]
    done = client.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "ok"}, format="json")
    assert done.json()["actions"] == []


# 300 m north of the test world's Las Bambas (site a2 at -14.068, -72.318).
NEAR_LAS_BAMBAS = {"lat": -14.068 + 300 / 110_650, "lon": -72.318}


def test_panic_without_site_gets_the_nearest_site_and_spanish_text(world, api_client) -> None:
    """The guard's field page sends only a position: the alert names the site, in Spanish."""
    client = api_client(world.users["guard"])
    response = client.post("/api/v1/alerts/panic/", {**NEAR_LAS_BAMBAS, "accuracy_m": 12},
                           format="json")  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert body["site"] == world.sites["a2"].pk
    assert body["title"] == "Botón de pánico: a-guard"
    assert body["description"] == (
        "Pánico activado a 300 m de Las Bambas. Precisión de la posición: ±12 m."
    )
    assert body["policy"] is not None  # the site's ladder runs


def test_panic_beyond_the_configured_distance_has_no_site(world, api_client, settings) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "alert_site_radius_m": 200.0}
    response = api_client(world.users["guard"]).post(
        "/api/v1/alerts/panic/", NEAR_LAS_BAMBAS, format="json"
    )
    assert response.status_code == 201
    assert response.json()["site"] is None
    assert response.json()["description"].startswith("Pánico activado en -14.06529, -72.31800")


def test_panic_never_attaches_a_site_the_sender_cannot_see(world, api_client) -> None:
    near_antamina = {"lat": -9.537 + 300 / 110_650, "lon": -77.05}  # company B's site
    response = api_client(world.users["guard"]).post(
        "/api/v1/alerts/panic/", near_antamina, format="json"
    )
    assert response.status_code == 201 and response.json()["site"] is None


def test_hand_raised_alert_with_a_position_gets_the_nearest_site(world, api_client) -> None:
    response = api_client(world.users["operator"]).post(
        "/api/v1/alerts/", {"title": "Disparos", "severity": 4, **NEAR_LAS_BAMBAS}, format="json"
    )
    assert response.status_code == 201 and response.json()["site"] == world.sites["a2"].pk
