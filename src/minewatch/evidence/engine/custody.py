"""Append-only, hash-chained chain-of-custody log, and the verifier of items and chains.

Each entry's hash covers its canonical JSON (sorted keys, fixed separators,
UTF-8, times as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``) including the previous
entry's hash, so changing, removing or reordering an entry breaks the chain.
The first entry links to ``GENESIS_PREV_HASH``.

A chain alone cannot reveal that its *last* entries were cut off or that
the last entry was rewritten together with its hash: pass the head hash and
length recorded elsewhere (the item's row, an exported dossier) as
``expected_head_hash`` / ``expected_length`` to catch that.

Example
-------
>>> from datetime import UTC, datetime
>>> t = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
>>> first = append_entry(None, item_sha256="a" * 64, action="collected", actor="guardia.perez",
...                      occurred_at=t, reason="foto del bloqueo")
>>> second = append_entry(first, item_sha256="a" * 64, action="uploaded", actor="guardia.perez",
...                       occurred_at=t)
>>> verify_chain([first, second])
[]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from minewatch.evidence.engine.store import BlobStore, validate_sha256

GENESIS_PREV_HASH = "0" * 64
CANONICAL_VERSION = 1


class CustodyAction(StrEnum):
    """What happened to the item."""

    COLLECTED = "collected"
    UPLOADED = "uploaded"
    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    EXPORTED = "exported"
    HANDED_OVER = "handed_over"
    RETURNED = "returned"
    LEGAL_HOLD = "legal_hold"
    RELEASED = "released"
    VERIFIED = "verified"


@dataclass(frozen=True)
class Recipient:
    """Who received the item: a police unit or prosecutor's office, and their document number."""

    organisation: str
    document_number: str

    def as_dict(self) -> dict[str, str]:
        return {"organisation": self.organisation, "document_number": self.document_number}


@dataclass(frozen=True)
class CustodyEntry:
    """One entry of an item's custody log."""

    sequence: int
    item_sha256: str
    action: CustodyAction
    actor: str
    occurred_at: datetime
    reason: str
    recipient: Recipient | None
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class ChainProblem:
    """Something wrong in a chain: ``kind`` (machine-readable), where, and a message."""

    kind: str
    position: int
    sequence: int | None
    message: str


def format_utc(moment: datetime) -> str:
    """Canonical UTC text of an aware datetime; ValueError on a naive one.

    Examples
    --------
    >>> format_utc(datetime(2024, 5, 1, 7, 0, tzinfo=UTC))
    '2024-05-01T07:00:00.000000Z'
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"occurred_at must be a timezone-aware UTC datetime, got naive {moment}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_entry_bytes(entry: CustodyEntry) -> bytes:
    """The bytes hashed for an entry: every field except ``entry_hash``, canonical JSON.

    Examples
    --------
    >>> e = CustodyEntry(0, "a" * 64, CustodyAction.VIEWED, "ana", datetime(2024, 1, 1,
    ...     tzinfo=UTC), "", None, GENESIS_PREV_HASH, "")
    >>> canonical_entry_bytes(e)[:30]
    b'{"action":"viewed","actor":"an'
    """
    document: dict[str, Any] = {
        "v": CANONICAL_VERSION,
        "sequence": entry.sequence,
        "item_sha256": entry.item_sha256,
        "action": str(entry.action),
        "actor": entry.actor,
        "occurred_at": format_utc(entry.occurred_at),
        "reason": entry.reason,
        "recipient": entry.recipient.as_dict() if entry.recipient else None,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def compute_entry_hash(entry: CustodyEntry) -> str:
    """SHA-256 (hex) of the entry's canonical bytes."""
    return hashlib.sha256(canonical_entry_bytes(entry)).hexdigest()


