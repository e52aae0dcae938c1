"""Traffic Light Protocol 2.0 (FIRST, 2022) and its STIX 2.1 marking definitions.

The five marking-definition objects are the OASIS CTI TC's TLP 2.0 definitions
(cti-stix-common-objects, ``extension-definition-specifications/tlp-2.0``): fixed ids,
created 2022-10-01, carried as a property extension ``tlp_2_0``. A producer never
invents its own TLP marking ids, so a partner's tool recognises these by id.
"""

from __future__ import annotations

from typing import Any

# From least to most restrictive; the order decides what a "ceiling" lets through.
LEVELS: tuple[str, ...] = ("clear", "green", "amber", "amber+strict", "red")

TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

MARKING_IDS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
LEVEL_BY_MARKING_ID: dict[str, str] = {value: key for key, value in MARKING_IDS.items()}


def check_level(level: str) -> str:
    """``level`` lower-cased if it is a TLP 2.0 level, else ValueError naming it.

    >>> check_level("AMBER+STRICT")
    'amber+strict'
    """
    value = (level or "").strip().lower().removeprefix("tlp:")
    if value not in LEVELS:
        raise ValueError(f"unknown TLP level {level!r}; expected one of {', '.join(LEVELS)}")
    return value


def rank(level: str) -> int:
    """Position of ``level`` from 0 (clear) to 4 (red)."""
    return LEVELS.index(check_level(level))


def within_ceiling(level: str, ceiling: str) -> bool:
    """True when an object marked ``level`` may be released under ``ceiling``.

    >>> within_ceiling("green", "amber"), within_ceiling("red", "amber")
    (True, False)
    """
    return rank(level) <= rank(ceiling)


def stricter(first: str, second: str) -> str:
    """The more restrictive of two levels."""
    return first if rank(first) >= rank(second) else second


def marking_definition(level: str) -> dict[str, Any]:
    """The OASIS TLP 2.0 marking-definition object for ``level`` (a plain STIX dict)."""
    level = check_level(level)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": MARKING_IDS[level],
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{level.upper()}",
        "extensions": {
            TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}
        },
    }


def level_of_markings(marking_refs: list[str] | None) -> str | None:
    """The most restrictive TLP 2.0 level among ``marking_refs``; ``None`` when none is TLP."""
    found = [LEVEL_BY_MARKING_ID[ref] for ref in marking_refs or [] if ref in LEVEL_BY_MARKING_ID]
    if not found:
        return None
    return max(found, key=rank)
