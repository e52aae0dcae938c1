"""Escalation: choosing a ladder, firing its steps, and the restart-safe timer.

The only timer is ``Alert.next_escalation_at`` in the database; the fired steps are
``EscalationFiring`` rows. :func:`run_due_escalations` asks the pure planner
(``alerts.engine.escalation.plan_escalation``) what is due from those facts, so a new
worker after a restart picks up exactly where the old one stopped, and a step never
fires twice (a unique constraint backs that up).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from minewatch.alerts.choices import LADDER_RUNNING, ChannelKind, ContactKind, DeliveryStatus
from minewatch.alerts.engine import escalation as engine
from minewatch.alerts.models import (
    Alert,
    Contact,
    DeliveryAttempt,
    EscalationFiring,
    EscalationPolicy,
    EscalationStep,
    NotificationChannel,
)
from minewatch.alerts.services import messages
from minewatch.alerts.services.police import note_police_notified
from minewatch.core.models import User
from minewatch.core.tenancy import current_assignments

logger = logging.getLogger("minewatch.alerts")


class LadderReads:
    """What opening alerts and firing ladder steps read, read once per batch.

    Policies, their steps, recipients, police contacts and channels do not change within
    one transaction, so a batch of alerts (``services.batch``) shares one instance; a
    single call gets a fresh one (nothing is cached across transactions).
    """

    def __init__(self) -> None:
        self._policies: dict[int, list[EscalationPolicy]] = {}
        self._steps: dict[int, list[EscalationStep]] = {}
        self._recipients: dict[tuple[int, int, int | None], list[Recipient]] = {}
        self._police: dict[tuple[int, int | None], list[Contact]] = {}
        self._channels: dict[int, dict[str, NotificationChannel]] = {}

    def policies(self, organisation_id: int) -> list[EscalationPolicy]:
        """The organisation's active policies."""
        if organisation_id not in self._policies:
            self._policies[organisation_id] = list(EscalationPolicy.objects.filter(
                organisation_id=organisation_id, is_active=True).order_by("pk"))  # fmt: skip
        return self._policies[organisation_id]

    def steps(self, policy: EscalationPolicy) -> list[EscalationStep]:
        if policy.pk not in self._steps:
            self._steps[policy.pk] = list(policy.steps.all())
        return self._steps[policy.pk]

    def recipients(self, step: EscalationStep, alert: Alert) -> list[Recipient]:
        key = (step.pk, alert.organisation_id, alert.site_id)
        if key not in self._recipients:
            self._recipients[key] = recipients_of(step, alert, reads=self)
        return self._recipients[key]

    def police(self, alert: Alert) -> list[Contact]:
        key = (alert.organisation_id, alert.site_id)
        if key not in self._police:
            self._police[key] = site_police(alert)
        return self._police[key]

    def channels(self, alert: Alert) -> dict[str, NotificationChannel]:
        if alert.organisation_id not in self._channels:
            self._channels[alert.organisation_id] = _channels(alert)
        return self._channels[alert.organisation_id]


def choose_policy(
    alert: Alert, preferred: EscalationPolicy | None = None, *, reads: LadderReads | None = None
) -> EscalationPolicy | None:
    """The rule's policy, else the most specific active policy matching kind, threat, severity."""
    if preferred is not None and preferred.is_active:
        return preferred
    best, best_score = None, None
    for policy in (reads or LadderReads()).policies(alert.organisation_id):
        if policy.min_severity > alert.severity:
            continue
        kinds, threats = policy.kinds or [], policy.threats or []
        if kinds and not any(_kind_matches(alert.kind, k) for k in kinds):
            continue
        if threats and alert.threat not in threats:
            continue
        score = (bool(kinds), bool(threats), policy.min_severity, -policy.pk)
        if best_score is None or score > best_score:
            best, best_score = policy, score
    return best


def _kind_matches(kind: str, pattern: str) -> bool:
    """``alarm.*`` matches every ``alarm.`` kind; otherwise the names must be equal."""
    if pattern.endswith("*"):
        return kind.startswith(pattern[:-1])
    return kind == pattern


def engine_policy(policy: EscalationPolicy, steps: list[EscalationStep]) -> engine.EscalationPolicy:
    return engine.EscalationPolicy(str(policy.pk), tuple(
        engine.EscalationStep(step.name, tuple(step.channels or ("inapp",)), float(step.wait_s))
        for step in steps
    ))  # fmt: skip


