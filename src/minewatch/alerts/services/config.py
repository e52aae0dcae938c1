"""Writes of what an organisation configures: escalation ladders, contacts, channels, defaults."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from minewatch.alerts.choices import ChannelKind
from minewatch.alerts.models import Contact, EscalationPolicy, EscalationStep, NotificationChannel
from minewatch.core import audit
from minewatch.core.choices import AuditAction, Role
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.roles import has_capability

CHANNEL_REQUIRED = {
    ChannelKind.EMAIL: ("host", "port", "sender"),
    ChannelKind.SMS: ("url",),
    ChannelKind.MQTT: ("host", "port", "topic"),
    ChannelKind.WEBHOOK: (),
    ChannelKind.INAPP: (),
}


def _require(actor: Any) -> None:
    if actor is not None and not has_capability(actor, "configure_alerts"):
        raise NotAllowed("your role cannot change alerting configuration", field="role")


def _save(actor: Any, instance: Any, before: Any) -> Any:
    instance.full_clean()
    instance.save()
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=instance, before=before, after=audit.snapshot(instance))  # fmt: skip
    return instance


def _check_steps(organisation: Any, steps: list[dict[str, Any]]) -> None:
    if not steps:
        raise InvalidInput("a ladder needs at least one step", field="steps")
    for number, step in enumerate(steps, 1):
        channels = step.get("channels") or []
        bad = [c for c in channels if c not in ChannelKind.values]
        if not channels or bad:
            raise InvalidInput(f"step {number}: channels must be among {ChannelKind.values}",
                               field="steps")  # fmt: skip
        roles = [r for r in step.get("recipient_roles") or [] if r not in Role.values]
        if roles:
            raise InvalidInput(f"step {number}: unknown role(s) {roles}", field="steps")
        if int(step.get("wait_s", 0)) < 0:
            raise InvalidInput(f"step {number}: wait_s must be >= 0 seconds", field="steps")
        for item in [*step.get("users", []), *step.get("contacts", [])]:
            if item.organisation_id != organisation.pk:
                raise InvalidInput(f"step {number}: unknown recipient {item.pk}", field="steps")


def save_escalation_policy(
    *, actor: Any, organisation: Any, policy: EscalationPolicy | None = None,
    steps: list[dict[str, Any]] | None = None, **values: Any,
) -> EscalationPolicy:  # fmt: skip
    """Create or change a ladder; ``steps`` (if given) replace the old ones in order."""
    _require(actor)
    if steps is not None:
        _check_steps(organisation, steps)
    elif policy is None:
        raise InvalidInput("a ladder needs at least one step", field="steps")
    with transaction.atomic():
        before = audit.snapshot(policy) if policy else None
        target = policy or EscalationPolicy(organisation=organisation)
        for name, value in values.items():
            setattr(target, name, value)
        _save(actor, target, before)
        if steps is not None:
            target.steps.all().delete()
            for order, data in enumerate(steps):
                data = dict(data)
                users, contacts = data.pop("users", []), data.pop("contacts", [])
                data.pop("order", None)
                data.setdefault("name", f"Paso {order + 1}")
                step = EscalationStep.objects.create(policy=target, order=order, **data)
                step.users.set(users)
                step.contacts.set(contacts)
    return target


def save_contact(
    *, actor: Any, organisation: Any, contact: Contact | None = None, **values: Any
) -> Contact:
    """Create or change a contact (a PNP station, a crisis team, an integration)."""
    _require(actor)
    site = values.get("site", contact.site if contact else None)
    if site is not None and site.organisation_id != organisation.pk:
        raise InvalidInput(f"unknown site {site.pk}", field="site")
    with transaction.atomic():
        before = audit.snapshot(contact) if contact else None
        target = contact or Contact(organisation=organisation)
        for name, value in values.items():
            setattr(target, name, value)
        return _save(actor, target, before)


def save_channel(
    *, actor: Any, organisation: Any, channel: NotificationChannel | None = None, **values: Any
) -> NotificationChannel:
    """Create or change a notification channel; its configuration is checked per kind."""
    _require(actor)
    kind = values.get("kind", channel.kind if channel else None)
    config = values.get("config", channel.config if channel else {}) or {}
    if kind not in ChannelKind.values:
        raise InvalidInput(f"unknown channel kind {kind!r}", field="kind")
    if not isinstance(config, dict):
        raise InvalidInput("an object is expected", field="config")
    missing = [k for k in CHANNEL_REQUIRED[kind] if k not in config]
    if missing:
        raise InvalidInput(f"{kind} channel needs {missing}", field="config")
    with transaction.atomic():
        before = audit.snapshot(channel) if channel else None
        target = channel or NotificationChannel(organisation=organisation)
        for name, value in values.items():
            setattr(target, name, value)
        return _save(actor, target, before)


# Early warnings of the intel app (graded reports and incidents clustering near a site or a
# route): every one from "low" up (a warning at its threshold is severity 2, see
# alerts.subscribers.warning_severity). One alert per warning, so a day of de-duplication.
EARLY_WARNING_RULE = (
    "Alertas tempranas de inteligencia",
    [],
    ["early_warning"],
    2,
    1440,
    "",
)

# Loss findings of the inventory app (missing mass, slow loss, seals): every one, a day
# of de-duplication per lot or series.
INVENTORY_RULE = ("Integridad de carga e inventario", [], ["inventory"], 2, 1440, "")
# Accountability (use of force, grievance deadlines, contractor authorisations): every one,
# one alert per record and deadline (the accountability app de-duplicates), sent to the
# security manager first (ACCOUNTABILITY_LADDER), not to the operator on shift.
ACCOUNTABILITY_RULE = (
    "Rendición de cuentas (uso de la fuerza, reclamos, contratistas)",
    [],
    ["accountability"],
    1,
    1,
    "",
)
ACCOUNTABILITY_LADDER = (
    "Rendición de cuentas",
    ["accountability.*"],
    (
        ("Jefe de seguridad", ["security_manager"], ["inapp", "email"], 86400, False),
        ("Administración", ["admin"], ["inapp", "email"], 0, False),
    ),
)


def seed_accountability(organisation_id: int, registry: Any) -> None:
    """The accountability rule and its ladder for one organisation (once)."""
    rule_model = registry.get_model("alerts", "AlertRule")
    name, kinds, sources, severity, dedup, incident_type = ACCOUNTABILITY_RULE
    if rule_model.objects.filter(organisation_id=organisation_id, name=name).exists():
        return
    policy_name, policy_kinds, steps = ACCOUNTABILITY_LADDER
    policy = registry.get_model("alerts", "EscalationPolicy").objects.create(
        organisation_id=organisation_id, name=policy_name, kinds=policy_kinds
    )
    step_model = registry.get_model("alerts", "EscalationStep")
    for order, (step_name, roles, channels, wait_s, police) in enumerate(steps):
        step_model.objects.create(policy=policy, order=order, name=step_name,
                                  recipient_roles=roles, channels=channels, wait_s=wait_s,
                                  notify_site_police=police)  # fmt: skip
    rule_model.objects.create(
        organisation_id=organisation_id,
        name=name,
        kinds=kinds,
        sources=sources,
        min_severity=severity,
        dedup_minutes=dedup,
        incident_type=incident_type,
        escalation_policy=policy,
    )


# Default rules for a new organisation: (name, kinds, sources, min severity, dedup minutes,
# incident type). No type: each kind's suggestion applies (alerts.engine.suggestions), so a
# fire alarm gets the fire checklist, not the invasion one.
DEFAULT_RULES = (
    ("Alarmas de intrusión y pánico (paneles SIA)", ["alarm.burglary", "alarm.perimeter",
     "alarm.panic", "alarm.fire", "alarm.tamper"], [], 3, 10, ""),
    ("Panel de alarma silencioso", ["alarm.panel_silent"], [], 1, 60, ""),
    ("Intrusión detectada por cámara", ["camera.intrusion"], [], 1, 10, ""),
    ("Ronda de vigilancia incumplida", ["tour.checkpoint_missed", "tour.checkpoint_late"], [],
     1, 30, ""),
    ("Vigilante solitario sin reporte (hombre caído)", ["guard.no_check_in"], [], 1, 30, ""),
    ("Detecciones de convoyes y flota", [], ["detection"], 2, 10, ""),
    ("Incidentes graves reportados", [], ["incident"], 4, 30, ""),
    EARLY_WARNING_RULE,
    INVENTORY_RULE,
)  # fmt: skip


def seed_defaults(organisation: Any, registry: Any = None) -> None:
    """Give a new organisation working defaults: rules, a ladder, an in-app channel, protocols.

    Everything is ordinary data the organisation then edits (admin or API).
    ``registry`` is the app registry (a migration passes its historical one).
    """
    from django.apps import apps

    from minewatch.alerts.services.protocols import seed_protocols

    registry = registry or apps
    rule_model = registry.get_model("alerts", "AlertRule")
    step_model = registry.get_model("alerts", "EscalationStep")
    if rule_model.objects.filter(organisation_id=organisation.pk).exists():
        return
    registry.get_model("alerts", "NotificationChannel").objects.create(
        organisation_id=organisation.pk, name="Consola de operaciones", kind=ChannelKind.INAPP
    )
    policy = registry.get_model("alerts", "EscalationPolicy").objects.create(
        organisation_id=organisation.pk, name="Escalamiento estándar"
    )
    ladder = (
        ("Operador de turno", [Role.OPERATOR], ["inapp", "email", "sms"], 300, False),
        ("Jefe de seguridad", [Role.SECURITY_MANAGER], ["inapp", "email", "sms"], 600, False),
        ("Comisaría PNP de la zona", [], ["email", "sms", "webhook"], 900, True),
        ("Comité de crisis", [Role.ADMIN], ["email", "sms"], 0, False),
    )
    step_model.objects.bulk_create(
        step_model(policy=policy, order=order, name=name, recipient_roles=roles,
                   channels=channels, wait_s=wait_s, notify_site_police=police)
        for order, (name, roles, channels, wait_s, police) in enumerate(ladder)
    )  # fmt: skip
    rule_model.objects.bulk_create(
        rule_model(organisation_id=organisation.pk, name=name, kinds=kinds, sources=sources,
                   min_severity=severity, dedup_minutes=dedup, incident_type=incident_type)
        for name, kinds, sources, severity, dedup, incident_type in DEFAULT_RULES
    )  # fmt: skip
    seed_accountability(organisation.pk, registry)
    seed_protocols(organisation, registry)
