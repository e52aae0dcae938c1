"""The grievance workflow (ICoC paras 66–68: fair, accessible, with a right of appeal).

received → acknowledged → under_review → response_given → closed, or appealed →
under_review again (reviewed again) → response_given → closed. A grievance may also
be closed straight after acknowledgement when the complainant withdraws it.
"""

from __future__ import annotations

RECEIVED = "received"
ACKNOWLEDGED = "acknowledged"
UNDER_REVIEW = "under_review"
RESPONSE_GIVEN = "response_given"
APPEALED = "appealed"
CLOSED = "closed"

GRIEVANCE_TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({ACKNOWLEDGED}),
    ACKNOWLEDGED: frozenset({UNDER_REVIEW, CLOSED}),
    UNDER_REVIEW: frozenset({RESPONSE_GIVEN}),
    RESPONSE_GIVEN: frozenset({CLOSED, APPEALED}),
    APPEALED: frozenset({UNDER_REVIEW}),
    CLOSED: frozenset({APPEALED}),
}
# Statuses in which the organisation owes the complainant something (deadlines run).
OPEN_STATUSES = frozenset({RECEIVED, ACKNOWLEDGED, UNDER_REVIEW, APPEALED})


def check_transition(current: str, target: str) -> None:
    """Raise ValueError naming both statuses when ``target`` cannot follow ``current``.

    >>> check_transition("received", "acknowledged")
    >>> check_transition("received", "appealed")
    Traceback (most recent call last):
    ValueError: a grievance in status 'received' cannot become 'appealed'
    """
    if target not in GRIEVANCE_TRANSITIONS.get(current, frozenset()):
        raise ValueError(f"a grievance in status {current!r} cannot become {target!r}")
