"""``minewatch evidence verify`` and ``minewatch dossier verify|build``.

Django is imported inside the commands (see ``minewatch.cli``).
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

out = Console()
err = Console(stderr=True)


def verify_evidence(
    workers: Annotated[int, typer.Option(min=1, help="Threads rehashing files in parallel.")] = min(
        4, os.cpu_count() or 1
    ),
) -> None:
    """Recompute every evidence file's SHA-256 and check every custody chain.

    Reports files that changed or went missing and custody entries altered or removed.
    Exits with code 1 when anything is wrong.
    """
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.evidence.models import EvidenceItem
    from minewatch.evidence.services import verify_all
    from minewatch.evidence.storage import store_location

    total = EvidenceItem.objects.count()
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("Verifying evidence", total=total)
        report = verify_all(workers=workers, progress=lambda n: progress.advance(task, n))
    out.print(
        f"Checked {report.items} items and {report.entries} custody entries in {store_location()}"
    )
    from minewatch.core.ledger import verify_ledger

    ledger_problems = [p for p in verify_ledger().problems if "custody" in p or "checkpoint" in p]
    for problem in ledger_problems:
        out.print(f"[red]✗[/red] {problem}")
    if report.is_ok and not ledger_problems:
        out.print(
            "[green]OK[/green]: every file matches its hash and every custody chain is intact."
        )
        return
    if not report.is_ok:
        _print_problems(report)
    else:
        out.print("[red]FAILED[/red]: custody records differ from the signed ledger.")
    raise typer.Exit(1)


def _print_problems(report: Any) -> None:
    from minewatch.evidence.models import EvidenceItem

    references = dict(
        EvidenceItem.objects.filter(pk__in=[p.item_id for p in report.problems]).values_list(
            "pk", "incident__reference"
        )
    )
    table = Table(title=f"{len(report.problems)} evidence items with problems")
    for column in ("item", "incident", "sha256", "file", "custody log"):
        table.add_column(column)
    for problem in report.problems:
        chain = "\n".join(p.message for p in problem.chain_problems) or "intact"
        file_status = {"ok": "ok", "missing": "MISSING", "changed": "CHANGED"}[problem.file_status]
        table.add_row(str(problem.item_id), references.get(problem.item_id, "?"),
                      problem.sha256[:16] + "…", file_status, chain)  # fmt: skip
    out.print(table)
    out.print("[red]FAILED[/red]: evidence or custody records were altered, removed or lost.")


def verify_dossier_command(
    file: Annotated[Path, typer.Argument(help="The dossier ZIP to check.", exists=True)],
    offline: Annotated[
        bool, typer.Option(help="Check the ZIP against its manifest only, without the database.")
    ] = False,
    public_key: Annotated[
        Path | None,
        typer.Option(
            help="The company's published public key (PEM) to check the manifest's signature with "
            "(default: this installation's key; offline: the key the manifest carries).",
            exists=True,
        ),
    ] = None,
) -> None:
    """Check a dossier ZIP against its manifest (and against the evidence records).

    Exits with code 1 when a file was changed, added or removed, or does not match
    the evidence recorded at intake.
    """
    if offline:
        from minewatch.evidence.engine.dossier import verify_dossier

        pem = public_key.read_text() if public_key else None
        problems = verify_dossier(file, public_key_pem=pem)
    else:
        from minewatch.cli.base import setup_django

        setup_django()
        from minewatch.evidence.dossiers import verify_dossier_file

        problems = verify_dossier_file(
            file, public_key_pem=public_key.read_text() if public_key else None
        )
    if not problems:
        scope = "its manifest" if offline else "its manifest and the evidence records"
        out.print(f"[green]OK[/green]: {file} matches {scope}.")
        return
    for problem in problems:
        out.print(f"[red]{problem.kind}[/red] {problem.message}")
    out.print(f"[red]FAILED[/red]: {len(problems)} problem(s) in {file}.")
    raise typer.Exit(1)


def _find_incident(reference: str) -> Any:
    from minewatch.incidents.models import Incident

    query = Incident.objects.select_related("organisation", "site", "region")
    found = query.filter(pk=int(reference)).first() if reference.isdigit() else None
    found = found or query.filter(reference=reference).first()
    if found is None:
        err.print(f"[red]No incident {reference!r}[/red] (give its id or reference).")
        raise typer.Exit(2)
    return found


def build_dossier_command(
    incident: Annotated[str, typer.Argument(help="Incident id or reference (INC-2025-…).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="ZIP file to write.")],
    pdf: Annotated[Path | None, typer.Option(help="Also write the PDF alone to this file.")] = None,
    user: Annotated[
        str | None, typer.Option(help="Act as this user (their access and name in the log).")
    ] = None,
) -> None:
    """Build the complaint dossier (Spanish PDF + evidence files + manifest) of an incident.

    The export is recorded in every item's custody log.
    """
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core.errors import MineWatchError
    from minewatch.core.models import User
    from minewatch.evidence.dossiers import build_dossier

    found = _find_incident(incident)
    actor = User.objects.filter(username=user).first() if user else None
    if user and actor is None:
        err.print(f"[red]No user {user!r}[/red].")
        raise typer.Exit(2)
    name = None if actor else f"system (CLI, {getpass.getuser()})"
    try:
        with output.open("wb") as target:
            result = build_dossier(found, actor=actor, actor_name=name, target=target)
    except MineWatchError as error:
        output.unlink(missing_ok=True)
        err.print(f"[red]Not built[/red] ({error.field}): {error.message}")
        raise typer.Exit(1) from None
    if pdf is not None:
        pdf.write_bytes(result.pdf_bytes)
    out.print(
        f"Dossier of {found.reference}: {len(result.item_ids)} evidence items -> {output} "
        f"({output.stat().st_size:,} bytes)"
    )


def register(app: typer.Typer) -> None:
    """Add the ``evidence`` and ``dossier`` command groups."""
    evidence_app = typer.Typer(help="Evidence locker: integrity checks.", no_args_is_help=True)
    evidence_app.command("verify")(verify_evidence)
    dossier_app = typer.Typer(help="Complaint dossiers (denuncias).", no_args_is_help=True)
    dossier_app.command("verify")(verify_dossier_command)
    dossier_app.command("build")(build_dossier_command)
    app.add_typer(evidence_app, name="evidence")
    app.add_typer(dossier_app, name="dossier")
