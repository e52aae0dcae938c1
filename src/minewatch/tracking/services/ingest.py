"""The one ingest path for every source: validate → store → engine → detections → events.

HTTP (OsmAnd, Traccar forwarding), MQTT and file replay all parse their input
with the pure parsers (``tracking.engine``) and hand the resulting fixes to
:func:`ingest_fixes`. A refused fix is never silently dropped: its reason is
counted in :class:`~minewatch.tracking.models.IngestRejection` (visible in the
API) and returned to the caller, which answers 400 naming the field.

Within one process ingest is serialised (one lock): the engines keep per-device
state and must see each device's fixes in order. Throughput comes from batches
(the OsmAnd listener and the MQTT worker group many fixes into one call).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from minewatch.core.events import Event, publish
from minewatch.tracking.credentials import redact_secrets, secret_matches, split_device_id
from minewatch.tracking.engine import Detection as EngineDetection
from minewatch.tracking.engine import Fix, validate_fix
from minewatch.tracking.engine.detectors import finite_details
from minewatch.tracking.engines import DeviceInfo, OrgEngine, directory, registry
from minewatch.tracking.models import Detection, Device, IngestRejection, TrackerState
from minewatch.tracking.services.storage import insert_positions, upsert_tracker_states

logger = logging.getLogger("minewatch.tracking")

_ingest_lock = threading.RLock()
_local = threading.local()
# A device's position is re-published for live maps at most this often.
POSITION_EVENT_EVERY_S = 5.0
_last_position_event: dict[int, float] = {}
SAMPLE_CHARS = 500


@dataclass(frozen=True)
class Rejection:
    """Why one input was refused: a reason code, the field at fault and a message."""

    reason: str
    field: str
    message: str
    device_key: str = ""
    index: int = -1


@dataclass
class IngestResult:
    """What happened to a call's fixes."""

    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


UNAUTHORISED_MESSAGE = (
    "unknown device {key!r} or missing/wrong secret (send id=DEVICE:SECRET, a secret "
    "parameter or Authorization: Bearer SECRET)"
)
# Human messages and offending fields for the validation reason codes.
REASON_FIELDS = {
    "lat_out_of_range": ("lat", "latitude outside -90..90"),
    "lon_out_of_range": ("lon", "longitude outside -180..180"),
    "null_island": ("lat", "position 0,0 (the tracker has no fix)"),
    "speed_too_high": ("speed", "speed above {max_speed:g} km/h is impossible"),
    "time_in_future": ("timestamp", "fix time more than {skew:g} s in the future"),
    "time_too_old": ("timestamp", "fix time too old"),
    # One message for both, so that a sender cannot tell a registered id from an unknown one.
    "unknown_device": ("id", UNAUTHORISED_MESSAGE),
    "bad_secret": ("id", UNAUTHORISED_MESSAGE),
}
# Refusals answered alike (401): no enumeration of device ids.
AUTH_REASONS = frozenset({"unknown_device", "bad_secret"})


def _rejection(reason: str, key: str, index: int, **values: Any) -> Rejection:
    field_name, template = REASON_FIELDS[reason]
    return Rejection(reason, field_name, template.format(key=key, **values), key, index)


def ingest_fixes(
    fixes: Sequence[Fix],
    *,
    source: str,
    token: str | None = None,
    trusted: bool = False,
    tokens: Sequence[str | None] | None = None,
    trusted_each: Sequence[bool] | None = None,
    forwarder_organisation_id: int | None = None,
    forwarders: Sequence[int | None] | None = None,
    now: dt.datetime | None = None,
    sample: str | Callable[[int], str] = "",
) -> IngestResult:
    """Validate, store and run the engines on ``fixes`` (from one sender or many).

    Parameters
    ----------
    fixes
        Parsed fixes, in arrival order.
    source
        ``IngestSource`` value: ``osmand``, ``traccar``, ``mqtt`` or ``replay``.
    token
        The secret the sender presented (a device id ``DEVICE:SECRET`` carries
        its own). Required for every device not marked ``accepts_unauthenticated``
        unless ``trusted`` (MQTT behind broker authentication, replay from the CLI).
    forwarder_organisation_id
        A Traccar server authenticated with an API token of this organisation:
        its devices need no secret of their own.
    tokens, trusted_each, forwarders
        The same per fix, when one call carries several senders' messages
        (``pipeline.IngestBatcher``).
    now
        The receiving clock (tests); default ``timezone.now()``.
    sample
        The raw input, kept (truncated) with rejection counters; or a function
        of a fix's index giving its raw message (batches of many messages).
    """
    now = now or timezone.now()
    fixes, tokens = _split_secrets(fixes, [token] * len(fixes) if tokens is None else tokens)
    with _ingest_lock:
        devices = _devices_for({fix.device_key for fix in fixes})
        result, accepted = IngestResult(), []
        for index, fix in enumerate(fixes):
            problem = _check(
                fix, devices.get(fix.device_key), index, now, tokens[index],
                trusted if trusted_each is None else trusted_each[index],
                forwarder_organisation_id if forwarders is None else forwarders[index],
            )  # fmt: skip
            if problem is None:
                accepted.append(fix)
            else:
                result.rejected.append(problem)
        try:
            with transaction.atomic():
                result.accepted = len(accepted)
                result.detections = _store_and_detect(accepted, devices, source, now)
                _count_rejections(result.rejected, source=source, sample=sample, now=now)
        except Exception:
            # The engines may have advanced past what was stored: rebuild from the database.
            registry.invalidate()
            raise
    return result


