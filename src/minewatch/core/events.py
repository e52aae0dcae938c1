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


def subscribe(callback: Callable[[Event], None]) -> Callable[[Event], None]:
    """Register ``callback`` for every event; returns it so it can be used as a decorator."""
    if callback not in _subscribers:
        _subscribers.append(callback)
    return callback


def unsubscribe(callback: Callable[[Event], None]) -> None:
    if callback in _subscribers:
        _subscribers.remove(callback)


def dispatch(event: Event) -> None:
    """Deliver now. A failing subscriber is logged and never stops the others."""
    for callback in list(_subscribers):
        try:
            callback(event)
        except Exception:
            logger.exception("event subscriber %r failed on %s", callback, event.name)


def publish(event: Event) -> None:
    """Deliver ``event`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: dispatch(event))