def append_entry(
    prev: CustodyEntry | None,
    *,
    item_sha256: str,
    action: CustodyAction | str,
    actor: str,
    occurred_at: datetime,
    reason: str = "",
    recipient: Recipient | None = None,
) -> CustodyEntry:
    """Make the entry that follows ``prev`` (or the first entry if ``prev`` is None).

    Raises
    ------
    ValueError
        Unknown action, empty actor, naive or earlier-than-``prev`` time, a
        hand-over without recipient and document number, or an item hash
        different from ``prev``'s.

    Examples
    --------
    >>> e = append_entry(None, item_sha256="b" * 64, action="collected", actor="ana",
    ...                  occurred_at=datetime(2024, 1, 1, tzinfo=UTC))
    >>> e.sequence, e.prev_hash == GENESIS_PREV_HASH, len(e.entry_hash)
    (0, True, 64)
    """
    validate_sha256(item_sha256)
    try:
        action = CustodyAction(action)
    except ValueError as error:
        choices = ", ".join(a.value for a in CustodyAction)
        raise ValueError(
            f"unknown custody action {action!r}; expected one of: {choices}"
        ) from error
    if not actor.strip():
        raise ValueError("actor must name who acted, got an empty string")
    format_utc(occurred_at)
    if action is CustodyAction.HANDED_OVER and not (
        recipient and recipient.organisation.strip() and recipient.document_number.strip()
    ):
        raise ValueError("a hand-over needs the receiving unit or office and its document number")
    if prev is not None:
        if prev.item_sha256 != item_sha256:
            raise ValueError(
                f"item_sha256 {item_sha256} differs from the chain's {prev.item_sha256}"
            )
        if occurred_at < prev.occurred_at:
            raise ValueError(
                f"occurred_at {format_utc(occurred_at)} is earlier than the previous entry's "
                f"{format_utc(prev.occurred_at)}"
            )
    entry = CustodyEntry(
        sequence=0 if prev is None else prev.sequence + 1,
        item_sha256=item_sha256,
        action=action,
        actor=actor,
        occurred_at=occurred_at.astimezone(UTC),
        reason=reason,
        recipient=recipient,
        prev_hash=GENESIS_PREV_HASH if prev is None else prev.entry_hash,
        entry_hash="",
    )
    return replace(entry, entry_hash=compute_entry_hash(entry))


def _check_link(
    position: int, entry: CustodyEntry, prev: CustodyEntry | None
) -> list[ChainProblem]:
    seq = entry.sequence
    if prev is None:
        checks = [
            (
                seq != 0,
                "genesis_altered",
                f"the first entry has sequence {seq}, not 0: earlier entries were removed",
            ),
            (
                entry.prev_hash != GENESIS_PREV_HASH,
                "genesis_altered",
                "the first entry does not start from the genesis hash",
            ),
        ]
    else:
        try:
            is_reversed = entry.occurred_at < prev.occurred_at
        except TypeError:  # a naive time was written into the log; reported as altered
            is_reversed = False
        checks = [
            (
                seq > prev.sequence + 1,
                "entries_removed",
                f"sequence jumps from {prev.sequence} to {seq}: "
                f"{seq - prev.sequence - 1} entries missing",
            ),
            (
                seq <= prev.sequence,
                "entries_reordered",
                f"sequence {seq} follows {prev.sequence}: entries reordered or duplicated",
            ),
            (
                entry.prev_hash != prev.entry_hash,
                "broken_link",
                f"entry {seq} does not link to entry {prev.sequence} (prev_hash mismatch)",
            ),
            (is_reversed, "time_reversed", f"entry {seq} is dated before entry {prev.sequence}"),
        ]
    return [
        ChainProblem(kind, position, seq, message) for failed, kind, message in checks if failed
    ]


def verify_chain(
    entries: Sequence[CustodyEntry],
    *,
    expected_item_sha256: str | None = None,
    expected_head_hash: str | None = None,
    expected_length: int | None = None,
) -> list[ChainProblem]:
    """Check an item's custody log, in stored order; return every problem found.

    Detects altered entries (hash no longer matches content), removed entries
    (sequence gap, broken link), reordered entries, a tampered genesis, entries
    of another item, and, given the anchors, a truncated or rewritten tail.

    Examples
    --------
    >>> [p.kind for p in verify_chain([])]
    ['empty_chain']
    """
    if not entries:
        return [ChainProblem("empty_chain", 0, None, "the item has no custody entries")]
    item_sha256 = expected_item_sha256 or entries[0].item_sha256
    problems: list[ChainProblem] = []
    prev: CustodyEntry | None = None
    for position, entry in enumerate(entries):
        seq = entry.sequence
        try:
            recomputed = compute_entry_hash(entry)
        except (ValueError, AttributeError, TypeError) as error:
            recomputed = f"unhashable: {error}"
        if recomputed != entry.entry_hash:
            message = f"entry {seq} was altered: its content no longer matches its hash"
            problems.append(ChainProblem("entry_altered", position, seq, message))
        if entry.item_sha256 != item_sha256:
            message = f"entry {seq} belongs to item {entry.item_sha256}, not {item_sha256}"
            problems.append(ChainProblem("wrong_item", position, seq, message))
        problems.extend(_check_link(position, entry, prev))
        prev = entry
    problems.extend(_check_anchor(entries, expected_head_hash, expected_length))
    return problems


