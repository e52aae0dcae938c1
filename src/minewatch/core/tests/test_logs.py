"""Structured logs: MINEWATCH_LOG_FORMAT=json gives one JSON object per line with context."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minewatch.core import config
from minewatch.core.logs import JsonFormatter
from minewatch.testing.world import PASSWORD


@pytest.fixture
def json_lines():
    """Capture the ``minewatch`` loggers' lines through the JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("minewatch")
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_a_login_line_carries_request_id_user_and_organisation(world, client, json_lines) -> None:
    user = world.users["operator"]
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD},
                           HTTP_X_REQUEST_ID="req-login-1")  # fmt: skip
    assert response.status_code == 302
    lines = [line for line in json_lines() if line["logger"] == "minewatch.auth"]
    assert len(lines) == 1
    line = lines[0]
    assert line["level"] == "INFO" and line["message"].startswith(f"login of {user.username}")
    assert line["request_id"] == "req-login-1" == response["X-Request-ID"]
    assert line["user"] == user.username and line["org"] == user.organisation_id
    assert line["time"].endswith("+00:00")


def test_a_failed_login_line_has_the_request_but_no_user(world, client, json_lines) -> None:
    client.post("/accounts/login/", {"username": "a-operator", "password": "wrong"})
    line = next(line for line in json_lines() if line["logger"] == "minewatch.auth")
    assert line["level"] == "WARNING" and "failed login for 'a-operator'" in line["message"]
    assert len(line["request_id"]) == 32 and "user" not in line


def test_outside_a_request_a_line_has_extra_fields_and_the_traceback(json_lines) -> None:
    log = logging.getLogger("minewatch.test")
    try:
        raise ValueError("bad fix")
    except ValueError:
        log.exception("ingest failed", extra={"device": "T-1"})
    (line,) = json_lines()
    assert line["device"] == "T-1" and "request_id" not in line
    assert "ValueError: bad fix" in line["exc_info"] and line["level"] == "ERROR"


def test_the_environment_selects_json_lines_on_the_console(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINEWATCH_")}
    env.update(MINEWATCH_DATA_DIR=str(tmp_path), MINEWATCH_LOG_FORMAT="json",
               MINEWATCH_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")  # fmt: skip
    script = ("import django, logging; django.setup(); "
              "logging.getLogger('minewatch.alerts').warning('queue %s full', 'A')")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    (line,) = [json.loads(text) for text in done.stderr.splitlines() if text.strip()]
    assert line["message"] == "queue A full" and line["logger"] == "minewatch.alerts"
    assert line["level"] == "WARNING"


def test_an_unknown_log_format_is_refused_naming_the_variable() -> None:
    assert config.log_format({}) == "text"
    assert config.log_format({"MINEWATCH_LOG_FORMAT": "JSON"}) == "json"
    with pytest.raises(config.ConfigError, match="MINEWATCH_LOG_FORMAT='xml'"):
        config.log_format({"MINEWATCH_LOG_FORMAT": "xml"})
