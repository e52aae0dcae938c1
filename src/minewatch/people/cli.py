"""``minewatch people …``: import personnel and controller logs, run the periodic checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

people_app = typer.Typer(help="People and access.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="CSV file.")]  # fmt: skip
UserOpt = Annotated[str, typer.Option("--user", help="Who imports (username).")]
SkipOpt = Annotated[bool, typer.Option("--skip-bad",
                                       help="Store the good rows and report the bad ones.")]  # fmt: skip
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _actor(username: str):  # noqa: ANN202 - a Django user, imported late
    from minewatch.cli.base import err
    from minewatch.core.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        err.print(f"[red]--user:[/red] no active user {username!r}")
        raise typer.Exit(2)
    return user


def _run(importer_name: str, file: Path, user: str, skip_bad: bool, as_json: bool) -> None:
    from minewatch.cli.base import run_csv_import, setup_django

    setup_django()
    from minewatch.people import imports

    actor = _actor(user)
    run_csv_import(file, getattr(imports, importer_name), actor=actor, skip_bad=skip_bad,
                   as_json=as_json)  # fmt: skip


@people_app.command("import")
def import_command(file: FileArg, user: UserOpt, skip_bad: SkipOpt = False,
                   as_json: JsonOpt = False) -> None:  # fmt: skip
    """Import personnel and their vetting from CSV (columns: name, document_number, role;
    optional document_type, employer, badge_number, phone, home_ubigeo, status, vetting_kind,
    vetting_date, vetting_result, vetting_issuing_body, vetting_document_number,
    vetting_reviewer, vetting_expires_on). Idempotent: the same file again changes nothing."""
    _run("import_people", file, user, skip_bad, as_json)


@people_app.command("import-events")
def import_events_command(file: FileArg, user: UserOpt, skip_bad: SkipOpt = False,
                          as_json: JsonOpt = False) -> None:  # fmt: skip
    """Import a gate controller's log from CSV (columns: controller_event_id, time,
    access_point, direction, credential; optional result, kind). Each event is stored once."""
    _run("import_events", file, user, skip_bad, as_json)


@people_app.command("check")
def check_command() -> None:
    """Raise due expiry alerts (vetting, licences, training), overstayed visitors and missing
    passengers now (the alerts worker also does it every 30 s)."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.people.checks import run_people_checks

    print(f"{run_people_checks()} new people alert(s)")


@people_app.command("retention")
def retention_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, change nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Apply the retention periods of every company's people settings now: delete old access
    events, visitor records and the vetting of people who left, anonymise people who left
    (never under legal hold or linked to an open incident). Each change is audited with its
    rule; the alerts worker also does it once an hour."""
    import json

    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.people.retention import apply_retention

    report = apply_retention(dry_run=dry_run)
    if as_json:
        print(json.dumps({"dry_run": report.dry_run, "applied": report.applied}))
        return
    verb = "would apply" if dry_run else "applied"
    for rule, count in report.applied.items():
        print(f"{rule}: {verb} to {count} record(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
