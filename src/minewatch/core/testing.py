"""Test helpers of the core app (the world restore's hook)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any


def restore_world(world: Any) -> None:
    """No signed audit-log head left by an earlier test.

    A restored world carries the build's audit log, its first entry included, so every test
    of a process shares one chain identity (the head file is named after that first entry).
    A test that commits (``transaction=True``) signs a head further along that chain; the next
    test's restored log is shorter and would read as "entries deleted". A fresh build started
    a new chain with no head file, and so does a restore.
    """
    from django.conf import settings

    from minewatch.core.ledger import HEAD_DIR

    shutil.rmtree(Path(settings.DATA_DIR) / HEAD_DIR, ignore_errors=True)
