"""Escalation ladders computed from persisted facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minewatch.alerts.engine.escalation import EscalationPolicy, EscalationStep, plan_escalation

T0 = datetime(2024, 6, 1, 7, 0, tzinfo=UTC)
POLICY = EscalationPolicy(
    "invasion-high",
    (
        EscalationStep("operator_on_duty", ("email", "mqtt"), 300),
        EscalationStep("security_manager", ("sms",), 600),
        EscalationStep("pnp_area_contact", ("sms", "email"), 900),
        EscalationStep("crisis_team", ("email",), 0),
    ),
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("now_min", "fired_min", "due", "next_due_min"),
    [
        (0, {}, (0,), 5),
        (1, {0: 0}, (), 5),
        (5, {0: 0}, (1,), 15),
        (6, {0: 0, 1: 5}, (), 15),
        (60, {0: 0}, (1,), 70),  # after a long outage, one step at a time
        (16, {0: 0, 1: 6}, (2,), 31),  # timed from when step 1 really fired
        (40, {0: 0, 1: 5, 2: 15}, (3,), None),
    ],
)
def test_steps_due_now_and_next_due_time(now_min, fired_min, due, next_due_min) -> None:
    plan = plan_escalation(
        POLICY,
        raised_at_utc=T0,
        now_utc=at(now_min),
        fired_at_utc={index: at(m) for index, m in fired_min.items()},
    )
    assert plan.due_steps == due
    assert plan.next_due_at_utc == (None if next_due_min is None else at(next_due_min))


@pytest.mark.parametrize(
    ("acknowledged", "resolved", "fired", "reason"),
    [
        (at(3), None, {0: at(0)}, "acknowledged"),
        (None, at(3), {0: at(0)}, "resolved"),
        (None, None, {i: at(i) for i in range(4)}, "ladder exhausted"),
    ],
)
def test_ladder_stops(acknowledged, resolved, fired, reason: str) -> None:
    plan = plan_escalation(
        POLICY,
        raised_at_utc=T0,
        now_utc=at(30),
        fired_at_utc=fired,
        acknowledged_at_utc=acknowledged,
        resolved_at_utc=resolved,
    )
    assert (plan.due_steps, plan.next_due_at_utc, plan.stopped_reason) == ((), None, reason)


def test_acknowledgement_in_the_future_does_not_stop_the_ladder() -> None:
    plan = plan_escalation(
        POLICY, raised_at_utc=T0, now_utc=at(5), fired_at_utc={0: T0}, acknowledged_at_utc=at(9)
    )
    assert plan.due_steps == (1,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"now_utc": datetime(2024, 6, 1)}, "now_utc"),
        ({"fired_at_utc": {7: T0}}, "index 7"),
    ],
)
def test_bad_input_is_refused(kwargs: dict, message: str) -> None:
    arguments = {"raised_at_utc": T0, "now_utc": T0, "fired_at_utc": {}} | kwargs
    with pytest.raises(ValueError, match=message):
        plan_escalation(POLICY, **arguments)


def test_step_without_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="no channel"):
        EscalationStep("ops", (), 60)
