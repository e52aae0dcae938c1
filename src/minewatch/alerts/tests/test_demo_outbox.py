"""The demo's outbox: real SMTP and HTTP on 127.0.0.1, configured as the demo's channels."""

from __future__ import annotations

import json

import pytest

from minewatch.alerts import services
from minewatch.alerts.demo import DemoOutbox, configure_outbox_channels
from minewatch.alerts.models import DeliveryAttempt, EscalationStep, NotificationChannel
from minewatch.alerts.testing import make_input
from minewatch.alerts.tests.conftest import free_port

pytestmark = pytest.mark.django_db


def test_demo_channels_deliver_to_the_local_outbox_and_it_keeps_what_it_got(
    world, tmp_path
) -> None:
    outbox = DemoOutbox(tmp_path, smtp_port=free_port(), sms_port=0).start()
    try:
        assert configure_outbox_channels(smtp_port=outbox.smtp_port, sms_port=outbox.sms_port) >= 2
        assert (
            configure_outbox_channels(smtp_port=outbox.smtp_port, sms_port=outbox.sms_port) >= 2
        )  # a second start reuses the channels
        org = world.orgs["a"]
        kinds = set(NotificationChannel.objects.filter(organisation=org, name__contains="demo")
                    .values_list("kind", flat=True))  # fmt: skip
        assert kinds == {"email", "sms"}
        # The police rung (e-mail and SMS to the site's comisaría) fires at once here.
        EscalationStep.objects.filter(policy__organisation=org, order=0).update(
            channels=["email", "sms"], notify_site_police=True
        )
        alert = services.raise_alert(make_input(world.sites["a1"], subject_key="DEMO-1"))[0]
        services.run_due_deliveries()
    finally:
        outbox.stop()
    rows = DeliveryAttempt.objects.filter(alert=alert, channel_kind__in=["email", "sms"])
    police = rows.filter(is_police=True)
    assert {(r.channel_kind, r.status) for r in police} == {("email", "sent"), ("sms", "sent")}
    mails = [json.loads(line) for line in (tmp_path / "email.jsonl").read_text().splitlines()]
    texts = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert any("pnp-a1@example.pe" in m["to"] and alert.reference in m["subject"] for m in mails)
    assert any(t["to"] == "+51900000001" and alert.reference in t["text"] for t in texts)
    assert all(entry["demo"] is True for entry in mails + texts)
