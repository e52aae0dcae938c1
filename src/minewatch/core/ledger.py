"""The tamper-evident ledger: the audit log's hash chain, the signed head, signed checkpoints.

Three things together make the audit log and the custody logs evident against someone who
can write the database (``core/engine/ledger.py`` has the hashing and signing):

- every audit entry is chained to the one before it (``sequence``, ``prev_hash``,
  ``entry_hash``), and every custody entry is also written to the audit log with its hash;
- after each transaction that wrote audit entries, the head (last sequence and hash) is
  signed and kept in ``<data dir>/ledger/<genesis>.json``, outside the database: deleting
  the last entries no longer goes unnoticed;
- signed checkpoints (``SignedCheckpoint``) record the audit head and every custody chain's
  head, periodically and at each dossier export: a chain rewritten with recomputed hashes
  no longer reaches a signed head, and only the holder of the private key could sign anew.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from minewatch.core.engine import ledger as engine

HEAD_DIR = "ledger"
# Any constant: PostgreSQL's transaction-level advisory lock that serialises audit appends.
AUDIT_LOCK_KEY = 0x4D57_4155  # "MWAU"


# What an audit entry's hash covers: its name in the hash, and the entry's attribute name.
CHAIN_FIELDS = (
    ("sequence", "sequence"), ("organisation", "organisation_id"), ("actor", "actor_id"),
    ("actor_name", "actor_name"), ("action", "action"), ("object_type", "object_type"),
    ("object_id", "object_id"), ("object_repr", "object_repr"), ("before", "before"),
    ("after", "after"), ("changes", "changes"), ("note", "note"), ("at", "at"),
)  # fmt: skip


def audit_chain_fields(entry: Any) -> dict[str, Any]:
    """What an audit entry's hash covers. Works on migration-time (historical) models too."""
    return {name: getattr(entry, attname) for name, attname in CHAIN_FIELDS}


# ---------------------------------------------------------------------------- keys


def signing_key_path() -> Path:
    configured = settings.TUNABLES.get("signing_key")
    return (
        Path(str(configured)).expanduser()
        if configured
        else Path(settings.DATA_DIR) / "signing_key.pem"
    )


def signing_key() -> Any:
    """The Ed25519 private key; created (0600, public key beside it) on first use."""
    path = signing_key_path()
    if not path.exists():
        key = engine.generate_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(engine.private_key_pem(key))
        path.with_suffix(".pub").write_text(engine.public_key_pem(key))
        return key
    return engine.load_private_key(path.read_bytes())


def public_key() -> str:
    """The public key (PEM) that checks every signature of this installation."""
    return engine.public_key_pem(signing_key())


# ---------------------------------------------------------------------------- appending


