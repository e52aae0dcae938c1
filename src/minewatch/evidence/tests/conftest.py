"""Each database test of the evidence app gets its own blob store (tamper tests change files)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def private_evidence_store(request: Any, tmp_path: Any) -> Any:
    """Point the ``evidence_store`` tunable at a fresh directory for tests that use the database.

    Engine tests (no Django) are left alone, so they still run with ``-p no:django``.
    """
    if not {"db", "world", "fresh_world", "transactional_db"} & set(request.fixturenames):
        yield None
        return
    settings = request.getfixturevalue("settings")
    settings.TUNABLES = {**settings.TUNABLES, "evidence_store": str(tmp_path / "store")}
    yield tmp_path / "store"
