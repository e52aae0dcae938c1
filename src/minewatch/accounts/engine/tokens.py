"""API token and recovery-code formats, their digests, and allowed address ranges.

A token is ``mw_`` followed by 43 URL-safe characters (256 random bits). Only its
SHA-256 digest is stored: with that much entropy a fast hash cannot be brute-forced,
and a digest lets the server find the token in one indexed lookup. Recovery codes
are ten characters of Crockford base32 (50 bits), grouped ``XXXXX-XXXXX`` for reading
aloud, and stored the same way.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets

TOKEN_PREFIX = "mw_"  # noqa: S105 - the public marker of the format, not a secret
TOKEN_BODY_LENGTH = 43  # secrets.token_urlsafe(32)
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def new_token() -> str:
    """A fresh API token.

    Examples
    --------
    >>> token = new_token()
    >>> token.startswith("mw_") and len(token) == 46
    True
    """
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def looks_like_token(raw: str) -> bool:
    """True for a string of this format (a DRF legacy key, 40 hex digits, is not)."""
    return raw.startswith(TOKEN_PREFIX) and len(raw) == len(TOKEN_PREFIX) + TOKEN_BODY_LENGTH


def digest(secret: str) -> str:
    """The SHA-256 hex digest stored instead of a token or recovery code."""
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of a token, shown in lists so a user can tell tokens apart."""
    return token[: len(TOKEN_PREFIX) + 6]


def new_recovery_codes(count: int = 10) -> list[str]:
    """``count`` single-use recovery codes such as ``7K2QM-XT0PA``."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(raw: str) -> str:
    """A typed recovery code in its stored form: upper case, dash restored, O→0, I/L→1.

    >>> normalise_recovery_code(" 7k2qm xtopa ")
    '7K2QM-XT0PA'
    """
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    return f"{cleaned[:5]}-{cleaned[5:]}" if len(cleaned) == 10 else cleaned


def parse_networks(raw: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Comma- or space-separated address ranges (``10.0.0.0/8, 192.0.2.7``).

    Raises ``ValueError`` naming the first one that is not an address or range.
    """
    networks = []
    for part in raw.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or range such as 10.0.0.0/8") from None
    return networks


def address_allowed(address: str, networks: list[str]) -> bool:
    """True when ``networks`` is empty or ``address`` lies in one of them."""
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)
