"""Raising many alerts in one transaction: the path every detection takes.

A burst of detections (a convoy fleet reporting, a chattering alarm panel) costs one
transaction per batch, a handful of reads and bulk inserts, instead of ~25 queries each:

* rules come from the per-process cache (``rules.enabled_rules``); policies, ladder
  steps, recipients, channels, sites and protocols are read once per batch
  (:class:`~minewatch.alerts.services.escalation.LadderReads`);
* each touched rule's state row is locked once (in rule id order, so two processes
  cannot deadlock) and the de-duplication slots of the batch are read in one query;
* repeats within the batch fold in memory before anything is written;
* new alerts, their history, ladder firings, deliveries, checklists and audit entries
  are bulk-inserted.

The outcome is the one of running the detections one at a time through the same
engine with the same per-key state. What differs: one ``alert.repeated`` event per
alert per batch (not per repeat), and the first notifications of an alert count the
repeats folded in the same batch.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from minewatch.alerts.choices import NOT_RESOLVED, DeliveryStatus
from minewatch.alerts.engine import escalation as ladder_engine
from minewatch.alerts.engine import rules as engine
from minewatch.alerts.engine.suggestions import suggestion_for
from minewatch.alerts.models import (
    Alert,
    AlertRule,
    AlertStatusChange,
    ChecklistItem,
    DeliveryAttempt,
    EscalationFiring,
    ProtocolChecklist,
    ResponseProtocol,
    RuleSlot,
    RuleState,
)
from minewatch.alerts.services import escalation, messages, rules
from minewatch.alerts.services.bulk import (
    insert_instances,
    insert_values,
    insert_values_returning,
    update_rows,
    write_turn,
)
from minewatch.alerts.services.delivery import notify_queued
from minewatch.alerts.services.police import note_police_notified
from minewatch.alerts.services.rules import AlertInput
from minewatch.core import audit, ledger
from minewatch.core.choices import AuditAction
from minewatch.core.events import Event, publish
from minewatch.core.models import AuditEntry
from minewatch.geo.models import Site
from minewatch.incidents import taxonomy

logger = logging.getLogger("minewatch.alerts")


def new_reference(at: dt.datetime) -> str:
    return f"ALR-{at:%Y%m%d}-{secrets.token_hex(5).upper()}"  # 10^12 a day: no birthday clash


def publish_alert(alert: Alert, name: str, **extra: Any) -> None:
    payload = {**messages.alert_payload(alert), **extra}
    publish(Event(name, alert.organisation_id, payload, site_id=alert.site_id))


class BatchReads(escalation.LadderReads):
    """The ladder's reads plus sites and protocols, once per batch."""

    def __init__(self) -> None:
        super().__init__()
        self._sites: dict[int, Site] = {}
        self._protocols: dict[tuple[int, str, str], tuple[ResponseProtocol | None, list]] = {}

    def load_sites(self, site_ids: set[int]) -> None:
        missing = site_ids - set(self._sites)
        if missing:
            self._sites.update(Site.objects.in_bulk(missing))

    def site(self, site_id: int | None) -> Site | None:
        if site_id is None:
            return None
        self.load_sites({site_id})
        return self._sites.get(site_id)

    def protocol(self, organisation_id: int, kind: str, incident_type: str) -> tuple[Any, list]:
        """The protocol an alert of this kind and type gets, and its steps."""
        from minewatch.alerts.services.protocols import protocol_code_for_alert, protocol_for

        code = protocol_code_for_alert(kind, incident_type)
        key = (organisation_id, code, incident_type)
        if key not in self._protocols:
            protocol = protocol_for(organisation_id, incident_type, code=code) if code else None
            self._protocols[key] = (protocol, list(protocol.steps.all()) if protocol else [])
        return self._protocols[key]


def suggested_threat_and_type(item: AlertInput, rule: AlertRule | None) -> tuple[str, str]:
    """The alert's threat and incident type: the detection's, else the rule's, else what its
    kind suggests (``alerts.engine.suggestions``); the threat follows from the type."""
    incident_type = (item.incident_type or (rule.incident_type if rule else "")
                     or suggestion_for(item.kind).incident_type)  # fmt: skip
    threat = item.threat or (rule.threat if rule else "")
    if not threat and incident_type in taxonomy.TYPES_BY_CODE:
        threat = taxonomy.TYPES_BY_CODE[incident_type].threat
    return threat, incident_type


