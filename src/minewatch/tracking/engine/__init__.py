"""Pure convoy-tracking engine: protocol parsers, detectors and per-device state.

No Django here; the ``tracking`` app's services feed this engine and persist
what it returns. Entry point: :class:`TrackingEngine`.
"""

from minewatch.tracking.engine.batch import FixBatch
from minewatch.tracking.engine.engine import TrackingEngine
from minewatch.tracking.engine.forwarding import parse_mqtt_position, parse_traccar_forward
from minewatch.tracking.engine.geometry import CorridorIndex, LocalPlane, ZoneIndex
from minewatch.tracking.engine.model import (
    DETECTION_KINDS,
    Detection,
    DetectorConfig,
    Route,
    Trip,
    Zone,
)
from minewatch.tracking.engine.protocols import (
    Fix,
    ProtocolError,
    parse_osmand_json,
    parse_osmand_query,
    parse_timestamp,
)
from minewatch.tracking.engine.state import DeviceState
from minewatch.tracking.engine.validation import REJECT_REASONS, validate_arrays, validate_fix

__all__ = [
    "DETECTION_KINDS",
    "REJECT_REASONS",
    "CorridorIndex",
    "Detection",
    "DetectorConfig",
    "DeviceState",
    "Fix",
    "FixBatch",
    "LocalPlane",
    "ProtocolError",
    "Route",
    "TrackingEngine",
    "Trip",
    "Zone",
    "ZoneIndex",
    "parse_mqtt_position",
    "parse_osmand_json",
    "parse_osmand_query",
    "parse_timestamp",
    "parse_traccar_forward",
    "validate_arrays",
    "validate_fix",
]
