"""Every write of the incidents app: report, edit, move through the workflow."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.config import ConfigError
from minewatch.core.errors import InvalidInput, InvalidTransition, NotAllowed
from minewatch.core.events import Event, publish
from minewatch.core.roles import MANAGERS, has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.engine.regions import peru_regions
from minewatch.geo.models import Site
from minewatch.geo.services import region_for, validated_point
from minewatch.incidents import taxonomy, validation
from minewatch.incidents.choices import (
    ALLOWED_TRANSITIONS,
    Confidentiality,
    IncidentStatus,
    TimePrecision,
)
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
    "complaint_number", "police_unit", "response_minutes", "response_notes", "linked_actors", "sources",
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
    if country == "PE" and peru_regions().locate(clean["lat"], clean["lon"]) is None:
        # Peru's bundled boundary, not its bounding box: the sea and the neighbours are out.
        raise InvalidInput(
            gettext("the point (%(lat)s, %(lon)s) is not on Peruvian land")
            % {"lat": clean["lat"], "lon": clean["lon"]},
            field="lat",
        )
    if not isinstance(clean.get("occurred_at"), dt.datetime):
        raise InvalidInput("a date and time is required", field="occurred_at")
    earliest = earliest_date()
    if clean["occurred_at"].tzinfo is not None and (
        clean["occurred_at"].astimezone(ZoneInfo(settings.TIME_ZONE)).date() < earliest
    ):
        raise InvalidInput(
            gettext("cannot be before %(date)s, the earliest date incidents are recorded from")
            % {"date": earliest.strftime("%d/%m/%Y")},
            field="occurred_at",
        )
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


def earliest_date() -> dt.date:
    """The floor of ``occurred_at`` (tunable ``incident_earliest_date``)."""
    raw = str(settings.TUNABLES.get("incident_earliest_date") or "1990-01-01")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(
            f"MINEWATCH_INCIDENT_EARLIEST_DATE={raw!r}: expected a date like 1990-01-01"
        ) from None


def _owner_id(actor: Any, site: Site | None) -> int:
    if site is not None:
        return site.organisation_id
    if getattr(actor, "organisation_id", None) is None:
        raise InvalidInput("your user belongs to no organisation", field="organisation")
    return actor.organisation_id


def may_set_confidentiality(actor: Any, owner_id: int) -> bool:
    """Only the owning organisation's managers (or a platform admin) decide who may read an
    incident: a contractor or an operator must not hide it from the owner's staff."""
    if getattr(actor, "is_superuser", False):
        return True
    return actor.organisation_id == owner_id and getattr(actor, "role", None) in MANAGERS


def _check_confidentiality(actor: Any, owner_id: int, current: str, wanted: str) -> None:
    if wanted != current and not may_set_confidentiality(actor, owner_id):
        raise NotAllowed(
            gettext(
                "only a security manager or admin of the owning organisation may change "
                "the confidentiality"
            ),
            field="confidentiality",
        )


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
    owner_id = _owner_id(actor, clean["site"])
    wanted = clean.get("confidentiality") or Confidentiality.INTERNAL
    _check_confidentiality(actor, owner_id, Confidentiality.INTERNAL, wanted)
    with transaction.atomic():
        incident = Incident(organisation_id=owner_id, reporter=actor, **clean)
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
        _check_confidentiality(
            actor, locked.organisation_id, locked.confidentiality, clean["confidentiality"]
        )
        note = (
            f"confidentiality: {locked.confidentiality} → {clean['confidentiality']}"
            if clean["confidentiality"] != locked.confidentiality
            else ""
        )
        before = audit.snapshot(locked)
        for name, value in clean.items():
            setattr(locked, name, value)
        if clean["site"] and clean["site"].organisation_id != locked.organisation_id:
            raise InvalidInput("the site belongs to another organisation", field="site")
        locked.region = region_for(locked.lat, locked.lon)
        locked.full_clean()
        locked.save()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), note=note)  # fmt: skip
        _publish(locked, "incident.updated")
    return locked


def record_police_notified(
    incident_id: int, *, at: dt.datetime, actor: Any = None, note: str = ""
) -> bool:
    """The police were told about the incident at ``at``; the earliest time is the record.

    The one door to ``police_notified_at`` for other apps: the alerts app calls it
    whenever a linked alert learns of a notification (a call logged by hand, a ladder
    step that reached the police, a protocol step ticked), at any time. The caller
    has checked its own role (the escalation ladder has no actor). Returns whether the
    record changed; a time before the incident occurred is ignored (it would be refused
    as ``police_notified_at`` on the incident itself).
    """
    with transaction.atomic():
        locked = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if locked is None or at < locked.occurred_at:
            return False
        if locked.police_notified_at is not None and locked.police_notified_at <= at:
            return False
        before = audit.snapshot(locked)
        locked.police_notified_at = at
        locked.save(update_fields=["police_notified_at", "updated_at"])
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), note=note or "police notified")  # fmt: skip
        _publish(locked, "incident.updated")
    return True


def allowed_transitions(incident: Incident) -> list[str]:
    """The statuses an incident may move to from where it is."""
    return sorted(ALLOWED_TRANSITIONS[IncidentStatus(incident.status)])


def change_status(
    incident: Incident, *, actor: Any, to_status: str, note: str = "",
    complaint_number: str | None = None, police_unit: str | None = None,
) -> Incident:  # fmt: skip
    """Move an incident along the workflow; an illegal step raises InvalidTransition (409).

    Referring it to the authorities needs the complaint number and the police unit that
    took it (given here, or already on the incident).
    """
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
        fields = ["status", "updated_at"]
        if to_status == IncidentStatus.REFERRED_TO_AUTHORITIES:
            fields += _referral(locked, complaint_number, police_unit)
        IncidentStatusChange.objects.create(
            incident=locked, from_status=locked.status, to_status=to_status, actor=actor, note=note
        )
        locked.status = to_status
        locked.save(update_fields=fields)
        audit.record(actor=actor, action=AuditAction.TRANSITION, instance=locked, before=before,
                     after=audit.snapshot(locked), note=note)  # fmt: skip
        _publish(locked, "incident.status_changed")
    return locked


def _referral(
    incident: Incident, complaint_number: str | None, police_unit: str | None
) -> list[str]:
    """Set the complaint number and police unit of a referral; both are required."""
    labels = {"complaint_number": gettext("the complaint number (denuncia)"),
              "police_unit": gettext("the police unit that took the complaint")}  # fmt: skip
    changed = []
    for name, given, limit in (("complaint_number", complaint_number, 64),
                               ("police_unit", police_unit, 200)):  # fmt: skip
        value = (given if given is not None else getattr(incident, name) or "").strip()
        if not value:
            raise InvalidInput(
                gettext("referring to the authorities needs %(what)s") % {"what": labels[name]},
                field=name,
            )
        if len(value) > limit:
            raise InvalidInput(gettext("at most %(n)s characters") % {"n": limit}, field=name)
        if value != getattr(incident, name):
            setattr(incident, name, value)
            changed.append(name)
    return changed
