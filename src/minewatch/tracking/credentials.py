"""Tracker secrets: how they are made, stored (hashed) and checked, and where senders put them.

Every device needs a secret unless it is explicitly marked a legacy tracker
(``Device.accepts_unauthenticated``). The secret is random (32 URL-safe
characters, 192 bits), so one SHA-256 is enough to store it: unlike a password
it cannot be guessed from a dictionary, and ingest must stay fast (one hash per
message). The plain secret is shown once, when it is issued.

Where a sender puts it (all equivalent):

* ``id=DEVICEID:SECRET`` (Traccar Client's *device identifier* field);
* a ``secret`` or ``token`` parameter (query, form or JSON);
* ``Authorization: Bearer SECRET``;
* the server URL's last path segment (``https://host/ingest/osmand/SECRET``,
  or ``http://host:5055/SECRET`` on the OsmAnd listener).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

SECRET_BYTES = 24
MIN_SECRET_CHARS = 16
HASH_PREFIX = "sha256$"
# What a secret may look like where it shares a field with something else.
_SECRET_SHAPE = re.compile(rf"[A-Za-z0-9_\-]{{{MIN_SECRET_CHARS},128}}")


def new_secret() -> str:
    """A new random device secret (32 URL-safe characters)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """The stored form of ``secret``: ``sha256$<hex>``."""
    return HASH_PREFIX + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(presented: str | None, stored_hash: str) -> bool:
    """True when ``presented`` hashes to ``stored_hash`` (constant-time comparison).

    >>> secret_matches("x" * 20, hash_secret("x" * 20)), secret_matches(None, hash_secret("x"))
    (True, False)
    """
    candidate = hash_secret(presented or "")
    return bool(presented) and bool(stored_hash) and hmac.compare_digest(candidate, stored_hash)


def looks_like_secret(text: str) -> bool:
    return bool(_SECRET_SHAPE.fullmatch(text))


_SECRET_IN_TEXT = re.compile(
    rf"((?:secret|token)[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}}]+"
    rf"|(:)[A-Za-z0-9_\-]{{{MIN_SECRET_CHARS},128}}(?=[&\s\"']|$)",
    re.IGNORECASE,
)


def redact_secrets(text: str) -> str:
    """``text`` (a raw message kept for operators) with every secret replaced by ``***``.

    >>> redact_secrets("id=TRK-1:" + "a" * 32 + "&lat=1&secret=xyz")
    'id=TRK-1:***&lat=1&secret=***'
    """
    return _SECRET_IN_TEXT.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


def split_device_id(identifier: str) -> tuple[str, str | None]:
    """``"DEVICE:SECRET"`` → ``("DEVICE", "SECRET")``; anything else is returned whole.

    Only a last part shaped like a secret is split off, so identifiers that
    contain colons themselves (MAC addresses) stay whole.

    >>> split_device_id("TRK-1:" + "a" * 32)[0], split_device_id("AA:BB:CC")
    ('TRK-1', ('AA:BB:CC', None))
    """
    device, colon, secret = identifier.rpartition(":")
    if colon and device and looks_like_secret(secret):
        return device, secret
    return identifier, None
