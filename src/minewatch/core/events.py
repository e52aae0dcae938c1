"""Small named events published after a transaction commits.

Subscribers run in-process (the live stream, the alert rules). On PostgreSQL
the live stream also relays them across processes with LISTEN/NOTIFY.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger("minewatch.events")


@dataclass(frozen=True)
class Event:
    """Something happened: ``name`` like ``incident.reported``, the owner and a JSON-safe payload."""

    name: str
    organisation_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    site_id: int | None = None


_subscribers: list[Callable[[Event], None]] = []
# A subscriber's form for many events at once (the alert rules raise a batch in one go).
_batch_forms: dict[Callable[[Event], None], Callable[[list[Event]], None]] = {}


def subscribe(
    callback: Callable[[Event], None], *, many: Callable[[list[Event]], None] | None = None
) -> Callable[[Event], None]:
    """Register ``callback`` for every event; returns it so it can be used as a decorator.

    ``many``, when given, receives the events of one :func:`publish_many` together instead.
    """
    if callback not in _subscribers:
        _subscribers.append(callback)
    if many is not None:
        _batch_forms[callback] = many
    return callback


def unsubscribe(callback: Callable[[Event], None]) -> None:
    if callback in _subscribers:
        _subscribers.remove(callback)
    _batch_forms.pop(callback, None)


def dispatch(event: Event) -> None:
    """Deliver now. A failing subscriber is logged and never stops the others."""
    for callback in list(_subscribers):
        try:
            callback(event)
        except Exception:
            logger.exception("event subscriber %r failed on %s", callback, event.name)


def dispatch_many(events: list[Event]) -> None:
    """Deliver ``events`` now: together to a subscriber with a batch form, else one by one."""
    for callback in list(_subscribers):
        many = _batch_forms.get(callback)
        if many is not None:
            try:
                many(events)
            except Exception:
                logger.exception("event subscriber %r failed on %s events", many, len(events))
            continue
        for event in events:
            try:
                callback(event)
            except Exception:
                logger.exception("event subscriber %r failed on %s", callback, event.name)


def publish(event: Event) -> None:
    """Deliver ``event`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: dispatch(event))


def publish_many(events: list[Event]) -> None:
    """Deliver ``events`` together once the current transaction commits (a batch ingest)."""
    if events:
        batch = list(events)
        transaction.on_commit(lambda: dispatch_many(batch))
