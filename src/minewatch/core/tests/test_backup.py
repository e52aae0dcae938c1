"""Backup and restore: exact round trips, refusals that change nothing, keys, retention.

In-process tests run on the pass's database (SQLite, then PostgreSQL); the move from
SQLite to PostgreSQL runs the CLI as a user would, in subprocesses.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from minewatch.core import backup, crypto
from minewatch.testing.plugin import require_service


def table_contents() -> dict[str, list[tuple]]:
    """Every row of every table, exactly as the ORM reads it (microseconds included)."""
    return {
        model._meta.db_table: list(backup._iter_rows(model)) for model in backup.dumped_models()
    }


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    """A data directory of the test's own, so swapping files in never touches another test's."""
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "secret_key").write_text("the-original-key")
    crypto.create_keys(directory)  # what 'minewatch migrate' does on a new installation
    settings.DATA_DIR = directory
    settings.TUNABLES = {**settings.TUNABLES, "evidence_store": ""}
    return directory


@pytest.fixture
def world_with_evidence(transactional_db: Any, data_dir: Path) -> Any:
    from minewatch.testing.world import build_world

    return build_world()  # its evidence extension adds a message with custody to each incident


def verify_evidence_ok() -> None:
    from minewatch.evidence.services import verify_all

    report = verify_all(workers=1)
    assert report.is_ok, [p.chain_problems for p in report.problems]
    assert report.items >= 3 and report.entries >= 3


def test_round_trip_is_row_identical_and_custody_verifies(
    world_with_evidence: Any, data_dir: Path, tmp_path: Path
) -> None:
    from minewatch.alerts.models import AlertRule
    from minewatch.incidents.models import Incident

    before = table_contents()
    rules_before = AlertRule.objects.count()
    result = backup.create_backup(f"{tmp_path / 'out'}/", keys="include")
    assert result.path.name.startswith("minewatch-") and result.rows == sum(
        map(len, before.values())
    )

    # Damage the live system: rows gone, rows added, a file gone.
    Incident.objects.filter(pk=world_with_evidence.incidents["a1"].pk).update(title="cambiado")
    AlertRule.objects.all().delete()
    evidence_files = [p for p in (data_dir / "evidence").rglob("*") if p.is_file()]
    evidence_files[0].unlink()
    (data_dir / "secret_key").write_text("another-key")

    restored = backup.restore_backup(result.path)
    assert restored.rows == result.rows
    assert table_contents() == before
    assert AlertRule.objects.count() == rules_before  # not grown by the migrations' seed rows
    assert (data_dir / "secret_key").read_text() == "the-original-key"
    verify_evidence_ok()


def test_timestamps_keep_their_microseconds(world_with_evidence: Any, tmp_path: Path) -> None:
    from minewatch.evidence.models import CustodyEntry

    entry = CustodyEntry.objects.order_by("pk").first()
    assert entry is not None
    archive = backup.create_backup(tmp_path / "b.tar.gz").path
    with tarfile.open(archive) as tar:
        handle = tar.extractfile(f"rows/{CustodyEntry._meta.db_table}.jsonl")
        assert handle is not None
        text = handle.read().decode()
    assert entry.occurred_at.isoformat()[:26] in text  # "2026-12-06T21:52:29.123456"


def rewrite_member(archive: Path, target: Path, name: str, data: bytes) -> None:
    """Copy ``archive`` to ``target`` with member ``name`` replaced (the manifest left as it was)."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for info in src:
            content = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == name:
                content = data
            info.size = len(content)
            dst.addfile(info, io.BytesIO(content))