@dataclass(frozen=True)
class Recipient:
    label: str
    user: User | None = None
    contact: Contact | None = None
    is_police: bool = False

    @property
    def email(self) -> str:
        return (self.user.email if self.user else self.contact.email) or ""

    @property
    def phone(self) -> str:
        return (self.user.phone if self.user else self.contact.phone) or ""


def site_police(alert: Alert) -> list[Contact]:
    """Police contacts covering the alert's site (by site, else by the site's region)."""
    if alert.site_id is None:
        return []
    contacts = Contact.objects.filter(
        organisation_id=alert.organisation_id, kind=ContactKind.POLICE, is_active=True
    )
    by_site = list(contacts.filter(site_id=alert.site_id))
    if by_site or alert.site.region_id is None:
        return by_site
    return list(contacts.filter(site__isnull=True, region_id=alert.site.region_id))


def recipients_of(
    step: EscalationStep, alert: Alert, *, reads: LadderReads | None = None
) -> list[Recipient]:
    """Users with the step's roles (owner and contractors assigned to the site), its users,
    its contacts, and the police of the site's area; each once."""
    orgs = Q(organisation_id=alert.organisation_id)
    if alert.site_id:
        contractor_ids = (
            current_assignments()
            .filter(site_id=alert.site_id)
            .values_list("contractor_id", flat=True)
        )
        orgs |= Q(organisation_id__in=list(contractor_ids))
    users = list(User.objects.filter(orgs, role__in=step.recipient_roles or [], is_active=True))
    users += [u for u in step.users.all() if u.is_active]
    found: dict[str, Recipient] = {}
    for user in users:
        found.setdefault(f"u{user.pk}", Recipient(user.get_full_name() or user.username, user=user))
    for contact in step.contacts.filter(is_active=True):
        found.setdefault(f"c{contact.pk}", _contact_recipient(contact))
    if step.notify_site_police:
        for contact in reads.police(alert) if reads else site_police(alert):
            found.setdefault(f"c{contact.pk}", _contact_recipient(contact))
    return list(found.values())


def _contact_recipient(contact: Contact) -> Recipient:
    return Recipient(contact.name, contact=contact, is_police=contact.kind == ContactKind.POLICE)


def _channels(alert: Alert) -> dict[str, NotificationChannel]:
    """The organisation's active channel of each kind (the oldest one when there are several)."""
    rows = NotificationChannel.objects.filter(organisation_id=alert.organisation_id, is_active=True)
    return {channel.kind: channel for channel in rows.order_by("-pk")}


def deliveries_for(
    alert: Alert,
    firing: EscalationFiring,
    step: EscalationStep,
    now: dt.datetime,
    reads: LadderReads,
) -> list[DeliveryAttempt]:
    """The delivery rows (unsaved) of one fired step: one per recipient and channel."""
    return [
        DeliveryAttempt(alert=alert, firing=firing, **values)
        for values in delivery_values(alert, step, now, reads)
    ]


def delivery_values(
    alert: Alert, step: EscalationStep, now: dt.datetime, reads: LadderReads
) -> list[dict[str, Any]]:
    """The delivery rows of one fired step as ``{attname: value}`` (without the alert and
    firing keys): one per recipient and channel. Batches insert these without building
    model instances."""
    subject, body = messages.alert_subject(alert), messages.alert_text(alert, step.name)
    recipients = reads.recipients(step, alert)
    channels = reads.channels(alert)
    rows: list[dict[str, Any]] = []

    def add(kind: str, recipient: Recipient | None, label: str, target: str, **extra: Any) -> None:
        channel = extra.pop("channel", None)
        rows.append({
            "organisation_id": alert.organisation_id, "channel_kind": kind,
            "channel_id": channel.pk if channel is not None else None,
            "recipient_user_id": recipient.user.pk if recipient and recipient.user else None,
            "recipient_contact_id": recipient.contact.pk if recipient and recipient.contact
            else None,
            "recipient_label": label[:200], "is_police": bool(recipient and recipient.is_police),
            "target": target[:500], "subject": subject, "body": body, "created_at": now,
            "due_at": now, **extra,
        })  # fmt: skip

    if step.notify_site_police and not reads.police(alert):
        add(ChannelKind.INAPP, None, "PNP (sin contacto)", "", status=DeliveryStatus.FAILED,
            error="no police contact is configured for this site's area", finished_at=now)  # fmt: skip
    for kind in step.channels or [ChannelKind.INAPP]:
        channel = channels.get(kind)
        extra = {"channel": channel}
        if kind == ChannelKind.INAPP:
            for r in (r for r in recipients if r.user is not None):
                add(kind, r, r.label, f"console:{r.user.username}", status=DeliveryStatus.SENT,
                    started_at=now, finished_at=now, **extra)  # fmt: skip
            continue
        if kind in (ChannelKind.MQTT, ChannelKind.WEBHOOK) and channel is not None:
            target = channel.config.get("topic") or channel.config.get("url") or ""
            if target:
                add(kind, None, channel.name, target, **extra)
        for r in recipients:
            _add_personal(add, kind, r, channel, extra, now)
    return rows