def build_alert(
    item: AlertInput, *, actor: Any, rule: AlertRule | None, rule_alert_key: str,
    dedup_key: str, reads: BatchReads,
) -> Alert:  # fmt: skip
    """A new alert in memory (not saved), with its escalation policy chosen."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    threat, incident_type = suggested_threat_and_type(item, rule)
    alert = Alert(
        organisation_id=item.organisation_id, reference=new_reference(item.occurred_at),
        source=item.source, kind=item.kind, title=(item.title or item.kind)[:200],
        description=item.description, severity=(rule and rule.alert_severity) or item.severity,
        threat=threat, incident_type=incident_type,
        site_id=item.site_id, zone_id=item.zone_id, subject_type=item.subject_type,
        subject_key=item.subject_key, lat=item.lat, lon=item.lon, place=item.place,
        raised_at=item.occurred_at, raised_by=user, rule=rule, rule_alert_key=rule_alert_key,
        dedup_key=dedup_key, last_occurred_at=item.occurred_at, incident_id=item.incident_id,
        details=item.details, is_synthetic=item.is_synthetic,
    )  # fmt: skip
    if item.site_id is not None:
        alert.site = reads.site(item.site_id)
    alert.policy = escalation.choose_policy(
        alert, rule.escalation_policy if rule else None, reads=reads
    )
    return alert


def _audit_values(actor: Any, alert: Alert) -> dict[str, Any]:
    """The entry ``core.audit.record`` would write for a created alert (values, for bulk)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    after = audit.snapshot(alert)
    return {
        "organisation_id": alert.organisation_id, "actor_id": actor.pk if is_user else None,
        "actor_name": str(getattr(actor, "username", "") or actor or "system")[:150],
        "action": AuditAction.CREATE, "object_type": alert._meta.label_lower,
        "object_id": str(alert.pk), "object_repr": str(alert)[:300], "before": None,
        "after": after, "changes": audit.diff(None, after),
    }  # fmt: skip


def store_new_alerts(
    alerts: Sequence[Alert], *, actor: Any, now: dt.datetime, reads: BatchReads
) -> None:
    """Insert built alerts with their history, first ladder steps, deliveries, checklist and
    audit entry, and publish ``alert.raised`` on commit (call inside a transaction).

    Only the alerts are model instances (they are returned and published); the thousands
    of rows hanging off them are written from plain values.
    """
    if not alerts:
        return
    user_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    firings: list[dict[str, Any]] = []
    firing_deliveries: list[list[dict[str, Any]]] = []
    fired_steps: dict[int, list[int]] = {}
    for position, alert in enumerate(alerts):
        steps = reads.steps(alert.policy) if alert.policy is not None else []
        alert.next_escalation_at = None
        fired_steps[position] = []
        if not steps:
            continue
        plan = ladder_engine.plan_escalation(
            escalation.engine_policy(alert.policy, steps), raised_at_utc=alert.raised_at,
            now_utc=now, fired_at_utc={}, acknowledged_at_utc=None, resolved_at_utc=None,
        )  # fmt: skip
        for index in plan.due_steps:
            step = steps[index]
            rows = escalation.delivery_values(alert, step, now, reads)
            if alert.police_notified_at is None and any(
                r["is_police"] and r.get("status") == DeliveryStatus.SENT for r in rows
            ):
                alert.police_notified_at = now
            firings.append({"alert": alert, "step_index": index, "step_id": step.pk,
                            "step_name": step.name, "fired_at": now})  # fmt: skip
            firing_deliveries.append(rows)
            fired_steps[position].append(index)
        alert.next_escalation_at = plan.next_due_at_utc
    insert_instances(Alert, alerts)
    # An alert raised for an incident that reached the police at once: the incident knows too.
    note_police_notified({a.pk: a.police_notified_at for a in alerts
                          if a.incident_id and a.police_notified_at})  # fmt: skip
    insert_values(AlertStatusChange, [
        {"alert_id": a.pk, "from_status": "", "to_status": a.status, "actor_id": user_id,
         "note": "", "at": now}
        for a in alerts
    ])  # fmt: skip
    for firing in firings:
        firing["alert_id"] = firing.pop("alert").pk
    firing_ids = insert_values_returning(EscalationFiring, firings)
    deliveries = []
    for firing, firing_id, rows in zip(firings, firing_ids, firing_deliveries, strict=True):
        for row in rows:
            row["alert_id"], row["firing_id"] = firing["alert_id"], firing_id
            deliveries.append(row)
    insert_values(DeliveryAttempt, deliveries)
    if any(
        row.get("status", DeliveryStatus.PENDING) == DeliveryStatus.PENDING for row in deliveries
    ):
        transaction.on_commit(notify_queued)  # the worker of this process starts them now
    checklists: list[dict[str, Any]] = []
    checklist_steps: list[tuple[Alert, list]] = []
    for alert in alerts:
        protocol, steps = reads.protocol(alert.organisation_id, alert.kind, alert.incident_type)
        if protocol is None:
            continue
        checklists.append({
            "organisation_id": protocol.organisation_id, "protocol_id": protocol.pk,
            "alert_id": alert.pk, "incident_id": alert.incident_id, "site_id": alert.site_id,
            "started_at": alert.raised_at,
        })  # fmt: skip
        checklist_steps.append((alert, steps))
    checklist_ids = insert_values_returning(ProtocolChecklist, checklists)
    items: list[dict[str, Any]] = []
    due_cache: dict[tuple[dt.datetime, int], dt.datetime] = {}
    for checklist_id, (alert, steps) in zip(checklist_ids, checklist_steps, strict=True):
        for step in steps:
            key = (alert.raised_at, step.within_minutes)
            due_at = due_cache.get(key)
            if due_at is None:
                due_at = due_cache[key] = alert.raised_at + dt.timedelta(
                    minutes=step.within_minutes
                )
            items.append({
                "checklist_id": checklist_id, "order": step.order, "code": step.code,
                "text_es": step.text_es, "text_en": step.text_en, "role": step.role,
                "notifies_police": step.notifies_police, "due_at": due_at,
            })  # fmt: skip
    insert_values(ChecklistItem, items)
    insert_values(
        AuditEntry, ledger.chain_values([_audit_values(actor, alert) for alert in alerts])
    )
    for position, alert in enumerate(alerts):
        publish_alert(alert, "alert.raised", steps_fired=fired_steps[position])


