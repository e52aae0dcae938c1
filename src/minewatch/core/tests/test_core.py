"""Configuration, audit log, login throttling, roles and events."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from minewatch.core import config, events
from minewatch.core.models import AuditEntry
from minewatch.core.roles import has_capability
from minewatch.testing.world import PASSWORD


@pytest.mark.parametrize(
    "environ,message",
    [
        ({"MINEWATCH_DATABASE_URL": "mysql://x/y"}, "unsupported scheme"),
        ({"MINEWATCH_CLOCK_SKEW_S": "five"}, "MINEWATCH_CLOCK_SKEW_S"),
        ({"MINEWATCH_DEBUG": "perhaps"}, "MINEWATCH_DEBUG"),
    ],
)
def test_malformed_environment_fails_naming_the_variable(
    tmp_path: Any, environ: dict, message: str
) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.database_url(environ, tmp_path)
        config.read_tunables(environ)


def test_secret_key_is_generated_once_and_private(tmp_path: Any) -> None:
    first = config.secret_key({}, tmp_path)
    assert first == config.secret_key({}, tmp_path)
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_default_database_is_sqlite_in_data_dir(tmp_path: Any) -> None:
    assert config.database_url({}, tmp_path) == f"sqlite:///{tmp_path / 'minewatch.sqlite3'}"


def test_default_database_is_the_demos_until_the_main_one_exists(tmp_path: Any) -> None:
    """After `make demo` the CLI finds the demo's database; an empty minewatch.sqlite3
    (what older versions left behind) does not hide it; a real one wins."""
    main, demo = tmp_path / "minewatch.sqlite3", tmp_path / "demo.sqlite3"
    demo.write_bytes(b"SQLite format 3\0")
    assert config.database_url({}, tmp_path) == f"sqlite:///{demo}"
    main.touch()
    assert config.database_url({}, tmp_path) == f"sqlite:///{demo}"
    main.write_bytes(b"SQLite format 3\0")
    assert config.database_url({}, tmp_path) == f"sqlite:///{main}"
    explicit = {"MINEWATCH_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/mw"}
    assert config.database_url(explicit, tmp_path) == explicit["MINEWATCH_DATABASE_URL"]


def test_audit_log_is_append_only(world: Any) -> None:
    entry = AuditEntry.objects.first()
    entry.note = "tampered"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().update(note="x")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()


def test_passwords_are_hashed_with_argon2_in_production_settings() -> None:
    from minewatch import settings as production

    assert "Argon2PasswordHasher" in "".join(production.PASSWORD_HASHERS[:2])
    from django.contrib.auth.hashers import Argon2PasswordHasher

    encoded = Argon2PasswordHasher().encode("secret-pass", Argon2PasswordHasher().salt())
    assert encoded.startswith("argon2$")


def test_login_is_throttled_after_repeated_failures(world: Any, client: Any) -> None:
    for _ in range(5):
        client.post("/accounts/login/", {"username": "a-operator", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "a-operator", "password": PASSWORD})
    assert response.status_code != 302  # still refused although the password is right
    assert "_auth_user_id" not in client.session


def test_login_works_and_pages_need_it(world: Any, client: Any) -> None:
    assert client.get("/incidents/").status_code == 302
    response = client.post("/accounts/login/", {"username": "a-operator", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/incidents/").status_code == 200


def test_security_headers(world: Any, client: Any) -> None:
    response = client.get("/accounts/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "role,capability,allowed",
    [
        ("auditor", "report_incident", False),
        ("guard", "report_incident", True),
        ("guard", "manage_incident", False),
        ("operator", "operate", True),
        ("liaison", "see_sources", False),
        ("analyst", "see_sources", True),
        ("auditor", "audit", True),
    ],
)
def test_role_capabilities(world: Any, role: str, capability: str, allowed: bool) -> None:
    assert has_capability(world.users[role], capability) is allowed


def test_events_are_published_after_commit_only(transactional_db: Any) -> None:
    received: list[str] = []
    callback = events.subscribe(lambda e: received.append(e.name))
    try:
        with transaction.atomic():
            events.publish(events.Event("x.happened", None))
            assert received == []
        assert received == ["x.happened"]
        try:
            with transaction.atomic():
                events.publish(events.Event("y.rolled_back", None))
                raise RuntimeError
        except RuntimeError:
            pass
        assert received == ["x.happened"]
    finally:
        events.unsubscribe(callback)


def test_failing_subscriber_does_not_stop_others(db: Any) -> None:
    received: list[str] = []

    def broken(event: events.Event) -> None:
        raise ValueError("boom")

    events.subscribe(broken)
    good = events.subscribe(lambda e: received.append(e.name))
    try:
        events.dispatch(events.Event("z", None))
    finally:
        events.unsubscribe(broken)
        events.unsubscribe(good)
    assert received == ["z"]


def test_data_dir_and_sqlite_files_are_private(tmp_path: Any) -> None:
    import subprocess
    import sys

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    env = {**os.environ, "MINEWATCH_DATA_DIR": str(data),
           "MINEWATCH_DATABASE_URL": f"sqlite:///{data / 'mw.sqlite3'}"}  # fmt: skip
    env.pop("MINEWATCH_TESTING", None)
    result = subprocess.run([sys.executable, "-m", "minewatch", "migrate"], env=env,
                            capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    for name in ("mw.sqlite3", "mw.sqlite3-wal", "mw.sqlite3-shm"):
        path = data / name
        if path.exists():
            assert oct(path.stat().st_mode & 0o777) == "0o600", name
    assert (data / "mw.sqlite3").exists()


def test_session_ends_after_idle_time_and_moves_on_with_use(world: Any, client: Any) -> None:
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == 1800 and settings.SESSION_SAVE_EVERY_REQUEST
    client.post("/accounts/login/", {"username": "a-operator", "password": PASSWORD})
    first = client.session.get_expiry_date()
    client.get("/incidents/")
    assert client.session.get_expiry_date() >= first


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(tmp_path: Any) -> None:
    """A client that sends X-Forwarded-For without a trusted proxy keeps its own address."""
    import json
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "MINEWATCH_DATA_DIR": str(tmp_path),
           "MINEWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}  # fmt: skip
    env.pop("MINEWATCH_TESTING", None)
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','minewatch.settings');"
        "django.setup(); from django.urls import path; from django.http import JsonResponse;"
        "from minewatch import urls;"
        "urls.urlpatterns.insert(0, path('whoami', lambda r: JsonResponse({'ip': r.META['REMOTE_ADDR']})));"
        f"from minewatch.cli.base import serve_forever; serve_forever('127.0.0.1', {port})"
    )
    server = subprocess.Popen([sys.executable, "-c", script], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/whoami",
                                         headers={"X-Forwarded-For": "203.0.113.9"})  # fmt: skip
        for _ in range(120):
            try:
                seen = json.load(urllib.request.urlopen(request, timeout=2))["ip"]
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("the server did not start")
        assert seen == "127.0.0.1"
    finally:
        server.terminate()
        server.wait(timeout=30)
