"""Tests that touch the database start and end with fresh in-process engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

DB_FIXTURES = {"db", "transactional_db", "world", "fresh_world", "live_server"}


@pytest.fixture(autouse=True)
def _fresh_engines(request: pytest.FixtureRequest) -> Iterator[None]:
    """Engines and the device cache are per process; the rows they came from are rolled back."""
    uses_db = bool(DB_FIXTURES & set(request.fixturenames))
    if uses_db:
        from minewatch.tracking.testing import reset_engines

        reset_engines()
    yield
    if uses_db:
        reset_engines()
