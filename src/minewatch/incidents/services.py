"""Every write of the incidents app: report, edit, move through the workflow."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, InvalidTransition, NotAllowed
from minewatch.core.events import Event, publish
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.geo.services import region_for, validated_point
from minewatch.incidents import taxonomy, validation
from minewatch.incidents.choices import ALLOWED_TRANSITIONS, IncidentStatus, TimePrecision
from minewatch.incidents.models import Incident, IncidentStatusChange

# Fields a caller may set when reporting or editing (everything but workflow and bookkeeping).
EDITABLE_FIELDS = (
    "title", "threat", "incident_type", "severity", "confidentiality", "occurred_at",
    "occurred_at_precision", "reported_at", "time_of_day", "duration_minutes", "lat", "lon",
    "location_precision", "location_description", "site", "narrative", "modus_operandi",
    "modus_operandi_tags", "assailants_min", "assailants_max", "weapons", "vehicles_used",
    "fatalities", "injured_staff", "injured_contractors", "injured_security", "injured_police",
    "injured_community", "injured_assailants", "kidnapped", "loss_usd", "material_lost",
    "material_loss_quantity", "material_loss_unit", "responders", "police_notified_at",
    "complaint_number", "response_minutes", "response_notes", "linked_actors", "sources",
    "is_synthetic",
)  # fmt: skip


def _resolve_site(actor: Any, site: Any) -> Site | None:
    """The site if the actor may see it; a site of another organisation is 'unknown' (no leak)."""
    if site in (None, ""):
        return None
    site_id = getattr(site, "pk", site)
    found = restrict(Site.objects.filter(pk=site_id), actor).first() if actor else None
    if found is None:
        raise InvalidInput(f"unknown site {site_id!r}", field="site")
    return found


def _validated(actor: Any, values: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Check every value; return the cleaned values with threat, region, severity filled in."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    clean = dict(values)
    clean["threat"], clean["incident_type"] = validation.check_type(
        clean.get("threat"), clean.get("incident_type")
    )
    kind = taxonomy.TYPES_BY_CODE[clean["incident_type"]]
    severity = clean.get("severity")
    clean["severity"] = validation.check_severity(
        kind.default_severity if severity is None else severity
    )
    if not clean.get("title"):
        clean["title"] = kind.label_es
    clean["site"] = _resolve_site(actor, clean.get("site"))
    country = clean["site"].country if clean["site"] else "PE"
    clean["lat"], clean["lon"] = validated_point(
        clean.get("lat"), clean.get("lon"), country=country
    )
    if not isinstance(clean.get("occurred_at"), dt.datetime):
        raise InvalidInput("a date and time is required", field="occurred_at")
    if not clean.get("reported_at"):
        # Reported "now"; a phone clock slightly ahead must not make it precede the event.
        clean["reported_at"] = max(now, clean["occurred_at"])
    validation.check_times(
        clean["occurred_at"], clean["reported_at"], now, int(settings.TUNABLES["clock_skew_s"])
    )
    notified = clean.get("police_notified_at")
    if notified is not None and notified < clean["occurred_at"]:
        raise InvalidInput("cannot be earlier than occurred_at", field="police_notified_at")
    validation.check_counts(clean)
    validation.check_codes(clean)
    validation.check_money(clean)
    precise = clean.get("occurred_at_precision", TimePrecision.MINUTE) in (
        TimePrecision.MINUTE, TimePrecision.HOUR,
    )  # fmt: skip
    if precise and clean.get("time_of_day") in (None, "", "unknown"):
        clean["time_of_day"] = validation.time_of_day(clean["occurred_at"], settings.TIME_ZONE)
    return clean


def _owner_id(actor: Any, site: Site | None) -> int:
    if site is not None:
        return site.organisation_id
    if getattr(actor, "organisation_id", None) is None:
        raise InvalidInput("your user belongs to no organisation", field="organisation")
    return actor.organisation_id


def _new_reference(occurred_at: dt.datetime) -> str:
    return f"INC-{occurred_at.year}-{secrets.token_hex(3).upper()}"


def _publish(incident: Incident, name: str) -> None:
    publish(
        Event(
            name,
            incident.organisation_id,
            {
                "id": incident.pk,
                "reference": incident.reference,
                "threat": incident.threat,
                "incident_type": incident.incident_type,
                "severity": incident.severity,
                "status": incident.status,
                "occurred_at": incident.occurred_at.isoformat(),
                "lat": incident.lat,
                "lon": incident.lon,
            },  # fmt: skip
            site_id=incident.site_id,
        )
    )


def report_incident(*, actor: Any, now: dt.datetime | None = None, **values: Any) -> Incident:
    """Record a new incident (status 'reported'), audited and published as ``incident.reported``.

    Raises InvalidInput naming the field for any bad value; nothing is stored then.
    """
    if not has_capability(actor, "report_incident"):
        raise NotAllowed("your role cannot report incidents", field="role")
    now = now or timezone.now()
    clean = _validated(actor, values, now)
    with transaction.atomic():
        incident = Incident(
            organisation_id=_owner_id(actor, clean["site"]), reporter=actor, **clean
        )
        incident.region = region_for(incident.lat, incident.lon)
        incident.reference = _new_reference(incident.occurred_at)
        incident.full_clean()
        incident.save()
        IncidentStatusChange.objects.create(
            incident=incident, from_status="", to_status=incident.status, actor=actor
        )
        audit.record(actor=actor, action=AuditAction.CREATE, instance=incident,
                     after=audit.snapshot(incident))  # fmt: skip
        _publish(incident, "incident.reported")
    return incident


def update_incident(incident: Incident, *, actor: Any, **values: Any) -> Incident:
    """Change an incident's facts (not its status); the audit entry keeps before and after."""
    if not has_capability(actor, "manage_incident"):
        raise NotAllowed("your role cannot edit incidents", field="role")
    current = {name: getattr(incident, name) for name in EDITABLE_FIELDS}
    clean = _validated(actor, {**current, **values}, timezone.now())
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        before = audit.snapshot(locked)
        for name, value in clean.items():
            setattr(locked, name, value)
        if clean["site"] and clean["site"].organisation_id != locked.organisation_id:
            raise InvalidInput("the site belongs to another organisation", field="site")
        locked.region = region_for(locked.lat, locked.lon)
        locked.full_clean()
        locked.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked))  # fmt: skip
        _publish(locked, "incident.updated")
    return locked


