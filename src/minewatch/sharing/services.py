"""Every write of the sharing app: settings, TLP overrides, groups, agreements, imports."""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q

from minewatch.core import audit
from minewatch.core.checks import organisation_id as actor_organisation_id
from minewatch.core.checks import require, visible
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.models import Organisation
from minewatch.incidents import taxonomy
from minewatch.incidents.models import Incident
from minewatch.intel.models import IntelReport, ThreatActor
from minewatch.sharing import queries
from minewatch.sharing.choices import SharedKind, SharedPrecision, TlpLevel, TlpObjectKind
from minewatch.sharing.engine import acled, policy, stix_import
from minewatch.sharing.models import (
    AcledEvent,
    ExternalIntel,
    GroupMembership,
    SharedRecord,
    SharingAgreement,
    SharingGroup,
    SharingSettings,
    TlpOverride,
)

OBJECT_MODELS: dict[str, type[models.Model]] = {
    TlpObjectKind.INCIDENT: Incident,
    TlpObjectKind.THREAT_ACTOR: ThreatActor,
    TlpObjectKind.INTEL_REPORT: IntelReport,
}


def _saved(instance: models.Model, *, actor: Any, before: dict[str, Any] | None,
           organisation_id: int | None = None) -> None:  # fmt: skip
    instance.full_clean()
    instance.save()
    audit.record(actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
                 instance=instance, before=before, after=audit.snapshot(instance),
                 organisation_id=organisation_id)  # fmt: skip


def _choice(value: Any, choices: type[models.TextChoices], field: str) -> str:
    if value not in choices.values:
        raise InvalidInput(f"unknown value {value!r}; expected one of "
                           f"{', '.join(choices.values)}", field=field)  # fmt: skip
    return str(value)


def _threats(values: Any, field: str = "threats") -> list[str]:
    if not isinstance(values, list | tuple):
        raise InvalidInput("expected a list of threat codes", field=field)
    unknown = [value for value in values if value not in queries.ALL_THREATS]
    if unknown:
        raise InvalidInput(f"unknown threat(s) {unknown}; expected some of "
                           f"{', '.join(queries.ALL_THREATS)}", field=field)  # fmt: skip
    return sorted(set(values))


def _scope_organisation(actor: Any, organisation: Organisation | None) -> int:
    """The organisation a write acts for: the user's own; the CLI (no user) names one."""
    if actor is not None:
        require(actor, "share", "share information outside your organisation")
        return actor_organisation_id(actor)
    if organisation is None:
        raise InvalidInput("name the organisation", field="organisation")
    return organisation.pk


@transaction.atomic
def save_settings(*, actor: Any, organisation: Organisation | None = None,
                  **values: Any) -> SharingSettings:  # fmt: skip
    """Change the organisation's default TLP and research-export k and generalisation."""
    org_id = _scope_organisation(actor, organisation)
    record = queries.settings_for(org_id)
    before = audit.snapshot(record)
    allowed = {"default_tlp", "research_k", "research_generalisation", "research_grid_deg"}
    unknown = set(values) - allowed
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    if "default_tlp" in values:
        record.default_tlp = _choice(values["default_tlp"], TlpLevel, "default_tlp")
    for name in allowed - {"default_tlp"}:
        if name in values:
            setattr(record, name, values[name])
    try:
        _saved(record, actor=actor, before=before)
    except Exception as exc:  # ValidationError → the named field
        _raise_validation(exc)
    return record


def _raise_validation(exc: Exception) -> None:
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        name, errors = next(iter(exc.error_dict.items()))
        raise InvalidInput(
            "; ".join(str(m) for e in errors for m in e.messages), field=name
        ) from None
    raise exc


