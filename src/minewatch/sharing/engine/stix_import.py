"""Reading a partner's STIX 2.1 bundle: the objects we keep, and an error for each we cannot.

Kept types: ``threat-actor`` and ``intrusion-set`` (actors), ``report``, ``incident``,
``sighting`` and ``campaign`` (intelligence), ``location`` (places them on the map).
Structural types (``identity``, ``relationship``, ``marking-definition``,
``extension-definition``) are read for links and markings but not stored on their own.
Any other type is an error naming the type and the object id; the rest of the bundle
is still imported.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from minewatch.sharing.engine import tlp
from minewatch.sharing.engine.stix import ADMIRALTY_CONFIDENCE, ADMIRALTY_EXTENSION_ID

STORED_TYPES = frozenset({"threat-actor", "intrusion-set", "report", "incident", "sighting",
                          "campaign"})  # fmt: skip
STRUCTURAL_TYPES = frozenset({"identity", "relationship", "marking-definition",
                              "extension-definition", "location"})  # fmt: skip
ACTOR_TYPES = frozenset({"threat-actor", "intrusion-set"})


class StixBundleError(ValueError):
    """The input is not a STIX bundle at all (not JSON, not ``type: bundle``)."""


@dataclass
class ImportedObject:
    """One object to store as external intelligence."""

    stix_id: str
    stix_type: str
    name: str
    description: str
    modified: dt.datetime
    tlp: str | None
    confidence: int | None
    information_credibility: str
    aliases: list[str] = field(default_factory=list)
    actor_ids: list[str] = field(default_factory=list)
    lat: float | None = None
    lon: float | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedBundle:
    objects: list[ImportedObject] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def credibility_from_confidence(confidence: int | None) -> str:
    """STIX confidence (0–100) → Admiralty information credibility (Appendix A, inverted).

    >>> credibility_from_confidence(70), credibility_from_confidence(None)
    ('2', '6')
    """
    if confidence is None:
        return "6"
    for code, floor in (("1", 80), ("2", 60), ("3", 40), ("4", 20)):
        if confidence >= floor:
            return code
    return "5"


def _time(value: Any, name: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a STIX timestamp") from None
    if moment.tzinfo is None:
        raise ValueError(f"{name} {value!r} has no time zone")
    return moment.astimezone(dt.UTC)


def load(text: str | bytes) -> dict[str, Any]:
    """The bundle dict from JSON text; StixBundleError when it is not a bundle."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StixBundleError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise StixBundleError("not a STIX bundle (the top-level object needs type 'bundle')")
    if not isinstance(data.get("objects", []), list):
        raise StixBundleError("objects: expected a list")
    return data


def _strings(value: Any) -> list[str]:
    """A list property's string items; anything else (a number, a dict, a string) gives none."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_bundle(data: dict[str, Any]) -> ParsedBundle:
    """The objects to store and the errors (unknown types, malformed objects), each named."""
    result = ParsedBundle()
    by_id: dict[str, dict[str, Any]] = {}
    for position, obj in enumerate(data.get("objects", [])):
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) \
                or not isinstance(obj.get("type"), str):  # fmt: skip
            result.errors.append(f"objects[{position}]: not a STIX object (needs type and id)")
            continue
        kind = obj["type"]
        if kind not in STORED_TYPES | STRUCTURAL_TYPES:
            result.errors.append(f"objects[{position}] {obj['id']}: unknown or unsupported "
                                 f"STIX type {kind!r}; skipped")  # fmt: skip
            continue
        by_id[obj["id"]] = obj
    locations = _located_at(by_id)
    for stix_id, obj in by_id.items():
        if obj["type"] not in STORED_TYPES:
            continue
        try:
            result.objects.append(_imported(obj, by_id, locations))
        except ValueError as exc:
            result.errors.append(f"{stix_id}: {exc}")
    return result


def _located_at(by_id: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Object id → location id, from ``located-at`` relationships and report object_refs."""
    found: dict[str, str] = {}
    for obj in by_id.values():
        if obj["type"] == "relationship" and obj.get("relationship_type") == "located-at":
            target = by_id.get(_text(obj.get("target_ref")))
            if target is not None and target["type"] == "location":
                found.setdefault(_text(obj.get("source_ref")), target["id"])
        for ref in _strings(obj.get("object_refs")) or _strings(obj.get("where_sighted_refs")):
            target = by_id.get(ref)
            if target is not None and target["type"] == "location":
                found.setdefault(obj["id"], ref)
    return found


def _actor_refs(obj: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[str]:
    refs = _strings(obj.get("object_refs"))
    if _text(obj.get("sighting_of_ref")):
        refs.append(obj["sighting_of_ref"])
    for other in by_id.values():
        if other["type"] == "relationship" and other.get("source_ref") == obj["id"]:
            refs.append(_text(other.get("target_ref")))
    return [ref for ref in refs if by_id.get(ref, {}).get("type") in ACTOR_TYPES]


def _imported(obj: dict[str, Any], by_id: dict[str, dict[str, Any]],
              locations: dict[str, str]) -> ImportedObject:  # fmt: skip
    modified = _time(obj.get("modified") or obj.get("created"), "modified")
    confidence = obj.get("confidence")
    if confidence is not None and (not isinstance(confidence, int) or not 0 <= confidence <= 100):
        raise ValueError(f"confidence {confidence!r}: expected an integer 0..100")
    extensions = obj.get("extensions") if isinstance(obj.get("extensions"), dict) else {}
    grade = extensions.get(ADMIRALTY_EXTENSION_ID)
    credibility = str(grade.get("information_credibility") or "") if isinstance(grade, dict) else ""
    if credibility not in ADMIRALTY_CONFIDENCE:
        credibility = credibility_from_confidence(confidence)
    name = str(obj.get("name") or "").strip()
    if obj["type"] == "sighting":
        sighted = by_id.get(_text(obj.get("sighting_of_ref")), {})
        name = name or f"Sighting of {sighted.get('name', obj.get('sighting_of_ref', '?'))}"
    if not name:
        raise ValueError(f"{obj['type']} without a name")
    aliases = obj.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(alias, str) for alias in aliases):
        raise ValueError("aliases: expected a list of names")
    imported = ImportedObject(
        stix_id=obj["id"], stix_type=obj["type"], name=name[:200],
        description=str(obj.get("description") or ""), modified=modified,
        tlp=tlp.level_of_markings(_strings(obj.get("object_marking_refs"))), confidence=confidence,
        information_credibility=credibility, aliases=[alias.strip() for alias in aliases],
        actor_ids=_actor_refs(obj, by_id), payload=obj,
    )  # fmt: skip
    location = by_id.get(locations.get(obj["id"], ""))
    if location is not None:
        lat, lon = location.get("latitude"), location.get("longitude")
        if isinstance(lat, int | float) and isinstance(lon, int | float) and -90 <= lat <= 90 \
                and -180 <= lon <= 180:  # fmt: skip
            imported.lat, imported.lon = float(lat), float(lon)
    return imported
