"""Every write of the intel app: sources, reports, actors and their links, early warnings."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from minewatch.core import audit
from minewatch.core.checks import organisation_id as _organisation_id
from minewatch.core.checks import require as _require
from minewatch.core.checks import visible
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.events import Event, publish
from minewatch.core.roles import has_capability
from minewatch.geo.models import Site
from minewatch.incidents.models import Incident
from minewatch.intel import validation
from minewatch.intel.choices import IncidentRole, WarningStatus
from minewatch.intel.models import (
    ActorLink,
    EarlyWarning,
    IncidentActor,
    IntelReport,
    IntelSource,
    ThreatActor,
)

REPORT_FIELDS = (
    "title", "summary", "details", "geometry", "lat", "lon", "observed_at", "reported_at",
    "valid_until", "source_reliability", "information_credibility", "source", "actors", "sites",
    "incidents", "is_synthetic",
)  # fmt: skip


def visible_many(actor: Any, model: type[models.Model], values: Iterable[Any] | None, field: str):
    """Every record of ``values`` the actor may see; one unknown id fails the whole write."""
    return [visible(actor, model, value, field) for value in values or []]


def _saved(instance: models.Model, *, actor: Any, before: dict[str, Any] | None) -> None:
    instance.full_clean()
    instance.save()
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=instance, before=before, after=audit.snapshot(instance))  # fmt: skip


@transaction.atomic
def save_source(
    *, actor: Any, name: str, source: IntelSource | None = None, handler: Any = None,
    contact: str = "", notes: str = "", is_active: bool = True,
) -> IntelSource:  # fmt: skip
    """Create or update a protected source (only roles with ``see_sources``)."""
    _require(actor, "see_sources", "manage intelligence sources")
    if not (name or "").strip():
        raise InvalidInput("a name or code name is required", field="name")
    if handler is not None and getattr(handler, "organisation_id", None) != actor.organisation_id:
        raise InvalidInput("the handler must belong to your organisation", field="handler")
    before = audit.snapshot(source) if source else None
    source = source or IntelSource(organisation_id=_organisation_id(actor))
    source.name, source.handler, source.contact = name.strip(), handler, contact
    source.notes, source.is_active = notes, is_active
    _saved(source, actor=actor, before=before)
    return source


def _clean_report(actor: Any, values: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    unknown = set(values) - set(REPORT_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    clean = dict(values)
    if not (clean.get("title") or "").strip():
        raise InvalidInput("a title is required", field="title")
    if not (clean.get("summary") or "").strip():
        raise InvalidInput("say what was learnt", field="summary")
    clean["source_reliability"], clean["information_credibility"] = validation.check_grade(
        clean.get("source_reliability"), clean.get("information_credibility")
    )
    clean["geometry"], shape, clean["lat"], clean["lon"] = validation.check_location(
        clean.get("geometry"), clean.get("lat"), clean.get("lon")
    )
    clean["bounds"] = shape.bounds
    clean["reported_at"] = clean.get("reported_at") or now
    validation.check_report_times(clean, now, int(settings.TUNABLES["clock_skew_s"]))
    if clean.get("source") not in (None, "") and not has_capability(actor, "see_sources"):
        raise InvalidInput("your role cannot attach sources", field="source")
    clean["source"] = visible(actor, IntelSource, clean.get("source"), "source")
    clean["actors"] = visible_many(actor, ThreatActor, clean.get("actors"), "actors")
    clean["sites"] = visible_many(actor, Site, clean.get("sites"), "sites")
    clean["incidents"] = visible_many(actor, Incident, clean.get("incidents"), "incidents")
    return clean


def _write_report(report: IntelReport, clean: dict[str, Any]) -> None:
    relations = {name: clean.pop(name) for name in ("actors", "sites", "incidents")}
    report.min_lon, report.min_lat, report.max_lon, report.max_lat = clean.pop("bounds")
    for name, value in clean.items():
        setattr(report, name, value)
    report.full_clean()
    report.save()
    for name, records in relations.items():
        getattr(report, name).set(records)


def _publish_report(report: IntelReport, name: str) -> None:
    payload = {"id": report.pk, "reference": report.reference, "grade": report.grade,
               "weight": report.weight, "lat": report.lat, "lon": report.lon,
               "observed_at": report.observed_at.isoformat()}  # fmt: skip
    publish(Event(name, report.organisation_id, payload))


def report_intel(*, actor: Any, now: dt.datetime | None = None, **values: Any) -> IntelReport:
    """Record an intelligence report graded with the Admiralty code; published ``intel_report.created``.

    Raises InvalidInput naming the field (e.g. ``source_reliability`` for a grade outside A–F);
    nothing is stored then.
    """
    _require(actor, "analyse", "record intelligence")
    now = now or timezone.now()
    clean = _clean_report(actor, values, now)
    with transaction.atomic():
        report = IntelReport(organisation_id=_organisation_id(actor), author=actor,
                             reference=f"INT-{now.year}-{secrets.token_hex(3).upper()}")  # fmt: skip
        _write_report(report, clean)
        audit.record(actor=actor, action=AuditAction.CREATE, instance=report,
                     after=audit.snapshot(report))  # fmt: skip
        _publish_report(report, "intel_report.created")
    return report


def update_report(report: IntelReport, *, actor: Any, **values: Any) -> IntelReport:
    """Change a report's facts or grade; the audit entry keeps before and after."""
    _require(actor, "analyse", "edit intelligence")
    current: dict[str, Any] = {
        name: getattr(report, name) for name in REPORT_FIELDS if name not in {"lat", "lon"}
    }
    for name in ("actors", "sites", "incidents"):
        current[name] = list(getattr(report, name).all())
    if "lat" in values or "lon" in values:
        current["geometry"] = None
    clean = _clean_report(actor, {**current, **values}, timezone.now())
    with transaction.atomic():
        locked = IntelReport.objects.select_for_update().get(pk=report.pk)
        before = audit.snapshot(locked)
        _write_report(locked, clean)
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked))  # fmt: skip
        _publish_report(locked, "intel_report.updated")
    return locked


