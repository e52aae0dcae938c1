"""Models of the alerts app, one module per aggregate."""

from minewatch.alerts.models.alert import (
    Alert,
    AlertStatusChange,
    DeliveryAttempt,
    EscalationFiring,
)
from minewatch.alerts.models.config import (
    AlertRule,
    Contact,
    EscalationPolicy,
    EscalationStep,
    NotificationChannel,
    RuleSlot,
    RuleState,
)
from minewatch.alerts.models.intake import IntakeEntry
from minewatch.alerts.models.protocols import (
    ChecklistItem,
    ProtocolChecklist,
    ProtocolStep,
    ResponseProtocol,
)

__all__ = [
    "Alert",
    "AlertRule",
    "AlertStatusChange",
    "ChecklistItem",
    "Contact",
    "DeliveryAttempt",
    "EscalationFiring",
    "EscalationPolicy",
    "EscalationStep",
    "IntakeEntry",
    "NotificationChannel",
    "ProtocolChecklist",
    "ProtocolStep",
    "ResponseProtocol",
    "RuleSlot",
    "RuleState",
]