@transaction.atomic
def set_tlp(*, actor: Any, object_kind: str, object_id: int, tlp: str) -> TlpOverride | None:
    """Mark one incident, actor or report with a TLP level ("" returns it to the default)."""
    require(actor, "share", "set TLP markings")
    actor_organisation_id(actor)
    kind = _choice(object_kind, TlpObjectKind, "object_kind")
    record = visible(actor, OBJECT_MODELS[kind], object_id, "object_id")
    if record is None or record.organisation_id != actor.organisation_id:
        raise InvalidInput(f"unknown {kind} {object_id!r}", field="object_id")
    found = TlpOverride.objects.filter(organisation_id=actor.organisation_id, object_kind=kind,
                                       object_id=record.pk).first()  # fmt: skip
    if not tlp:
        if found is not None:
            audit.record(actor=actor, action=AuditAction.DELETE, instance=found,
                         before=audit.snapshot(found))  # fmt: skip
            found.delete()
        return None
    before = audit.snapshot(found) if found else None
    found = found or TlpOverride(organisation_id=actor.organisation_id, object_kind=kind,
                                 object_id=record.pk)  # fmt: skip
    found.tlp = _choice(tlp, TlpLevel, "tlp")
    _saved(found, actor=actor, before=before)
    return found


@transaction.atomic
def create_group(*, actor: Any, name: str, description: str = "") -> SharingGroup:
    """A new sharing group convened by the actor's organisation, which joins it (sharing nothing yet)."""
    require(actor, "share", "create sharing groups")
    actor_organisation_id(actor)
    if not (name or "").strip():
        raise InvalidInput("a name is required", field="name")
    if SharingGroup.objects.filter(name=name.strip()).exists():
        raise InvalidInput(f"a group named {name.strip()!r} exists", field="name")
    group = SharingGroup(organisation_id=actor.organisation_id, name=name.strip(),
                         description=description)  # fmt: skip
    _saved(group, actor=actor, before=None)
    add_member(actor=actor, group=group, organisation=actor.organisation)
    return group


@transaction.atomic
def add_member(*, actor: Any, group: SharingGroup, organisation: Organisation) -> GroupMembership:
    """Admit an organisation (the convenor's decision); it shares nothing until it chooses."""
    require(actor, "share", "admit members")
    actor_organisation_id(actor)
    if group.organisation_id != actor.organisation_id:
        raise NotAllowed("only the group's convenor admits members", field="group")
    membership, created = GroupMembership.objects.get_or_create(
        group=group, organisation=organisation, defaults={"is_active": True}
    )
    if created:
        audit.record(actor=actor, action=AuditAction.CREATE, instance=membership,
                     after=audit.snapshot(membership))  # fmt: skip
    return membership


@transaction.atomic
def set_membership_policy(
    membership: GroupMembership, *, actor: Any, threats: list[str], share_actors: bool = False,
    precision: str = SharedPrecision.APPROXIMATE, tlp_ceiling: str = TlpLevel.GREEN,
    reveal_identity: bool = False, is_active: bool = True,
) -> GroupMembership:  # fmt: skip
    """A member chooses what it shares with the group; its shared records are rebuilt at once."""
    require(actor, "share", "choose what your organisation shares")
    actor_organisation_id(actor)
    if membership.organisation_id != actor.organisation_id:
        raise NotAllowed("only the member itself chooses what it shares", field="membership")
    before = audit.snapshot(membership)
    membership.threats = _threats(threats)
    membership.share_actors = bool(share_actors)
    membership.precision = _choice(precision, SharedPrecision, "precision")
    membership.tlp_ceiling = _choice(tlp_ceiling, TlpLevel, "tlp_ceiling")
    membership.reveal_identity, membership.is_active = bool(reveal_identity), bool(is_active)
    _saved(membership, actor=actor, before=before)
    sync_membership(membership)
    return membership


def _record_key(membership: GroupMembership, kind: str, pk: int) -> str:
    """An opaque key: the sharer's record id never reaches other members."""
    message = f"{membership.group_id}|{membership.organisation_id}|{kind}|{pk}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]