def test_damaged_archive_is_refused_and_nothing_changes(
    world_with_evidence: Any, data_dir: Path, tmp_path: Path
) -> None:
    from minewatch.incidents.models import Incident

    archive = backup.create_backup(tmp_path / "b.tar.gz").path
    table = Incident._meta.db_table
    with tarfile.open(archive) as tar:
        rows = tar.extractfile(f"rows/{table}.jsonl").read()  # type: ignore[union-attr]
    damaged = tmp_path / "damaged.tar.gz"
    rewrite_member(archive, damaged, f"rows/{table}.jsonl", rows.replace(b"a", b"b", 1))
    Incident.objects.update(title="después del respaldo")
    before = table_contents()
    with pytest.raises(backup.BackupError, match="does not match its hash"):
        backup.restore_backup(damaged)
    assert table_contents() == before

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(backup.BackupError, match="damaged|not a MineWatch"):
        backup.restore_backup(truncated)
    not_backup = tmp_path / "other.tar.gz"
    with tarfile.open(not_backup, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("hello.txt"), io.BytesIO(b""))
    with pytest.raises(backup.BackupError, match="not a MineWatch backup"):
        backup.restore_backup(not_backup)
    assert table_contents() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 99}, "backup format 99"),
        ({"migrations": {"core": ["0001_initial", "0999_from_the_future"]}}, "does not have"),
        ({"migrations": {"core": ["0001_initial"]}}, None),  # others missing: older schema
    ],
)
def test_foreign_version_is_refused(
    world_with_evidence: Any, tmp_path: Path, change: dict, message: str | None
) -> None:
    archive = backup.create_backup(tmp_path / "b.tar.gz").path
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    manifest.update(change)
    if "migrations" in change and message is None:
        manifest["migrations"] = {**backup._applied_migrations(), "geo": ["0001_initial"]}
        message = "before migrations geo"
    foreign = tmp_path / "foreign.tar.gz"
    rewrite_member(archive, foreign, "manifest.json", json.dumps(manifest).encode())
    before = table_contents()
    with pytest.raises(backup.BackupError, match=message):
        backup.restore_backup(foreign)
    assert table_contents() == before


def test_keys_left_out_or_in_a_separate_archive(
    world_with_evidence: Any, data_dir: Path, tmp_path: Path
) -> None:
    excluded = backup.create_backup(tmp_path / "x.tar.gz", keys="exclude").path
    with tarfile.open(excluded) as tar:
        assert not [n for n in tar.getnames() if n.startswith("keys/")]
    separate = backup.create_backup(
        tmp_path / "s.tar.gz", keys="separate", keys_out=tmp_path / "keys.tar.gz"
    )
    with tarfile.open(separate.path) as tar:
        assert not [n for n in tar.getnames() if n.startswith("keys/")]
    (data_dir / "secret_key").write_text("changed")
    with pytest.raises(backup.BackupError, match="only keys"):
        backup.restore_backup(tmp_path / "keys.tar.gz")
    backup.restore_backup(separate.path, keys_from=tmp_path / "keys.tar.gz")
    assert (data_dir / "secret_key").read_text() == "the-original-key"
    assert oct((data_dir / "secret_key").stat().st_mode & 0o777) == "0o600"
    with pytest.raises(backup.BackupError, match="--keys"):
        backup.create_backup(tmp_path / "y.tar.gz", keys="encrypted")


def test_personal_data_stays_encrypted_in_the_archive_and_needs_its_keys(
    world_with_evidence: Any, data_dir: Path, tmp_path: Path
) -> None:
    from cryptography.fernet import Fernet

    from minewatch.people.models import Person

    guard = world_with_evidence.extra["people_a"]["guard"]
    made = backup.create_backup(tmp_path / "p.tar.gz").path
    with tarfile.open(made) as tar:
        member = tar.extractfile("rows/people_person.jsonl")
        assert member is not None
        rows = member.read().decode()
        names = tar.getnames()
    assert "10000001" not in rows and "987654321" not in rows and "gAAAAA" in rows
    assert {"keys/fernet.key", "keys/hmac.key"} <= set(names)
    (data_dir / "fernet.key").write_text(Fernet.generate_key().decode() + "\n")
    backup.restore_backup(made, restore_keys=False)  # the tokens load; this key cannot open them
    with pytest.raises(crypto.EncryptionKeyError, match="cannot decrypt"):
        Person.objects.get(pk=guard.pk)
    backup.restore_backup(made)
    found = Person.objects.get(document_number="10000001", organisation_id=guard.organisation_id)
    assert (found.pk, found.phone) == (guard.pk, "+51987654321")


