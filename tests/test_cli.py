"""The minewatch command: in-process for users and tokens, end to end for demo and serve."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from minewatch.cli import app
from minewatch.core.models import User

runner = CliRunner()


def test_token_prints_only_the_token(world: Any) -> None:
    result = runner.invoke(app, ["token", "a-operator"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert len(token) == 40 and token.isalnum()
    again = runner.invoke(app, ["token", "a-operator"]).stdout.strip()
    assert again == token


def test_a_command_run_in_process_leaves_the_log_handlers_alone(world: Any) -> None:
    """django.setup() reconfigures logging on every call: a second setup inside a running
    process bound the console handler to the runner's captured stream, closed right after,
    and every later log line printed "I/O operation on closed file"."""
    import logging

    def handlers() -> list[tuple[Any, Any]]:
        loggers = [logging.getLogger(), *(logging.getLogger(n) for n in ("minewatch", "django"))]
        return [(h, getattr(h, "stream", None)) for lg in loggers for h in lg.handlers]

    before = handlers()
    assert runner.invoke(app, ["token", "a-operator"]).exit_code == 0
    assert handlers() == before


def test_token_for_unknown_user_fails_naming_the_argument(db: Any) -> None:
    result = runner.invoke(app, ["token", "nobody"])
    assert result.exit_code == 2
    assert "USERNAME" in result.output


def test_createuser_with_role_and_organisation(world: Any) -> None:
    result = runner.invoke(
        app,
        [
            "createuser",
            "new-guard",
            "--org",
            "Org a",
            "--role",
            "guard",
            "--password",
            "s3cret-pass-1",
            "--phone",
            "+51 987 654 321",
        ],
    )
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="new-guard")
    assert user.role == "guard" and user.organisation.name == "Org a"
    assert user.phone == "+51987654321"
    assert user.password.startswith(("argon2", "md5"))  # md5 only under test settings


@pytest.mark.parametrize(
    "args,message",
    [
        (["createuser", "x", "--org", "Nope", "--password", "p4ssword-long"], "--org"),
        (
            ["createuser", "x", "--org", "Org a", "--role", "king", "--password", "p4ssword-long"],
            "role",
        ),
        (
            [
                "createuser",
                "x",
                "--org",
                "Org a",
                "--phone",
                "987-654",
                "--password",
                "p4ssword-long",
            ],
            "phone",
        ),
    ],
)
def test_createuser_bad_arguments(world: Any, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert not User.objects.filter(username="x").exists()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def minewatch(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "minewatch", *args]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False, **kwargs
    )


def wait_for(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 - 127.0.0.1 only
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in {timeout_s} s")


def user_env(data_dir: Path) -> dict[str, str]:
    """The environment of a user who set nothing but (for the test) the data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINEWATCH_", "DJANGO_"))}
    env.update(MINEWATCH_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: Any) -> tuple[dict[str, str], subprocess.CompletedProcess]:
    """`minewatch demo --no-serve` in a fresh data dir, as `make demo` runs it (no database
    URL set): the user's environment and what the demo printed."""
    env = user_env(tmp_path_factory.mktemp("demo"))
    result = minewatch(["demo", "--no-serve"], env)
    assert result.returncode == 0, result.stderr[-2000:]
    return env, result


@pytest.fixture(scope="module")
def demo_env(demo_run: tuple[dict[str, str], subprocess.CompletedProcess]) -> dict[str, str]:
    """The demo's database, named explicitly."""
    env, _result = demo_run
    data_dir = Path(env["MINEWATCH_DATA_DIR"])
    return {**env, "MINEWATCH_DATABASE_URL": f"sqlite:///{data_dir / 'demo.sqlite3'}"}


def test_demo_prints_its_summary_and_logins(demo_run: Any) -> None:
    _env, result = demo_run
    assert "320 synthetic incidents" in result.stdout
    assert "minewatch-demo" in result.stdout and "psc-operator" in result.stdout


