"""pytest plugin (loaded with ``-p minewatch.testing.plugin``): test settings and shared fixtures.

Imported before pytest-django configures Django, so the environment below is
in place when settings load: a throw-away data dir, fast password hashing.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from minewatch.core import crypto

os.environ["MINEWATCH_TESTING"] = "1"
# Every test process (the controller and each xdist worker) writes into its own throw-away
# data dir, never an inherited one: workers sharing the controller's raced on the signed
# audit-head directory that one worker's world restore removes while another signs into it.
_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ["MINEWATCH_DATA_DIR"] = tempfile.mkdtemp(prefix=f"minewatch-test-{_PROCESS}-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minewatch.settings")
# The personal-data keys (core/crypto.py) of the throw-away data dir, before any test saves.
crypto.create_keys(Path(os.environ["MINEWATCH_DATA_DIR"]))


def services_required() -> bool:
    """In CI (MINEWATCH_REQUIRE_SERVICES=1) a missing broker or database fails instead of skipping."""
    return os.environ.get("MINEWATCH_REQUIRE_SERVICES") == "1"


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or fail in CI) when ``name`` does not answer on host:port."""
    if port_open(host, port):
        return
    message = f"{name} is not answering on {host}:{port}"
    if services_required():
        pytest.fail(message + " (MINEWATCH_REQUIRE_SERVICES=1)")
    pytest.skip(message + "; start it to run this test")


@pytest.fixture
def mqtt_broker() -> tuple[str, int]:
    """The MQTT broker on 127.0.0.1:1883 (Mosquitto), or skip/fail as above."""
    host = os.environ.get("MINEWATCH_TEST_MQTT_HOST", "127.0.0.1")
    port = int(os.environ.get("MINEWATCH_TEST_MQTT_PORT", "1883"))
    require_service("MQTT broker", host, port)
    return host, port


@pytest.fixture(autouse=True)
def _no_group_commit_thread_outlives_its_test() -> Iterator[None]:
    """The shared group-commit threads (access events, tracker fixes) each hold a database
    connection; one left running past its test would keep the test database in use (and
    see the next test's data). They restart on next use."""
    yield
    people_pipeline = sys.modules.get("minewatch.people.pipeline")
    if people_pipeline is not None:
        people_pipeline.stop_shared_batcher()
    tracking_pipeline = sys.modules.get("minewatch.tracking.pipeline")
    if tracking_pipeline is not None:
        tracking_pipeline.stop_shared_batchers()


@pytest.fixture(scope="session")
def _world_snapshot(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The world built once for this process, in a transaction rolled back (see world_cache)."""
    from minewatch.testing import world_cache

    if world_cache.fresh_world_wanted():
        return None
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        snapshot = world_cache.capture()
        transaction.set_rollback(True)
    world_cache.reset_process_state()
    return snapshot


@pytest.fixture
def world(db: Any, _world_snapshot: Any) -> Any:
    """Two mining companies, two contractors (one assigned), users of every role, sites, incidents.

    Restored from the process's snapshot into the test's transaction (the same rows, files and
    e-mails a build writes, times moved to now); ``fresh_world`` builds it through the services.
    """
    from django.db import DatabaseError, transaction

    from minewatch.testing import world_cache
    from minewatch.testing.world import build_world

    if _world_snapshot is None:
        return build_world()
    try:
        with transaction.atomic():
            return world_cache.restore(_world_snapshot)
    except DatabaseError:  # rows of the test's own fixtures collide: build it as always
        return build_world()


@pytest.fixture
def fresh_world(db: Any) -> Any:
    """The world built through the services in this test's transaction (slow: ~1 s)."""
    from minewatch.testing.world import build_world

    return build_world()


@pytest.fixture
def api_client() -> Callable[[Any], Any]:
    """``api_client(user)`` → a DRF client authenticated with the user's token (None: anonymous)."""
    from rest_framework.test import APIClient

    from minewatch.core.services import get_or_create_token

    def make(user: Any = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {get_or_create_token(user)}")
        return client

    return make


DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_setup",
    "world",
    "fresh_world",
    "live_server",
    "client",
    "admin_client",
}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """With MINEWATCH_TEST_DB_ONLY=1 (the PostgreSQL pass), keep only tests that use the database
    (and are not marked ``any_database``)."""
    if os.environ.get("MINEWATCH_TEST_DB_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        uses_db = bool(
            DB_FIXTURES & set(getattr(item, "fixturenames", ()))
        ) or item.get_closest_marker("django_db")
        if item.get_closest_marker("any_database"):
            uses_db = False  # what it checks does not depend on the database engine
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_make_parametrize_id(config: Any, val: object, argname: str) -> str | None:
    """Stable ids for raw bytes and long text (frames, files) whose content may embed the time.

    pytest-xdist requires every worker to collect the same test ids; pytest
    numbers duplicate ids itself, so the position keeps them unique.
    """
    if isinstance(val, bytes | bytearray) or (isinstance(val, str) and len(val) > 40):
        return argname
    return None