def _split_secrets(
    fixes: Sequence[Fix], tokens: Sequence[str | None]
) -> tuple[list[Fix], list[str | None]]:
    """Take the secret out of ``DEVICE:SECRET`` identifiers; it wins over a token parameter."""
    fixes, tokens = list(fixes), list(tokens)
    for index, fix in enumerate(fixes):
        if ":" in fix.device_key:
            key, secret = split_device_id(fix.device_key)
            if secret is not None:
                fixes[index], tokens[index] = replace(fix, device_key=key), secret
    return fixes, tokens


def is_authenticated(device: DeviceInfo, token: str | None) -> bool:
    """Whether a sender presenting ``token`` may send for ``device`` (see ``credentials``)."""
    return device.accepts_unauthenticated or secret_matches(token, device.secret_hash)


def _check(
    fix: Fix, device: DeviceInfo | None, index: int, now: dt.datetime, token: str | None,
    trusted: bool, forwarder_organisation_id: int | None = None,
) -> Rejection | None:  # fmt: skip
    key = fix.device_key
    if device is None:
        secret_matches(token, "")  # the same work as for a known device
        return _rejection("unknown_device", key, index)
    forwarded = forwarder_organisation_id == device.organisation_id
    if not (trusted or forwarded or is_authenticated(device, token)):
        return _rejection("bad_secret", key, index)
    tunables = settings.TUNABLES
    max_speed, skew = float(tunables["tracking_max_speed_kmh"]), float(tunables["clock_skew_s"])
    reason = validate_fix(fix, now=now, max_future_skew_s=skew, max_speed_kmh=max_speed)
    if reason is None:
        return None
    return _rejection(reason, key, index, max_speed=max_speed, skew=skew)


def _devices_for(keys: set[str]) -> dict[str, DeviceInfo]:
    found = directory.lookup(keys)
    organisation = str(settings.TUNABLES["tracking_auto_register_org"])
    missing = keys - set(found)
    if missing and organisation:
        from minewatch.tracking.services.fleet import auto_register

        for key in sorted(missing):
            if key and auto_register(unique_id=key, organisation_name=organisation):
                directory.forget(key)
        found.update(directory.lookup(missing))
    return found


def _position_row(fix: Fix, device: DeviceInfo, source: str, now: dt.datetime) -> dict:
    return {
        "device_id": device.pk, "fix_time": fix.fix_time, "received_at": now, "lat": fix.lat,
        "lon": fix.lon, "speed_kmh": fix.speed_kmh, "course": fix.course_deg,
        "altitude": fix.altitude_m, "accuracy": fix.accuracy_m, "attributes": fix.attributes,
        "source": source,
    }  # fmt: skip


def _store_and_detect(
    fixes: list[Fix], devices: dict[str, DeviceInfo], source: str, now: dt.datetime
) -> list[Detection]:
    if not fixes:
        return []
    insert_positions([_position_row(f, devices[f.device_key], source, now) for f in fixes])
    by_organisation: dict[int, list[Fix]] = defaultdict(list)
    for fix in fixes:
        by_organisation[devices[fix.device_key].organisation_id].append(fix)
    stored: list[Detection] = []
    for organisation_id, org_fixes in by_organisation.items():
        try:
            with transaction.atomic():  # a savepoint: the fixes above stay
                org_engine = registry.get(organisation_id)
                found = org_engine.engine.process_fixes(org_fixes)
                stored += save_detections(org_engine, found, devices)
                _save_states(org_engine, org_fixes, devices, now)
        except Exception:
            # A detector fault must not refuse the fixes, nor other organisations' batch:
            # the fixes are stored without detections and the engine restarts from the
            # last saved state.
            logger.exception("detectors failed on %d fixes of organisation %s; fixes stored "
                             "without detections", len(org_fixes), organisation_id)  # fmt: skip
            registry.invalidate(organisation_id)
    _publish_positions(fixes, devices)
    return stored


