"""Alert rules as data: matching, de-duplication and throttling of detections.

A rule matches detections by kind, site, zone, source, minimum severity and a daily
local-time window. A matching detection either opens a **new** alert, is **folded**
into the open alert with the same rule and de-duplication key (the same condition on
the same thing, with no gap longer than ``dedup_window_s``), or is **throttled** when
the rule already opened ``throttle_max_alerts`` alerts within ``throttle_window_s``.

All state lives in one plain, JSON-serialisable dict (times as epoch seconds) so the
Django layer can persist it between detections and across restarts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "SEVERITIES",
    "AlertRule",
    "AlertRuleEngine",
    "Detection",
    "RuleOutcome",
    "dedup_key",
    "rule_matches",
    "severity_rank",
]

SEVERITIES = ("info", "low", "medium", "high", "critical")
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    """Return 0 (info) .. 4 (critical); ValueError on an unknown severity."""
    try:
        return _RANK[severity]
    except KeyError:
        raise ValueError(f"severity {severity!r} is not one of {SEVERITIES}") from None


@dataclass(frozen=True)
class Detection:
    """Something a detector saw: a geofence exit, a panel alarm, a camera intrusion..."""

    kind: str
    severity: str
    occurred_at_utc: datetime
    source: str
    site_id: str | None = None
    zone_id: str | None = None
    subject_id: str | None = None

    def __post_init__(self) -> None:
        severity_rank(self.severity)
        if self.occurred_at_utc.tzinfo is None:
            raise ValueError(f"occurred_at_utc must be timezone-aware, got {self.occurred_at_utc}")


@dataclass(frozen=True)
class AlertRule:
    """One rule; empty match sets mean "any". Build from stored data with :meth:`from_dict`."""

    rule_id: str
    kinds: frozenset[str] = frozenset()
    site_ids: frozenset[str] = frozenset()
    zone_ids: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()
    min_severity: str = "info"
    window_start: time | None = None
    window_end: time | None = None
    dedup_window_s: float = 600.0
    dedup_fields: tuple[str, ...] = ("kind", "site_id", "zone_id", "subject_id")
    throttle_max_alerts: int | None = None
    throttle_window_s: float = 3600.0
    is_enabled: bool = True

    def __post_init__(self) -> None:
        severity_rank(self.min_severity)
        if (self.window_start is None) != (self.window_end is None):
            raise ValueError(f"rule {self.rule_id}: set both window_start and window_end")
        if self.dedup_window_s < 0 or self.throttle_window_s <= 0:
            raise ValueError(
                f"rule {self.rule_id}: dedup_window_s={self.dedup_window_s} s must be >= 0 "
                f"and throttle_window_s={self.throttle_window_s} s > 0"
            )
        if self.throttle_max_alerts is not None and self.throttle_max_alerts < 1:
            raise ValueError(f"rule {self.rule_id}: throttle_max_alerts must be >= 1")
        allowed = {f.name for f in fields(Detection)} - {"severity", "occurred_at_utc"}
        if not set(self.dedup_fields) <= allowed:
            raise ValueError(f"rule {self.rule_id}: dedup_fields must be among {sorted(allowed)}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertRule:
        """Build a rule from stored data (lists for sets, "HH:MM" strings for times)."""
        values = dict(data)
        for name in ("kinds", "site_ids", "zone_ids", "sources"):
            values[name] = frozenset(str(v) for v in values.get(name) or ())
        for name in ("window_start", "window_end"):
            if isinstance(values.get(name), str):
                values[name] = time.fromisoformat(values[name])
        if "dedup_fields" in values:
            values["dedup_fields"] = tuple(values["dedup_fields"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The inverse of :meth:`from_dict` (JSON-serialisable)."""
        data = asdict(self)
        for name in ("kinds", "site_ids", "zone_ids", "sources"):
            data[name] = sorted(data[name])
        for name in ("window_start", "window_end"):
            data[name] = data[name].isoformat("minutes") if data[name] else None
        data["dedup_fields"] = list(self.dedup_fields)
        return data


def _in_daily_window(local: time, start: time, end: time) -> bool:
    if start == end:
        return True
    return start <= local < end if start < end else (local >= start or local < end)


def rule_matches(rule: AlertRule, detection: Detection, *, tz: ZoneInfo) -> bool:
    """Return True if the rule applies to the detection.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> from zoneinfo import ZoneInfo
    >>> d = Detection("panel_alarm", "high", datetime(2024, 6, 1, 7, tzinfo=UTC), "sia")
    >>> rule_matches(AlertRule("r1", kinds=frozenset({"panel_alarm"})), d,
    ...              tz=ZoneInfo("America/Lima"))
    True
    """
    if not rule.is_enabled:
        return False
    checks = (
        (rule.kinds, detection.kind),
        (rule.site_ids, detection.site_id),
        (rule.zone_ids, detection.zone_id),
        (rule.sources, detection.source),
    )
    if any(wanted and value not in wanted for wanted, value in checks):
        return False
    if severity_rank(detection.severity) < severity_rank(rule.min_severity):
        return False
    if rule.window_start is not None and rule.window_end is not None:
        local = detection.occurred_at_utc.astimezone(tz).time()
        return _in_daily_window(local, rule.window_start, rule.window_end)
    return True


