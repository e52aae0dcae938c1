"""The tamper-evident ledger against someone who can write the database but lacks the key.

Each case tampers with the rows through raw SQL (the ORM refuses to change the audit log),
as an attacker with database access would, and ``verify_ledger`` must name it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from typer.testing import CliRunner

from minewatch.cli import app
from minewatch.core import audit, crypto, ledger
from minewatch.core.choices import AuditAction
from minewatch.core.engine import ledger as engine
from minewatch.core.models import AuditEntry, SignedCheckpoint
from minewatch.evidence.models import CustodyEntry


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    settings.TUNABLES = {**settings.TUNABLES, "signing_key": "", "evidence_store": ""}
    crypto.create_keys(tmp_path)  # the world below stores personal data (core/crypto.py)
    return tmp_path


@pytest.fixture
def ledger_world(data_dir: Path, world: Any) -> Any:
    """The shared world (its writes are audited, its evidence has custody) plus a checkpoint."""
    ledger.write_signed_head()
    return world


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def problems() -> list[str]:
    return ledger.verify_ledger().problems


def test_untouched_ledger_verifies(ledger_world: Any) -> None:
    ledger.write_checkpoint(reason="test")
    report = ledger.verify_ledger()
    assert report.is_ok, report.problems
    assert report.entries > 10 and report.checkpoints == 1 and report.custody_entries >= 3
    sequences = list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, len(sequences) + 1))


def test_every_custody_entry_is_in_the_audit_chain(ledger_world: Any) -> None:
    custody = set(CustodyEntry.objects.values_list("pk", flat=True))
    recorded = {int(o) for o in AuditEntry.objects.filter(action="custody").values_list(
        "object_id", flat=True)}  # fmt: skip
    assert custody and custody == recorded


def test_edited_row_is_detected(ledger_world: Any) -> None:
    entry = AuditEntry.objects.order_by("sequence")[3]
    sql("UPDATE core_auditentry SET note = %s WHERE id = %s", ["nada que ver", entry.pk])
    assert any(f"entry {entry.sequence}: its content does not match" in p for p in problems())


def test_deleted_middle_row_is_detected(ledger_world: Any) -> None:
    entry = AuditEntry.objects.order_by("sequence")[5]
    sql("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
    assert any("deleted" in p for p in problems())


def test_deleted_last_row_is_detected(ledger_world: Any) -> None:
    last = AuditEntry.objects.order_by("-sequence").first()
    sql("DELETE FROM core_auditentry WHERE id = %s", [last.pk])
    found = problems()
    assert any(f"the signed head is entry {last.sequence}" in p for p in found), found


def test_reordered_rows_are_detected(ledger_world: Any) -> None:
    a, b = AuditEntry.objects.order_by("sequence")[2:4]
    sql("UPDATE core_auditentry SET sequence = NULL WHERE id = %s", [a.pk])
    sql("UPDATE core_auditentry SET sequence = %s WHERE id = %s", [a.sequence, b.pk])
    sql("UPDATE core_auditentry SET sequence = %s WHERE id = %s", [b.sequence, a.pk])
    assert any("does not link" in p or "does not match" in p for p in problems())


def rehash_whole_chain() -> None:
    """What an attacker without the key can do: recompute every hash after an edit."""
    prev = engine.GENESIS_PREV_HASH
    for entry in AuditEntry.objects.order_by("sequence"):
        new_hash = engine.entry_hash(ledger.audit_chain_fields(entry), prev)
        sql("UPDATE core_auditentry SET prev_hash = %s, entry_hash = %s WHERE id = %s",
            [prev, new_hash, entry.pk])  # fmt: skip
        prev = new_hash


def test_rewritten_and_rehashed_chain_fails_the_signatures(ledger_world: Any) -> None:
    ledger.write_checkpoint(reason="test")
    target = AuditEntry.objects.order_by("sequence")[1]
    sql("UPDATE core_auditentry SET actor_name = %s WHERE id = %s", ["otro", target.pk])
    rehash_whole_chain()
    found = problems()
    assert not any("does not match its hash" in p for p in found)  # the chain itself is consistent
    assert any("checkpoint" in p for p in found), found
    assert any("not the entry that was signed as head" in p for p in found), found


def test_checkpoint_resigned_with_another_key_is_detected(ledger_world: Any) -> None:
    checkpoint = ledger.write_checkpoint(reason="test")
    forged = engine.sign_payload(engine.generate_key(), checkpoint.signed["payload"])
    sql("UPDATE core_signedcheckpoint SET signed = %s WHERE id = %s",
        [json.dumps(forged), checkpoint.pk])  # fmt: skip
    assert any(f"checkpoint {checkpoint.pk}: signature not valid" in p for p in problems())


def test_custody_entry_rewritten_with_recomputed_hashes_is_detected(ledger_world: Any) -> None:
    ledger.write_checkpoint(reason="test")
    entry = CustodyEntry.objects.order_by("pk").first()
    sql("UPDATE evidence_custodyentry SET entry_hash = %s WHERE id = %s", ["f" * 64, entry.pk])
    found = problems()
    assert any(f"custody entry {entry.pk}: differs from its audit record" in p for p in found)


def test_deleted_last_custody_entry_is_detected(ledger_world: Any) -> None:
    last = CustodyEntry.objects.order_by("-pk").first()
    sql("DELETE FROM evidence_custodyentry WHERE id = %s", [last.pk])
    sql("UPDATE evidence_evidenceitem SET custody_length = custody_length - 1 WHERE id = %s",
        [last.item_id])  # fmt: skip
    assert any(f"custody entry {last.pk}: in the audit log but deleted" in p for p in problems())


def test_signing_key_is_private_and_outside_the_database(ledger_world: Any, data_dir: Path) -> None:
    ledger.write_checkpoint(reason="test")
    key = data_dir / "signing_key.pem"
    assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
    assert (data_dir / "signing_key.pub").read_text() == ledger.public_key()


def test_cli_audit_verify_reports_and_fails(ledger_world: Any) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert SignedCheckpoint.objects.count() == 1
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0 and "OK" in result.output, result.output
    entry = AuditEntry.objects.order_by("sequence")[0]
    sql("UPDATE core_auditentry SET note = %s WHERE id = %s", ["x", entry.pk])
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1 and "FAILED" in result.output


def test_new_entries_keep_chaining(ledger_world: Any) -> None:
    user = ledger_world.users["security_manager"]
    before = AuditEntry.objects.order_by("-sequence").first()
    entry = audit.record(actor=user, action=AuditAction.ACCESS, instance=user, note="x")
    assert entry.sequence == before.sequence + 1 and entry.prev_hash == before.entry_hash
    assert ledger.verify_ledger().is_ok
