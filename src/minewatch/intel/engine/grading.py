"""The Admiralty (NATO AJP-2.1 / "6x6") grading system and the weight MineWatch gives each grade.

A report is graded twice and independently: the *source reliability* (A–F) and the
*information credibility* (1–6). The meanings below are the standard ones (STANAG 2511,
also used by UK police as the former "5x5x5"); the Spanish wording follows the
translations used by Latin-American police intelligence manuals.

Weights (used by the early-warning engine) are the product of a reliability factor
and a credibility factor, so ``A1 = 1.0``. "Cannot be judged" (F, 6) is treated as
better than a grade that is known to be poor (E, 5): unknown is not evidence of
falsehood. The resulting scale, documented here and in ``docs``::

    reliability  A 1.0  B 0.8  C 0.6  D 0.4  E 0.15  F 0.3
    credibility  1 1.0  2 0.8  3 0.6  4 0.4  5 0.1   6 0.3

so ``B2 = 0.64``, ``C3 = 0.36``, ``F6 = 0.09`` and ``E5 = 0.015``. These are the
defaults: each organisation may set its own factors (``intel.EarlyWarningSettings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Grade:
    """One value of a grading scale with its meaning in Spanish and English and its weight."""

    code: str
    label_es: str
    label_en: str
    weight: float


SOURCE_RELIABILITY: tuple[Grade, ...] = (
    Grade("A", "Completamente confiable", "Completely reliable", 1.0),
    Grade("B", "Usualmente confiable", "Usually reliable", 0.8),
    Grade("C", "Bastante confiable", "Fairly reliable", 0.6),
    Grade("D", "No usualmente confiable", "Not usually reliable", 0.4),
    Grade("E", "No confiable", "Unreliable", 0.15),
    Grade("F", "No se puede juzgar la confiabilidad", "Reliability cannot be judged", 0.3),
)

INFORMATION_CREDIBILITY: tuple[Grade, ...] = (
    Grade("1", "Confirmada por otras fuentes", "Confirmed by other sources", 1.0),
    Grade("2", "Probablemente cierta", "Probably true", 0.8),
    Grade("3", "Posiblemente cierta", "Possibly true", 0.6),
    Grade("4", "Dudosa", "Doubtful", 0.4),
    Grade("5", "Improbable", "Improbable", 0.1),
    Grade("6", "No se puede juzgar su veracidad", "Truth cannot be judged", 0.3),
)

RELIABILITY_BY_CODE = {g.code: g for g in SOURCE_RELIABILITY}
CREDIBILITY_BY_CODE = {g.code: g for g in INFORMATION_CREDIBILITY}


DEFAULT_RELIABILITY_WEIGHTS: dict[str, float] = {g.code: g.weight for g in SOURCE_RELIABILITY}
DEFAULT_CREDIBILITY_WEIGHTS: dict[str, float] = {g.code: g.weight for g in INFORMATION_CREDIBILITY}


def check_weights(weights: Mapping[str, object], scale: str) -> dict[str, float]:
    """``weights`` (some or all grades of ``scale``) as floats in 0..1, or ValueError naming the grade.

    ``scale`` is ``"reliability"`` (A–F) or ``"credibility"`` (1–6).

    >>> check_weights({"A": 0.9, "F": "0.5"}, "reliability")
    {'A': 0.9, 'F': 0.5}
    >>> check_weights({"G": 1.0}, "reliability")
    Traceback (most recent call last):
    ...
    ValueError: grade 'G' is not one of A, B, C, D, E, F
    """
    codes = RELIABILITY_BY_CODE if scale == "reliability" else CREDIBILITY_BY_CODE
    result: dict[str, float] = {}
    for code, raw in weights.items():
        if code not in codes:
            raise ValueError(f"grade {code!r} is not one of {', '.join(codes)}")
        if isinstance(raw, bool):
            raise ValueError(f"grade {code}: {raw!r} is not a number")
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"grade {code}: {raw!r} is not a number") from None
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"grade {code}: weight {value} is outside 0..1")
        result[code] = value
    return result


def grade_weight(
    reliability: str,
    credibility: str,
    reliability_weights: Mapping[str, float] | None = None,
    credibility_weights: Mapping[str, float] | None = None,
) -> float:
    """The weight of a report graded ``reliability`` (A–F) and ``credibility`` (1–6), in 0..1.

    The factors come from the tables given (an organisation's settings), else the defaults
    above; a grade missing from a given table takes its default factor.
    Raises ValueError naming the grade that is not on its scale.

    >>> grade_weight("A", "1")
    1.0
    >>> round(grade_weight("B", "2"), 2)
    0.64
    >>> round(grade_weight("F", "6"), 2)
    0.09
    >>> round(grade_weight("B", "2", {"B": 0.5}), 2)
    0.4
    """
    rel = RELIABILITY_BY_CODE.get(str(reliability).upper())
    if rel is None:
        raise ValueError(f"source reliability {reliability!r} is not one of A–F")
    cred = CREDIBILITY_BY_CODE.get(str(credibility))
    if cred is None:
        raise ValueError(f"information credibility {credibility!r} is not one of 1–6")
    rel_factor = (reliability_weights or {}).get(rel.code, rel.weight)
    cred_factor = (credibility_weights or {}).get(cred.code, cred.weight)
    return float(rel_factor) * float(cred_factor)