@transaction.atomic
def save_actor(
    *, actor: Any, name: str, kind: str, threat_actor: ThreatActor | None = None,
    aliases: list[str] | None = None, geometry: dict[str, Any] | None = None,
    modus_operandi: str = "", description: str = "", incidents: Iterable[Any] | None = None,
    is_synthetic: bool = False,
) -> ThreatActor:  # fmt: skip
    """Create or update a threat actor; ``incidents`` (when given) replaces its incident links."""
    _require(actor, "analyse", "manage threat actors")
    if not (name or "").strip():
        raise InvalidInput("a name is required", field="name")
    clean_aliases = validation.check_actor_values(kind, aliases)
    area, shape = validation.check_area(geometry)
    linked = None if incidents is None else visible_many(actor, Incident, incidents, "incidents")
    before = audit.snapshot(threat_actor) if threat_actor else None
    record = threat_actor or ThreatActor(organisation_id=_organisation_id(actor))
    record.name, record.kind, record.aliases = name.strip(), kind, clean_aliases
    record.modus_operandi, record.description, record.geometry = modus_operandi, description, area
    record.is_synthetic = is_synthetic
    record.min_lon, record.min_lat, record.max_lon, record.max_lat = (
        shape.bounds if shape is not None else (None, None, None, None)
    )
    _saved(record, actor=actor, before=before)
    if linked is not None:
        IncidentActor.objects.filter(actor=record).exclude(incident__in=linked).delete()
        for incident in linked:
            IncidentActor.objects.get_or_create(actor=record, incident=incident)
    return record


@transaction.atomic
def link_actor_to_incident(
    *, actor: Any, threat_actor: ThreatActor, incident: Any, role: str = IncidentRole.SUSPECTED,
    note: str = "",
) -> IncidentActor:  # fmt: skip
    """Link a real actor to an incident the user can see (the incident itself is not changed)."""
    _require(actor, "analyse", "link actors to incidents")
    visible(actor, ThreatActor, threat_actor, "actor")
    found = visible(actor, Incident, incident, "incident")
    if found is None:
        raise InvalidInput("an incident is required", field="incident")
    if len(note or "") > 300:
        raise InvalidInput("at most 300 characters", field="note")
    if role not in IncidentRole.values:
        raise InvalidInput(f"unknown role {role!r}", field="role")
    link, _created = IncidentActor.objects.update_or_create(
        actor=threat_actor, incident=found, defaults={"role": role, "note": note}
    )
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=threat_actor,
                 note=f"linked to incident {found.reference} as {role}")  # fmt: skip
    return link


