"""Backup and restore: one archive with the database, the evidence store, the keys and a manifest.

The archive is a gzip'd tar:

- ``rows/<table>.jsonl``: every row of every table MineWatch's models own, read in one
  snapshot transaction (REPEATABLE READ on PostgreSQL; one read transaction on SQLite in
  WAL mode, so MineWatch keeps serving). The first line names the model and its columns,
  each further line is one row. Values keep their full precision: timestamps to the
  microsecond (``dumpdata`` rounds them to milliseconds, which breaks the custody hashes),
  decimals as text.
- ``database/minewatch.sqlite3``: on SQLite, a copy made with SQLite's online backup API,
  openable with any SQLite tool.
- ``files/evidence/…`` and ``files/media/…``: the local evidence store and uploaded media.
- ``keys/…``: the secret and signing keys of the data directory, unless left out or written
  to a separate archive (the operator's choice: ``--keys include|exclude|separate``).
- ``manifest.json`` (last): format version, MineWatch version, the database vendor, the
  applied migrations, row counts per table and the SHA-256 of every other member.

Restore reads the manifest, checks every member's hash into a staging directory, and only
then touches the live system: the database is emptied and loaded in ONE transaction (it
lands whole or not at all: SQLite and PostgreSQL both roll back DDL-free writes and
deletes together), after which the staged files replace the data directory's. Rows are
portable, so a SQLite backup restores into PostgreSQL (the move a growing user makes).

Why not ``pg_dump``: one format that every database reads is what makes SQLite to
PostgreSQL possible and keeps one code path tested on both; a PostgreSQL operator who
wants ``pg_dump`` as well can run it beside this (``docs/backup.md``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from minewatch.core import crypto

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Files of the data directory that hold keys (Django's secret key; the signing and
# encryption keys of the apps that add them). Listed here, in one place.
KEY_FILES: tuple[str, ...] = (
    "secret_key",
    "signing_key.pem",
    "signing_key.pub",
    "fernet.key",
    "hmac.key",
)
FILE_TREES: tuple[str, ...] = ("evidence", "media")
STATE_FILE = "last_backup.json"
BATCH_ROWS = 5000

Progress = Callable[[str, int, int | None], None]


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


@dataclass
class BackupResult:
    """What ``create_backup`` wrote."""

    path: Path
    tables: int
    rows: int
    files: int
    bytes: int
    seconds: float
    keys: str
    keys_path: Path | None = None


@dataclass
class RestoreResult:
    """What ``restore_backup`` loaded."""

    rows: int
    tables: int
    files: int
    seconds: float
    manifest: dict[str, Any] = field(default_factory=dict)


def _no_progress(_what: str, _done: int, _total: int | None) -> None:
    return None


# --------------------------------------------------------------------------------------
# Reading the database


def dumped_models() -> list[Any]:
    """Every concrete, managed model with a table (many-to-many tables included), sorted."""
    from django.apps import apps

    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
    return sorted(models, key=lambda model: model._meta.db_table)


def _columns(model: Any) -> list[Any]:
    return [f for f in model._meta.concrete_fields]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


def _applied_migrations() -> dict[str, list[str]]:
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name"):
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _known_migrations() -> dict[str, list[str]]:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    known: dict[str, list[str]] = {}
    for app, name in loader.disk_migrations:
        known.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(known.items())}


def _iter_rows(model: Any) -> Iterator[tuple]:
    attnames = [f.attname for f in _columns(model)]
    queryset = model._base_manager.order_by("pk").values_list(*attnames)
    yield from queryset.iterator(chunk_size=BATCH_ROWS)


# --------------------------------------------------------------------------------------
# Writing the archive


class _ArchiveWriter:
    """Adds members to a tar and remembers each one's SHA-256 and size."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.members: dict[str, dict[str, Any]] = {}

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = int(time.time())
        info.mode = 0o600
        self.tar.addfile(info, io.BytesIO(data))
        self.members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def add_file(self, name: str, path: Path) -> None:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        info = self.tar.gettarinfo(str(path), arcname=name)
        info.mode = 0o600
        with path.open("rb") as handle:
            self.tar.addfile(info, handle)
        self.members[name] = {"sha256": digest.hexdigest(), "size": info.size}


