"""Alert rules: matching, de-duplication, throttling, persistable state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from minewatch.alerts.engine.rules import AlertRule, AlertRuleEngine, Detection, rule_matches

LIMA = ZoneInfo("America/Lima")
T0 = datetime(2024, 6, 1, 7, 0, tzinfo=UTC)  # 02:00 in Lima


def make_detection(minutes: float = 0, **overrides: object) -> Detection:
    values: dict[str, object] = {
        "kind": "perimeter_breach",
        "severity": "high",
        "occurred_at_utc": T0 + timedelta(minutes=minutes),
        "source": "sia",
        "site_id": "mina-1",
        "zone_id": "cerco-norte",
        "subject_id": "panel-1234",
    }
    values.update(overrides)
    return Detection(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "overrides", "expected"),
    [
        (AlertRule("r"), {}, True),
        (AlertRule("r", kinds=frozenset({"perimeter_breach"})), {}, True),
        (AlertRule("r", kinds=frozenset({"panic"})), {}, False),
        (AlertRule("r", site_ids=frozenset({"mina-2"})), {}, False),
        (AlertRule("r", zone_ids=frozenset({"cerco-norte"})), {}, True),
        (AlertRule("r", sources=frozenset({"frigate"})), {}, False),
        (AlertRule("r", min_severity="critical"), {}, False),
        (AlertRule("r", min_severity="medium"), {"severity": "medium"}, True),
        (AlertRule("r", window_start=time(18), window_end=time(6)), {}, True),
        (AlertRule("r", window_start=time(8), window_end=time(17)), {}, False),
        (AlertRule("r", is_enabled=False), {}, False),
    ],
)
def test_rule_matching(rule: AlertRule, overrides: dict, expected: bool) -> None:
    assert rule_matches(rule, make_detection(**overrides), tz=LIMA) is expected


def test_duplicates_within_window_fold_into_one_alert_with_counter() -> None:
    engine = AlertRuleEngine([AlertRule("r", dedup_window_s=600)])
    outcomes = [engine.evaluate(make_detection(minutes=m))[0] for m in (0, 5, 9, 14)]
    assert [o.action for o in outcomes] == ["new", "folded", "folded", "folded"]
    assert outcomes[-1].count == 4
    assert outcomes[1].describe() == f"folded into {outcomes[0].alert_key}"


def test_gap_longer_than_window_opens_a_new_alert() -> None:
    engine = AlertRuleEngine([AlertRule("r", dedup_window_s=600)])
    first = engine.evaluate(make_detection(minutes=0))[0]
    second = engine.evaluate(make_detection(minutes=11))[0]
    assert second.action == "new" and second.alert_key != first.alert_key


def test_different_things_are_not_folded_together() -> None:
    engine = AlertRuleEngine([AlertRule("r")])
    actions = [
        engine.evaluate(make_detection(subject_id=subject))[0].action
        for subject in ("panel-1", "panel-2", "panel-1")
    ]
    assert actions == ["new", "new", "folded"]


def test_throttle_caps_new_alerts_per_rule_and_window() -> None:
    engine = AlertRuleEngine([AlertRule("r", throttle_max_alerts=2, throttle_window_s=3600)])
    actions = [
        engine.evaluate(make_detection(minutes=m, subject_id=f"s{m}"))[0].action
        for m in (0, 1, 2, 3, 61)
    ]
    assert actions == ["new", "new", "throttled", "throttled", "new"]
    assert engine.state["suppressed"] == {"r": 2}


def test_state_survives_a_json_round_trip() -> None:
    rules = [AlertRule("r", dedup_window_s=600)]
    engine = AlertRuleEngine(rules)
    first = engine.evaluate(make_detection())[0]
    restored = AlertRuleEngine(rules, state=json.loads(json.dumps(engine.state)))
    again = restored.evaluate(make_detection(minutes=3))[0]
    assert (again.action, again.alert_key, again.count) == ("folded", first.alert_key, 2)


def test_closed_alert_and_pruned_entries_are_forgotten() -> None:
    engine = AlertRuleEngine([AlertRule("r", dedup_window_s=600)])
    first = engine.evaluate(make_detection())[0]
    assert engine.close_alert(first.alert_key)
    assert engine.evaluate(make_detection(minutes=1))[0].action == "new"
    assert engine.prune(T0 + timedelta(minutes=30)) == 1
    assert engine.state["open"] == {}


def test_rule_round_trips_through_plain_data() -> None:
    rule = AlertRule("r", kinds=frozenset({"a", "b"}), window_start=time(18), window_end=time(6))
    data = json.loads(json.dumps(rule.to_dict()))
    assert AlertRule.from_dict(data) == rule


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"min_severity": "urgent"}, "severity"),
        ({"window_start": time(1)}, "window"),
        ({"dedup_window_s": -1}, "dedup_window_s"),
        ({"throttle_max_alerts": 0}, "throttle_max_alerts"),
        ({"dedup_fields": ("colour",)}, "dedup_fields"),
    ],
)
def test_invalid_rule_is_refused(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AlertRule("r", **values)


def test_naive_detection_time_is_refused() -> None:
    with pytest.raises(ValueError, match="occurred_at_utc"):
        make_detection(occurred_at_utc=datetime(2024, 1, 1))
