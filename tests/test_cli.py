"""The minewatch command: in-process for users and tokens, end to end for demo and serve."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
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


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: Any) -> dict[str, str]:
    """A demo database built by `minewatch demo --no-serve` in a fresh data dir."""
    data_dir = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINEWATCH_", "DJANGO_"))}
    env.update(MINEWATCH_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    result = minewatch(["demo", "--no-serve"], env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "320 synthetic incidents" in result.stdout
    assert "minewatch-demo" in result.stdout and "psc-operator" in result.stdout
    env["MINEWATCH_DATABASE_URL"] = f"sqlite:///{Path(data_dir) / 'demo.sqlite3'}"
    return env


def test_demo_reuses_its_database(demo_env: dict[str, str]) -> None:
    result = minewatch(["demo", "--no-serve"], demo_env)
    assert result.returncode == 0
    assert "reusing" in result.stdout


def test_demo_users_have_phones_and_its_incidents_export(demo_env: dict[str, str]) -> None:
    count = "from minewatch.core.models import User; print(User.objects.filter(phone='').count())"
    result = minewatch(["manage", "shell", "-c", count], demo_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "0"  # SMS alerts to demo users reach the demo outbox
    exported = minewatch(["risk", "export-events", "--out", "-"], demo_env)
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
        assert health["status"] == "ok" and health["database"] == "sqlite"
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
    assert json.loads(result.stdout) == ["Antapaccay", "Las Bambas", "Puerto de Matarani"]


def test_manage_passes_through_to_django(demo_env: dict[str, str]) -> None:
    result = minewatch(["manage", "check"], demo_env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