def dedup_key(rule: AlertRule, detection: Detection) -> str:
    """Return the de-duplication key: the rule's chosen detection fields joined by '|'."""
    return "|".join(str(getattr(detection, name) or "") for name in rule.dedup_fields)


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule did with one detection.

    ``action`` is ``new`` (open an alert with key ``alert_key``), ``folded`` (increment
    the open alert ``alert_key``; ``count`` is its new total) or ``throttled``.
    """

    rule_id: str
    action: str
    alert_key: str | None
    dedup_key: str
    count: int

    def describe(self) -> str:
        """Human summary: "new" or "folded into <key>"."""
        return f"folded into {self.alert_key}" if self.action == "folded" else self.action


def _empty_state() -> dict[str, Any]:
    return {"open": {}, "throttle": {}, "suppressed": {}}


@dataclass
class AlertRuleEngine:
    """Evaluate detections against rules; ``state`` is a plain dict the caller persists.

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> engine = AlertRuleEngine([AlertRule("r1", dedup_window_s=600)])
    >>> t0 = datetime(2024, 6, 1, tzinfo=UTC)
    >>> [o.describe() for o in engine.evaluate(Detection("x", "high", t0, "test"))]
    ['new']
    >>> later = t0 + timedelta(minutes=5)
    >>> engine.evaluate(Detection("x", "high", later, "test"))[0].count
    2
    """

    rules: Iterable[AlertRule]
    tz: str = "America/Lima"
    state: dict[str, Any] = field(default_factory=_empty_state)

    def __post_init__(self) -> None:
        self.rules = list(self.rules)
        self._zone = ZoneInfo(self.tz)
        for name, value in _empty_state().items():
            self.state.setdefault(name, value)

    def evaluate(self, detection: Detection) -> list[RuleOutcome]:
        """Apply every matching rule to one detection and update ``state``."""
        return [
            self._apply(rule, detection)
            for rule in self.rules
            if rule_matches(rule, detection, tz=self._zone)
        ]

    def _apply(self, rule: AlertRule, detection: Detection) -> RuleOutcome:
        at_s = detection.occurred_at_utc.timestamp()
        key = dedup_key(rule, detection)
        slot = f"{rule.rule_id}#{key}"
        entry = self.state["open"].get(slot)
        # abs(): a late-arriving detection from just before the last one still folds.
        if entry is not None and abs(at_s - entry["last_s"]) <= rule.dedup_window_s:
            entry["count"] += 1
            entry["last_s"] = max(entry["last_s"], at_s)
            return RuleOutcome(rule.rule_id, "folded", entry["alert_key"], key, entry["count"])
        if self._is_throttled(rule, at_s):
            suppressed = self.state["suppressed"]
            suppressed[rule.rule_id] = suppressed.get(rule.rule_id, 0) + 1
            return RuleOutcome(rule.rule_id, "throttled", None, key, 0)
        alert_key = f"{slot}@{at_s:.3f}"
        self.state["open"][slot] = {
            "alert_key": alert_key,
            "rule_id": rule.rule_id,
            "first_s": at_s,
            "last_s": at_s,
            "count": 1,
        }
        return RuleOutcome(rule.rule_id, "new", alert_key, key, 1)

    def _is_throttled(self, rule: AlertRule, at_s: float) -> bool:
        if rule.throttle_max_alerts is None:
            return False
        recent = [
            s
            for s in self.state["throttle"].get(rule.rule_id, [])
            if at_s - s < rule.throttle_window_s
        ]
        if len(recent) >= rule.throttle_max_alerts:
            self.state["throttle"][rule.rule_id] = recent
            return True
        self.state["throttle"][rule.rule_id] = [*recent, at_s]
        return False

    def close_alert(self, alert_key: str) -> bool:
        """Forget an open alert (resolved by a person); the next detection opens a new one."""
        for slot, entry in list(self.state["open"].items()):
            if entry["alert_key"] == alert_key:
                del self.state["open"][slot]
                return True
        return False

    def prune(self, now_utc: datetime) -> int:
        """Drop open entries whose de-duplication window has passed; return how many."""
        if now_utc.tzinfo is None:
            raise ValueError("now_utc must be timezone-aware (UTC)")
        now_s = now_utc.astimezone(UTC).timestamp()
        windows = {rule.rule_id: rule.dedup_window_s for rule in self.rules}
        stale = [
            slot
            for slot, entry in self.state["open"].items()
            if now_s - entry["last_s"] > windows.get(entry["rule_id"], 0.0)
        ]
        for slot in stale:
            del self.state["open"][slot]
        return len(stale)
