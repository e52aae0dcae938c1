"""Write the console's critical-alert sound: two short tones, 8-bit mono WAV, made here.

The console plays ``src/minewatch/web/static/minewatch/sounds/critical-alert.wav`` when a
new critical alert arrives; it is generated (no recording, no download) so its licence is
the project's. Run ``python scripts/make_alarm_sound.py`` to rewrite it.
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

RATE = 8000
TONES = ((880, 0.18), (0, 0.06), (660, 0.18), (0, 0.06), (880, 0.18))
TARGET = (
    Path(__file__).resolve().parent.parent
    / "src/minewatch/web/static/minewatch/sounds/critical-alert.wav"
)


def samples() -> bytes:
    out = bytearray()
    for frequency, seconds in TONES:
        count = int(RATE * seconds)
        for i in range(count):
            # a short fade in and out so the tones do not click
            envelope = min(1.0, i / 80, (count - i) / 80)
            value = math.sin(2 * math.pi * frequency * i / RATE) if frequency else 0.0
            out.append(int(128 + 90 * envelope * value))
    return bytes(out)


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(TARGET), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(RATE)
        wav.writeframes(samples())
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
