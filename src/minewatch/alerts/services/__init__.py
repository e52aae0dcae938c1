"""Every write of the alerts app (the verbs views, workers and other apps call)."""

from minewatch.alerts.services.alerts import (
    acknowledge_alert,
    create_incident_from_alert,
    escalate_alert,
    raise_alert,
    raise_manual_alert,
    raise_panic,
    record_police_notified,
    resolve_alert,
)
from minewatch.alerts.services.config import (
    save_channel,
    save_contact,
    save_escalation_policy,
    seed_defaults,
)
from minewatch.alerts.services.delivery import DeliveryPump, run_due_deliveries
from minewatch.alerts.services.escalation import run_due_escalations
from minewatch.alerts.services.protocols import attach_protocol, tick_protocol_step
from minewatch.alerts.services.rules import AlertInput, save_rule

__all__ = [
    "AlertInput",
    "DeliveryPump",
    "acknowledge_alert",
    "attach_protocol",
    "create_incident_from_alert",
    "escalate_alert",
    "raise_alert",
    "raise_manual_alert",
    "raise_panic",
    "record_police_notified",
    "resolve_alert",
    "run_due_deliveries",
    "run_due_escalations",
    "save_channel",
    "save_contact",
    "save_escalation_policy",
    "save_rule",
    "seed_defaults",
    "tick_protocol_step",
]