def _dump_database(writer: _ArchiveWriter, spool: Path, progress: Progress) -> dict[str, int]:
    """Write every table's rows (and on SQLite a native copy) from one snapshot.

    Returns the row count per table.
    """
    from django.db import connection

    counts: dict[str, int] = {}
    models = dumped_models()
    # Encrypted fields are written as their stored tokens: no personal data in clear text.
    with _snapshot_transaction(), crypto.raw_values():
        if connection.vendor == "sqlite":
            _sqlite_snapshot(writer, spool)
        for index, model in enumerate(models):
            table = model._meta.db_table
            progress(f"rows {table}", index, len(models))
            path = spool / f"{table}.jsonl"
            header = {"model": model._meta.label_lower, "table": table,
                      "columns": [f.attname for f in _columns(model)]}  # fmt: skip
            rows = 0
            with path.open("wb") as handle:
                handle.write(orjson.dumps(header) + b"\n")
                for row in _iter_rows(model):
                    handle.write(orjson.dumps(row, default=_default) + b"\n")
                    rows += 1
            counts[table] = rows
            writer.add_file(f"rows/{table}.jsonl", path)
            path.unlink()
        progress("rows", len(models), len(models))
    return counts


@contextlib.contextmanager
def _snapshot_transaction() -> Iterator[None]:
    """One read transaction that sees a single snapshot and never blocks writers.

    PostgreSQL: REPEATABLE READ. SQLite: a DEFERRED transaction (MineWatch's own
    transactions are IMMEDIATE, which would take the write lock for the whole backup); in
    WAL mode its first read fixes the snapshot. Inside an outer transaction (a caller's
    atomic block), that transaction already is the snapshot.
    """
    from django.db import connection, transaction

    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
        return
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("BEGIN DEFERRED")
    try:
        raw.execute("SELECT count(*) FROM django_migrations").fetchall()
        yield
    finally:
        raw.execute("COMMIT")


def _sqlite_snapshot(writer: _ArchiveWriter, spool: Path) -> None:
    """A copy of the SQLite database through the online backup API (writers are not stopped).

    Made through Django's own connection, inside the dump's read transaction, so the copy
    and the rows are the same snapshot.
    """
    from django.db import connection

    target = spool / "minewatch.sqlite3"
    destination = sqlite3.connect(str(target))
    try:
        connection.connection.backup(destination, pages=4096)
    finally:
        destination.close()
    writer.add_file("database/minewatch.sqlite3", target)
    target.unlink()


def _file_trees(data_dir: Path) -> Iterator[tuple[str, Path]]:
    from minewatch.evidence.storage import store_location

    location = store_location()
    if location.startswith("s3://"):
        # The S3 store has its own versioning and replication; it is not copied here.
        trees = [("media", data_dir / "media")]
    else:
        trees = [("evidence", Path(location)), ("media", data_dir / "media")]
    trees.append(("ledger", data_dir / "ledger"))  # the signed heads of the audit chain
    for name, root in trees:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file():
                yield f"files/{name}/{path.relative_to(root).as_posix()}", path


def _key_files(data_dir: Path) -> list[tuple[str, Path]]:
    return [(f"keys/{name}", data_dir / name) for name in KEY_FILES if (data_dir / name).is_file()]


def backup_name(now: dt.datetime | None = None) -> str:
    """The file name of a backup taken at ``now``: ``minewatch-20261206T215229Z.tar.gz``."""
    now = now or dt.datetime.now(dt.UTC)
    return f"minewatch-{now.strftime('%Y%m%dT%H%M%SZ')}.tar.gz"


