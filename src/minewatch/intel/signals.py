"""Event subscribers: re-run the early-warning scan when a report or an incident arrives.

Also: a new organisation gets its early-warning settings row (the documented defaults).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone

from minewatch.core.events import Event
from minewatch.intel.engine.warnings import DEFAULT_WINDOW_DAYS

logger = logging.getLogger("minewatch.intel")

# Events after which the neighbourhood of sites and routes may have changed.
TRIGGERS = frozenset(
    {"incident.reported", "incident.updated", "intel_report.created", "intel_report.updated"}
)
# The payload field that says when the signal happened, per event family.
WHEN_FIELD = {"incident": "occurred_at", "intel_report": "observed_at"}


def outside_window(
    event: Event, now: dt.datetime | None = None, window_days: float = DEFAULT_WINDOW_DAYS
) -> bool:
    """True when the event's signal is older than the scan window: scanning could find nothing new.

    The live scan looks at the latest ``window_days`` (the organisation's setting); an
    incident recorded today that happened two years ago (a back-filled register) cannot
    change it.
    """
    raw = event.payload.get(WHEN_FIELD.get(event.name.split(".")[0], ""))
    if not raw:
        return False
    try:
        when = dt.datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return False
    return when < (now or timezone.now()) - dt.timedelta(days=window_days)


def on_event(event: Event) -> None:
    """Scan the owner's sites and routes (the latest window, the owner's settings)."""
    if event.name not in TRIGGERS or event.organisation_id is None:
        return
    from minewatch.intel.early_warnings import WarningParams, scan_warnings

    params = WarningParams.for_organisation(event.organisation_id)
    if outside_window(event, window_days=params.window_days):
        return
    created = scan_warnings(organisation_id=event.organisation_id, params=params)
    if created:
        logger.info("%s raised %d early warning(s)", event.name, len(created))


def on_organisation_saved(
    sender: Any, instance: Any, created: bool, raw: bool = False, **_: Any
) -> None:
    """A new organisation starts from the documented early-warning defaults."""
    if created and not raw:
        from minewatch.intel.models import EarlyWarningSettings

        EarlyWarningSettings.objects.get_or_create(organisation_id=instance.pk)
