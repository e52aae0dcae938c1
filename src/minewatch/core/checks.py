"""Checks every app's services start with: the actor's capability, organisation, and records.

One place, so that a role refusal or an invisible record reads the same in every app.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict


def require(actor: Any, capability: str, what: str) -> None:
    """Raise NotAllowed (field ``role``) unless ``actor``'s role has ``capability``."""
    if not has_capability(actor, capability):
        raise NotAllowed(f"your role cannot {what}", field="role")


def organisation_id(actor: Any) -> int:
    """The actor's organisation id; InvalidInput when the user belongs to none."""
    if getattr(actor, "organisation_id", None) is None:
        raise InvalidInput("your user belongs to no organisation", field="organisation")
    return actor.organisation_id


def visible(actor: Any, model: type[models.Model], value: Any, field: str) -> Any:
    """The record ``value`` (instance or id) if ``actor`` may see it; else InvalidInput on ``field``.

    A record of another organisation gets the same answer as one that does not exist.
    """
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    found = restrict(model.objects.filter(pk=pk), actor).first()
    if found is None:
        raise InvalidInput(f"unknown {field} {pk!r}", field=field)
    return found
