"""The one API permission: signed in, and the role grants the viewset's capability."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from minewatch.core.roles import has_capability


class RolePermission(BasePermission):
    """Reads need the ``read`` capability; writes need the view's ``write_capability``.

    A viewset may name a capability per extra action in ``action_capabilities``
    (``{"ack": "operate"}``). Object visibility is not decided here but by the
    tenant-scoped queryset, so a record of another organisation is a 404.
    """

    message = "Your role does not allow this action."

    def has_permission(self, request: Any, view: Any) -> bool:
        if getattr(view, "public", False):
            return True
        if request.method not in SAFE_METHODS and getattr(request.auth, "scope", None) == "read":
            # A read-only API token (accounts.ApiToken) narrows its user's role to reads.
            self.message = _("This API token is read-only; create a read-write token to "
                             "change data.")  # fmt: skip
            return False
        action = getattr(view, "action", None)
        per_action = getattr(view, "action_capabilities", {}) or {}
        if action in per_action:
            return has_capability(request.user, per_action[action])
        if request.method in SAFE_METHODS:
            return has_capability(request.user, "read")
        return has_capability(request.user, getattr(view, "write_capability", "manage_sites"))