def _lock_states(rule_ids: list[int]) -> dict[int, RuleState]:
    """Lock the state rows of the rules (created when missing), in rule id order."""
    present = set(RuleState.objects.filter(rule_id__in=rule_ids).values_list("rule_id", flat=True))
    missing = [rule_id for rule_id in rule_ids if rule_id not in present]
    if missing:
        RuleState.objects.bulk_create(
            [RuleState(rule_id=rule_id) for rule_id in missing], ignore_conflicts=True
        )
    locked = RuleState.objects.select_for_update(of=("self",)).filter(rule_id__in=rule_ids)
    return {state.rule_id: state for state in locked.order_by("rule_id")}


def raise_alerts(
    items: Sequence[AlertInput],
    *,
    actor: Any = None,
    now: dt.datetime | None = None,
    strict: bool = False,
) -> list[list[Alert]]:
    """Run detections through their organisations' rules in one transaction.

    Returns, for each detection, the alerts it opened or folded into (see
    ``raise_alert``). When the batch fails as a whole (e.g. one detection names a site
    that was just deleted), each detection is retried alone, so one bad detection never
    loses the others; a single detection's error is raised. ``strict=True`` raises the
    batch's error instead (the durable intake retries and records failures itself).
    """
    if not items:
        return []
    try:
        with write_turn(), transaction.atomic():
            return _raise_many(list(items), actor=actor, now=now or timezone.now())
    except Exception:
        if len(items) == 1 or strict:
            raise
        logger.exception("a batch of %s detections failed; retrying them one by one", len(items))
    results: list[list[Alert]] = []
    for item in items:
        try:
            results.append(raise_alerts([item], actor=actor, now=now)[0])
        except Exception:
            logger.exception("detection %s/%s dropped", item.kind, item.subject_key)
            results.append([])
    return results


