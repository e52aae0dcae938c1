"""Read side of sharing: what an organisation's exports contain, already limited by policy.

Every export starts from the organisation's own records (``organisation_id``), and, when
a user asks, from what that user may see (``core.tenancy.restrict``). Confidential
incidents and intelligence sources never enter any export.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from minewatch.core.models import Organisation
from minewatch.core.tenancy import restrict
from minewatch.incidents import taxonomy
from minewatch.incidents.choices import Confidentiality
from minewatch.incidents.models import Incident
from minewatch.intel.models import IncidentActor, IntelReport, ThreatActor
from minewatch.sharing.engine import policy, stix, tlp
from minewatch.sharing.engine.acled import AcledIncident
from minewatch.sharing.engine.research import ResearchIncident
from minewatch.sharing.engine.taxii import Entry
from minewatch.sharing.models import SharingAgreement, SharingSettings, TlpOverride

ALL_THREATS = tuple(threat.code for threat in taxonomy.THREATS)


@dataclass(frozen=True)
class ExportScope:
    """What one export lets out: threats, TLP ceiling, precision and which kinds."""

    threats: tuple[str, ...] = ALL_THREATS
    tlp_ceiling: str = "red"
    precision: str = "exact"
    include_incidents: bool = True
    include_actors: bool = True
    include_reports: bool = True
    since: dt.datetime | None = None

    @classmethod
    def for_agreement(cls, agreement: SharingAgreement) -> ExportScope:
        return cls(
            threats=tuple(agreement.threats), tlp_ceiling=agreement.tlp_ceiling,
            precision=agreement.precision, include_incidents=agreement.include_incidents,
            include_actors=agreement.include_actors, include_reports=agreement.include_reports,
        )  # fmt: skip


def settings_for(organisation_id: int) -> SharingSettings:
    """The organisation's sharing settings (created with the defaults on first use)."""
    found, _created = SharingSettings.objects.get_or_create(organisation_id=organisation_id)
    return found


def _overrides(organisation_id: int, kind: str) -> dict[int, str]:
    rows = TlpOverride.objects.filter(organisation_id=organisation_id, object_kind=kind)
    return dict(rows.values_list("object_id", "tlp"))


def _limited(queryset: QuerySet, user: Any | None) -> QuerySet:
    return queryset if user is None else restrict(queryset, user)


def shareable_incidents(organisation_id: int, scope: ExportScope,
                        user: Any | None = None) -> list[tuple[Incident, str]]:  # fmt: skip
    """The organisation's incidents ``scope`` lets out, each with its TLP level."""
    if not scope.include_incidents:
        return []
    default = settings_for(organisation_id).default_tlp
    overrides = _overrides(organisation_id, "incident")
    rows = Incident.objects.filter(organisation_id=organisation_id, threat__in=scope.threats)
    rows = rows.exclude(confidentiality=Confidentiality.CONFIDENTIAL).select_related("region")
    if scope.since is not None:
        rows = rows.filter(updated_at__gt=scope.since)
    chosen = []
    for incident in _limited(rows, user).order_by("occurred_at", "id"):
        level = policy.effective_tlp(override=overrides.get(incident.pk), default=default,
                                     confidentiality=incident.confidentiality)  # fmt: skip
        if policy.may_share(threat=incident.threat, level=level, ceiling=scope.tlp_ceiling,
                            threats=scope.threats, confidentiality=incident.confidentiality):  # fmt: skip
            chosen.append((incident, level))
    return chosen


def _actor_links(incident_ids: list[int], actor_ids: set[int]) -> dict[int, list[int]]:
    links: dict[int, list[int]] = defaultdict(list)
    rows = IncidentActor.objects.filter(incident_id__in=incident_ids, actor_id__in=actor_ids)
    for incident_id, actor_id in rows.values_list("incident_id", "actor_id"):
        links[incident_id].append(actor_id)
    return links


def shareable_actors(organisation_id: int, scope: ExportScope,
                     user: Any | None = None) -> list[tuple[ThreatActor, str]]:  # fmt: skip
    """The organisation's threat actors within the TLP ceiling (names and aliases, no sources)."""
    if not scope.include_actors:
        return []
    default = settings_for(organisation_id).default_tlp
    overrides = _overrides(organisation_id, "threat_actor")
    rows = _limited(ThreatActor.objects.filter(organisation_id=organisation_id), user)
    if scope.since is not None:
        rows = rows.filter(updated_at__gt=scope.since)
    chosen = []
    for actor in rows.order_by("name"):
        level = policy.effective_tlp(override=overrides.get(actor.pk), default=default)
        if tlp.within_ceiling(level, scope.tlp_ceiling):
            chosen.append((actor, level))
    return chosen


