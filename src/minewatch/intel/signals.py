"""Event subscribers: re-run the early-warning scan when a report or an incident arrives."""

from __future__ import annotations

import logging

from minewatch.core.events import Event

logger = logging.getLogger("minewatch.intel")

# Events after which the neighbourhood of sites and routes may have changed.
TRIGGERS = frozenset(
    {"incident.reported", "incident.updated", "intel_report.created", "intel_report.updated"}
)


def on_event(event: Event) -> None:
    """Scan the owner's sites and routes (the latest window) after a triggering event."""
    if event.name not in TRIGGERS or event.organisation_id is None:
        return
    from minewatch.intel.early_warnings import scan_warnings

    created = scan_warnings(organisation_id=event.organisation_id)
    if created:
        logger.info("%s raised %d early warning(s)", event.name, len(created))
