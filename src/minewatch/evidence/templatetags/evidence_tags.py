"""``{% incident_evidence incident as evidence %}``: the evidence block of an incident page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from minewatch.core.roles import has_capability
from minewatch.evidence.forms import EvidenceUploadForm
from minewatch.evidence.queries import incident_items

register = template.Library()


@register.simple_tag(takes_context=True)
def incident_evidence(context: Any, incident: Any) -> dict[str, Any]:
    """The items the user may see, an empty upload form, and what the user may do."""
    user = context["request"].user
    return {
        "items": list(incident_items(user, incident)),
        "form": EvidenceUploadForm(),
        "can_upload": has_capability(user, "manage_evidence"),
        "can_build_dossier": has_capability(user, "manage_incident"),
    }


@register.filter
def discrepancy_text(discrepancy: dict[str, Any]) -> str:
    """A stored discrepancy in the interface language."""
    field = discrepancy.get("field")
    difference = float(discrepancy.get("difference") or 0)
    if field == "captured_at":
        return _("the file's capture time is %(minutes)d min away from the declared time") % {
            "minutes": round(difference / 60)
        }
    if field == "position":
        return _("the file's GPS position is %(metres)d m from the declared place") % {
            "metres": round(difference)
        }
    return str(discrepancy.get("message", ""))