def shareable_reports(organisation_id: int, scope: ExportScope,
                      user: Any | None = None) -> list[tuple[IntelReport, str]]:  # fmt: skip
    """The organisation's graded reports within the ceiling; their source never leaves."""
    if not scope.include_reports:
        return []
    default = settings_for(organisation_id).default_tlp
    overrides = _overrides(organisation_id, "intel_report")
    rows = _limited(IntelReport.objects.filter(organisation_id=organisation_id), user)
    if scope.since is not None:
        rows = rows.filter(updated_at__gt=scope.since)
    chosen = []
    for report in rows.order_by("observed_at", "id").prefetch_related("actors", "incidents"):
        level = policy.effective_tlp(override=overrides.get(report.pk), default=default)
        if tlp.within_ceiling(level, scope.tlp_ceiling):
            chosen.append((report, level))
    return chosen


def _incident_facts(incident: Incident, level: str, precision: str,
                    actor_ids: list[int]) -> stix.IncidentFacts:  # fmt: skip
    kind = taxonomy.TYPES_BY_CODE.get(incident.incident_type)
    lat, lon = policy.generalise_point(incident.lat, incident.lon, precision)
    return stix.IncidentFacts(
        key=incident.reference, title=incident.title, threat=incident.threat,
        incident_type=incident.incident_type, severity=incident.severity,
        occurred_at=incident.occurred_at, modified=incident.updated_at, lat=lat, lon=lon,
        tlp=level, time_precision=incident.occurred_at_precision,
        location_precision=policy.shared_location_precision(incident.location_precision, precision),
        place=incident.region.name if incident.region else "",
        acled_event_type=kind.acled_event_type if kind else "",
        acled_sub_event_type=kind.acled_sub_event_type if kind else "",
        gtd_attack_type=kind.gtd_attack_type if kind else "",
        assailants_min=incident.assailants_min, assailants_max=incident.assailants_max,
        weapons=tuple(incident.weapons or ()),
        modus_operandi_tags=tuple(incident.modus_operandi_tags or ()),
        fatalities=incident.fatalities, actor_keys=tuple(f"actor-{pk}" for pk in actor_ids),
    )  # fmt: skip


