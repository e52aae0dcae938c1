"""Frigate NVR events (MQTT topic ``frigate/events``) to camera intrusion decisions.

Frigate publishes one JSON message per change of a tracked object::

    {"type": "new" | "update" | "end",
     "before": {...same fields...},
     "after": {"id": "1607123955.475377-mxklsc", "camera": "front_door",
               "label": "person", "sub_label": null, "score": 0.79, "top_score": 0.96,
               "false_positive": false, "start_time": 1607123955.47, "end_time": null,
               "frame_time": 1607123961.83, "current_zones": ["driveway"],
               "entered_zones": ["yard", "driveway"], "has_snapshot": true,
               "has_clip": false, "stationary": false, ...}}

An intrusion is a configured label (person, vehicle) that has entered a configured zone
of a configured camera, inside a daily local-time window, with a score at or above the
threshold; it is reported once per Frigate event id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "CameraIntrusionRule",
    "CameraObservation",
    "FrigateIntrusionDetector",
    "FrigateMessageError",
    "IntrusionDecision",
    "decide_intrusion",
    "is_within_daily_window",
    "parse_frigate_event",
]

DEFAULT_LABELS = frozenset({"person", "car", "truck", "motorcycle", "bus", "bicycle"})
_EVENT_TYPES = ("new", "update", "end")


class FrigateMessageError(ValueError):
    """A Frigate message that is not JSON, or misses or mistypes a field (named)."""


@dataclass(frozen=True)
class CameraObservation:
    """One Frigate event message in plain values (times in UTC)."""

    event_id: str
    event_type: str
    camera: str
    label: str
    sub_label: str | None
    score: float
    top_score: float
    current_zones: tuple[str, ...]
    entered_zones: tuple[str, ...]
    newly_entered_zones: tuple[str, ...]
    start_time_utc: datetime
    end_time_utc: datetime | None
    frame_time_utc: datetime | None
    has_snapshot: bool
    has_clip: bool
    is_stationary: bool
    is_false_positive: bool


def _field(data: Mapping[str, Any], name: str, kinds: type | tuple[type, ...], where: str) -> Any:
    if name not in data:
        raise FrigateMessageError(f"frigate event is missing field {where}{name}")
    value = data[name]
    if not isinstance(value, kinds) or isinstance(value, bool) and bool not in _as_tuple(kinds):
        raise FrigateMessageError(f"frigate event field {where}{name} has wrong type: {value!r}")
    return value


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _epoch(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FrigateMessageError(f"frigate event field after.{name} is not epoch seconds")
    return datetime.fromtimestamp(float(value), tz=UTC)


def _zones(data: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
    zones = _field(data, name, list, where)
    if not all(isinstance(zone, str) for zone in zones):
        raise FrigateMessageError(f"frigate event field {where}{name} must list zone names")
    return tuple(zones)


def _sub_label(value: Any) -> str | None:
    # Older Frigate sends a string, newer a [name, score] pair, both null when unset.
    if isinstance(value, list | tuple):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def parse_frigate_event(payload: bytes | str | Mapping[str, Any]) -> CameraObservation:
    """Parse one ``frigate/events`` message.

    Parameters
    ----------
    payload : bytes, str or mapping
        The MQTT payload (JSON) or the already decoded object.

    Returns
    -------
    CameraObservation

    Raises
    ------
    FrigateMessageError
        Not JSON, or a required field is missing or of the wrong type; the message names
        the field, e.g. ``"frigate event is missing field after.camera"``.

    Examples
    --------
    >>> obs = parse_frigate_event('{"type": "new", "after": {"id": "1.0-ab", '
    ...     '"camera": "gate", "label": "person", "score": 0.8, "top_score": 0.9, '
    ...     '"start_time": 1700000000.0, "current_zones": ["fence"], '
    ...     '"entered_zones": ["fence"]}}')
    >>> obs.camera, obs.newly_entered_zones
    ('gate', ('fence',))
    """
    message = _decode(payload)
    event_type = _field(message, "type", str, "")
    if event_type not in _EVENT_TYPES:
        raise FrigateMessageError(f"frigate event field type={event_type!r} is not new/update/end")
    after = _field(message, "after", dict, "")
    before = message.get("before") or {}
    if not isinstance(before, dict):
        raise FrigateMessageError("frigate event field before must be an object")
    score_name = "score" if "score" in after else "top_score"
    if score_name not in after:
        raise FrigateMessageError("frigate event is missing field after.score")
    score = float(_field(after, score_name, (int, float), "after."))
    entered = _zones(after, "entered_zones", "after.")
    before_entered = set(before.get("entered_zones") or ()) if event_type != "new" else set()
    return CameraObservation(
        event_id=_field(after, "id", str, "after."),
        event_type=event_type,
        camera=_field(after, "camera", str, "after."),
        label=_field(after, "label", str, "after."),
        sub_label=_sub_label(after.get("sub_label")),
        score=float(
            _field(after, "score" if "score" in after else "top_score", (int, float), "after.")
        ),
        top_score=float(after.get("top_score") or score),
        current_zones=_zones(after, "current_zones", "after."),
        entered_zones=entered,
        newly_entered_zones=tuple(z for z in entered if z not in before_entered),
        start_time_utc=_epoch(_field(after, "start_time", (int, float), "after."), "start_time"),
        end_time_utc=_epoch(after.get("end_time"), "end_time"),
        frame_time_utc=_epoch(after.get("frame_time"), "frame_time"),
        has_snapshot=bool(after.get("has_snapshot", False)),
        has_clip=bool(after.get("has_clip", False)),
        is_stationary=bool(after.get("stationary", False)),
        is_false_positive=bool(after.get("false_positive", False)),
    )


def _decode(payload: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(payload, Mapping):
        return payload
    try:
        message = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrigateMessageError(f"frigate event is not valid JSON: {exc}") from None
    if not isinstance(message, dict):
        raise FrigateMessageError("frigate event must be a JSON object")
    return message


def is_within_daily_window(local_time: time, start: time, end: time) -> bool:
    """Return True if ``local_time`` falls in [start, end), which may cross midnight.

    Examples
    --------
    >>> from datetime import time
    >>> is_within_daily_window(time(2, 0), time(18, 0), time(6, 0))
    True
    >>> is_within_daily_window(time(12, 0), time(18, 0), time(6, 0))
    False
    """
    if start == end:
        return True  # a zero-length window means "all day"
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end


@dataclass(frozen=True)
class CameraIntrusionRule:
    """Where and when a camera detection is an intrusion.

    ``window_start``/``window_end`` are local wall-clock times (the detector's ``tz``);
    None for both means at any time. ``min_score`` compares with Frigate's ``top_score``.
    """

    camera: str
    zones: frozenset[str]
    labels: frozenset[str] = DEFAULT_LABELS
    min_score: float = 0.7
    window_start: time | None = None
    window_end: time | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score={self.min_score} must be within 0..1")
        if (self.window_start is None) != (self.window_end is None):
            raise ValueError("window_start and window_end must both be set or both be None")


@dataclass(frozen=True)
class IntrusionDecision:
    """The verdict on one observation, with the reason in words."""

    is_intrusion: bool
    reason: str
    observation: CameraObservation
    zone: str | None = None
    rule: CameraIntrusionRule | None = None


def _matches(
    observation: CameraObservation, rule: CameraIntrusionRule, local_time: time
) -> tuple[bool, str, str | None]:
    if observation.label not in rule.labels:
        return False, f"label {observation.label!r} not watched", None
    zones = [zone for zone in observation.entered_zones if zone in rule.zones]
    if not zones:
        return False, "no watched zone entered", None
    if max(observation.top_score, observation.score) < rule.min_score:
        return False, f"score {observation.top_score:.2f} below {rule.min_score:.2f}", None
    window = (rule.window_start, rule.window_end)
    if window[0] is not None and window[1] is not None:
        is_inside = is_within_daily_window(local_time, window[0], window[1])
        if not is_inside:
            return False, f"local time {local_time:%H:%M} outside the watched window", None
    return True, f"{observation.label} entered {zones[0]} on {observation.camera}", zones[0]


def decide_intrusion(
    observation: CameraObservation,
    rules: Iterable[CameraIntrusionRule],
    *,
    tz: tzinfo | str = "America/Lima",
    already_alerted_ids: Iterable[str] = (),
) -> IntrusionDecision:
    """Decide whether an observation is an intrusion under any rule (first match wins).

    Parameters
    ----------
    observation : CameraObservation
    rules : iterable of CameraIntrusionRule
    tz : tzinfo or str
        Time zone of the rules' windows (Peru: ``America/Lima``, UTC-5, no DST).
    already_alerted_ids : iterable of str
        Frigate event ids already reported; they are never reported again.

    Returns
    -------
    IntrusionDecision

    Examples
    --------
    >>> # decide_intrusion(obs, [CameraIntrusionRule("gate", frozenset({"fence"}))])
    """
    if observation.event_id in set(already_alerted_ids):
        return IntrusionDecision(
            False, f"event {observation.event_id} already reported", observation
        )
    if observation.is_false_positive:
        return IntrusionDecision(False, "frigate marked it a false positive", observation)
    zone_info = ZoneInfo(tz) if isinstance(tz, str) else tz
    when = observation.frame_time_utc or observation.start_time_utc
    local_time = when.astimezone(zone_info).time()
    reasons = []
    for rule in rules:
        if rule.camera != observation.camera:
            continue
        is_match, reason, zone = _matches(observation, rule, local_time)
        if is_match:
            return IntrusionDecision(True, reason, observation, zone, rule)
        reasons.append(reason)
    reason = "; ".join(reasons) or f"camera {observation.camera} unwatched"
    return IntrusionDecision(False, reason, observation)


@dataclass
class FrigateIntrusionDetector:
    """Stateful wrapper: remembers reported event ids in a plain list (persistable).

    Examples
    --------
    >>> detector = FrigateIntrusionDetector([CameraIntrusionRule("gate", frozenset({"fence"}))])
    >>> detector.alerted_event_ids
    []
    """

    rules: list[CameraIntrusionRule]
    tz: str = "America/Lima"
    max_remembered: int = 10_000
    alerted_event_ids: list[str] = field(default_factory=list)

    def evaluate(self, payload: bytes | str | Mapping[str, Any]) -> IntrusionDecision:
        """Parse one message and decide; raises FrigateMessageError on a bad message."""
        observation = parse_frigate_event(payload)
        decision = decide_intrusion(
            observation, self.rules, tz=self.tz, already_alerted_ids=self.alerted_event_ids
        )
        if decision.is_intrusion:
            self.alerted_event_ids.append(observation.event_id)
            del self.alerted_event_ids[: -self.max_remembered]
        return decision