def lock_audit_chain() -> None:
    """Serialise appends to the chain until the transaction ends (SQLite: IMMEDIATE already)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])


def chain_entry(entry: Any) -> None:
    """Give an unsaved audit entry its place in the chain (inside the writer's transaction).

    The caller saves the entry and then calls :func:`sign_head_after_commit`.
    """
    from minewatch.core.models import AuditEntry

    lock_audit_chain()
    last = AuditEntry.objects.order_by("-sequence").values_list("sequence", "entry_hash").first()
    sequence, prev = (last[0] + 1, last[1]) if last and last[0] else (1, engine.GENESIS_PREV_HASH)
    entry.at = entry.at or timezone.now()
    entry.sequence, entry.prev_hash = sequence, prev
    entry.entry_hash = engine.entry_hash(audit_chain_fields(entry), prev)


def chain_values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chain audit rows given as ``{attname: value}`` for a bulk insert, in order.

    Fills ``at`` (now, when missing), ``note`` (empty), ``sequence``, ``prev_hash`` and
    ``entry_hash``, and signs the new head after commit, as :func:`chain_entry` does for one.
    """
    from minewatch.core.models import AuditEntry

    if not rows:
        return rows
    lock_audit_chain()
    last = AuditEntry.objects.order_by("-sequence").values_list("sequence", "entry_hash").first()
    sequence, prev = (last[0], last[1]) if last and last[0] else (0, engine.GENESIS_PREV_HASH)
    now = timezone.now()
    # A batch shares one instant: rendered once as the canonical JSON would render it.
    times: dict[Any, Any] = {}
    for row in rows:
        sequence += 1
        at = row.setdefault("at", now)
        row.setdefault("note", "")
        row["sequence"], row["prev_hash"] = sequence, prev
        if at not in times:
            times[at] = engine.canonical_time(at) if isinstance(at, dt.datetime) else at
        fields = {name: row[attname] for name, attname in CHAIN_FIELDS}
        fields["at"] = times[at]
        row["entry_hash"] = prev = engine.entry_hash(fields, prev)
    sign_head_after_commit()
    return rows


def sign_head_after_commit() -> None:
    """Sign the new head once the transaction commits (at once outside a transaction)."""
    transaction.on_commit(write_signed_head)


def _head_path(genesis: str) -> Path:
    return Path(settings.DATA_DIR) / HEAD_DIR / f"{genesis[:16]}.json"


def _genesis_and_head() -> tuple[str, int, str] | None:
    from minewatch.core.models import AuditEntry

    first = AuditEntry.objects.filter(sequence=1).values_list("entry_hash", flat=True).first()
    last = AuditEntry.objects.order_by("-sequence").values_list("sequence", "entry_hash").first()
    if not first or not last or not last[0]:
        return None
    return first, last[0], last[1]


def write_signed_head() -> None:
    """Sign the chain's current head into the head file (only ever forward)."""
    current = _genesis_and_head()
    if current is None:
        return
    genesis, sequence, head = current
    path = _head_path(genesis)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # web and workers may commit at the same time
        text = handle.read()
        stored = json.loads(text)["payload"]["sequence"] if text.strip() else 0
        if sequence <= stored:
            return
        payload = {"genesis": genesis, "sequence": sequence, "head": head,
                   "at": timezone.now()}  # fmt: skip
        signed = engine.sign_payload(signing_key(), json.loads(engine.canonical_json(payload)))
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(signed))


def read_signed_head() -> dict[str, Any] | None:
    current = _genesis_and_head()
    if current is None:
        return None
    path = _head_path(current[0])
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------------- checkpoints


def custody_heads() -> dict[str, list[Any]]:
    """Every evidence item's custody head as ``{item id: [length, head hash]}``."""
    from django.db.models import Max

    from minewatch.evidence.models import CustodyEntry

    last = CustodyEntry.objects.values("item_id").annotate(last=Max("sequence"))
    wanted = {(row["item_id"], row["last"]) for row in last}
    heads: dict[str, list[Any]] = {}
    rows = CustodyEntry.objects.filter(sequence__in={s for _, s in wanted}).values_list(
        "item_id", "sequence", "entry_hash"
    )
    for item_id, sequence, entry_hash in rows:
        if (item_id, sequence) in wanted:
            heads[str(item_id)] = [sequence + 1, entry_hash]
    return heads


def write_checkpoint(*, reason: str) -> Any:
    """Sign the heads of the audit chain and of every custody chain; returns the checkpoint."""
    from minewatch.core.models import AuditEntry, SignedCheckpoint

    with transaction.atomic():
        lock_audit_chain()
        last = (
            AuditEntry.objects.order_by("-sequence").values_list("sequence", "entry_hash").first()
        )
        sequence, head = (last[0], last[1]) if last and last[0] else (0, engine.GENESIS_PREV_HASH)
        payload = {"audit": {"sequence": sequence, "head": head}, "custody": custody_heads(),
                   "reason": reason, "at": timezone.now()}  # fmt: skip
        payload = json.loads(engine.canonical_json(payload))
        signed = engine.sign_payload(signing_key(), payload)
        return SignedCheckpoint.objects.create(
            reason=reason[:40], audit_sequence=sequence, audit_head=head,
            key_id=signed["key_id"], signed=signed,
        )  # fmt: skip


# ---------------------------------------------------------------------------- verifying


@dataclass
class LedgerReport:
    """What ``verify_ledger`` found: problems (tampering) and notes (nothing wrong)."""

    entries: int = 0
    checkpoints: int = 0
    custody_entries: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not self.problems