@transaction.atomic
def link_actors(
    *, actor: Any, from_actor: Any, to_actor: Any, relation: str, evidence: str = "",
    source: Any = None, report: Any = None, confidence: Any = 0.5,
) -> ActorLink:  # fmt: skip
    """Record (or refresh) a link between two actors with its evidence and confidence (0..1)."""
    _require(actor, "analyse", "link actors")
    first = visible(actor, ThreatActor, from_actor, "from_actor")
    second = visible(actor, ThreatActor, to_actor, "to_actor")
    if first is None or second is None:
        raise InvalidInput("both actors are required", field="to_actor" if first else "from_actor")
    if first.pk == second.pk:
        raise InvalidInput("an actor cannot be linked to itself", field="to_actor")
    value = validation.check_link_values(relation, confidence)
    link = ActorLink.objects.filter(from_actor=first, to_actor=second, relation=relation).first()
    before = audit.snapshot(link) if link else None
    link = link or ActorLink(organisation_id=first.organisation_id, from_actor=first,
                             to_actor=second, relation=relation)  # fmt: skip
    link.evidence, link.confidence = evidence, value
    link.source = visible(actor, IntelSource, source, "source")
    link.report = visible(actor, IntelReport, report, "report")
    _saved(link, actor=actor, before=before)
    return link


@transaction.atomic
def set_warning_status(warning: EarlyWarning, *, actor: Any, status: str) -> EarlyWarning:
    """Acknowledge or close an early warning (operators and managers)."""
    _require(actor, "operate", "handle early warnings")
    if status not in WarningStatus.values:
        raise InvalidInput(f"unknown status {status!r}", field="status")
    before = audit.snapshot(warning)
    warning.status = status
    warning.save(update_fields=["status"])
    audit.record(actor=actor, action=AuditAction.TRANSITION, instance=warning, before=before,
                 after=audit.snapshot(warning))  # fmt: skip
    return warning


TRIAGE_DECISIONS = ("accept", "dismiss", "link")


@transaction.atomic
def triage_warning(
    warning: EarlyWarning, *, actor: Any, decision: str, incident: Any = None, note: str = ""
) -> EarlyWarning:
    """An analyst (or operator, or manager) decides on an early warning.

    ``accept``: it is real and being handled (acknowledged); ``dismiss``: not a threat
    (closed); ``link``: it belongs to an incident the actor may see, which is added to the
    warning's incidents (acknowledged). Audited with the decision and the note.
    """
    from django.utils.translation import gettext

    from minewatch.core.tenancy import restrict

    if not (has_capability(actor, "analyse") or has_capability(actor, "operate")):
        raise NotAllowed(gettext("your role cannot triage early warnings"), field="role")
    if decision not in TRIAGE_DECISIONS:
        raise InvalidInput(
            gettext("unknown decision %(value)r; choose accept, dismiss or link")
            % {"value": decision},
            field="decision",
        )
    linked = None
    if decision == "link":
        if incident in (None, ""):
            raise InvalidInput(gettext("choose the incident to link"), field="incident")
        incident_id = getattr(incident, "pk", incident)
        try:
            linked = restrict(Incident.objects.all(), actor).filter(pk=int(incident_id)).first()
        except (TypeError, ValueError):
            linked = None
        if linked is None:
            raise InvalidInput(
                gettext("unknown incident %(value)r") % {"value": incident_id}, field="incident"
            )
        if linked.organisation_id != warning.organisation_id:
            raise InvalidInput(
                gettext("the incident belongs to another organisation"), field="incident"
            )
    before = audit.snapshot(warning)
    warning.status = WarningStatus.CLOSED if decision == "dismiss" else WarningStatus.ACKNOWLEDGED
    warning.save(update_fields=["status"])
    if linked is not None:
        warning.incidents.add(linked)
    text = f"{decision}: {linked.reference}" if linked is not None else decision
    audit.record(actor=actor, action=AuditAction.TRANSITION, instance=warning, before=before,
                 after=audit.snapshot(warning), note=f"{text} {note}".strip()[:500])  # fmt: skip
    return warning
