"""``minewatch backup`` and ``minewatch restore`` (see ``minewatch.core.backup``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

out = Console()
err = Console(stderr=True)


def _progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=err, transient=True)  # fmt: skip


def backup(
    out_path: Annotated[
        str, typer.Argument(metavar="OUT", help="Archive file, or a directory to write one in.")
    ],
    keys: Annotated[
        str,
        typer.Option(help="Keys of the data directory: include, exclude or separate (--keys-out)."),
    ] = "include",
    keys_out: Annotated[
        Path | None, typer.Option(help="With --keys separate: the keys' own archive.")
    ] = None,
    keep: Annotated[
        int, typer.Option(min=0, help="Keep only this many newest archives in OUT's directory.")
    ] = 0,
) -> None:
    """Back up the database, the evidence store and the keys into one archive (while serving)."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core.backup import BackupError, create_backup

    with _progress_bar() as bar:
        task = bar.add_task("Backing up", total=None)

        def progress(what: str, done: int, total: int | None) -> None:
            bar.update(task, description=f"Backing up: {what}", completed=done, total=total)

        try:
            result = create_backup(out_path, keys=keys, keys_out=keys_out, keep=keep,
                                   progress=progress)  # fmt: skip
        except BackupError as exc:
            err.print(f"[red]Backup failed:[/red] {exc}")
            raise typer.Exit(2) from None
    out.print(
        f"Backup written to {result.path}: {result.rows:,} rows in {result.tables} tables, "
        f"{result.files:,} files, {result.bytes / 1e6:.1f} MB in {result.seconds:.1f} s "
        f"(keys: {result.keys}{f', in {result.keys_path}' if result.keys_path else ''})"
    )


def restore(
    archive: Annotated[Path, typer.Argument(metavar="IN", help="The backup archive.")],
    keys: Annotated[
        bool, typer.Option(help="Also restore the keys held in the archive (default).")
    ] = True,
    keys_from: Annotated[
        Path | None,
        typer.Option(help="The keys' own archive, for a backup made with --keys separate."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask before replacing the data.")
    ] = False,
) -> None:
    """Replace the database, evidence store (and keys) with a backup's, checked first."""
    from minewatch.cli.base import run_migrations, setup_django

    setup_django(migrated=False)  # a restore may be the first thing a new database sees
    from minewatch.core.backup import BackupError, check_versions, read_manifest, restore_backup

    try:
        manifest = read_manifest(archive)
        check_versions(manifest)
    except BackupError as exc:
        err.print(f"[red]Restore refused:[/red] {exc}")
        raise typer.Exit(2) from None
    if not yes and not typer.confirm(
        f"Replace ALL data of this MineWatch with the backup of {manifest['created_at']}?"
    ):
        raise typer.Exit(1)
    run_migrations()
    with _progress_bar() as bar:
        task = bar.add_task("Restoring", total=None)

        def progress(what: str, done: int, total: int | None) -> None:
            bar.update(task, description=f"Restoring: {what}", completed=done, total=total)

        try:
            result = restore_backup(archive, restore_keys=keys, keys_from=keys_from,
                                    progress=progress)  # fmt: skip
        except BackupError as exc:
            err.print(f"[red]Restore refused:[/red] {exc}")
            raise typer.Exit(2) from None
    out.print(
        f"Restored {result.rows:,} rows in {result.tables} tables and {result.files:,} files "
        f"from {archive} ({manifest['database_vendor']} backup of {manifest['created_at']}) "
        f"in {result.seconds:.1f} s. Run 'minewatch evidence verify' to check the evidence."
    )


audit_app = typer.Typer(help="The tamper-evident audit log: verify, checkpoint, public key.",
                        no_args_is_help=True)  # fmt: skip


@audit_app.command("verify")
def audit_verify(
    public_key: Annotated[
        Path | None,
        typer.Option(
            help="Check signatures with this public key (PEM) instead of the local key's."
        ),
    ] = None,
) -> None:
    """Check the audit chain, its signed head, every signed checkpoint and the custody records.

    Exits with code 1 when an entry was edited, deleted (the last one too), reordered, or the
    chain was rewritten and re-hashed without the signing key.
    """
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core.ledger import verify_ledger

    report = verify_ledger(public_key.read_text() if public_key else None)
    out.print(
        f"Checked {report.entries:,} audit entries, {report.checkpoints:,} signed checkpoints "
        f"and {report.custody_entries:,} custody entries"
    )
    for note in report.notes:
        out.print(f"[yellow]note:[/yellow] {note}")
    if report.is_ok:
        out.print("[green]OK[/green]: the audit log and the custody logs are intact.")
        return
    for problem in report.problems:
        out.print(f"[red]✗[/red] {problem}")
    out.print(f"[red]FAILED[/red]: {len(report.problems)} problems; the records were altered.")
    raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the heads of the audit chain and every custody chain now."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core.ledger import write_checkpoint

    checkpoint = write_checkpoint(reason="manual")
    out.print(
        f"Checkpoint {checkpoint.pk}: audit entry {checkpoint.audit_sequence}, "
        f"{len(checkpoint.signed['payload']['custody'])} custody chains, key {checkpoint.key_id}"
    )


@audit_app.command("public-key")
def audit_public_key() -> None:
    """Print the public key (PEM) that checks this installation's signatures."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core.ledger import public_key

    print(public_key(), end="")


keys_app = typer.Typer(help="The personal-data encryption keys (core/crypto.py).",
                       no_args_is_help=True)  # fmt: skip


@keys_app.command("create")
def keys_create() -> None:
    """Create the keys missing from the data directory (fernet.key, hmac.key), never replacing
    one: a new installation's first step (minewatch migrate also does it)."""
    from minewatch.cli.base import setup_django

    setup_django(migrated=False)
    from minewatch.core import crypto

    created = crypto.create_keys()
    print("\n".join(f"created {path}" for path in created) or "the keys are already there")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Put a new Fernet key on top of fernet.key (the old ones still decrypt), then
    re-encrypt every stored value under it."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core import crypto
    from minewatch.core.fields import reencrypt_all

    path = crypto.rotate_fernet_key()
    print(
        f"new key on top of {path}; {reencrypt_all()} row(s) re-encrypted. Back up the keys; "
        "the old key lines can be removed once every backup made before is gone."
    )


@keys_app.command("reencrypt")
def keys_reencrypt() -> None:
    """Re-encrypt every stored value under the first key of fernet.key."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core.fields import reencrypt_all

    print(f"{reencrypt_all()} row(s) re-encrypted")


def register(app: typer.Typer) -> None:
    app.command()(backup)
    app.command()(restore)
    app.add_typer(audit_app, name="audit")
    app.add_typer(keys_app, name="keys")