def stix_bundle(organisation_id: int, scope: ExportScope, *, user: Any | None = None,
                now: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """A STIX 2.1 bundle of what ``scope`` lets out of the organisation's records."""
    producer = Organisation.objects.get(pk=organisation_id).name
    actors = shareable_actors(organisation_id, scope, user)
    incidents = shareable_incidents(organisation_id, scope, user)
    reports = shareable_reports(organisation_id, scope, user)
    actor_ids = {actor.pk for actor, _level in actors}
    links = _actor_links([incident.pk for incident, _level in incidents], actor_ids)
    incident_refs = {incident.pk for incident, _level in incidents}
    return stix.build_bundle(
        producer=producer, now=now or timezone.now(),
        actors=[stix.ActorFacts(
            key=f"actor-{actor.pk}", name=actor.name, kind=actor.kind,
            aliases=tuple(actor.aliases or ()), description=actor.description,
            modified=actor.updated_at, tlp=level,
        ) for actor, level in actors],
        incidents=[_incident_facts(incident, level, scope.precision, links.get(incident.pk, []))
                   for incident, level in incidents],
        reports=[stix.ReportFacts(
            key=report.reference, title=report.title, summary=report.summary,
            observed_at=report.observed_at, modified=report.updated_at,
            source_reliability=report.source_reliability,
            information_credibility=report.information_credibility,
            lat=policy.generalise_point(report.lat, report.lon, scope.precision)[0],
            lon=policy.generalise_point(report.lat, report.lon, scope.precision)[1], tlp=level,
            actor_keys=tuple(f"actor-{a.pk}" for a in report.actors.all() if a.pk in actor_ids),
            incident_keys=tuple(i.reference for i in report.incidents.all()
                                if i.pk in incident_refs),
        ) for report, level in reports],
    )  # fmt: skip


def agreements_readable_by(user: Any) -> QuerySet:
    """Active, unexpired agreements whose collection ``user`` may read (partner side or own)."""
    today = timezone.localdate()
    rows = restrict(SharingAgreement.objects.filter(is_active=True), user)
    return rows.exclude(valid_until__lt=today).order_by("name")


# Building a bundle with the stix2 library costs ~10 ms per object, so a TAXII client paging
# through a collection must not rebuild it per page: entries are kept per collection and
# version (any change to what the collection holds gives a new version). Per process, small.
_ENTRIES_CACHE: OrderedDict[tuple[Any, ...], list[Entry]] = OrderedDict()
_ENTRIES_CACHE_SIZE = 16


def _collection_version(agreement: SharingAgreement) -> tuple[Any, ...]:
    """What the collection's contents depend on, cheaply: any write changes one of these."""
    org_id = agreement.organisation_id
    stamps = [
        model.objects.filter(organisation_id=org_id).aggregate(Max("updated_at"), Count("pk"))
        for model in (Incident, ThreatActor, IntelReport)
    ]
    links = IncidentActor.objects.filter(actor__organisation_id=org_id).aggregate(
        Count("pk"), Max("pk")
    )
    overrides = tuple(TlpOverride.objects.filter(organisation_id=org_id).order_by("pk")
                      .values_list("pk", "tlp"))  # fmt: skip
    settings_row = settings_for(org_id)
    scope = ExportScope.for_agreement(agreement)
    return (agreement.pk, scope, tuple(tuple(sorted(s.items())) for s in stamps),
            tuple(sorted(links.items())), overrides, settings_row.default_tlp,
            settings_row.updated_at)  # fmt: skip


def collection_entries(agreement: SharingAgreement) -> list[Entry]:
    """Every object of the agreement's collection with its date added (its last change), oldest first.

    Marking and extension definitions date from 2026-01-01; a client that asks only for
    what was added after a time still gets what changed.
    """
    version = _collection_version(agreement)
    cached = _ENTRIES_CACHE.get(version)
    if cached is not None:
        _ENTRIES_CACHE.move_to_end(version)
        return cached
    bundle = stix_bundle(agreement.organisation_id, ExportScope.for_agreement(agreement))
    fixed = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    entries = []
    for obj in bundle["objects"]:
        stamp = obj.get("modified") or obj.get("created")
        entries.append(Entry(date_added=tlp_time(stamp) if stamp else fixed, stix=obj))
    entries.sort(key=lambda entry: entry.cursor)
    _ENTRIES_CACHE[version] = entries
    while len(_ENTRIES_CACHE) > _ENTRIES_CACHE_SIZE:
        _ENTRIES_CACHE.popitem(last=False)
    return entries


def tlp_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def acled_incidents(organisation_id: int, scope: ExportScope,
                    user: Any | None = None) -> list[AcledIncident]:  # fmt: skip
    """The organisation's shareable incidents as ACLED inputs (actor names from real links)."""
    incidents = shareable_incidents(organisation_id, scope, user)
    actor_names: dict[int, list[str]] = defaultdict(list)
    rows = IncidentActor.objects.filter(
        incident_id__in=[incident.pk for incident, _level in incidents],
        actor__organisation_id=organisation_id,
    ).values_list("incident_id", "actor__name")
    for incident_id, name in rows:
        actor_names[incident_id].append(name)
    out = []
    for incident, _level in incidents:
        kind = taxonomy.TYPES_BY_CODE[incident.incident_type]
        lat, lon = policy.generalise_point(incident.lat, incident.lon, scope.precision)
        out.append(AcledIncident(
            reference=incident.reference, occurred_at=incident.occurred_at,
            time_precision=incident.occurred_at_precision, threat=incident.threat,
            incident_type=incident.incident_type, event_type=kind.acled_event_type,
            sub_event_type=kind.acled_sub_event_type, lat=lat, lon=lon,
            location_precision=policy.shared_location_precision(
                incident.location_precision, scope.precision),
            location=incident.region.name if incident.region else "",
            admin1=incident.region.name if incident.region else "", notes=incident.title,
            fatalities=incident.fatalities, modified=incident.updated_at,
            actors=tuple(sorted(actor_names.get(incident.pk, []))),
        ))  # fmt: skip
    return out


def acled_type_pairs() -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(ACLED event type, sub-event type) → the (threat, type) codes the taxonomy maps to it."""
    pairs: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for kind in taxonomy.INCIDENT_TYPES:
        pairs[(kind.acled_event_type, kind.acled_sub_event_type)].add((kind.threat, kind.code))
    return pairs


def known_codes() -> tuple[set[str], set[str]]:
    return set(ALL_THREATS), set(taxonomy.TYPES_BY_CODE)


def research_incidents(organisation_id: int, user: Any | None = None) -> Iterable[ResearchIncident]:
    """The facts the research export may use: never names, narratives, sources or confidential rows.

    Only ``values_list`` of the listed columns is read, so nothing else can slip through.
    """
    rows = Incident.objects.filter(organisation_id=organisation_id).exclude(
        confidentiality=Confidentiality.CONFIDENTIAL
    )
    columns = ("occurred_at", "lat", "lon", "region__ubigeo", "threat", "incident_type",
               "severity", "fatalities", "injured_staff", "injured_contractors",
               "injured_security", "injured_police", "injured_community", "injured_assailants",
               "kidnapped")  # fmt: skip
    for values in _limited(rows, user).values_list(*columns).iterator(chunk_size=2000):
        (occurred_at, lat, lon, ubigeo, threat, incident_type, severity, fatalities,
         *injured, kidnapped) = values  # fmt: skip
        yield ResearchIncident(
            occurred_at=occurred_at, lat=lat, lon=lon, region_ubigeo=(ubigeo or "")[:2],
            threat=threat, incident_type=incident_type, severity=severity,
            fatalities=fatalities, injured=sum(injured), kidnapped=kidnapped,
        )  # fmt: skip