def _audit_chain(report: LedgerReport) -> dict[int, str]:
    from minewatch.core.models import AuditEntry

    rows = AuditEntry.objects.filter(sequence__isnull=False).order_by("sequence")
    chain = []
    hashes: dict[int, str] = {}
    for entry in rows.iterator(chunk_size=2000):
        chain.append((entry.sequence, entry.prev_hash, entry.entry_hash, audit_chain_fields(entry)))
        hashes[entry.sequence] = entry.entry_hash
    report.entries = len(chain)
    report.problems += [f"audit log {p}" for p in engine.chain_problems(chain)]
    unchained = AuditEntry.objects.filter(sequence__isnull=True).count()
    if unchained:
        report.problems.append(
            f"audit log: {unchained} entries outside the chain (inserted directly)"
        )
    return hashes


def _check_head(report: LedgerReport, hashes: dict[int, str], public: str) -> None:
    signed = read_signed_head()
    if signed is None:
        if hashes:
            report.notes.append("no signed head file for this audit log in the data directory")
        return
    payload = signed.get("payload", {})
    if not engine.verify_signature(public, signed):
        report.problems.append("the signed head file's signature is not valid for this key")
        return
    sequence, head = payload.get("sequence", 0), payload.get("head")
    last = max(hashes) if hashes else 0
    if sequence > last:
        report.problems.append(
            f"audit log: the signed head is entry {sequence} but the log ends at {last} "
            f"(the last {sequence - last} entries were deleted)"
        )
    elif hashes.get(sequence) != head:
        report.problems.append(
            f"audit log: entry {sequence} is not the entry that was signed as head"
        )


def _check_checkpoints(report: LedgerReport, hashes: dict[int, str], public: str) -> None:
    from minewatch.core.models import SignedCheckpoint
    from minewatch.evidence.models import CustodyEntry

    latest = None
    for checkpoint in SignedCheckpoint.objects.order_by("id").iterator():
        report.checkpoints += 1
        signed = checkpoint.signed
        if not engine.verify_signature(public, signed):
            report.problems.append(f"checkpoint {checkpoint.pk}: signature not valid for this key")
            continue
        audit = signed["payload"]["audit"]
        if audit["sequence"] != checkpoint.audit_sequence or audit["head"] != checkpoint.audit_head:
            report.problems.append(
                f"checkpoint {checkpoint.pk}: its columns differ from what was signed"
            )
        if audit["sequence"] and hashes.get(audit["sequence"]) != audit["head"]:
            report.problems.append(
                f"audit log: entry {audit['sequence']} differs from checkpoint {checkpoint.pk} "
                "(the log was rewritten up to there)"
            )
        latest = signed
    if latest is None:
        return
    custody = {(item, seq): h for item, seq, h in
               CustodyEntry.objects.values_list("item_id", "sequence", "entry_hash")}  # fmt: skip
    for item_id, (length, head) in latest["payload"]["custody"].items():
        if custody.get((int(item_id), length - 1)) != head:
            report.problems.append(
                f"evidence item {item_id}: custody entry {length - 1} differs from the last "
                "signed checkpoint or was deleted"
            )


def _check_custody_records(report: LedgerReport) -> None:
    """Every custody entry has its audit record with the same hash, and the reverse."""
    from minewatch.core.models import AuditEntry
    from minewatch.evidence.models import CustodyEntry

    custody = dict(CustodyEntry.objects.values_list("pk", "entry_hash"))
    report.custody_entries = len(custody)
    recorded: dict[int, str] = {}
    for object_id, after in AuditEntry.objects.filter(action="custody").values_list(
        "object_id", "after"
    ):
        recorded[int(object_id)] = (after or {}).get("entry_hash", "")
    for pk in sorted(set(recorded) - set(custody)):
        report.problems.append(f"custody entry {pk}: in the audit log but deleted from custody")
    for pk in sorted(set(custody) & set(recorded)):
        if custody[pk] != recorded[pk]:
            report.problems.append(f"custody entry {pk}: differs from its audit record (rewritten)")
    for pk in sorted(set(custody) - set(recorded)):
        report.problems.append(f"custody entry {pk}: has no audit record (inserted directly)")


def verify_ledger(public_pem: str | None = None) -> LedgerReport:
    """Check the audit chain, the signed head, every checkpoint and the custody records."""
    public = public_pem or public_key()
    report = LedgerReport()
    hashes = _audit_chain(report)
    _check_head(report, hashes, public)
    _check_checkpoints(report, hashes, public)
    _check_custody_records(report)
    return report
