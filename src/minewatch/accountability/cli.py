"""``minewatch accountability …`` commands: run the deadline checks now."""

from __future__ import annotations

import typer

accountability_app = typer.Typer(help="Human rights and accountability.", no_args_is_help=True)


@accountability_app.command("check")
def check_command() -> None:
    """Alert missed grievance deadlines, missing use-of-force reports and expired SUCAMEC
    authorisations now (the alerts worker also does it every 30 s)."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.accountability.checks import run_deadline_checks

    print(f"{run_deadline_checks()} new accountability alert(s)")


@accountability_app.command("services")
def services_command() -> None:
    """List the D.Leg. 1213 modalities and the services the law refuses to private security."""
    from minewatch.accountability.engine.legal import MODALITIES, PROHIBITED

    for modality in MODALITIES:
        print(f"allowed   {modality.code:42} {modality.label_es}")
    for service in PROHIBITED:
        print(f"refused   {service.code:42} {service.label_es} — {service.law}")


def register(app: typer.Typer) -> None:
    app.add_typer(accountability_app, name="accountability")