def test_retention_keeps_the_newest(tmp_path: Path) -> None:
    for stamp in ("20261201T000000Z", "20261202T000000Z", "20261203T000000Z"):
        (tmp_path / f"minewatch-{stamp}.tar.gz").write_bytes(b"x")
    (tmp_path / "unrelated.tar.gz").write_bytes(b"x")
    deleted = backup.prune_backups(tmp_path, keep=2)
    assert [p.name for p in deleted] == ["minewatch-20261201T000000Z.tar.gz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "minewatch-20261202T000000Z.tar.gz",
        "minewatch-20261203T000000Z.tar.gz",
        "unrelated.tar.gz",
    ]


# ----------------------------------------------------------------------------------------
# The CLI, as a user runs it: SQLite to SQLite and SQLite to PostgreSQL.

DUMP_SCRIPT = """
import django, json, sys; django.setup()
from minewatch.core import backup
rows = {m._meta.db_table: list(backup._iter_rows(m)) for m in backup.dumped_models()}
# Sorted keys: PostgreSQL's jsonb keeps object keys in its own order.
json.dump(rows, sys.stdout, sort_keys=True, default=repr)
"""

SETUP_SCRIPT = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from minewatch.testing.world import build_world
build_world()
"""


def run(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, check=False,
                          **kwargs)  # fmt: skip


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "minewatch", *args]


def env_for(data_dir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINEWATCH_")}
    return {**env, "MINEWATCH_DATA_DIR": str(data_dir), "MINEWATCH_DATABASE_URL": url}


def dump(env: dict[str, str]) -> dict[str, Any]:
    result = run([sys.executable, "-c", DUMP_SCRIPT], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def sqlite_backup(tmp_path_factory: Any) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("cli-backup")
    env = env_for(root / "source", f"sqlite:///{root / 'source.sqlite3'}")
    setup = run([sys.executable, "-c", SETUP_SCRIPT], env)
    assert setup.returncode == 0, setup.stderr
    made = run(cli("backup", str(root / "archives") + "/"), env)
    assert made.returncode == 0, made.stderr
    assert "Backup written to" in made.stdout
    archives = list((root / "archives").glob("minewatch-*.tar.gz"))
    assert len(archives) == 1
    return archives[0], dump(env)


def restore_and_check(archive: Path, expected: dict[str, Any], env: dict[str, str]) -> None:
    restored = run(cli("restore", str(archive), "--yes"), env)
    assert restored.returncode == 0, restored.stderr
    assert dump(env) == expected
    verified = run(cli("evidence", "verify"), env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_cli_sqlite_to_sqlite(sqlite_backup: tuple[Path, dict], tmp_path: Path) -> None:
    archive, expected = sqlite_backup
    env = env_for(tmp_path / "target", f"sqlite:///{tmp_path / 'target.sqlite3'}")
    restore_and_check(archive, expected, env)


def test_cli_sqlite_to_postgresql(sqlite_backup: tuple[Path, dict], tmp_path: Path) -> None:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg

    name = f"mw_restore_{os.getpid()}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        archive, expected = sqlite_backup
        env = env_for(tmp_path / "target", f"postgresql://postgres@127.0.0.1:5432/{name}")
        restore_and_check(archive, expected, env)
    finally:
        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_cli_refuses_a_damaged_archive_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not an archive")
    env = env_for(tmp_path / "data", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = run(cli("restore", str(bad), "--yes"), env)
    assert result.returncode == 2
    assert "Restore refused" in result.stderr and "Traceback" not in result.stderr
