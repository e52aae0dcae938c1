"""Keep what members share with their groups current as their incidents and actors change."""

from __future__ import annotations

from minewatch.core.events import Event


def on_event(event: Event) -> None:
    """Rebuild the organisation's shared records after one of its incidents changed."""
    if not event.name.startswith("incident.") or event.organisation_id is None:
        return
    from minewatch.sharing.models import GroupMembership
    from minewatch.sharing.services import sync_organisation

    if GroupMembership.objects.filter(
        organisation_id=event.organisation_id, is_active=True
    ).exists():
        sync_organisation(event.organisation_id)
