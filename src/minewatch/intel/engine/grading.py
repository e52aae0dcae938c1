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

so ``B2 = 0.64``, ``C3 = 0.36``, ``F6 = 0.09`` and ``E5 = 0.015``.
"""

from __future__ import annotations

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


def grade_weight(reliability: str, credibility: str) -> float:
    """The weight of a report graded ``reliability`` (A–F) and ``credibility`` (1–6), in 0..1.

    Raises ValueError naming the grade that is not on its scale.

    >>> grade_weight("A", "1")
    1.0
    >>> round(grade_weight("B", "2"), 2)
    0.64
    >>> round(grade_weight("F", "6"), 2)
    0.09
    """
    rel = RELIABILITY_BY_CODE.get(str(reliability).upper())
    if rel is None:
        raise ValueError(f"source reliability {reliability!r} is not one of A–F")
    cred = CREDIBILITY_BY_CODE.get(str(credibility))
    if cred is None:
        raise ValueError(f"information credibility {credibility!r} is not one of 1–6")
    return rel.weight * cred.weight