def _check_anchor(
    entries: Sequence[CustodyEntry], head_hash: str | None, length: int | None
) -> list[ChainProblem]:
    last = entries[-1]
    problems = []
    if length is not None and len(entries) != length:
        problems.append(
            ChainProblem(
                "length_mismatch",
                len(entries) - 1,
                last.sequence,
                f"the log has {len(entries)} entries, {length} were recorded",
            )
        )
    if head_hash is not None and last.entry_hash != head_hash:
        problems.append(
            ChainProblem(
                "head_mismatch",
                len(entries) - 1,
                last.sequence,
                "the last entry's hash differs from the recorded head: the tail was "
                "rewritten or cut off",
            )
        )
    return problems


@dataclass
class ItemsReport:
    """Result of rehashing stored files: which are missing, which changed."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not (self.missing or self.changed)


def _item_status(store: BlobStore, sha256: str) -> str:
    if not store.exists(sha256):
        return "missing"
    return "ok" if store.verify(sha256) else "changed"


def verify_items(
    store: BlobStore,
    items: Iterable[str],
    *,
    workers: int = 1,
    include_orphans: bool = False,
) -> ItemsReport:
    """Recompute the SHA-256 of every item's file and report missing and changed files.

    Parameters
    ----------
    store : BlobStore
    items : iterable of str
        The hashes recorded at intake (from the database).
    workers : int
        Threads hashing in parallel (hashlib releases the GIL on large reads).
    include_orphans : bool
        Also list stored blobs no item refers to (walks the whole store).

    Examples
    --------
    >>> import io, tempfile
    >>> from minewatch.evidence.engine.store import LocalBlobStore
    >>> store = LocalBlobStore(tempfile.mkdtemp())
    >>> sha = store.put_stream(io.BytesIO(b"x"), max_bytes=8).sha256
    >>> verify_items(store, [sha, "f" * 64]).missing == ["f" * 64]
    True
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    hashes = [validate_sha256(sha) for sha in items]
    report = ItemsReport(checked=len(hashes))
    if workers == 1:
        statuses = [_item_status(store, sha) for sha in hashes]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            statuses = list(pool.map(lambda sha: _item_status(store, sha), hashes))
    for sha, status in zip(hashes, statuses, strict=True):
        if status == "missing":
            report.missing.append(sha)
        elif status == "changed":
            report.changed.append(sha)
    if include_orphans:
        known = set(hashes)
        report.orphans = sorted(sha for sha in store.iter_hashes() if sha not in known)
    return report


_ACTION_ES = {
    "collected": "recolectado", "uploaded": "cargado", "viewed": "visto",
    "downloaded": "descargado", "exported": "exportado", "handed_over": "entregado",
    "returned": "devuelto", "legal_hold": "retención legal", "released": "liberado",
    "verified": "verificado",
}  # fmt: skip


def summarise_custody(entries: Sequence[CustodyEntry]) -> str:
    """One-paragraph Spanish summary of a custody log, for the dossier.

    Examples
    --------
    >>> summarise_custody([])
    'Sin registros de custodia.'
    """
    if not entries:
        return "Sin registros de custodia."
    first, last = entries[0], entries[-1]
    text = (
        f"{len(entries)} registros; {_ACTION_ES[first.action]} por {first.actor} el "
        f"{first.occurred_at:%Y-%m-%d %H:%M} UTC; último: {_ACTION_ES[last.action]} por "
        f"{last.actor} el {last.occurred_at:%Y-%m-%d %H:%M} UTC."
    )
    handovers = [e for e in entries if e.action is CustodyAction.HANDED_OVER and e.recipient]
    for entry in handovers:
        text += (
            f" Entregado a {entry.recipient.organisation} "  # type: ignore[union-attr]
            f"(doc. {entry.recipient.document_number}) el {entry.occurred_at:%Y-%m-%d}."  # type: ignore[union-attr]
        )
    return text + f" Hash del último registro: {last.entry_hash}."
