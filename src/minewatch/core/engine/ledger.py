"""The audit log's hash chain and the Ed25519-signed checkpoints over every chain's head.

Pure code (no Django). An audit entry's hash covers its canonical JSON (sorted keys, fixed
separators, UTF-8, times as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) and the previous entry's hash,
so editing, removing or reordering an entry breaks the chain. A chain alone does not stop
someone who can write the database from rewriting it and recomputing every hash; a
**signed checkpoint** does: it holds the heads (sequence and hash) of the audit chain and of
every custody chain, signed with a private key kept outside the database. Whoever holds the
public key alone can check a checkpoint, and a rewritten chain no longer reaches the signed head.

Example
-------
>>> from datetime import UTC, datetime
>>> key = generate_key()
>>> at = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
>>> first = entry_hash({"sequence": 1, "note": "alta", "at": at}, GENESIS_PREV_HASH)
>>> payload = {"audit": {"sequence": 1, "head": first}, "custody": {}}
>>> signed = sign_payload(key, payload)
>>> verify_signature(public_key_pem(key), signed)
True
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS_PREV_HASH = "0" * 64
CANONICAL_VERSION = 1


def canonical_time(value: datetime) -> str:
    """A time as the ledger's canonical JSON writes it (UTC, microseconds, ``Z``)."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: times in the ledger are UTC-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return canonical_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot put {type(value).__name__} in the ledger")


def canonical_json(value: Any) -> bytes:
    """The one byte form that is hashed and signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default, allow_nan=False).encode("utf-8")  # fmt: skip


def entry_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of an entry's fields and the previous entry's hash."""
    body = {"v": CANONICAL_VERSION, "prev_hash": prev_hash, "fields": fields}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def chain_problems(entries: list[tuple[int, str, str, dict[str, Any]]]) -> list[str]:
    """Check a chain given as (sequence, prev_hash, entry_hash, fields), in sequence order.

    Returns one message per problem: an entry whose content no longer matches its hash
    (edited), a gap in the sequence (deleted), a link to the wrong previous entry
    (reordered or removed). An empty list means the chain is intact.
    """
    problems: list[str] = []
    expected_prev = GENESIS_PREV_HASH
    expected_sequence = 1
    for sequence, prev, stored, fields in entries:
        if sequence != expected_sequence:
            problems.append(
                f"entry {sequence}: expected entry {expected_sequence} here "
                f"(entries {expected_sequence}–{sequence - 1} were deleted or reordered)"
                if sequence > expected_sequence
                else f"entry {sequence}: out of order or duplicated"
            )
        if prev != expected_prev:
            problems.append(f"entry {sequence}: does not link to the entry before it")
        if entry_hash(fields, prev) != stored:
            problems.append(f"entry {sequence}: its content does not match its hash (edited)")
        expected_prev = stored
        expected_sequence = sequence + 1
    return problems


def generate_key() -> Ed25519PrivateKey:
    """A new Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())  # fmt: skip


def public_key_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """Read a PEM private key; raises ValueError if it is not an Ed25519 key."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 key")
    return key


def key_id(public_pem: str) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_pem.strip().encode("ascii")).hexdigest()[:16]


def sign_payload(key: Ed25519PrivateKey, payload: dict[str, Any]) -> dict[str, Any]:
    """``{"payload": …, "key_id": …, "signature": base64}`` over the payload's canonical JSON."""
    signature = key.sign(canonical_json(payload))
    return {"payload": payload, "key_id": key_id(public_key_pem(key)),
            "signature": base64.b64encode(signature).decode("ascii")}  # fmt: skip


def verify_signature(public_pem: str, signed: dict[str, Any]) -> bool:
    """True when ``signed`` (as made by :func:`sign_payload`) was signed by this public key."""
    try:
        public = serialization.load_pem_public_key(public_pem.encode("ascii"))
        if not isinstance(public, Ed25519PublicKey):
            return False
        public.verify(base64.b64decode(signed["signature"]), canonical_json(signed["payload"]))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False
    return True