def _add_personal(add: Any, kind: str, r: Recipient, channel: Any, extra: dict, now: Any) -> None:
    """One row per recipient for e-mail, SMS and per-contact webhooks (a failure if unreachable)."""
    failed = {"status": DeliveryStatus.FAILED, "finished_at": now}
    if kind == ChannelKind.WEBHOOK:
        if r.contact is not None and r.contact.webhook_url:
            add(kind, r, r.label, r.contact.webhook_url, **extra)
        return
    if kind not in (ChannelKind.EMAIL, ChannelKind.SMS):
        return
    address = r.email if kind == ChannelKind.EMAIL else r.phone
    if not address:
        add(kind, r, r.label, "", error=f"recipient has no {kind} address", **failed, **extra)
    elif channel is None:
        add(kind, r, r.label, address, error=f"no active {kind} channel is configured",
            **failed, **extra)  # fmt: skip
    else:
        add(kind, r, r.label, address, **extra)


def fire_step(
    alert: Alert, index: int, *, actor: Any, now: dt.datetime, steps: list | None = None
) -> EscalationFiring:
    """Record that ladder step ``index`` fired and queue its deliveries (inside a transaction)."""
    step = (steps if steps is not None else list(alert.policy.steps.all()))[index]
    firing = EscalationFiring.objects.create(
        alert=alert, step_index=index, step=step, step_name=step.name, fired_at=now,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )  # fmt: skip
    rows = DeliveryAttempt.objects.bulk_create(
        deliveries_for(alert, firing, step, now, LadderReads())
    )
    police_sent = [r for r in rows if r.is_police and r.status == DeliveryStatus.SENT]
    if police_sent and alert.police_notified_at is None:
        alert.police_notified_at = now
        note_police_notified({alert.pk: now})
    return firing


def fired_map(alert: Alert) -> dict[int, dt.datetime]:
    return {f.step_index: f.fired_at for f in alert.firings.all()}


def advance(alert: Alert, *, now: dt.datetime, fired: dict | None = None) -> list[int]:
    """Fire what the planner says is due and store the next due time; returns fired steps.

    ``fired`` (step index → time) may be passed when known (``{}`` for a new alert).
    """
    steps = list(alert.policy.steps.all()) if alert.policy is not None else []
    if not steps:
        alert.next_escalation_at = None
        return []
    plan = engine.plan_escalation(
        engine_policy(alert.policy, steps), raised_at_utc=alert.raised_at, now_utc=now,
        fired_at_utc=fired_map(alert) if fired is None else fired,
        acknowledged_at_utc=alert.acknowledged_at, resolved_at_utc=alert.resolved_at,
    )  # fmt: skip
    for index in plan.due_steps:
        fire_step(alert, index, actor=None, now=now, steps=steps)
    alert.next_escalation_at = plan.next_due_at_utc
    return list(plan.due_steps)


def run_due_escalations(now: dt.datetime | None = None, *, limit: int = 200) -> int:
    """Fire every ladder step that is due; safe to run from several workers at once.

    Returns how many steps fired. Each alert is handled in its own transaction with the
    row locked, so a crash loses nothing and a step never fires twice.
    """
    from minewatch.alerts.services.alerts import after_escalation

    now = now or timezone.now()
    due = Alert.objects.filter(next_escalation_at__lte=now, status__in=LADDER_RUNNING)
    fired = 0
    for alert_id in list(due.order_by("next_escalation_at").values_list("pk", flat=True)[:limit]):
        try:
            with transaction.atomic():
                alert = (
                    Alert.objects.select_for_update(of=("self",))
                    .select_related("policy", "site")
                    .get(pk=alert_id)
                )
                if alert.next_escalation_at is None or alert.next_escalation_at > now:
                    continue  # another worker got there first
                steps = advance(alert, now=now)
                after_escalation(alert, steps, actor=None, now=now)
                fired += len(steps)
        except Exception:
            logger.exception("escalation of alert %s failed; it will be retried", alert_id)
    return fired
