"""The world a test gets from the process's snapshot is the world a fresh build makes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from minewatch.testing import world_cache
from minewatch.testing.world import build_world


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count() for model in world_cache.concrete_models()
    }


def test_a_restored_world_has_the_rows_files_and_records_of_a_fresh_build(
    db: Any, request: Any
) -> None:
    snapshot = request.getfixturevalue("_world_snapshot")
    if snapshot is None:  # MINEWATCH_TEST_FRESH_WORLD=1: nothing is restored
        return
    point = transaction.savepoint()
    fresh = build_world()
    fresh_counts = row_counts()
    transaction.savepoint_rollback(point)
    restored = world_cache.restore(snapshot)
    assert row_counts() == fresh_counts
    assert sum(fresh_counts.values()) > 300
    for name in ("orgs", "users", "sites", "zones", "routes", "incidents"):
        assert getattr(restored, name).keys() == getattr(fresh, name).keys(), name
    assert restored.extra.keys() == fresh.extra.keys()
    incident = restored.incidents["a1"]
    assert type(incident).objects.get(pk=incident.pk).reference == incident.reference
    # the evidence blobs are in the store the test's settings name
    from minewatch.evidence.storage import get_store

    for item in restored.extra["evidence"].values():
        assert get_store().exists(item.sha256)


def test_times_relative_to_now_move_with_the_clock_and_the_ledger_keeps_its_times(
    db: Any, request: Any
) -> None:
    snapshot = request.getfixturevalue("_world_snapshot")
    if snapshot is None:
        return
    from minewatch.core import ledger
    from minewatch.core.models import AuditEntry

    def restored_times(built_earlier: dt.timedelta) -> tuple[Any, Any]:
        point = transaction.savepoint()
        built_at = snapshot.built_at - built_earlier
        world = world_cache.restore(dataclasses.replace(snapshot, built_at=built_at))
        incident = world.incidents["a1"]
        stored = type(incident).objects.get(pk=incident.pk)
        assert stored.occurred_at == incident.occurred_at  # the row and the instance agree
        first_audit = AuditEntry.objects.order_by("sequence").first().at
        report = ledger.LedgerReport()
        ledger._audit_chain(report)  # the chain's hashes still match: its times were kept
        assert report.entries > 100 and report.problems == []
        transaction.savepoint_rollback(point)
        return stored.occurred_at, first_audit

    now_occurred, now_audit = restored_times(dt.timedelta(0))
    later_occurred, later_audit = restored_times(dt.timedelta(hours=2))
    # restored two hours after the build: what happened "two days ago" still did
    assert abs(later_occurred - now_occurred - dt.timedelta(hours=2)) < dt.timedelta(minutes=5)
    assert abs(timezone.now() - now_occurred - dt.timedelta(days=2)) < dt.timedelta(minutes=30)
    assert later_audit == now_audit  # hashed with its time: never moved


def test_a_head_signed_by_an_earlier_committing_test_does_not_outlive_the_restore(
    world: Any,
) -> None:
    """Every restored world has the same first audit entry, so the same signed-head file: a
    test that commits signs a head beyond the world's log, and the next test's ledger check
    read "the last N entries were deleted" (CI, people/tests/test_access_batch.py)."""
    from minewatch.core import ledger
    from minewatch.core import services as core_services

    assert ledger.verify_ledger().problems == []
    point = transaction.savepoint()
    core_services.create_user(actor=None, username="committed-earlier", password="x" * 12,
                              organisation=world.orgs["a"], role="operator")  # fmt: skip
    ledger.write_signed_head()  # what the commit of a transaction=True test does
    transaction.savepoint_rollback(point)  # its rows are flushed; its head file stayed
    world_cache.reset_process_state(world)  # the next test's restore
    assert ledger.verify_ledger().problems == []


def test_the_snapshot_holds_the_worlds_files_even_when_the_store_already_had_them(
    db: Any, settings: Any, tmp_path: Any
) -> None:
    """The evidence store is content-addressed: when an earlier test of the process had left
    the world's blobs in the store, the capture saw "no change" and kept no file; every test
    restored into its own store then found the world's evidence MISSING (CI, PostgreSQL pass)."""
    settings.TUNABLES = {**settings.TUNABLES, "evidence_store": str(tmp_path / "shared")}
    point = transaction.savepoint()
    first = world_cache.capture()
    transaction.savepoint_rollback(point)
    point = transaction.savepoint()
    second = world_cache.capture()  # the blobs of the first build are still in the store
    transaction.savepoint_rollback(point)
    assert first.files["evidence"] and second.files["evidence"] == first.files["evidence"]


def test_each_test_process_writes_into_its_own_data_dir(settings: Any) -> None:
    # xdist workers inherited the controller's data dir: one worker's world restore removed
    # the signed-head directory while another signed into it (CI: FileExistsError on mkdir)
    import os
    from pathlib import Path

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    assert Path(settings.DATA_DIR).name.startswith(f"minewatch-test-{worker}-")