def create_backup(
    out: Path | str,
    *,
    keys: str = "include",
    keys_out: Path | None = None,
    keep: int = 0,
    progress: Progress = _no_progress,
) -> BackupResult:
    """Write a backup archive to ``out`` (a file, or a directory, existing or ending in ``/``).

    ``keys``: ``include`` (in the archive), ``exclude`` (left out) or ``separate`` (to
    ``keys_out``, a second archive the operator keeps elsewhere). ``keep`` > 0 deletes the
    oldest ``minewatch-*.tar.gz`` archives of the directory beyond that many.
    """
    from django.conf import settings
    from django.db import connection

    import minewatch

    if keys not in {"include", "exclude", "separate"}:
        raise BackupError(f"--keys: {keys!r} is not one of include, exclude, separate")
    if keys == "separate" and keys_out is None:
        raise BackupError("--keys-out: needed with --keys separate")
    _require_migrated()
    started = time.monotonic()
    is_directory = str(out).endswith(("/", os.sep)) or Path(out).is_dir()
    target = Path(out) / backup_name() if is_directory else Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    data_dir = Path(settings.DATA_DIR)
    partial = target.with_name(target.name + ".partial")
    files = 0
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as spool_dir:
        spool = Path(spool_dir)
        with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
            writer = _ArchiveWriter(tar)
            counts = _dump_database(writer, spool, progress)
            for name, path in _file_trees(data_dir):
                writer.add_file(name, path)
                files += 1
                if files % 200 == 0:
                    progress("files", files, None)
            if keys == "include":
                for name, path in _key_files(data_dir):
                    writer.add_file(name, path)
            manifest = {
                "format": FORMAT_VERSION,
                "minewatch_version": minewatch.__version__,
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "database_vendor": connection.vendor,
                "migrations": _applied_migrations(),
                "rows": counts,
                "keys": keys,
                "members": writer.members,
            }
            writer.add_bytes(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    keys_path = None
    if keys == "separate":
        keys_path = _write_keys_archive(keys_out, data_dir)  # type: ignore[arg-type]
    size = target.stat().st_size
    _record_backup(data_dir, target, size)
    if keep > 0:
        prune_backups(target.parent, keep=keep)
    return BackupResult(
        path=target, tables=len(counts), rows=sum(counts.values()), files=files, bytes=size,
        seconds=time.monotonic() - started, keys=keys, keys_path=keys_path,
    )  # fmt: skip


def _require_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise BackupError(
            f"the database lacks {len(pending)} migrations of this version; "
            "run 'minewatch migrate' first"
        )


def _write_keys_archive(path: Path, data_dir: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        writer = _ArchiveWriter(tar)
        for name, file in _key_files(data_dir):
            writer.add_file(name, file)
        manifest = {"format": FORMAT_VERSION, "keys_only": True, "members": writer.members}
        writer.add_bytes(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return path


def _record_backup(data_dir: Path, path: Path, size: int) -> None:
    state = {"at": dt.datetime.now(dt.UTC).isoformat(), "path": str(path), "bytes": size}
    (data_dir / STATE_FILE).write_text(json.dumps(state))


def last_backup(data_dir: Path) -> dict[str, Any] | None:
    """The last backup this data directory made (time, path, size), or None."""
    try:
        return json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None


def prune_backups(directory: Path, *, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest ``minewatch-*.tar.gz`` archives; returns the deleted."""
    archives = sorted(directory.glob("minewatch-*.tar.gz"))
    doomed = archives[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed


# --------------------------------------------------------------------------------------
# Restoring


def read_manifest(archive: Path) -> dict[str, Any]:
    """The archive's manifest, checked for format; raises BackupError naming the problem."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    try:
        with tarfile.open(archive, "r:*") as tar:
            member = tar.getmember(MANIFEST)
            handle = tar.extractfile(member)
            manifest = json.loads(handle.read()) if handle else None
    except KeyError:
        raise BackupError(f"{archive}: not a MineWatch backup (no {MANIFEST})") from None
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise BackupError(f"{archive}: damaged archive ({exc})") from None
    if not isinstance(manifest, dict) or "format" not in manifest:
        raise BackupError(f"{archive}: {MANIFEST} is not a MineWatch manifest")
    if manifest["format"] != FORMAT_VERSION:
        raise BackupError(
            f"{archive}: backup format {manifest['format']} is not {FORMAT_VERSION}; "
            f"restore it with the MineWatch version that made it "
            f"({manifest.get('minewatch_version', '?')})"
        )
    return manifest


def check_versions(manifest: dict[str, Any]) -> None:
    """Refuse an archive whose schema (applied migrations) differs from this code's."""
    if manifest.get("keys_only"):
        raise BackupError(
            "this archive holds only keys; restore the database archive with --keys-from"
        )
    known = _known_migrations()
    archived = manifest.get("migrations", {})
    newer = sorted(f"{app}.{name}" for app, names in archived.items() for name in names
                   if name not in known.get(app, []))  # fmt: skip
    version = manifest.get("minewatch_version", "?")
    if newer:
        raise BackupError(
            f"the backup was made by MineWatch {version} with migrations this version does not "
            f"have ({', '.join(newer[:5])}); install that version or newer to restore it"
        )
    missing = sorted(f"{app}.{name}" for app, names in known.items() for name in names
                     if app in _minewatch_labels() and name not in archived.get(app, []))  # fmt: skip
    if missing:
        raise BackupError(
            f"the backup was made by MineWatch {version}, before migrations {', '.join(missing[:5])}; "
            "restore it with that version, then upgrade and run 'minewatch migrate'"
        )


def _minewatch_labels() -> set[str]:
    from minewatch.core.registry import minewatch_app_configs

    return {config.label for config in minewatch_app_configs()}


def _extract_checked(
    archive: Path, manifest: dict[str, Any], staging: Path, progress: Progress
) -> None:
    """Extract every member listed in the manifest to ``staging``, checking each hash."""
    members = manifest["members"]
    seen: set[str] = set()
    try:
        with tarfile.open(archive, "r:*") as tar:
            for index, info in enumerate(tar):
                if info.name == MANIFEST:
                    continue
                if info.name not in members or not info.isfile():
                    raise BackupError(f"{archive}: unexpected member {info.name!r}")
                target = (staging / info.name).resolve()
                if not target.is_relative_to(staging.resolve()):
                    raise BackupError(f"{archive}: member {info.name!r} points outside the archive")
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                handle = tar.extractfile(info)
                assert handle is not None
                with target.open("wb") as out:
                    for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != members[info.name]["sha256"]:
                    raise BackupError(
                        f"{archive}: {info.name} does not match its hash in the manifest "
                        "(the archive is damaged or was altered); nothing was restored"
                    )
                seen.add(info.name)
                progress("checking", index, len(members))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{archive}: damaged archive ({exc}); nothing was restored") from None
    missing = sorted(set(members) - seen)
    if missing:
        raise BackupError(
            f"{archive}: missing members {', '.join(missing[:5])}; nothing was restored"
        )


def _load_rows(staging: Path, manifest: dict[str, Any], progress: Progress) -> tuple[int, int]:
    """Empty every table and load the archived rows, in one transaction."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection, transaction

    models = dumped_models()
    by_table = {model._meta.db_table: model for model in models}
    unknown = sorted(set(manifest["rows"]) - set(by_table))
    if unknown:
        raise BackupError(
            f"the backup holds tables this version does not have: {', '.join(unknown[:5])}"
        )
    quote = connection.ops.quote_name
    total = 0
    # Tokens go back as they are; the keys that open them are restored beside the rows.
    with transaction.atomic(), crypto.raw_values():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                tables = ", ".join(quote(m._meta.db_table) for m in models)
                cursor.execute(f"TRUNCATE {tables} CASCADE")
            else:
                for model in models:
                    cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")  # noqa: S608
            for index, table in enumerate(sorted(manifest["rows"])):
                progress(f"loading {table}", index, len(manifest["rows"]))
                total += _load_table(cursor, staging / "rows" / f"{table}.jsonl", by_table[table])
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
    apps.get_model("contenttypes", "ContentType").objects.clear_cache()
    return total, len(manifest["rows"])


def _load_table(cursor: Any, path: Path, model: Any) -> int:
    from django.db import connection

    with path.open("rb") as handle:
        header = orjson.loads(handle.readline())
        fields = [
            model._meta.get_field(name) for name in _attname_to_name(model, header["columns"])
        ]
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - names from the models
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        rows = 0
        batch: list[tuple] = []
        for line in handle:
            values = orjson.loads(line)
            batch.append(tuple(_db_value(f, v) for f, v in zip(fields, values, strict=True)))
            if len(batch) >= BATCH_ROWS:
                cursor.executemany(sql, batch)
                rows += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            rows += len(batch)
    return rows


def _attname_to_name(model: Any, attnames: list[str]) -> list[str]:
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    missing = [a for a in attnames if a not in by_attname]
    if missing:
        raise BackupError(f"{model._meta.db_table}: columns {missing} are not in this version")
    return [by_attname[a] for a in attnames]


def _db_value(model_field: Any, value: Any) -> Any:
    from django.db import connection
    from django.db.models import BinaryField, JSONField

    if value is None:
        return None
    if isinstance(model_field, BinaryField):
        value = bytes.fromhex(value)
    elif not isinstance(model_field, JSONField):
        value = model_field.to_python(value)
    return model_field.get_db_prep_save(value, connection)


def _swap_in_files(staging: Path, data_dir: Path, *, restore_keys: bool) -> int:
    """Replace the data directory's evidence, media (and keys) with the staged ones."""
    from minewatch.evidence.storage import store_location

    location = store_location()
    roots = {"media": data_dir / "media", "ledger": data_dir / "ledger"}
    if not location.startswith("s3://"):
        roots["evidence"] = Path(location)
    count = 0
    for name, root in roots.items():
        staged = staging / "files" / name
        if not staged.is_dir():
            staged.mkdir(parents=True)
        count += sum(1 for p in staged.rglob("*") if p.is_file())
        old = root.with_name(root.name + ".before-restore")
        shutil.rmtree(old, ignore_errors=True)
        if root.exists():
            os.replace(root, old)
        root.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged), str(root))
        shutil.rmtree(old, ignore_errors=True)
    if restore_keys and (staging / "keys").is_dir():
        for path in (staging / "keys").iterdir():
            os.replace(path, data_dir / path.name)
            os.chmod(data_dir / path.name, 0o600)
    return count


def restore_backup(
    archive: Path,
    *,
    restore_keys: bool = True,
    keys_from: Path | None = None,
    progress: Progress = _no_progress,
) -> RestoreResult:
    """Restore ``archive`` into the configured database and data directory.

    Checks the manifest and every member's hash first; a damaged or foreign-version
    archive raises BackupError before anything changes. The database is then emptied and
    loaded in one transaction; the files are swapped in after it commits.
    """
    from django.conf import settings

    started = time.monotonic()
    manifest = read_manifest(archive)
    check_versions(manifest)
    data_dir = Path(settings.DATA_DIR)
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as staging_dir:
        staging = Path(staging_dir)
        _extract_checked(archive, manifest, staging, progress)
        if keys_from is not None:
            keys_manifest = read_manifest(keys_from)
            _extract_checked(keys_from, keys_manifest, staging, progress)
        rows, tables = _load_rows(staging, manifest, progress)
        files = _swap_in_files(staging, data_dir, restore_keys=restore_keys)
    return RestoreResult(rows=rows, tables=tables, files=files,
                         seconds=time.monotonic() - started, manifest=manifest)  # fmt: skip