@transaction.atomic
def sync_membership(membership: GroupMembership) -> int:
    """Rebuild what this member shares with its group from its policy; the number shared."""
    SharedRecord.objects.filter(group_id=membership.group_id,
                                organisation_id=membership.organisation_id).delete()  # fmt: skip
    if not membership.is_active:
        return 0
    scope = queries.ExportScope(
        threats=tuple(membership.threats), tlp_ceiling=membership.tlp_ceiling,
        precision=membership.precision, include_actors=membership.share_actors,
        include_reports=False,
    )  # fmt: skip
    org_id = membership.organisation_id
    rows = [_shared_incident(membership, incident, level)
            for incident, level in queries.shareable_incidents(org_id, scope)]  # fmt: skip
    rows += [_shared_actor(membership, actor, level)
             for actor, level in queries.shareable_actors(org_id, scope)]  # fmt: skip
    SharedRecord.objects.bulk_create(rows)
    return len(rows)


def _shared_incident(membership: GroupMembership, incident: Incident, level: str) -> SharedRecord:
    kind = taxonomy.TYPES_BY_CODE[incident.incident_type]
    lat, lon = policy.generalise_point(incident.lat, incident.lon, membership.precision)
    # No free text leaves: the title is the taxonomy's label, never the incident's own words.
    return SharedRecord(
        group_id=membership.group_id, organisation_id=membership.organisation_id,
        kind=SharedKind.INCIDENT, record_key=_record_key(membership, "incident", incident.pk),
        title=kind.label_en, threat=incident.threat, incident_type=incident.incident_type,
        severity=incident.severity, occurred_on=incident.occurred_at.date(), lat=lat, lon=lon,
        precision=membership.precision, tlp=level, reveal_identity=membership.reveal_identity,
        details={
            "region": incident.region.name if incident.region else "",
            "assailants_min": incident.assailants_min, "assailants_max": incident.assailants_max,
            "weapons": list(incident.weapons or []),
            "modus_operandi_tags": list(incident.modus_operandi_tags or []),
            "fatalities": incident.fatalities, "kidnapped": incident.kidnapped,
        },
    )  # fmt: skip


def _shared_actor(membership: GroupMembership, actor: ThreatActor, level: str) -> SharedRecord:
    return SharedRecord(
        group_id=membership.group_id, organisation_id=membership.organisation_id,
        kind=SharedKind.ACTOR, record_key=_record_key(membership, "actor", actor.pk),
        title=actor.name, precision=membership.precision, tlp=level,
        reveal_identity=membership.reveal_identity,
        details={"kind": actor.kind, "aliases": list(actor.aliases or []),
                 "modus_operandi": actor.modus_operandi[:1000]},
    )  # fmt: skip


def sync_organisation(organisation_id: int) -> int:
    """Rebuild every active membership of one organisation (after its incidents change)."""
    rows = GroupMembership.objects.filter(organisation_id=organisation_id, is_active=True)
    return sum(sync_membership(membership) for membership in rows)


AGREEMENT_FIELDS = ("name", "description", "partner", "group", "threats", "include_incidents",
                    "include_actors", "include_reports", "tlp_ceiling", "precision",
                    "is_active", "valid_until")  # fmt: skip


