"""What a sharing policy lets out: which records, at which TLP, placed how precisely.

One rule set for groups and agreements: a record leaves only if its threat is among
the threats chosen, its TLP is within the ceiling, and it is not confidential;
its position is coarsened to the precision chosen.
"""

from __future__ import annotations

import math

from minewatch.sharing.engine import tlp

PRECISIONS = ("exact", "approximate", "coarse")
APPROXIMATE_DEG = 0.01  # about 1.1 km at the equator
COARSE_DEG = 0.5  # about 55 km
# An incident's own location precision, ranked like ours, so the coarser of the two wins.
_INCIDENT_PRECISION_RANK = {"exact": 0, "approximate": 1, "district": 2, "region": 2}


def effective_tlp(*, override: str | None, default: str, confidentiality: str = "internal") -> str:
    """The TLP a record is exported under: its override, else the organisation's default.

    A restricted incident is never below TLP:AMBER; a confidential one is TLP:RED (and
    :func:`may_share` keeps it home whatever the ceiling).

    >>> effective_tlp(override=None, default="green", confidentiality="restricted")
    'amber'
    """
    level = tlp.check_level(override or default)
    if confidentiality == "restricted":
        level = tlp.stricter(level, "amber")
    if confidentiality == "confidential":
        level = "red"
    return level


def may_share(*, threat: str, level: str, ceiling: str, threats: list[str] | tuple[str, ...],
              confidentiality: str = "internal") -> bool:  # fmt: skip
    """True when a record of ``threat`` at TLP ``level`` may go out under this policy.

    An empty ``threats`` list shares nothing (a member opts in per threat).

    >>> may_share(threat="extortion_gang", level="green", ceiling="amber", threats=[])
    False
    """
    if confidentiality == "confidential":
        return False
    return threat in threats and tlp.within_ceiling(level, ceiling)


def generalise_point(lat: float, lon: float, precision: str) -> tuple[float, float]:
    """``(lat, lon)`` coarsened to ``precision``: exact, 0.01° or the centre of a 0.5° cell.

    >>> generalise_point(-7.7351, -77.5312, "approximate")
    (-7.74, -77.53)
    """
    if precision == "exact":
        return lat, lon
    if precision == "approximate":
        return (
            round(round(lat / APPROXIMATE_DEG) * APPROXIMATE_DEG, 4),
            round(round(lon / APPROXIMATE_DEG) * APPROXIMATE_DEG, 4),
        )
    if precision == "coarse":
        return (
            round(math.floor(lat / COARSE_DEG) * COARSE_DEG + COARSE_DEG / 2, 4),
            round(math.floor(lon / COARSE_DEG) * COARSE_DEG + COARSE_DEG / 2, 4),
        )
    raise ValueError(f"precision {precision!r}: expected one of {', '.join(PRECISIONS)}")


def shared_location_precision(incident_precision: str, shared: str) -> str:
    """The incident location precision to announce once ``shared`` coarsening is applied."""
    shared_as = {"exact": "exact", "approximate": "approximate", "coarse": "region"}[shared]
    rank = _INCIDENT_PRECISION_RANK
    return incident_precision if rank.get(incident_precision, 0) >= rank[shared_as] else shared_as
