"""STIX 2.1 bundles of threat actors, intelligence reports and incidents (``stix2`` library).

What goes out (docs/sharing.md, "STIX 2.1"):

* ``threat-actor`` per actor (name, aliases, the actor kind as ``threat_actor_types``);
* ``incident`` per incident, with the MineWatch incident extension (threat, type,
  ACLED/GTD mapping, severity, assailants, weapons, modus operandi tags, fatalities,
  time and its precision) — :data:`INCIDENT_EXTENSION_ID`;
* ``report`` per intelligence report; the Admiralty grade goes in ``confidence``
  (STIX 2.1 Appendix A, "Admiralty Credibility" scale) and, whole, in the MineWatch
  Admiralty extension — :data:`ADMIRALTY_EXTENSION_ID`;
* ``location`` per incident and report (precision in metres), ``sighting`` of an actor
  where an incident linked to it happened, ``relationship`` incident→actor
  (``attributed-to``) and incident/report→location (``located-at``);
* one ``identity`` (the producing organisation), the two extension definitions, and the
  TLP 2.0 marking definitions used. Every object but the marking definitions carries
  ``object_marking_refs`` with exactly one TLP level.

Ids are derived (SHA-256, shaped as UUIDv4) from the producer's name and the record's reference, so a record exported
twice keeps its id (a partner de-duplicates by id) and two producers never collide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import stix2

from minewatch.sharing.engine import tlp

# Fixed ids: a partner's tool recognises our extensions by id, whoever produced the bundle.
MINEWATCH_IDENTITY_ID = "identity--5b0d8c8e-4f3a-4d1e-9a57-0c2d6f9e1a01"
INCIDENT_EXTENSION_ID = "extension-definition--7f1f3c2a-9a4e-4b8e-8a61-2f7d1c0b5e11"
ADMIRALTY_EXTENSION_ID = "extension-definition--3c6a0e9b-1d2f-4e7a-b5c8-9f0e4d2a6b22"
ID_NAMESPACE = uuid.UUID("0f6c1a7e-3b52-4d0b-9d7e-6a1f8c2e4b90")

INCIDENT_EXTENSION_SCHEMA = (
    "MineWatch incident extension 1.0 (docs/sharing.md#incident-extension): threat, "
    "incident_type (MineWatch taxonomy codes), acled_event_type, acled_sub_event_type, "
    "gtd_attack_type, severity (1-5), occurred_at, time_precision (minute|hour|day|month), "
    "assailants_min, assailants_max, weapons (list of codes), modus_operandi_tags (list), "
    "fatalities (integer)."
)
ADMIRALTY_EXTENSION_SCHEMA = (
    "MineWatch Admiralty extension 1.0 (docs/sharing.md#admiralty-extension): "
    "source_reliability (A-F), information_credibility (1-6), grade (e.g. B2)."
)

# STIX 2.1 Appendix A: Admiralty Credibility → confidence; 6 ("cannot be judged") has none.
ADMIRALTY_CONFIDENCE: dict[str, int | None] = {
    "1": 90, "2": 70, "3": 50, "4": 30, "5": 10, "6": None,
}  # fmt: skip

# Location precision of an incident → STIX ``location.precision`` in metres.
PRECISION_M: dict[str, float] = {
    "exact": 10.0, "approximate": 1000.0, "district": 10000.0, "region": 100000.0,
}  # fmt: skip

ACTOR_TYPES: dict[str, str] = {
    "criminal_organisation": "crime-syndicate",
    "illegal_mining_group": "criminal",
    "terrorist_remnant": "terrorist",
    "unknown_group": "unknown",
    "person": "criminal",
}


@dataclass(frozen=True)
class ActorFacts:
    """A threat actor as shared: no sources, no analyst notes beyond the description."""

    key: str
    name: str
    kind: str
    modified: dt.datetime
    tlp: str
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class IncidentFacts:
    """An incident as shared: its taxonomy, where (already generalised), when and how."""

    key: str
    title: str
    threat: str
    incident_type: str
    severity: int
    occurred_at: dt.datetime
    modified: dt.datetime
    lat: float
    lon: float
    tlp: str
    location_precision: str = "exact"
    time_precision: str = "minute"
    place: str = ""
    acled_event_type: str = ""
    acled_sub_event_type: str = ""
    gtd_attack_type: str = ""
    assailants_min: int | None = None
    assailants_max: int | None = None
    weapons: tuple[str, ...] = ()
    modus_operandi_tags: tuple[str, ...] = ()
    fatalities: int = 0
    actor_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportFacts:
    """A graded intelligence report as shared: what and how reliable, never from whom."""

    key: str
    title: str
    summary: str
    observed_at: dt.datetime
    modified: dt.datetime
    source_reliability: str
    information_credibility: str
    lat: float
    lon: float
    tlp: str
    actor_keys: tuple[str, ...] = ()
    incident_keys: tuple[str, ...] = ()


def stix_id(stix_type: str, producer: str, key: str) -> str:
    """A stable id derived from the producer and the record key.

    >>> stix_id("incident", "Org A", "INC-1") == stix_id("incident", "Org A", "INC-1")
    True
    """
    digest = hashlib.sha256(f"{ID_NAMESPACE}|{producer}|{stix_type}|{key}".encode()).digest()
    # Hash-derived bits with the version-4 marks: stable, and a UUIDv4 as STIX asks (§2.9).
    return f"{stix_type}--{uuid.UUID(bytes=digest[:16], version=4)}"


def _utc(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name}: a naive datetime; STIX times must be timezone-aware UTC")
    return moment.astimezone(dt.UTC)


def _plain(obj: Any) -> dict[str, Any]:
    return json.loads(obj.serialize())


class _Builder:
    """Collects objects for one producer, adding identity, extensions and TLP markings once."""

    def __init__(self, producer: str, now: dt.datetime) -> None:
        self.producer = producer
        self.now = _utc(now, "now")
        self.objects: dict[str, dict[str, Any]] = {}
        self.levels: set[str] = {"clear"}
        self.identity_id = stix_id("identity", producer, "self")

    def marking(self, level: str) -> list[str]:
        level = tlp.check_level(level)
        self.levels.add(level)
        return [tlp.MARKING_IDS[level]]

    def add(self, obj: Any) -> str:
        self.objects[obj.id] = _plain(obj)
        return obj.id

    def common(self, level: str, created: dt.datetime, modified: dt.datetime) -> dict[str, Any]:
        created = _utc(created, "created")
        return {
            "created_by_ref": self.identity_id,
            "created": created,
            "modified": max(created, _utc(modified, "modified")),
            "object_marking_refs": self.marking(level),
        }

    def location(self, key: str, lat: float, lon: float, precision_m: float, level: str,
                 modified: dt.datetime, place: str = "") -> str:  # fmt: skip
        return self.add(stix2.Location(
            id=stix_id("location", self.producer, key), latitude=round(lat, 6),
            longitude=round(lon, 6), precision=precision_m, country="PE",
            region="south-america", name=place or None,
            **self.common(level, modified, modified),
        ))  # fmt: skip

    def relationship(self, kind: str, source: str, target: str, level: str,
                     modified: dt.datetime) -> str:  # fmt: skip
        return self.add(stix2.Relationship(
            id=stix_id("relationship", self.producer, f"{source}|{kind}|{target}"),
            relationship_type=kind, source_ref=source, target_ref=target,
            **self.common(level, modified, modified),
        ))  # fmt: skip

    def fixed_objects(self) -> list[dict[str, Any]]:
        clear = [tlp.MARKING_IDS["clear"]]
        created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        project = stix2.Identity(
            id=MINEWATCH_IDENTITY_ID, name="MineWatch", identity_class="system",
            created=created, modified=created, object_marking_refs=clear,
        )  # fmt: skip
        producer = stix2.Identity(
            id=self.identity_id, name=self.producer, identity_class="organization",
            sectors=["mining"], created=created, modified=created, object_marking_refs=clear,
        )  # fmt: skip
        extensions = [
            stix2.ExtensionDefinition(
                id=ext_id,
                created_by_ref=MINEWATCH_IDENTITY_ID,
                name=name,
                schema=schema,
                description=schema,
                version="1.0.0",
                extension_types=["property-extension"],
                created=created,
                modified=created,
                object_marking_refs=clear,
            )  # fmt: skip
            for ext_id, name, schema in (
                (INCIDENT_EXTENSION_ID, "MineWatch incident", INCIDENT_EXTENSION_SCHEMA),
                (ADMIRALTY_EXTENSION_ID, "MineWatch Admiralty grade", ADMIRALTY_EXTENSION_SCHEMA),
            )
        ]
        markings = [tlp.marking_definition(level) for level in tlp.LEVELS if level in self.levels]
        return markings + [_plain(project), _plain(producer)] + [_plain(e) for e in extensions]


def _incident_extension(incident: IncidentFacts) -> dict[str, Any]:
    values: dict[str, Any] = {
        "extension_type": "property-extension",
        "threat": incident.threat,
        "incident_type": incident.incident_type,
        "severity": incident.severity,
        "occurred_at": _utc(incident.occurred_at, "occurred_at").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_precision": incident.time_precision,
        "fatalities": incident.fatalities,
    }
    # STIX forbids empty lists (§3.1 "empty arrays are not allowed"): an absent list is none.
    for name in ("weapons", "modus_operandi_tags"):
        if getattr(incident, name):
            values[name] = list(getattr(incident, name))
    for name in ("acled_event_type", "acled_sub_event_type", "gtd_attack_type"):
        if getattr(incident, name):
            values[name] = getattr(incident, name)
    for name in ("assailants_min", "assailants_max"):
        if getattr(incident, name) is not None:
            values[name] = getattr(incident, name)
    return values


def build_bundle(
    *, producer: str, now: dt.datetime, actors: Iterable[ActorFacts] = (),
    incidents: Iterable[IncidentFacts] = (), reports: Iterable[ReportFacts] = (),
) -> dict[str, Any]:  # fmt: skip
    """A STIX 2.1 bundle (a plain dict) of ``actors``, ``incidents`` and ``reports``.

    Links to actors or incidents that are not in the export are dropped, so a bundle
    never points at an object its reader cannot have. Raises ``ValueError`` on a naive
    datetime or an unknown TLP level.
    """
    builder = _Builder(producer, now)
    actor_ids: dict[str, str] = {}
    for actor in actors:
        actor_ids[actor.key] = builder.add(stix2.ThreatActor(
            id=stix_id("threat-actor", producer, actor.key), name=actor.name,
            aliases=list(actor.aliases) or None, description=actor.description or None,
            threat_actor_types=[ACTOR_TYPES.get(actor.kind, "unknown")],
            **builder.common(actor.tlp, actor.modified, actor.modified),
        ))  # fmt: skip
    incident_ids: dict[str, str] = {}
    for incident in incidents:
        incident_ids[incident.key] = _add_incident(builder, incident, actor_ids)
    for report in reports:
        _add_report(builder, report, actor_ids, incident_ids)
    objects = builder.fixed_objects() + list(builder.objects.values())
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}


def _add_incident(builder: _Builder, incident: IncidentFacts, actor_ids: dict[str, str]) -> str:
    occurred = _utc(incident.occurred_at, "occurred_at")
    common = builder.common(incident.tlp, incident.modified, incident.modified)
    incident_id = builder.add(stix2.Incident(
        id=stix_id("incident", builder.producer, incident.key), name=incident.title,
        extensions={INCIDENT_EXTENSION_ID: _incident_extension(incident)},
        allow_custom=True, **common,
    ))  # fmt: skip
    location_id = builder.location(
        f"incident|{incident.key}", incident.lat, incident.lon,
        PRECISION_M.get(incident.location_precision, 1000.0), incident.tlp, incident.modified,
        incident.place,
    )  # fmt: skip
    builder.relationship("located-at", incident_id, location_id, incident.tlp, incident.modified)
    for key in incident.actor_keys:
        actor_id = actor_ids.get(key)
        if actor_id is None:
            continue
        builder.relationship("attributed-to", incident_id, actor_id, incident.tlp,
                             incident.modified)  # fmt: skip
        builder.add(stix2.Sighting(
            id=stix_id("sighting", builder.producer, f"{incident.key}|{key}"),
            sighting_of_ref=actor_id, where_sighted_refs=[location_id],
            first_seen=occurred, last_seen=occurred, count=1,
            description=f"Linked to incident {incident.title}", **common,
        ))  # fmt: skip
    return incident_id


def _add_report(builder: _Builder, report: ReportFacts, actor_ids: dict[str, str],
                incident_ids: dict[str, str]) -> str:  # fmt: skip
    reliability, credibility = report.source_reliability, report.information_credibility
    if reliability not in "ABCDEF" or len(reliability) != 1:
        raise ValueError(f"source_reliability {reliability!r}: expected A-F")
    if credibility not in ADMIRALTY_CONFIDENCE:
        raise ValueError(f"information_credibility {credibility!r}: expected 1-6")
    location_id = builder.location(
        f"report|{report.key}", report.lat, report.lon, 1000.0, report.tlp, report.modified
    )
    refs = [location_id]
    refs += [actor_ids[key] for key in report.actor_keys if key in actor_ids]
    refs += [incident_ids[key] for key in report.incident_keys if key in incident_ids]
    confidence = ADMIRALTY_CONFIDENCE[credibility]
    extra = {} if confidence is None else {"confidence": confidence}
    return builder.add(stix2.Report(
        id=stix_id("report", builder.producer, report.key), name=report.title,
        description=report.summary or None, report_types=["threat-report"],
        published=_utc(report.observed_at, "observed_at"), object_refs=refs,
        extensions={ADMIRALTY_EXTENSION_ID: {
            "extension_type": "property-extension", "source_reliability": reliability,
            "information_credibility": credibility, "grade": f"{reliability}{credibility}",
        }},
        allow_custom=True, **extra, **builder.common(report.tlp, report.modified, report.modified),
    ))  # fmt: skip