def _raise_many(items: list[AlertInput], *, actor: Any, now: dt.datetime) -> list[list[Alert]]:
    matches = [rules.matching_rules(item) for item in items]
    touched = {rule.pk: (rule, engine_rule) for found in matches for rule, engine_rule in found}
    results: list[list[Alert]] = [[] for _ in items]
    if not touched:
        return results
    reads = BatchReads()
    reads.load_sites({item.site_id for item in items if item.site_id is not None})
    states = _lock_states(sorted(touched))
    detections = [item.to_engine() for item in items]
    slot_of: dict[tuple[int, int], str] = {}
    for index, found in enumerate(matches):
        for rule, engine_rule in found:
            key = engine.dedup_key(engine_rule, detections[index])
            slot_of[(index, rule.pk)] = f"{engine_rule.rule_id}#{key}"
    stored = {
        (row.rule_id, row.slot): row
        for row in RuleSlot.objects.filter(
            rule_id__in=list(touched), slot__in=sorted(set(slot_of.values()))
        )
    }
    entries: dict[tuple[int, str], dict | None] = {k: dict(r.data) for k, r in stored.items()}
    keys = {row.alert_key for row in stored.values()}
    existing: dict[tuple[int, str], Alert] = {}
    if keys:
        rows = Alert.objects.select_for_update(of=("self",)).filter(
            rule_id__in=list(touched), rule_alert_key__in=sorted(keys), status__in=NOT_RESOLVED
        )  # fmt: skip
        existing = {(a.rule_id, a.rule_alert_key): a for a in rows}
    runners = {
        rule_id: engine.AlertRuleEngine([engine_rule], tz=settings.TIME_ZONE, state={
            "throttle": states[rule_id].data.get("throttle", {}),
            "suppressed": states[rule_id].data.get("suppressed", {}), "open": {}})
        for rule_id, (_, engine_rule) in touched.items()
    }  # fmt: skip
    opened: dict[tuple[int, str], Alert] = {}
    new_alerts: list[Alert] = []
    repeated: dict[int, Alert] = {}
    throttled: Counter[int] = Counter()
    state_changed: set[int] = set()
    for index, item in enumerate(items):
        for rule, _ in matches[index]:
            runner, slot = runners[rule.pk], slot_of[(index, rule.pk)]
            # The engine sees only this detection's slot, as when detections come one by one.
            entry = entries.get((rule.pk, slot))
            runner.state["open"] = {slot: entry} if entry else {}
            runner.prune(detections[index].occurred_at_utc)
            outcome = runner.evaluate(detections[index])[0]
            alert_key = outcome.alert_key or ""
            is_open = (rule.pk, alert_key) in opened or (rule.pk, alert_key) in existing
            if outcome.action == "folded" and not is_open:
                runner.close_alert(alert_key)
                outcome = runner.evaluate(detections[index])[0]
                alert_key = outcome.alert_key or ""
            entries[(rule.pk, slot)] = runner.state["open"].get(slot)
            if outcome.action != "folded":
                state_changed.add(rule.pk)
            if outcome.action == "throttled":
                throttled[rule.pk] += 1
            elif outcome.action == "new":
                alert = build_alert(item, actor=actor, rule=rule, rule_alert_key=alert_key,
                                    dedup_key=outcome.dedup_key, reads=reads)  # fmt: skip
                opened[(rule.pk, alert_key)] = alert
                new_alerts.append(alert)
                results[index].append(alert)
            else:
                alert = opened.get((rule.pk, alert_key)) or existing[(rule.pk, alert_key)]
                # Counter bookkeeping is not audited one by one: the counter is the record.
                alert.occurrences = max(alert.occurrences + 1, outcome.count)
                alert.last_occurred_at = max(alert.last_occurred_at, item.occurred_at)
                alert.severity = max(alert.severity, rule.alert_severity or item.severity)
                if alert.pk is not None:
                    repeated[alert.pk] = alert
                results[index].append(alert)
    for rule_id, count in throttled.items():
        AlertRule.objects.filter(pk=rule_id).update(suppressed_count=F("suppressed_count") + count)
    changed_states = []
    for rule_id in sorted(state_changed):
        state = states[rule_id]
        runner_state = runners[rule_id].state
        state.data = {
            "throttle": runner_state["throttle"],
            "suppressed": runner_state["suppressed"],
        }
        state.updated_at = now
        changed_states.append(state)
    update_rows(RuleState, changed_states, ["data", "updated_at"])
    _write_slots(entries, stored)
    store_new_alerts(new_alerts, actor=actor, now=now, reads=reads)
    if repeated:
        for alert in repeated.values():
            alert.updated_at = now
        update_rows(Alert, list(repeated.values()),
                    ["occurrences", "last_occurred_at", "severity", "updated_at"])  # fmt: skip
        for alert in repeated.values():
            if alert.site_id is not None:
                alert.site = reads.site(alert.site_id)
            publish_alert(alert, "alert.repeated")
    return results


def _write_slots(
    entries: dict[tuple[int, str], dict | None], stored: dict[tuple[int, str], RuleSlot]
) -> None:
    """Write back the de-duplication entries the batch changed (bulk)."""
    gone, changed, created = [], [], []
    for (rule_id, slot), entry in entries.items():
        row = stored.get((rule_id, slot))
        if entry is None:
            if row is not None:
                gone.append(row.pk)
            continue
        last_at = dt.datetime.fromtimestamp(entry["last_s"], tz=dt.UTC)
        if row is None:
            created.append({"rule_id": rule_id, "slot": slot, "alert_key": entry["alert_key"],
                            "data": entry, "last_at": last_at})  # fmt: skip
        elif row.data != entry:
            row.alert_key, row.data, row.last_at = entry["alert_key"], entry, last_at
            changed.append(row)
    if gone:
        RuleSlot.objects.filter(pk__in=gone).delete()
    update_rows(RuleSlot, changed, ["alert_key", "data", "last_at"])
    insert_values(RuleSlot, created)
