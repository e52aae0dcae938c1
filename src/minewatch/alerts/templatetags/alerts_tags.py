"""``{% protocol_checklists incident=… %}`` / ``alert=…``: the tickable response checklists."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from minewatch.alerts.queries import visible_checklists
from minewatch.alerts.services.protocols import can_tick_steps, protocol_for

register = template.Library()


@register.simple_tag(takes_context=True)
def protocol_checklists(context: Any, *, incident: Any = None, alert: Any = None) -> dict[str, Any]:
    """The checklists the user may see, whether they may tick them, and (for an incident
    without one) the protocol that could be started."""
    request = context["request"]
    user = request.user
    checklists = list(visible_checklists(user, alert=alert, incident=incident))
    target = incident or alert
    startable = None
    if incident is not None and not checklists:
        startable = protocol_for(incident.organisation_id, incident.incident_type)
    english = (get_language() or "es").startswith("en")
    return {
        "checklists": checklists,
        "startable_title": (startable.title_en if english else startable.title_es)
        if startable
        else "",
        "can_tick": can_tick_steps(user) and target.organisation_id is not None,
        "english": english,
        "startable": startable,
        "next": request.get_full_path(),
    }
