"""Alert rules: saving them, and running detections through the rules engine.

The engine (``alerts.engine.rules``) keeps its de-duplication and throttle state in a
plain dict; here each rule's throttle state lives in a :class:`RuleState` row (locked
while detections are evaluated, by ``services.batch``) and each de-duplication entry
in a :class:`RuleSlot` row, so folding works across restarts and across processes.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from minewatch.alerts.choices import SEVERITY_NAMES
from minewatch.alerts.engine import rules as engine
from minewatch.alerts.models import AlertRule, RuleSlot
from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.roles import has_capability

RULE_FIELDS = (
    "name", "is_enabled", "kinds", "sources", "min_severity", "window_start", "window_end",
    "dedup_minutes", "throttle_max_alerts", "throttle_window_minutes", "alert_severity",
    "threat", "incident_type", "escalation_policy",
)  # fmt: skip


@dataclass(frozen=True)
class AlertInput:
    """A detection (or incident, or press of a button) on its way to become an alert.

    ``severity`` is 1 (minor) .. 5 (critical); ``occurred_at`` is timezone-aware.
    """

    organisation_id: int
    kind: str
    severity: int
    source: str
    occurred_at: dt.datetime
    title: str = ""
    description: str = ""
    site_id: int | None = None
    zone_id: int | None = None
    subject_type: str = ""
    subject_key: str = ""
    lat: float | None = None
    lon: float | None = None
    place: str = ""
    threat: str = ""
    incident_type: str = ""
    incident_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    is_synthetic: bool = False

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_NAMES:
            raise InvalidInput(f"severity {self.severity!r} must be 1..5", field="severity")
        if self.occurred_at.tzinfo is None:
            raise InvalidInput("occurred_at must carry a time zone", field="occurred_at")
        if not self.kind:
            raise InvalidInput("a detection kind is required", field="kind")

    def to_engine(self) -> engine.Detection:
        subject = f"{self.subject_type}:{self.subject_key}" if self.subject_key else None
        return engine.Detection(
            kind=self.kind, severity=SEVERITY_NAMES[self.severity],
            occurred_at_utc=self.occurred_at, source=self.source,
            site_id=str(self.site_id) if self.site_id else None,
            zone_id=str(self.zone_id) if self.zone_id else None, subject_id=subject,
        )  # fmt: skip


def to_engine_rule(rule: AlertRule) -> engine.AlertRule:
    """The engine's view of a stored rule (ids as strings, minutes as seconds)."""
    return engine.AlertRule(
        rule_id=str(rule.pk), kinds=frozenset(rule.kinds or ()),
        site_ids=frozenset(str(s.pk) for s in rule.sites.all()),
        zone_ids=frozenset(str(z.pk) for z in rule.zones.all()),
        sources=frozenset(rule.sources or ()), min_severity=SEVERITY_NAMES[rule.min_severity],
        window_start=rule.window_start, window_end=rule.window_end,
        dedup_window_s=rule.dedup_minutes * 60.0, throttle_max_alerts=rule.throttle_max_alerts,
        throttle_window_s=max(1, rule.throttle_window_minutes) * 60.0, is_enabled=rule.is_enabled,
    )  # fmt: skip


# Rules per organisation, kept this long in each process: a burst of detections does not
# re-read them each time; an edit takes effect within this many seconds everywhere.
RULE_CACHE_S = 5.0
_rule_cache: dict[int, tuple[float, list[tuple[AlertRule, engine.AlertRule]]]] = {}


