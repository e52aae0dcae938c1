"""The durable intake: a detection acknowledged to its detector survives a kill -9.

Real processes on a real database file (and PostgreSQL when it answers): one process
journals detections and raises them in its intake thread, printing an acknowledgement
after each ``submit`` returns; the test kills it with SIGKILL mid-stream, starts a new
process that replays the journal, and counts: every acknowledged detection has become
exactly one alert with one occurrence — none lost, none raised twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from minewatch.testing.plugin import require_service

SETUP_SCRIPT = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from minewatch.testing.world import build_world
print(build_world().sites["a1"].pk)
"""

PRODUCER_SCRIPT = """
import sys, django; django.setup()
from minewatch.alerts.services import intake
from minewatch.alerts.testing import make_input
from minewatch.geo.models import Site
site = Site.objects.get(pk=int(sys.argv[1]))
def say(line):  # one write per line: the intake thread prints too
    sys.stdout.write(line + "\\n")
    sys.stdout.flush()
journal = intake.AlertIntake(max_batch=20)  # submits only, until the thread starts
for i in range(int(sys.argv[2])):
    if i == int(sys.argv[3]):  # a backlog first, so the kill finds the intake mid-batch
        journal = intake.start_in_thread(
            max_batch=20, on_batch=lambda items, results: say("batch"))
    journal.submit(make_input(site, subject_key=f"K-{i}"))
    say(f"ack K-{i}")
journal.wait_idle()
print("idle", flush=True)
"""

RESTART_SCRIPT = """
import json, django; django.setup()
from minewatch.alerts.models import Alert, IntakeEntry
from minewatch.alerts.services import intake
before = {"journal": IntakeEntry.objects.count(),
          "alerts": Alert.objects.filter(subject_key__startswith="K-").count()}
running = intake.start_in_thread(max_batch=20)
assert running.wait_idle(300)
intake.stop_running()
rows = list(Alert.objects.filter(subject_key__startswith="K-").values_list("subject_key", "occurrences"))
print(json.dumps({"before": before, "alerts": rows,
                  "failed": IntakeEntry.objects.filter(failed_at__isnull=False).count(),
                  "journal": IntakeEntry.objects.count()}))
"""

TOTAL = 400
KILL_AFTER = 210
BACKLOG = 200  # journalled before the producer's intake thread starts


def _env(data_dir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINEWATCH_")}
    data_dir.mkdir(parents=True, exist_ok=True)
    return {**env, "MINEWATCH_DATA_DIR": str(data_dir), "MINEWATCH_DATABASE_URL": url,
            "MINEWATCH_TESTING": "1"}  # fmt: skip


def _run(script: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: Any, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'intake.sqlite3'}"
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    name = f"mw_intake_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_no_acknowledged_detection_is_lost_or_doubled_by_a_kill_9(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(tmp_path / "data", database_url)
    site_id = _run(SETUP_SCRIPT, env).strip().splitlines()[-1]
    producer = subprocess.Popen(
        [sys.executable, "-c", PRODUCER_SCRIPT, site_id, str(TOTAL), str(BACKLOG)], env=env,
        stdout=subprocess.PIPE, stderr=(tmp_path / "producer.log").open("w"), text=True,
    )  # fmt: skip
    acknowledged: list[str] = []
    batches = 0
    try:
        assert producer.stdout is not None
        for line in producer.stdout:
            if line.startswith("ack "):
                acknowledged.append(line.split()[1])
            batches += line.startswith("batch")
            # Once some batches committed and a backlog waits: the intake is mid-stream.
            if len(acknowledged) >= KILL_AFTER and batches >= 2:
                producer.send_signal(signal.SIGKILL)  # mid-stream: no clean-up of any kind
                break
        producer.wait(30)
        # What it printed before it died counts as acknowledged too.
        acknowledged += [line.split()[1] for line in producer.stdout if line.startswith("ack ")]
    finally:
        if producer.poll() is None:
            producer.kill()
    assert producer.returncode == -signal.SIGKILL, (tmp_path / "producer.log").read_text()[-2000:]
    assert KILL_AFTER <= len(acknowledged) < TOTAL

    result = json.loads(_run(RESTART_SCRIPT, env).strip().splitlines()[-1])
    # The kill left work in the journal (the test exercises the replay) and some raised.
    assert result["before"]["journal"] > 0 and result["before"]["alerts"] > 0
    counts = Counter(key for key, _occurrences in result["alerts"])
    occurrences = dict(result["alerts"])
    missing = [key for key in acknowledged if key not in counts]
    doubled = [key for key, n in counts.items() if n > 1 or occurrences[key] > 1]
    assert missing == [] and doubled == []
    # Nothing beyond what was submitted: the acknowledged ones, and at most the one in flight.
    assert set(counts) - set(acknowledged) <= {f"K-{len(acknowledged)}"}
    assert result["failed"] == 0 and result["journal"] == 0
    print(f"kill -9: sent {len(acknowledged)} acknowledged, {result['before']['alerts']} alerted and "
          f"{result['before']['journal']} in the "
          f"journal at the kill, {len(counts)} alerted after restart")  # fmt: skip