def allowed_transitions(incident: Incident) -> list[str]:
    """The statuses an incident may move to from where it is."""
    return sorted(ALLOWED_TRANSITIONS[IncidentStatus(incident.status)])


def change_status(incident: Incident, *, actor: Any, to_status: str, note: str = "") -> Incident:
    """Move an incident along the workflow; an illegal step raises InvalidTransition (409)."""
    if not has_capability(actor, "manage_incident"):
        raise NotAllowed("your role cannot change an incident's status", field="role")
    if to_status not in IncidentStatus.values:
        raise InvalidInput(f"unknown status {to_status!r}", field="status")
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if to_status not in ALLOWED_TRANSITIONS[IncidentStatus(locked.status)]:
            raise InvalidTransition(
                f"cannot go from {locked.status!r} to {to_status!r}; allowed: "
                f"{allowed_transitions(locked)}",
                field="status",
            )
        before = audit.snapshot(locked)
        IncidentStatusChange.objects.create(
            incident=locked, from_status=locked.status, to_status=to_status, actor=actor, note=note
        )
        locked.status = to_status
        locked.save(update_fields=["status", "updated_at"])
        audit.record(actor=actor, action=AuditAction.TRANSITION, instance=locked, before=before,
                     after=audit.snapshot(locked), note=note)  # fmt: skip
        _publish(locked, "incident.status_changed")
    return locked