@transaction.atomic
def save_agreement(*, actor: Any, agreement: SharingAgreement | None = None,
                   **values: Any) -> SharingAgreement:  # fmt: skip
    """Create or change what the organisation publishes to a partner or a group (TAXII collection)."""
    require(actor, "share", "manage sharing agreements")
    actor_organisation_id(actor)
    unknown = set(values) - set(AGREEMENT_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    if agreement is not None and agreement.organisation_id != actor.organisation_id:
        raise NotAllowed("only the publisher changes an agreement", field="agreement")
    before = audit.snapshot(agreement) if agreement else None
    record = agreement or SharingAgreement(organisation_id=actor.organisation_id)
    for name, value in values.items():
        setattr(record, name, value)
    record.threats = _threats(record.threats)
    _choice(record.tlp_ceiling, TlpLevel, "tlp_ceiling")
    _choice(record.precision, SharedPrecision, "precision")
    if (record.partner_id is None) == (record.group_id is None):
        raise InvalidInput("give exactly one of partner or group", field="partner")
    if record.partner_id == actor.organisation_id:
        raise InvalidInput("the partner is another organisation", field="partner")
    if (
        record.group_id is not None
        and not GroupMembership.objects.filter(
            group_id=record.group_id, organisation_id=actor.organisation_id, is_active=True
        ).exists()
    ):
        raise InvalidInput("you publish only to a group you are a member of", field="group")
    try:
        _saved(record, actor=actor, before=before)
    except Exception as exc:
        _raise_validation(exc)
    return record


@dataclass
class ImportResult:
    """What an import did: counts, and every problem named."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    linked_actors: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "skipped": self.skipped, "linked_actors": self.linked_actors,
                "errors": self.errors}  # fmt: skip


def _actor_index(organisation_id: int) -> dict[str, set[int]]:
    index: dict[str, set[int]] = {}
    for pk, name, aliases in ThreatActor.objects.filter(organisation_id=organisation_id) \
            .values_list("pk", "name", "aliases"):  # fmt: skip
        for label in [name, *(aliases or [])]:
            index.setdefault(label.strip().casefold(), set()).add(pk)
    return index


def import_stix(*, actor: Any, text: str | bytes, partner: str, source_reliability: str = "C",
                organisation: Organisation | None = None, default_tlp: str = "amber") -> ImportResult:  # fmt: skip
    """Store a partner's bundle as external intelligence; one bad object never stops the rest.

    De-duplicated by STIX id: a newer ``modified`` replaces, an equal or older one is
    counted unchanged. Graded: ``source_reliability`` is how far we trust the partner,
    the information credibility comes from each object's grade or confidence. Actors
    are linked to ours whose name or alias matches theirs or their aliases.
    """
    org_id = _scope_organisation(actor, organisation)
    if source_reliability not in "ABCDEF" or len(source_reliability) != 1:
        raise InvalidInput(f"{source_reliability!r}: expected A-F", field="source_reliability")
    if not (partner or "").strip():
        raise InvalidInput("say which partner the bundle came from", field="partner")
    try:
        parsed = stix_import.parse_bundle(stix_import.load(text))
    except stix_import.StixBundleError as exc:
        raise InvalidInput(str(exc), field="bundle") from None
    result = ImportResult(errors=list(parsed.errors))
    result.skipped = len(parsed.errors)
    index = _actor_index(org_id)
    names = {obj.stix_id: obj for obj in parsed.objects}
    user = actor if getattr(actor, "is_authenticated", False) else None
    for obj in parsed.objects:
        try:
            with transaction.atomic():
                outcome = _store_external(org_id, obj, partner.strip(), source_reliability,
                                          default_tlp, user)  # fmt: skip
                setattr(result, outcome[0], getattr(result, outcome[0]) + 1)
                result.linked_actors += _link_actors(outcome[1], obj, names, index)
        except (InvalidInput, ValueError) as exc:
            result.errors.append(f"{obj.stix_id}: {exc}")
            result.skipped += 1
    return result


def _store_external(org_id: int, obj: stix_import.ImportedObject, partner: str,
                    reliability: str, default_tlp: str, user: Any) -> tuple[str, ExternalIntel]:  # fmt: skip
    found = ExternalIntel.objects.filter(organisation_id=org_id, stix_id=obj.stix_id).first()
    if found is not None and found.modified >= obj.modified:
        return "unchanged", found
    record = found or ExternalIntel(organisation_id=org_id, stix_id=obj.stix_id)
    before = audit.snapshot(found) if found else None
    record.stix_type, record.name, record.description = obj.stix_type, obj.name, obj.description
    record.aliases, record.partner, record.modified = obj.aliases, partner, obj.modified
    record.tlp = obj.tlp or default_tlp
    record.source_reliability, record.information_credibility = (
        reliability,
        obj.information_credibility,
    )
    record.lat, record.lon, record.payload, record.imported_by = obj.lat, obj.lon, obj.payload, user
    try:
        _saved(record, actor=user, before=before, organisation_id=org_id)
    except Exception as exc:
        _raise_validation(exc)
    return ("updated" if found else "created"), record


def _link_actors(record: ExternalIntel, obj: stix_import.ImportedObject,
                 names: dict[str, stix_import.ImportedObject], index: dict[str, set[int]]) -> int:  # fmt: skip
    labels: list[str] = []
    if obj.stix_type in stix_import.ACTOR_TYPES:
        labels += [obj.name, *obj.aliases]
    for ref in obj.actor_ids:
        other = names.get(ref)
        if other is not None:
            labels += [other.name, *other.aliases]
    ids: set[int] = set()
    for label in labels:
        ids |= index.get(label.strip().casefold(), set())
    record.actors.set(sorted(ids))
    return len(ids)


def import_acled(*, actor: Any, handle: io.TextIOBase, filename: str, skip_bad: bool = False,
                 organisation: Organisation | None = None) -> tuple[ImportResult, list[acled.AcledEventRow]]:  # fmt: skip
    """Store an ACLED file's events (context layer, backtest events); re-import replaces by id.

    Without ``skip_bad`` a file with any bad row stores nothing and every bad row is named;
    with it the good rows are stored and the bad ones counted and named.
    """
    org_id = _scope_organisation(actor, organisation)
    try:
        parsed = acled.parse_csv(handle, type_pairs=queries.acled_type_pairs(),
                                 known_codes=queries.known_codes())  # fmt: skip
    except acled.AcledFileError as exc:
        raise InvalidInput(f"{filename}: {exc}", field="file") from None
    except (csv_error(), UnicodeDecodeError) as exc:
        raise InvalidInput(f"{filename}: not a readable CSV file ({exc})", field="file") from None
    result = ImportResult(errors=parsed.errors, skipped=len(parsed.errors))
    if parsed.errors and not skip_bad:
        return result, []
    existing = dict(AcledEvent.objects.filter(organisation_id=org_id).values_list(
        "event_id_cnty", "pk"))  # fmt: skip
    with transaction.atomic():
        for row in parsed.rows:
            values = {name: getattr(row, name) for name in (
                "event_date", "event_type", "sub_event_type", "actor1", "actor2", "country",
                "admin1", "admin2", "admin3", "location", "lat", "lon", "fatalities", "notes",
                "source", "threat", "incident_type")}  # fmt: skip
            values = {
                k: (v[: _max(k)] if isinstance(v, str) and _max(k) else v)
                for k, v in values.items()
            }
            AcledEvent.objects.update_or_create(
                organisation_id=org_id, event_id_cnty=row.event_id_cnty,
                defaults={**values, "raw": row.raw, "batch": filename[:200]},
            )  # fmt: skip
            if row.event_id_cnty in existing:
                result.updated += 1
            else:
                result.created += 1
        organisation_obj = Organisation.objects.get(pk=org_id)
        # One entry per file (not per event): the organisation's ACLED layer changed.
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=organisation_obj,
                     note=f"ACLED import {filename}: {result.created} new, {result.updated} "
                          f"updated, {result.skipped} bad rows", organisation_id=org_id)  # fmt: skip
    return result, parsed.rows


def _max(name: str) -> int | None:
    return getattr(AcledEvent._meta.get_field(name), "max_length", None)


def csv_error() -> type[Exception]:
    import csv

    return csv.Error


def external_for_user(user: Any) -> models.QuerySet:
    """External intelligence the user may see (tenancy)."""
    from minewatch.core.tenancy import restrict

    return restrict(ExternalIntel.objects.all(), user)


def members_named(group: SharingGroup) -> list[str]:
    """Names of a group's active members (who is in the group is known to its members)."""
    rows = GroupMembership.objects.filter(Q(group=group) & Q(is_active=True))
    return sorted(rows.values_list("organisation__name", flat=True))
