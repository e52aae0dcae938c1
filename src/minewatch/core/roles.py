"""Which roles may do what. One table, read by the API permission and the web views.

Capabilities are coarse verbs; an app names the verb its viewset or view needs.
Reading is allowed to every role of an organisation that can see the record
(tenancy decides visibility); the table below only governs writes and the
few reads that are sensitive (intelligence sources, grievance complainants).
"""

from __future__ import annotations

from minewatch.core.choices import Role

ALL_ROLES = frozenset(Role.values)
MANAGERS = frozenset({Role.ADMIN, Role.SECURITY_MANAGER})

CAPABILITIES: dict[str, frozenset[str]] = {
    "read": ALL_ROLES,
    # Field staff report incidents; operators and managers run the register.
    "report_incident": frozenset(
        {Role.ADMIN, Role.SECURITY_MANAGER, Role.ANALYST, Role.OPERATOR, Role.GUARD, Role.LIAISON}
    ),
    "manage_incident": frozenset({Role.ADMIN, Role.SECURITY_MANAGER, Role.ANALYST, Role.OPERATOR}),
    "manage_sites": MANAGERS,
    "manage_users": frozenset({Role.ADMIN}),
    "operate": frozenset({Role.ADMIN, Role.SECURITY_MANAGER, Role.OPERATOR}),
    "configure_alerts": MANAGERS,
    "analyse": frozenset({Role.ADMIN, Role.SECURITY_MANAGER, Role.ANALYST}),
    "see_sources": frozenset({Role.ADMIN, Role.SECURITY_MANAGER, Role.ANALYST}),
    "community": frozenset({Role.ADMIN, Role.SECURITY_MANAGER, Role.LIAISON}),
    "audit": frozenset({Role.ADMIN, Role.SECURITY_MANAGER, Role.AUDITOR}),
    "manage_evidence": frozenset(
        {Role.ADMIN, Role.SECURITY_MANAGER, Role.ANALYST, Role.OPERATOR, Role.GUARD}
    ),
    # Putting evidence under legal hold (or lifting it) is a manager's decision.
    "legal_hold": MANAGERS,
}


def has_capability(user: object, capability: str) -> bool:
    """True when ``user`` is active and their role grants ``capability``.

    Superusers (platform administrators) have every capability.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    if getattr(user, "organisation_id", None) is None:
        return False
    try:
        allowed = CAPABILITIES[capability]
    except KeyError:
        raise ValueError(f"unknown capability {capability!r}") from None
    return getattr(user, "role", None) in allowed
