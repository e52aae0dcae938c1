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
    # Lift a login lock-out: the people who answer when an operator is locked out at night.
    "unlock_logins": frozenset({Role.ADMIN, Role.SECURITY_MANAGER}),
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
    # Accountability (ICoC): a grievance complainant's identity is seen only by the
    # organisation's liaison and security manager; use-of-force reviews, the contractor
    # registry and agreements with public security are managers' work.
    "see_complainant": frozenset({Role.SECURITY_MANAGER, Role.LIAISON}),
    "report_use_of_force": frozenset(
        {Role.ADMIN, Role.SECURITY_MANAGER, Role.OPERATOR, Role.GUARD}
    ),
    "review_use_of_force": MANAGERS,
    "manage_contractors": MANAGERS,
    # Ley 29733: document numbers, phones and vetting/licence/training records of personnel.
    "see_personal_data": MANAGERS,
    "manage_people": MANAGERS,
    # Recording a pass at a gate (the gate page, a controller's token).
    "record_access": frozenset({Role.ADMIN, Role.SECURITY_MANAGER, Role.OPERATOR, Role.GUARD}),
    # Sharing outside the organisation (STIX/ACLED/research exports, groups, agreements,
    # partner imports) is a manager's decision.
    "share": MANAGERS,
    # The monthly and annual reports hold confidential incidents, reviews and grievances.
    "see_reports": MANAGERS,
}


# What each role may read at all, when not everything (model labels, ``app.model``). Field
# staff (SPEC "Who uses it": a guard reports an incident, scans checkpoints, presses panic)
# read the places they work, their own reports with their evidence, their own tours and
# the panic alerts they raised; the other alerts, positions, fleets, intelligence, risk,
# people and the audit log are the control room's. core.tenancy applies this to every queryset (API, web, exports, CLI) and the live
# stream drops the events of the other models; row limits (a guard's *own* reports) are
# each model's ``role_filter``.
FIELD_STAFF_MODELS = frozenset(
    {
        "core.organisation", "geo.region", "geo.site", "geo.zone", "geo.route",
        "incidents.incident", "incidents.incidentstatuschange",
        "evidence.evidenceitem", "evidence.custodyentry",
        "alarms.patrolroute", "alarms.checkpoint", "alarms.tourrun", "alarms.checkpointscan",
        "alerts.alert",
        # the use-of-force reports they filed (ICoC para 63), and at the gate the people who
        # pass with their cleared / not cleared flag (never why: people.api hides it)
        "accountability.useofforcereport", "accountability.useofforceamendment",
        "people.person", "people.accessevent",
        # the visitors they let in and check out, the passengers they check on a bus
        "people.visitor", "people.trippassenger",
    }
)  # fmt: skip
READABLE_MODELS: dict[str, frozenset[str]] = {Role.GUARD: FIELD_STAFF_MODELS}


def may_read_model(user: object, label: str) -> bool:
    """True when ``user``'s role may read records of the model ``label`` (``app.model``) at all.

    Whether it may read one record is for tenancy and the model's ``role_filter``.
    """
    if getattr(user, "is_superuser", False):
        return True
    readable = READABLE_MODELS.get(getattr(user, "role", None))  # type: ignore[arg-type]
    return readable is None or label.lower() in readable


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
