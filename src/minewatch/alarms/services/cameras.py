"""Camera intrusions from Frigate: rules, messages, snapshots.

``handle_frigate_message`` takes one ``frigate/events`` payload; a malformed one
raises nothing (it is logged with its reason and counted). An intrusion is stored as
a :class:`CameraObservationRecord` and raised as a ``camera.intrusion`` detection,
once per Frigate event id. Frigate publishes the best snapshot as JPEG bytes on
``frigate/<camera>/<label>/snapshot``: :func:`attach_snapshot` keeps it with the
latest intrusion of that camera and label (and on its alert).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from minewatch.alarms.engine.frigate import (
    DEFAULT_LABELS,
    CameraIntrusionRule,
    FrigateMessageError,
    decide_intrusion,
    parse_frigate_event,
)
from minewatch.alarms.models import CameraObservationRecord, CameraZoneRule
from minewatch.alerts.choices import AlertSource
from minewatch.alerts.services import AlertInput, raise_alert

logger = logging.getLogger("minewatch.alarms.frigate")

JPEG_MAGIC = b"\xff\xd8\xff"
MAX_SNAPSHOT_BYTES = 5 * 1024 * 1024
SNAPSHOT_MATCH_S = 120
VEHICLES = {"car", "truck", "motorcycle", "bus"}
rejected: Counter[str] = Counter()


def engine_rule(rule: CameraZoneRule) -> CameraIntrusionRule:
    return CameraIntrusionRule(
        camera=rule.camera, zones=frozenset(rule.zones or ()),
        labels=frozenset(rule.labels) if rule.labels else DEFAULT_LABELS,
        min_score=rule.min_score, window_start=rule.window_start, window_end=rule.window_end,
    )  # fmt: skip


def handle_frigate_message(payload: bytes | str) -> CameraObservationRecord | None:
    """Judge one Frigate event message; store and alert an intrusion; never raises on bad input."""
    try:
        observation = parse_frigate_event(payload)
    except FrigateMessageError as exc:
        rejected[str(exc).split(":")[0]] += 1
        logger.warning("frigate message refused: %s", exc)
        return None
    rules = list(CameraZoneRule.objects.filter(camera=observation.camera, is_active=True)
                 .select_related("site"))  # fmt: skip
    if not rules:
        return None
    already = CameraObservationRecord.objects.filter(event_id=observation.event_id).exists()
    decision = decide_intrusion(observation, [engine_rule(r) for r in rules], tz=settings.TIME_ZONE,
                                already_alerted_ids=[observation.event_id] if already else [])  # fmt: skip
    if not decision.is_intrusion:
        return None
    rule = rules[[engine_rule(r) for r in rules].index(decision.rule)]
    when = observation.frame_time_utc or observation.start_time_utc
    with transaction.atomic():
        record = CameraObservationRecord.objects.create(
            organisation_id=rule.organisation_id, site_id=rule.site_id, rule=rule,
            event_id=observation.event_id, camera=observation.camera, label=observation.label,
            zone=decision.zone or "", score=max(observation.score, observation.top_score),
            occurred_at=when, reason=decision.reason[:300],
            raw={"type": observation.event_type, "has_snapshot": observation.has_snapshot},
        )  # fmt: skip
        severity = 3 if observation.label in VEHICLES else 4
        alerts = raise_alert(AlertInput(
            organisation_id=rule.organisation_id, kind="camera.intrusion", severity=severity,
            source=AlertSource.CAMERA, occurred_at=when,
            title=f"Intrusión en cámara {observation.camera}: {observation.label} en {decision.zone}",
            site_id=rule.site_id, zone_id=rule.zone_id, subject_type="camera",
            subject_key=f"{observation.camera}:{decision.zone}", lat=rule.site.lat,
            lon=rule.site.lon, place=f"{observation.camera} / {decision.zone}",
            details={"frigate_event": observation.event_id, "label": observation.label,
                     "score": round(record.score, 3)},
        ))  # fmt: skip
        if alerts:
            record.alert = alerts[0]
            record.save(update_fields=["alert"])
    return record


def attach_snapshot(
    camera: str, label: str, jpeg: bytes, *, received_at: dt.datetime | None = None
) -> CameraObservationRecord | None:
    """Keep a Frigate snapshot with the latest intrusion of that camera and label (and its alert)."""
    if not jpeg.startswith(JPEG_MAGIC) or len(jpeg) > MAX_SNAPSHOT_BYTES:
        rejected["snapshot is not a JPEG or too large"] += 1
        logger.warning("frigate snapshot for %s/%s refused: not a JPEG or over 5 MB", camera, label)
        return None
    received_at = received_at or timezone.now()
    window = dt.timedelta(seconds=SNAPSHOT_MATCH_S)
    record = (
        CameraObservationRecord.objects.filter(
            camera=camera, label=label, snapshot="", occurred_at__gte=received_at - window
        )  # fmt: skip
        .select_related("alert")
        .order_by("-occurred_at")
        .first()
    )
    if record is None:
        return None
    with transaction.atomic():
        name = f"{camera}-{record.event_id}.jpg".replace("/", "_")
        record.snapshot.save(name, ContentFile(jpeg), save=True)
        if record.alert is not None and not record.alert.snapshot:
            record.alert.snapshot.save(name, ContentFile(jpeg), save=True)
    return record


def save_camera_rule(
    *, actor: Any, organisation: Any, rule: CameraZoneRule | None = None, **values: Any
) -> CameraZoneRule:
    """Create or change a camera rule (checked by the engine's own rule)."""
    from minewatch.core import audit
    from minewatch.core.choices import AuditAction
    from minewatch.core.errors import InvalidInput, NotAllowed
    from minewatch.core.roles import has_capability

    if not has_capability(actor, "configure_alerts"):
        raise NotAllowed("your role cannot configure cameras", field="role")
    site = values.get("site") or getattr(rule, "site", None)
    if site is None or site.organisation_id != organisation.pk:
        raise InvalidInput("a site of your organisation is required", field="site")
    with transaction.atomic():
        before = audit.snapshot(rule) if rule else None
        target = rule or CameraZoneRule(organisation=organisation)
        for name, value in values.items():
            setattr(target, name, value)
        if not target.zones or not all(isinstance(z, str) and z for z in target.zones):
            raise InvalidInput("name at least one Frigate zone", field="zones")
        try:
            engine_rule(target)
        except ValueError as exc:
            raise InvalidInput(
                str(exc), field="window_end" if "window" in str(exc) else "min_score"
            ) from None
        target.full_clean()
        target.save()
        audit.record(actor=actor, action=AuditAction.UPDATE if rule else AuditAction.CREATE,
                     instance=target, before=before, after=audit.snapshot(target))  # fmt: skip
    return target
