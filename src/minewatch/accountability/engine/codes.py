"""Tracking codes a complainant can read out over a basic phone.

Ten symbols from an alphabet without look-alikes (no 0/O, 1/I/L): 31**10 ≈ 8e14
codes, so guessing one is hopeless under the intake's rate limit.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_PATTERN = re.compile(rf"^RC-[{ALPHABET}]{{5}}-[{ALPHABET}]{{5}}$")


def new_tracking_code() -> str:
    """A fresh random code like ``RC-7K2QX-M9TRA``."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"RC-{symbols[:5]}-{symbols[5:]}"


def normalise_tracking_code(raw: str) -> str:
    """Upper-case, spaces and missing dashes forgiven; '' when it cannot be a code.

    >>> normalise_tracking_code(" rc 7k2qx m9tra ")
    'RC-7K2QX-M9TRA'
    >>> normalise_tracking_code("hello")
    ''
    """
    compact = re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()
    if compact.startswith("RC"):
        compact = compact[2:]
    code = f"RC-{compact[:5]}-{compact[5:]}"
    return code if CODE_PATTERN.match(code) else ""