def test_after_the_demo_the_readme_commands_work_on_the_demo_database(
    demo_run: Any, tmp_path: Path
) -> None:
    """README: `make demo`, then `minewatch token admin`; the demo's own printed
    `minewatch dossier build INC-… -o denuncia.zip`; `minewatch evidence verify`. Each
    finds the demo's database, and none leaves an empty minewatch.sqlite3 behind."""
    env, result = demo_run
    data_dir = Path(env["MINEWATCH_DATA_DIR"])
    token = minewatch(["token", "admin"], env)
    assert token.returncode == 0, token.stderr
    assert len(token.stdout.strip()) == 40 and token.stdout.strip().isalnum()
    printed = re.search(
        r"minewatch (dossier build INC-\S+ -o denuncia\.zip)", " ".join(result.stdout.split())
    )
    assert printed, result.stdout
    built = minewatch(printed.group(1).split(), env, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert zipfile.is_zipfile(tmp_path / "denuncia.zip")
    verified = minewatch(["evidence", "verify"], env)
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stdout
    assert not (data_dir / "minewatch.sqlite3").exists()


FAILED_DELIVERIES = (
    "from minewatch.alerts.models import DeliveryAttempt as D; "
    "print(D.objects.count(), D.objects.filter(status='failed').count())"
)


def delivery_counts(env: dict[str, str]) -> tuple[int, int]:
    """(delivery attempts, failed ones) in the database ``env`` finds."""
    result = minewatch(["manage", "shell", "-c", FAILED_DELIVERIES], env)
    assert result.returncode == 0, result.stderr
    total, failed = result.stdout.split()[-2:]
    return int(total), int(failed)


def test_demo_setup_leaves_no_failed_delivery(demo_run: Any) -> None:
    """The demo's alert history used to start with 66 failed SMS and 66 failed e-mails
    ("no active sms channel"): its channels now point at the demo outbox from the start."""
    env, _result = demo_run
    total, failed = delivery_counts(env)
    assert total > 0 and failed == 0


def test_demo_console_ends_with_the_logins_and_logs_to_a_file(demo_run: Any) -> None:
    """Serving, the console shows the summary and, last, the logins table; the simulators'
    fixes and the server's requests go to <data dir>/demo.log."""
    env, _result = demo_run
    data_dir = Path(env["MINEWATCH_DATA_DIR"])
    env = {**env, "MINEWATCH_DEMO_SMTP_PORT": str(free_port()),
           "MINEWATCH_DEMO_SMS_PORT": str(free_port())}  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "minewatch", "demo", "--port", str(port)], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = []
        for line in server.stdout:
            first.append(line)
            if "All demo incidents" in line:
                break
        assert "Open http://127.0.0.1:" in "".join(first), "".join(first)
        log = data_dir / "demo.log"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "/ingest/osmand" not in log.read_text():
            time.sleep(1)
        assert "/ingest/osmand" in log.read_text()  # the convoys' fixes, logged to the file
    finally:
        server.terminate()
        rest, errors = server.communicate(timeout=60)
    printed = "".join(first) + rest
    assert printed.strip().splitlines()[-1].startswith("All demo incidents"), printed[-2000:]
    assert "/ingest/" not in printed + errors and "outbox" not in errors, errors[-2000:]
    assert "Log (simulators, deliveries, requests)" in printed
    assert delivery_counts(env)[1] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["token", "admin"],
        ["dossier", "build", "INC-2026-000000", "-o", "denuncia.zip"],
        ["evidence", "verify"],
        ["risk", "export-events", "--out", "-", "--all-organisations"],
        ["createuser", "ana", "--password", "p4ssword-long"],
        ["manage", "shell", "-c", "print(1)"],
    ],
)
@pytest.mark.parametrize("database", ["missing", "empty file", "empty postgresql"])
def test_a_command_on_a_database_not_migrated_says_what_to_run_in_one_line(
    tmp_path: Path, args: list[str], database: str, request: Any
) -> None:
    env = user_env(tmp_path)
    main = tmp_path / "minewatch.sqlite3"
    if database == "empty file":
        main.touch()  # what the old CLI left behind
    if database == "empty postgresql":
        env["MINEWATCH_DATABASE_URL"] = request.getfixturevalue("empty_postgresql")
    result = minewatch(args, env, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "minewatch migrate" in lines[0]
    assert main.exists() is (database == "empty file")  # nothing created
    if database == "empty file":
        assert main.stat().st_size == 0
    assert not (tmp_path / "denuncia.zip").exists()


@pytest.fixture(scope="module")
def empty_postgresql() -> Any:
    """A fresh, empty PostgreSQL database of this test run (skips when none answers)."""
    from minewatch.testing.plugin import require_service

    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    name = f"mw_cli_empty_{os.getpid()}"
    server = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_demo_reuses_its_database(demo_env: dict[str, str]) -> None:
    result = minewatch(["demo", "--no-serve"], demo_env)
    assert result.returncode == 0
    assert "reusing" in result.stdout


def test_demo_users_have_phones_and_its_incidents_export(demo_env: dict[str, str]) -> None:
    count = "from minewatch.core.models import User; print(User.objects.filter(phone='').count())"
    result = minewatch(["manage", "shell", "-c", count], demo_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "0"  # SMS alerts to demo users reach the demo outbox
    exported = minewatch(["risk", "export-events", "--out", "-", "--all-organisations"], demo_env)
    assert exported.returncode == 0, exported.stderr
    lines = exported.stdout.strip().splitlines()
    assert lines[0] == "time,lat,lon,threat,type" and len(lines) - 1 >= 300


def test_demo_served_api_returns_pataz_incidents(demo_env: dict[str, str]) -> None:
    token = minewatch(["token", "admin"], demo_env).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "minewatch", "serve", "--port", str(port)],
        env=demo_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/api/v1/health")
        health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health"))  # noqa: S310
        assert health["database"] == "sqlite" and health["checks"]["database"]["status"] == "ok"
        assert health["checks"]["checkpoint"]["status"] == "ok"  # signed when serve starts
        assert health["status"] == "degraded" and health["checks"]["backup"]["last"] is None
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/incidents/?threat=organised_crime&region=PE-LAL&page_size=500",
            headers={"Authorization": f"Token {token}"},
        )
        body = json.load(urllib.request.urlopen(request))  # noqa: S310
        assert body["count"] > 20
        for row in body["results"]:
            assert row["region_code"] == "PE-LAL" and row["threat"] == "organised_crime"
            assert row["site_name"] == "La Poderosa (Pataz)"
            assert "Synthetic demo data" in row["sources"][0]
            assert {"modus_operandi", "assailants_min", "weapons", "loss_usd", "responders"} <= set(
                row
            )
        login = urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/")  # noqa: S310
        assert "MineWatch" in login.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_psc_operator_sees_only_assigned_sites_in_demo(demo_env: dict[str, str]) -> None:
    code = (
        "import django, json; django.setup();"
        "from minewatch.core.models import User; from minewatch.core.tenancy import restrict;"
        "from minewatch.geo.models import Site;"
        "u = User.objects.get(username='psc-operator');"
        "print(json.dumps(sorted(restrict(Site.objects.all(), u).values_list('name', flat=True))))"
    )
    env = {**demo_env, "DJANGO_SETTINGS_MODULE": "minewatch.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    # Constancia: assigned by the accountability demo through the contractor registry; the
    # gate its guards staff, by the people demo.
    assert json.loads(result.stdout) == [
        "Antapaccay", "Constancia", "Garita principal Las Bambas", "Las Bambas",
        "Puerto de Matarani",
    ]  # fmt: skip


def test_manage_passes_through_to_django(demo_env: dict[str, str]) -> None:
    result = minewatch(["manage", "check"], demo_env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
