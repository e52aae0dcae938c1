"""What each alert kind suggests: the incident type (hence the threat) and the checklist.

One table for every kind the sensors, trackers, tours and people raise. A rule may
name its own type (the organisation's choice wins); otherwise the alert carries the
suggestion below, so threat-specific escalation ladders match sensor alerts, the
right response protocol is attached, and "create incident" starts from a sensible
type the operator can change. ``docs/alert-kinds.md`` is this table in prose.

Pure data: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

from minewatch.incidents.taxonomy import TYPES_BY_CODE


@dataclass(frozen=True)
class Suggestion:
    """The incident type an alert kind suggests (``""``: none) and its protocol code.

    ``protocol`` empty: the incident type's protocol (taxonomy). Kinds that are not an
    attack of one type (a fire, tampering, a person in danger) name their own.
    """

    incident_type: str
    protocol: str = ""
    why: str = ""

    @property
    def threat(self) -> str:
        return TYPES_BY_CODE[self.incident_type].threat if self.incident_type else ""


# Alarm panels (SIA DC-09 categories), cameras, guard tours, people, trackers.
SUGGESTIONS: dict[str, Suggestion] = {
    "alarm.burglary": Suggestion("concession_invasion", why="intrusion into a site"),
    "alarm.perimeter": Suggestion("concession_invasion", why="perimeter crossed"),
    "alarm.panic": Suggestion(
        "robbery_cash_valuables", "panic", "duress at a panel: staff forced, typically a robbery"
    ),
    "alarm.fire": Suggestion("property_damage", "fire_alarm", "fire: people first, then cause"),
    "alarm.tamper": Suggestion("sabotage", "alarm_tamper", "a panel or sensor opened or cut"),
    "alarm.panel_silent": Suggestion("sabotage", "alarm_tamper", "a panel stopped reporting"),
    "alarm.trouble": Suggestion("", why="a technical fault, not an incident"),
    "camera.intrusion": Suggestion("concession_invasion", why="a person or vehicle in a zone"),
    "tour.checkpoint_missed": Suggestion("policy_breach", "panic", "guard may be in danger"),
    "tour.checkpoint_late": Suggestion("policy_breach", why="a round done late"),
    "guard.no_check_in": Suggestion("threat_intimidation", "panic", "lone guard silent"),
    "panic": Suggestion("threat_intimidation", "panic", "a person pressed panic"),
    # Tracking detections (tracking.choices.DetectionKind).
    "alarm": Suggestion("convoy_attack", why="SOS from a vehicle's tracker"),
    "convoy_split": Suggestion("cargo_hijacking", why="a truck cut from its convoy"),
    "signal_loss": Suggestion("cargo_hijacking", why="possible jamming before a hijack"),
    "route_deviation": Suggestion("cargo_hijacking", why="a truck off its corridor"),
    "unscheduled_stop": Suggestion("concentrate_theft", why="a stop where cargo can be taken"),
    "late_arrival": Suggestion("concentrate_theft", why="time unaccounted for en route"),
    "zone_enter": Suggestion("convoy_attack", why="into a high-risk zone"),
    "overspeed": Suggestion("policy_breach", why="a driving rule broken"),
    "zone_exit": Suggestion("", why="routine"),
    "signal_restored": Suggestion("", why="the end of a signal loss"),
    "early_warning.site": Suggestion("", why="intelligence: the analyst decides the type"),
    "early_warning.route": Suggestion("", why="intelligence: the analyst decides the type"),
    "manual": Suggestion("", why="the operator names the type"),
    # Inventory and cargo integrity (inventory.engine): missing mass is theft until explained.
    "inventory.trip_loss": Suggestion("concentrate_theft", why="dry mass missing on one trip"),
    "inventory.drift": Suggestion("concentrate_theft", why="a slow loss across many trips"),
    "inventory.seal": Suggestion("concentrate_theft", why="a seal broken, missing or changed"),
    "inventory.magazine": Suggestion("explosives_theft", why="explosives unaccounted for"),
    # Accountability findings are for the security manager's review, not incidents.
    "accountability.use_of_force": Suggestion("", why="a use-of-force review, not an incident"),
    "accountability.use_of_force_late": Suggestion("", why="a report overdue"),
    "accountability.grievance_overdue": Suggestion("", why="a grievance deadline missed"),
    "accountability.authorisation_expired": Suggestion("", why="a contractor's licence lapsed"),
    # People and access (people app): gate anomalies, expiries, visitors, transport.
    "access.unknown_credential": Suggestion(
        "unauthorised_access", why="an unknown badge or DNI at a gate"
    ),
    "access.not_cleared": Suggestion(
        "policy_breach", why="a person with expired or failed vetting at a gate"
    ),
    "access.not_assigned": Suggestion(
        "unauthorised_access", why="a person at a site they are not posted to"
    ),
    "access.outside_shift": Suggestion("policy_breach", why="a pass outside the assigned shift"),
    "access.anti_passback": Suggestion(
        "unauthorised_access", why="in twice without out: a shared badge"
    ),
    "access.revoked_credential": Suggestion(
        "unauthorised_access", why="a revoked badge, QR code or plate used"
    ),
    "access.expired_credential": Suggestion("policy_breach", why="a credential past its validity"),
    "access.repeated_denials": Suggestion(
        "unauthorised_access", why="someone trying a gate again and again"
    ),
    "access.unplanned_vehicle": Suggestion(
        "unauthorised_access", why="a plate on no planned trip or list"
    ),
    "access.after_hours_magazine": Suggestion(
        "explosives_theft", why="an explosives magazine entered after hours"
    ),
    "people.vetting_expiry": Suggestion("", why="a vetting check expiring: renew, not an incident"),
    "people.licence_expiry": Suggestion(
        "", why="a SUCAMEC licence expiring: renew, not an incident"
    ),
    "people.training_expiry": Suggestion("", why="a training expiring: renew, not an incident"),
    "people.visitor_overstay": Suggestion(
        "unauthorised_access", why="a visitor still inside after the expected exit"
    ),
    "people.passenger_missing": Suggestion(
        "", "panic", why="a passenger who boarded did not arrive"
    ),
}

NO_SUGGESTION = Suggestion("")


def suggestion_for(kind: str) -> Suggestion:
    """The suggestion for an alert kind; ``incident.<type>`` suggests that type.

    >>> suggestion_for("alarm.fire").protocol, suggestion_for("alarm.fire").threat
    ('fire_alarm', 'social_conflict')
    >>> suggestion_for("incident.kidnapping").incident_type
    'kidnapping'
    >>> suggestion_for("something.else").incident_type
    ''
    """
    prefix, _dot, rest = kind.partition(".")
    if prefix == "incident" and rest in TYPES_BY_CODE:
        return Suggestion(rest)
    return SUGGESTIONS.get(kind, NO_SUGGESTION)
