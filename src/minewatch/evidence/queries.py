"""Read-only querysets of the evidence app, already limited to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from minewatch.core.tenancy import restrict
from minewatch.evidence.models import CustodyEntry, EvidenceItem


def visible_items(user: Any) -> QuerySet[EvidenceItem]:
    """Evidence the user may see: tenancy, assigned sites, the incident's confidentiality."""
    queryset = EvidenceItem.objects.select_related("incident", "uploaded_by", "organisation")
    return restrict(queryset, user)


def incident_items(user: Any, incident: Any) -> QuerySet[EvidenceItem]:
    """The evidence of one incident that the user may see, oldest first."""
    return visible_items(user).filter(incident=incident).order_by("collected_at", "pk")


def custody_log(item: EvidenceItem) -> QuerySet[CustodyEntry]:
    """The item's custody entries in chain order (the caller already sees the item)."""
    return CustodyEntry.objects.filter(item=item).select_related("actor").order_by("sequence")