def save_detections(
    org_engine: OrgEngine, found: Iterable[EngineDetection], devices: dict[str, DeviceInfo]
) -> list[Detection]:
    """Store engine detections and publish ``detection.<kind>`` events (after commit).

    This is the one place detections reach the database. Details are made
    JSON-safe (non-finite numbers become ``None``); a detection the database
    still refuses is logged and dropped, never the batch: the fixes of every
    device and the other detections are stored.
    """
    pairs = []
    for detection in found:
        row = _detection_row(org_engine, detection, devices)
        if row is not None:
            pairs.append((row, detection))
    try:
        with transaction.atomic():
            Detection.objects.bulk_create([row for row, _ in pairs])
    except Exception:  # one bad row: store the others one by one
        pairs = [(row, detection) for row, detection in pairs if _save_one(row, detection)]
    for row, detection in pairs:
        _publish_detection(row, detection)
    return [row for row, _ in pairs]


def _detection_row(
    org_engine: OrgEngine, detection: EngineDetection, devices: dict[str, DeviceInfo]
) -> Detection | None:
    if not (math.isfinite(detection.lat) and math.isfinite(detection.lon)):
        logger.error("detection not stored (non-finite position): %r", detection)
        return None
    device = devices.get(detection.device_key)
    trip_id = org_engine.trip_ids.get(detection.trip_key or "")
    site_id = org_engine.trip_sites.get(detection.trip_key or "") or (
        device.site_id if device else None
    )
    details = finite_details(dict(detection.details))
    for key in ("zone", "zone_key"):
        if key in details and details[key] in org_engine.zone_names:
            details["zone_name"] = org_engine.zone_names[details[key]]
    return Detection(
        organisation_id=org_engine.organisation_id, site_id=site_id, kind=detection.kind,
        device_id=device.pk if device else None, trip_id=trip_id, time=detection.time,
        lat=detection.lat, lon=detection.lon, details=details,
        evidence_times=[t.isoformat() for t in detection.evidence_times],
    )  # fmt: skip


def _save_one(row: Detection, detection: EngineDetection) -> bool:
    row.pk = None
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except Exception:
        logger.exception("detection not stored (refused by the database): %r", detection)
        return False
    return True


def publish_from_this_thread(publisher: Any) -> None:
    """Route this thread's tracking events through ``publisher`` (see ``pipeline.EventRelay``).

    A batch worker must answer trackers as soon as their fixes are committed;
    subscribers (alert rules, the live stream) then run in the relay's thread.
    """
    _local.publish = publisher


def _publish(event: Event) -> None:
    getattr(_local, "publish", publish)(event)


def _publish_detection(row: Detection, detection: EngineDetection) -> None:
    payload = {
        "id": row.pk, "kind": row.kind, "device": detection.device_key,
        "trip": detection.trip_key, "site_id": row.site_id, "lat": row.lat, "lon": row.lon,
        "time": row.time.isoformat(), "details": row.details,
    }  # fmt: skip
    _publish(Event(f"detection.{row.kind}", row.organisation_id, payload, site_id=row.site_id))


def _save_states(
    org_engine: OrgEngine, fixes: list[Fix], devices: dict[str, DeviceInfo], now: dt.datetime
) -> None:
    latest: dict[str, Fix] = {}
    for fix in fixes:
        if fix.device_key not in latest or fix.fix_time >= latest[fix.device_key].fix_time:
            latest[fix.device_key] = fix
    engine = org_engine.engine
    zone_keys = [zone.key for zone in engine.zones]
    rows = []
    for key, fix in latest.items():
        state = engine.state.export(engine.device_id(key), zone_keys, engine.alarm_names)
        # A batch of only out-of-order fixes must not move the last known position back.
        is_newest = round(fix.fix_time.timestamp() * 1000) >= state.last_time_ms
        rows.append(
            (devices[key].pk, state_dict(state), _last_position(fix) if is_newest else None)
        )
    upsert_tracker_states(rows, now=now)


