"""Deliveries against real local servers: SMTP, a signed-webhook receiver, an SMS gateway, MQTT."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from django.utils import timezone

from minewatch.alerts import services
from minewatch.alerts.choices import DeliveryStatus
from minewatch.alerts.models import Alert, DeliveryAttempt, EscalationStep
from minewatch.alerts.services.config import ACCOUNTABILITY_LADDER
from minewatch.alerts.services.delivery import DeliveryPump, recover_interrupted, run_due_deliveries
from minewatch.alerts.testing import make_input
from minewatch.alerts.tests.conftest import SECRET

pytestmark = pytest.mark.django_db


def first_step(world, channels: list[str], roles=("operator",), police: bool = False) -> None:
    # The organisation's main ladder (it also has the accountability ladder for managers).
    step = EscalationStep.objects.exclude(policy__name=ACCOUNTABILITY_LADDER[0]).get(
        policy__organisation=world.orgs["a"], order=0
    )
    step.channels, step.recipient_roles, step.notify_site_police = channels, list(roles), police
    step.save()


def email_channel(world, port: int) -> None:
    services.save_channel(actor=world.users["security_manager"], organisation=world.orgs["a"],
                          name="SMTP local", kind="email", timeout_s=5, backoff_base_s=0,
                          config={"host": "127.0.0.1", "port": port, "sender": "alertas@mina.pe"})  # fmt: skip


def raise_one(world, key: str = "X") -> Alert:
    return services.raise_alert(make_input(world.sites["a1"], subject_key=key))[0]


def test_email_reaches_a_real_smtp_server_and_is_recorded_as_sent(world, smtp_server) -> None:
    port, inbox = smtp_server
    world.users["operator"].email = "operador@mina.pe"
    world.users["operator"].save()
    email_channel(world, port)
    first_step(world, ["email"])
    alert = raise_one(world)
    run_due_deliveries()
    row = DeliveryAttempt.objects.get(alert=alert, target="operador@mina.pe")
    assert (row.status, row.status_code) == (DeliveryStatus.SENT, 250)
    message = inbox.envelopes[0].content.decode("utf-8", "replace")
    assert alert.reference in message and inbox.envelopes[0].rcpt_tos == ["operador@mina.pe"]


def test_signed_webhook_to_the_police_contact_sets_time_police_were_told(
    world, http_receiver
) -> None:
    police = world.extra["police_a1"]
    services.save_contact(actor=world.users["security_manager"], organisation=world.orgs["a"],
                          contact=police, webhook_url=f"{http_receiver.url}/ok", webhook_secret=SECRET)  # fmt: skip
    first_step(world, ["webhook"], roles=(), police=True)
    alert = raise_one(world)
    run_due_deliveries()
    row = DeliveryAttempt.objects.get(alert=alert, channel_kind="webhook")
    assert (row.status, row.status_code, row.is_police) == (DeliveryStatus.SENT, 200, True)
    body = json.loads(http_receiver.requests[0][1])
    assert body["alert"]["reference"] == alert.reference
    alert.refresh_from_db()
    assert alert.police_notified_at == row.finished_at


def test_receiver_answering_500_is_retried_with_backoff_then_failed_and_others_still_go_out(
    world, http_receiver, smtp_server
) -> None:
    port, inbox = smtp_server
    world.users["operator"].email = "operador@mina.pe"
    world.users["operator"].save()
    email_channel(world, port)
    police = world.extra["police_a1"]
    police.webhook_url = f"{http_receiver.url}/fail"
    police.save()
    first_step(world, ["webhook", "email"], police=True)
    alert = raise_one(world)
    for _ in range(5):  # each pass, an hour on, is past the backoff of the try before
        run_due_deliveries(timezone.now() + dt.timedelta(hours=1))
    tries = DeliveryAttempt.objects.filter(alert=alert, channel_kind="webhook").order_by(
        "attempt_number"
    )
    assert [t.status for t in tries] == ["retrying"] * 2 + ["failed"]  # 3 tries without a channel
    waits = [
        (b.due_at - a.finished_at).total_seconds() for a, b in zip(tries, tries[1:], strict=False)
    ]
    assert waits == [5.0, 10.0]
    assert all(t.status_code == 500 for t in tries)
    assert DeliveryAttempt.objects.get(alert=alert, target="operador@mina.pe").status == "sent"
    assert ["operador@mina.pe"] in [envelope.rcpt_tos for envelope in inbox.envelopes]


def test_hanging_receiver_does_not_hold_back_another_alert(
    world, http_receiver, smtp_server
) -> None:
    port, inbox = smtp_server
    world.users["operator"].email = "operador@mina.pe"
    world.users["operator"].save()
    email_channel(world, port)
    police = world.extra["police_a1"]
    police.webhook_url = f"{http_receiver.url}/hang"
    police.save()
    first_step(world, ["webhook"], roles=(), police=True)
    raise_one(world, "hang")
    first_step(world, ["email"])
    other = services.raise_alert(make_input(world.sites["a1"], kind="alarm.panic", severity=5))[0]
    pump = DeliveryPump(max_workers=4)
    try:
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            pump.pump()
            if DeliveryAttempt.objects.filter(alert=other, status="sent").exists():
                break
            time.sleep(0.05)
        assert DeliveryAttempt.objects.get(alert=other, target="operador@mina.pe").status == "sent"
        assert pump.inflight == 1  # the webhook is still hanging
    finally:
        http_receiver.release.set()
        pump.drain(timeout_s=10)
        pump.close()


def test_sms_goes_through_the_gateway_webhook(world, http_receiver) -> None:
    world.users["operator"].phone = "+51987654321"
    world.users["operator"].save()
    services.save_channel(actor=world.users["security_manager"], organisation=world.orgs["a"],
                          name="Pasarela SMS", kind="sms",
                          config={"url": f"{http_receiver.url}/sms",
                                  "template": {"phone": "{to}", "message": "{text}"}})  # fmt: skip
    first_step(world, ["sms"])
    alert = raise_one(world)
    run_due_deliveries()
    assert DeliveryAttempt.objects.get(alert=alert, target="+51987654321").status == "sent"
    body = json.loads(http_receiver.requests[0][1])
    assert body["phone"] == "+51987654321" and alert.reference in body["message"]


def test_recipient_without_address_is_recorded_not_skipped(world) -> None:
    first_step(world, ["email"])
    alert = raise_one(world)
    row = DeliveryAttempt.objects.get(alert=alert, recipient_label="a-operator")
    assert row.status == "failed" and "no email address" in row.error


def test_try_cut_off_by_a_stopped_worker_is_recorded_and_retried(world, smtp_server) -> None:
    port, _inbox = smtp_server
    world.users["operator"].email = "operador@mina.pe"
    world.users["operator"].save()
    email_channel(world, port)
    first_step(world, ["email"])
    alert = raise_one(world)
    row = DeliveryAttempt.objects.get(alert=alert, target="operador@mina.pe")
    long_ago = timezone.now() - dt.timedelta(hours=1)
    DeliveryAttempt.objects.filter(pk=row.pk).update(status="sending", started_at=long_ago)
    assert recover_interrupted() == 1
    run_due_deliveries(timezone.now() + dt.timedelta(minutes=5))
    statuses = list(DeliveryAttempt.objects.filter(alert=alert, target="operador@mina.pe")
                    .order_by("attempt_number").values_list("status", flat=True))  # fmt: skip
    assert statuses == ["retrying", "sent"]


@pytest.mark.mqtt
def test_mqtt_channel_publishes_through_mosquitto(world, mqtt_broker) -> None:
    import paho.mqtt.client as mqtt

    host, port = mqtt_broker
    topic = f"minewatch/test/{time.time_ns()}"
    received: list[bytes] = []
    subscribed = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_message = lambda c, u, message: received.append(message.payload)
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect(host, port)
    client.subscribe(topic, qos=1)
    client.loop_start()
    try:
        assert subscribed.wait(5)
        services.save_channel(actor=world.users["security_manager"], organisation=world.orgs["a"],
                              name="Bus MQTT", kind="mqtt",
                              config={"host": host, "port": port, "topic": topic})  # fmt: skip
        first_step(world, ["mqtt"])
        alert = raise_one(world)
        run_due_deliveries()
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        client.loop_stop()
        client.disconnect()
    assert DeliveryAttempt.objects.get(alert=alert, channel_kind="mqtt").status == "sent"
    assert json.loads(received[0])["alert"]["reference"] == alert.reference


def test_police_reached_by_the_ladder_after_the_incident_was_opened_reaches_the_incident(
    world, http_receiver
) -> None:
    police = world.extra["police_a1"]
    services.save_contact(actor=world.users["security_manager"], organisation=world.orgs["a"],
                          contact=police, webhook_url=f"{http_receiver.url}/ok", webhook_secret=SECRET)  # fmt: skip
    first_step(world, ["webhook"], roles=(), police=True)
    alert = raise_one(world, "police-later")
    incident = services.create_incident_from_alert(alert, actor=world.users["operator"])
    assert incident.police_notified_at is None
    run_due_deliveries()
    alert.refresh_from_db()
    incident.refresh_from_db()
    assert alert.police_notified_at is not None
    assert incident.police_notified_at == alert.police_notified_at
