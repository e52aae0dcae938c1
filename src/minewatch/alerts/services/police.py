"""When the police were told: each alert's time, and its incident's, kept in step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Q

from minewatch.alerts.models import Alert


def note_police_notified(
    times: Mapping[int, dt.datetime], *, actor: Any = None, note: str = ""
) -> None:
    """Record that the police were told about these alerts (alert id → when).

    Each alert keeps its earliest time, and so does the incident it is linked to: the
    incident's ``police_notified_at`` is the one record the register and the complaint
    dossier state, fed from every alert linked to it whenever the call happens (a call
    logged by hand, a ladder step that reached the police, a protocol step ticked, an
    alert linked to an incident after the call). Runs inside the caller's transaction.
    """
    if not times:
        return
    from minewatch.incidents.services import record_police_notified

    for alert_id, at in times.items():
        earlier = Q(police_notified_at__isnull=True) | Q(police_notified_at__gt=at)
        Alert.objects.filter(earlier, pk=alert_id).update(police_notified_at=at)
    linked = Alert.objects.filter(pk__in=list(times), incident__isnull=False).values_list(
        "incident_id", "reference", "police_notified_at"
    )
    for incident_id, reference, at in linked:
        record_police_notified(incident_id, at=at, actor=actor,
                               note=note or f"police notified (alert {reference})")  # fmt: skip