def state_dict(state: Any) -> dict[str, Any]:
    """``DeviceState.to_dict`` without ``dataclasses.asdict``'s deep copies (hot path)."""
    data = dict(vars(state))
    data["zones_inside"] = list(state.zones_inside)
    data["runs"] = {name: list(run) for name, run in state.runs.items()}
    for name in ("last_lat", "last_lon"):
        if data[name] != data[name]:
            data[name] = None
    return data


def _last_position(fix: Fix) -> dict[str, Any]:
    return {
        "fix_time": fix.fix_time.isoformat(), "lat": fix.lat, "lon": fix.lon,
        "speed_kmh": fix.speed_kmh, "course": fix.course_deg, "altitude": fix.altitude_m,
        "accuracy": fix.accuracy_m, "attributes": fix.attributes,
    }  # fmt: skip


def _publish_positions(fixes: list[Fix], devices: dict[str, DeviceInfo]) -> None:
    """Live maps get a device's newest fix, at most every few seconds per device."""
    latest = {fix.device_key: fix for fix in fixes}
    clock = time.monotonic()
    for key, fix in latest.items():
        device = devices[key]
        if clock - _last_position_event.get(device.pk, -1e9) < POSITION_EVENT_EVERY_S:
            continue
        _last_position_event[device.pk] = clock
        payload = {"id": device.pk, "unique_id": key, "vehicle_plate": device.vehicle_plate,
                   **_last_position(fix)}  # fmt: skip
        _publish(Event("tracking.position", device.organisation_id, payload, device.site_id))


def _count_rejections(
    problems: list[Rejection], *, source: str, sample: str | Callable[[int], str],
    now: dt.datetime,
) -> None:  # fmt: skip
    """One counter update per (device, reason) of a batch, however many fixes it refused."""
    groups: dict[tuple[str, str], list[Rejection]] = defaultdict(list)
    for problem in problems:
        groups[(problem.device_key, problem.reason)].append(problem)
    for same in groups.values():
        last = same[-1]
        text = sample(last.index) if callable(sample) else sample
        count_rejection(last, source=source, sample=text, now=now, times=len(same))


def count_rejection(
    problem: Rejection, *, source: str, sample: str = "", now: dt.datetime | None = None,
    times: int = 1,
) -> None:  # fmt: skip
    """Add ``times`` to the counter of (device identifier, source, reason)."""
    now = now or timezone.now()
    sample = redact_secrets(sample)  # operators read samples: never a tracker's secret
    key = problem.device_key[:64]
    updated = IngestRejection.objects.filter(
        device_key=key, source=source, reason=problem.reason
    ).update(
        count=F("count") + times, last_at=now, field=problem.field,
        last_message=problem.message[:300], last_sample=sample[:SAMPLE_CHARS],
    )  # fmt: skip
    if updated:
        return
    organisation_id = (
        Device.objects.filter(unique_id=key).values_list("organisation_id", flat=True).first()
    )
    try:
        with transaction.atomic():
            IngestRejection.objects.create(
                organisation_id=organisation_id, device_key=key, source=source,
                reason=problem.reason, field=problem.field, count=times, first_at=now,
                last_at=now,
                last_message=problem.message[:300], last_sample=sample[:SAMPLE_CHARS],
            )  # fmt: skip
    except IntegrityError:  # created meanwhile by another process
        count_rejection(problem, source=source, sample=sample, now=now, times=times)


def reject_input(
    *, source: str, reason: str, field_name: str, message: str, device_key: str = "",
    sample: str = "",
) -> Rejection:  # fmt: skip
    """Count an input that did not even parse into a fix (malformed message)."""
    problem = Rejection(reason, field_name, message, device_key)
    with transaction.atomic():
        count_rejection(problem, source=source, sample=sample)
    return problem


def advance_clock(now: dt.datetime | None = None) -> list[Detection]:
    """Signal losses and late arrivals of every loaded engine that need no new fix."""
    now = now or timezone.now()
    stored: list[Detection] = []
    with _ingest_lock, transaction.atomic():
        for org_engine in registry.loaded():
            found = org_engine.engine.advance_clock(now)
            if not found:
                continue
            keys = {d.device_key for d in found}
            devices = directory.lookup(keys)
            stored += save_detections(org_engine, found, devices)
            states = org_engine.engine.export_state()
            for key in keys & set(devices):
                TrackerState.objects.filter(device_id=devices[key].pk).update(
                    state=state_dict(states[key]), updated_at=now
                )
    return stored
