"""A test message through a notification channel, sent by the code that sends alerts."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from minewatch.alerts.choices import ChannelKind
from minewatch.alerts.engine import channels as engine
from minewatch.alerts.models import NotificationChannel
from minewatch.alerts.services import delivery
from minewatch.core import audit
from minewatch.core.checks import require
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput


def default_target(channel: NotificationChannel, user: Any) -> str:
    """Where a test goes when the form names no one: the tester, or the channel's own target."""
    config = channel.config or {}
    return {
        ChannelKind.EMAIL: getattr(user, "email", ""),
        ChannelKind.SMS: getattr(user, "phone", ""),
        ChannelKind.WEBHOOK: config.get("url", ""),
        ChannelKind.MQTT: config.get("topic", ""),
        ChannelKind.INAPP: getattr(user, "username", ""),
    }.get(channel.kind, "")


def send_test(
    *, actor: Any, channel: NotificationChannel, target: str = ""
) -> engine.DeliveryAttempt:
    """Send one test message now (not queued, no retry); the try is audited on the channel."""
    require(actor, "configure_alerts", "change alerting configuration")
    target = target.strip() or default_target(channel, actor)
    if not target:
        raise InvalidInput(_("Say where the test should go (an address, number, URL or topic)."),
                           field="target")  # fmt: skip
    text = _("MineWatch test message from %(user)s through the channel %(channel)s.") % {
        "user": actor.username, "channel": channel.name}  # fmt: skip
    job = delivery.Job(
        attempt_id=0, kind=channel.kind, target=target, attempt_number=1,
        subject=_("MineWatch: test message"), body=text,
        payload={"event": "channel.test", "channel": channel.name, "text": text,
                 "at": timezone.now().isoformat()},
        config=dict(channel.config or {}), secret=(channel.config or {}).get("secret") or None,
        timeout_s=channel.timeout_s,
    )  # fmt: skip
    result = delivery.send(job)
    audit.record(actor=actor, action=AuditAction.ACCESS, instance=channel,
                 note=f"test {result.status} → {target}" + (f": {result.error}" if result.error else ""))  # fmt: skip
    return result