def enabled_rules(organisation_id: int) -> list[tuple[AlertRule, engine.AlertRule]]:
    """The organisation's enabled rules with their engine form (cached ``RULE_CACHE_S``)."""
    cached = _rule_cache.get(organisation_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    rules = AlertRule.objects.filter(organisation_id=organisation_id, is_enabled=True)
    pairs = [(rule, to_engine_rule(rule)) for rule in
             rules.prefetch_related("sites", "zones").select_related("escalation_policy")]  # fmt: skip
    _rule_cache[organisation_id] = (time.monotonic() + RULE_CACHE_S, pairs)
    return pairs


def forget_cached_rules(organisation_id: int | None = None) -> None:
    """Drop cached rules (after an edit in this process; tests)."""
    if organisation_id is None:
        _rule_cache.clear()
    else:
        _rule_cache.pop(organisation_id, None)


def matching_rules(item: AlertInput) -> list[tuple[AlertRule, engine.AlertRule]]:
    """Enabled rules of the organisation that match the detection (no state touched)."""
    zone_info = ZoneInfo(settings.TIME_ZONE)
    detection = item.to_engine()
    return [
        (rule, engine_rule)
        for rule, engine_rule in enabled_rules(item.organisation_id)
        if engine.rule_matches(engine_rule, detection, tz=zone_info)
    ]


def forget_alert(rule_id: int | None, alert_key: str) -> None:
    """A resolved alert no longer absorbs repeats: drop its de-duplication entry."""
    if rule_id is not None and alert_key:
        RuleSlot.objects.filter(rule_id=rule_id, alert_key=alert_key).delete()


def prune_slots(now: dt.datetime) -> int:
    """Delete de-duplication entries older than their rule's window (the worker calls this)."""
    removed = 0
    for rule_id, minutes in AlertRule.objects.values_list("pk", "dedup_minutes"):
        cutoff = now - dt.timedelta(minutes=minutes)
        removed += RuleSlot.objects.filter(rule_id=rule_id, last_at__lt=cutoff).delete()[0]
    return removed


def _check_rule_values(values: dict[str, Any]) -> None:
    for name in ("kinds", "sources"):
        value = values.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise InvalidInput("a list of non-empty names is expected", field=name)
    if (values.get("window_start") is None) != (values.get("window_end") is None):
        raise InvalidInput("set both window_start and window_end, or neither", field="window_end")
    for name in ("min_severity", "alert_severity"):
        value = values.get(name)
        if value is not None and value not in SEVERITY_NAMES:
            raise InvalidInput(f"severity {value!r} must be 1..5", field=name)
    if values.get("throttle_max_alerts") == 0:
        raise InvalidInput(
            "must be at least 1 (or empty: no throttle)", field="throttle_max_alerts"
        )


def save_rule(
    *, actor: Any, organisation: Any, rule: AlertRule | None = None,
    sites: list | None = None, zones: list | None = None, **values: Any,
) -> AlertRule:  # fmt: skip
    """Create or change an alert rule; sites and zones must belong to the organisation."""
    if not has_capability(actor, "configure_alerts"):
        raise NotAllowed("your role cannot change alert rules", field="role")
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    current = {name: getattr(rule, name) for name in RULE_FIELDS} if rule else {}
    merged = {**current, **values}
    _check_rule_values(merged)
    if not str(merged.get("name") or "").strip():
        raise InvalidInput("a name is required", field="name")
    for name, items in (("sites", sites), ("zones", zones)):
        for item in items or ():
            if item.organisation_id != organisation.pk:
                raise InvalidInput(f"unknown {name[:-1]} {item.pk}", field=name)
    policy = merged.get("escalation_policy")
    if policy is not None and policy.organisation_id != organisation.pk:
        raise InvalidInput(f"unknown policy {policy.pk}", field="escalation_policy")
    with transaction.atomic():
        before = audit.snapshot(rule) if rule else None
        target = rule or AlertRule(organisation=organisation)
        for name, value in values.items():
            setattr(target, name, value)
        target.full_clean()
        target.save()
        if sites is not None:
            target.sites.set(sites)
        if zones is not None:
            target.zones.set(zones)
        try:
            to_engine_rule(target)  # the engine's own checks
        except ValueError as exc:
            raise InvalidInput(str(exc), field="non_field_errors") from None
        audit.record(actor=actor, action=AuditAction.UPDATE if rule else AuditAction.CREATE,
                     instance=target, before=before, after=audit.snapshot(target))  # fmt: skip
        transaction.on_commit(lambda: forget_cached_rules(organisation.pk))
    return target
