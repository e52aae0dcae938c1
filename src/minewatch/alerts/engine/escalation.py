"""Escalation ladders: which notification step is due for an unacknowledged alert.

A policy is an ordered ladder (operator on duty -> security manager -> the police
contact of the site's area -> crisis team). Step 0 is due when the alert is raised;
each later step is due ``wait_s`` seconds (of the step before it) after that step
actually fired, unless someone acknowledged or resolved the alert first.

The plan is a pure function of persisted facts (raised, acknowledged, resolved times
and the steps already fired), so a worker that restarts simply asks again: no timer
lives in memory and no step fires twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["EscalationPlan", "EscalationPolicy", "EscalationStep", "plan_escalation"]


@dataclass(frozen=True)
class EscalationStep:
    """Who is told, how, and how long to wait for an acknowledgement before the next step."""

    recipients_group: str
    channels: tuple[str, ...]
    wait_s: float

    def __post_init__(self) -> None:
        if self.wait_s < 0:
            raise ValueError(f"step {self.recipients_group!r}: wait_s={self.wait_s} s < 0")
        if not self.channels:
            raise ValueError(f"step {self.recipients_group!r} has no channel")


@dataclass(frozen=True)
class EscalationPolicy:
    """An ordered ladder of steps for a threat type and severity."""

    policy_id: str
    steps: tuple[EscalationStep, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"policy {self.policy_id!r} has no step")


@dataclass(frozen=True)
class EscalationPlan:
    """What to do now: steps to fire (indexes) and when to ask again.

    ``next_due_at_utc`` is when to ask again (if ``due_steps`` fire now); None when
    nothing more will become due: acknowledged, resolved, or the ladder is exhausted
    (``stopped_reason`` says which), or the due step is the last one.
    """

    due_steps: tuple[int, ...]
    next_due_at_utc: datetime | None
    stopped_reason: str | None = None


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value}")


def plan_escalation(
    policy: EscalationPolicy,
    *,
    raised_at_utc: datetime,
    now_utc: datetime,
    fired_at_utc: Mapping[int, datetime],
    acknowledged_at_utc: datetime | None = None,
    resolved_at_utc: datetime | None = None,
) -> EscalationPlan:
    """Return the steps due now and the next time a step becomes due.

    Parameters
    ----------
    policy : EscalationPolicy
    raised_at_utc : datetime
        When the alert was raised (step 0 is due then).
    now_utc : datetime
    fired_at_utc : mapping of step index to datetime
        Steps already fired and when (persisted by the caller after delivery started).
    acknowledged_at_utc, resolved_at_utc : datetime, optional
        Either one at or before ``now_utc`` stops the ladder.

    Returns
    -------
    EscalationPlan
        At most one step is due at a time: the first step not yet fired, once its
        predecessor has waited out its ``wait_s``.

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> policy = EscalationPolicy("p", (EscalationStep("operators", ("email",), 300),
    ...                                 EscalationStep("manager", ("sms",), 600)))
    >>> t0 = datetime(2024, 6, 1, 3, tzinfo=UTC)
    >>> plan_escalation(policy, raised_at_utc=t0, now_utc=t0, fired_at_utc={}).due_steps
    (0,)
    >>> plan = plan_escalation(policy, raised_at_utc=t0, now_utc=t0 + timedelta(minutes=1),
    ...                        fired_at_utc={0: t0})
    >>> plan.due_steps, plan.next_due_at_utc == t0 + timedelta(minutes=5)
    ((), True)
    """
    for name, value in (("raised_at_utc", raised_at_utc), ("now_utc", now_utc)):
        _require_aware(value, name)
    _require_aware(acknowledged_at_utc, "acknowledged_at_utc")
    _require_aware(resolved_at_utc, "resolved_at_utc")
    for index, fired in fired_at_utc.items():
        if not 0 <= index < len(policy.steps):
            raise ValueError(f"fired step index {index} is outside policy {policy.policy_id!r}")
        _require_aware(fired, f"fired_at_utc[{index}]")
    if resolved_at_utc is not None and resolved_at_utc <= now_utc:
        return EscalationPlan((), None, "resolved")
    if acknowledged_at_utc is not None and acknowledged_at_utc <= now_utc:
        return EscalationPlan((), None, "acknowledged")
    pending = [i for i in range(len(policy.steps)) if i not in fired_at_utc]
    if not pending:
        return EscalationPlan((), None, "ladder exhausted")
    step = pending[0]  # every step before it has fired
    if step == 0:
        due_at = raised_at_utc
    else:
        due_at = fired_at_utc[step - 1] + timedelta(seconds=policy.steps[step - 1].wait_s)
    if due_at > now_utc:
        return EscalationPlan((), due_at)
    if step + 1 >= len(policy.steps):
        return EscalationPlan((step,), None)
    # Assuming the caller fires the step now, the next one is due after its wait.
    return EscalationPlan((step,), now_utc + timedelta(seconds=policy.steps[step].wait_s))
