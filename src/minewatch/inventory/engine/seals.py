"""Comparing the seals found on arrival with those applied at loading."""

from __future__ import annotations

MATCHED, MISSING, BROKEN, DIFFERENT = "matched", "missing", "broken", "different"


def compare_seals(applied: list[str], observed: list[tuple[str, bool]]) -> list[tuple[str, str]]:
    """Each seal's status: ``(number, matched | missing | broken | different)``.

    ``observed`` is ``(number, is_intact)`` per seal found on the truck. An applied seal
    not found is missing; a found seal that was never applied is different (a
    replacement); a broken one is broken whatever its number. Numbers compare without
    surrounding blanks and case.

    Examples
    --------
    >>> compare_seals(["A1", "A2", "A3"], [("a1", True), ("A2", False), ("Z9", True)])
    [('A1', 'matched'), ('A2', 'broken'), ('A3', 'missing'), ('Z9', 'different')]
    """

    def norm(number: str) -> str:
        return number.strip().upper()

    found = {norm(number): intact for number, intact in observed}
    results = []
    for number in applied:
        if norm(number) not in found:
            results.append((number, MISSING))
        else:
            results.append((number, MATCHED if found[norm(number)] else BROKEN))
    known = {norm(n) for n in applied}
    for number, intact in observed:
        if norm(number) not in known:
            results.append((number.strip(), DIFFERENT if intact else BROKEN))
    return results
