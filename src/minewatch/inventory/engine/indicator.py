"""Weighbridge indicator output: parse frames, and capture a truck's stable mass once.

Two widely used formats:

* the continuous "ST,GS,+0012345kg" frame many indicators print (status ``ST``
  stable, ``US`` unstable, ``OL`` overload; mode ``GS`` gross or ``NT`` net;
  signed mass with its unit, kg or t);
* Mettler Toledo MT-SICS weight responses: ``S S     12345 kg`` (stable),
  ``S D     12340 kg`` (dynamic, i.e. not stable), ``S I`` / ``S +`` / ``S -``
  (no value: busy, overload, underload).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTINUOUS = re.compile(r"^(ST|US|OL),(GS|NT),([+-])\s*(\d+(?:\.\d+)?)\s*(kg|t)$", re.IGNORECASE)
SICS = re.compile(r"^S\s+([SD])\s+([+-]?\d+(?:\.\d+)?)\s+(kg|t)$")
SICS_NO_VALUE = re.compile(r"^S\s+[I+-]$")
UNIT_KG = {"kg": 1.0, "t": 1000.0}


@dataclass(frozen=True)
class IndicatorReading:
    """One frame: whether the indicator says the mass is stable, gross or net, mass in kg."""

    is_stable: bool
    is_gross: bool
    mass_kg: float | None


def parse_frame(frame: str) -> IndicatorReading:
    """Parse one line of indicator output; ``ValueError`` names what is wrong.

    Examples
    --------
    >>> parse_frame("ST,GS,+0012345kg")
    IndicatorReading(is_stable=True, is_gross=True, mass_kg=12345.0)
    >>> parse_frame("S D      24.350 t")
    IndicatorReading(is_stable=False, is_gross=True, mass_kg=24350.0)
    >>> parse_frame("S +")
    IndicatorReading(is_stable=False, is_gross=True, mass_kg=None)
    """
    text = frame.strip()
    match = CONTINUOUS.match(text)
    if match:
        status, mode, sign, value, unit = match.groups()
        if status.upper() == "OL":
            return IndicatorReading(False, mode.upper() == "GS", None)
        mass = float(value) * UNIT_KG[unit.lower()] * (-1 if sign == "-" else 1)
        return IndicatorReading(status.upper() == "ST", mode.upper() == "GS", mass)
    match = SICS.match(text)
    if match:
        status, value, unit = match.groups()
        return IndicatorReading(status == "S", True, float(value) * UNIT_KG[unit])
    if SICS_NO_VALUE.match(text):
        return IndicatorReading(False, True, None)
    raise ValueError(f"not an indicator frame: {text[:60]!r}")


class StableCapture:
    """Emit a truck's mass once: after ``frames`` stable gross readings within ``tolerance_kg``
    of each other and above ``min_kg``; re-armed when the mass falls below ``min_kg``.

    >>> capture = StableCapture(frames=3, min_kg=1000, tolerance_kg=20)
    >>> frames = ["US,GS,+0020000kg"] + ["ST,GS,+0024350kg"] * 4 + ["ST,GS,+0000000kg"]
    >>> [capture.feed(parse_frame(f)) for f in frames]
    [None, None, None, 24350.0, None, None]
    """

    def __init__(self, *, frames: int = 5, min_kg: float = 2000.0, tolerance_kg: float = 20.0):
        if frames < 1 or min_kg <= 0 or tolerance_kg < 0:
            raise ValueError("frames ≥ 1, min_kg > 0 and tolerance_kg ≥ 0 are required")
        self.frames, self.min_kg, self.tolerance_kg = frames, min_kg, tolerance_kg
        self._run: list[float] = []
        self._armed = True

    def feed(self, reading: IndicatorReading) -> float | None:
        """The captured mass (kg) when this frame completes a stable run, else ``None``."""
        mass = reading.mass_kg
        if mass is None or not reading.is_gross:
            self._run = []
            return None
        if mass < self.min_kg:
            self._armed, self._run = True, []
            return None
        if not reading.is_stable or not self._armed:
            self._run = []
            return None
        if self._run and abs(mass - self._run[0]) > self.tolerance_kg:
            self._run = []
        self._run.append(mass)
        if len(self._run) < self.frames:
            return None
        self._armed, self._run = False, []
        return mass
