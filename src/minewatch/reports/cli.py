"""``minewatch report monthly|annual …``: write a report to an HTML or PDF file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

report_app = typer.Typer(help="Monthly security and annual VPSHR/ICoCA reports.",
                         no_args_is_help=True)  # fmt: skip

OrgOption = Annotated[str, typer.Option("--org", help="Organisation name (or id).")]
SiteOption = Annotated[str, typer.Option("--site", help="Only this site (name or id).")]
LangOption = Annotated[str, typer.Option("--lang", help="es (default) or en.")]
OutOption = Annotated[Path, typer.Option("-o", "--output", help="FILE.pdf or FILE.html.")]


def _write(kind: str, *, org: str, site: str, lang: str, output: Path, period: str) -> None:
    from minewatch.cli.base import err, setup_django

    setup_django()
    from django.utils import timezone

    from minewatch.core.errors import MineWatchError
    from minewatch.reports import services
    from minewatch.reports.scope import resolve_scope

    now = timezone.now()
    fmt = output.suffix.lower().lstrip(".")
    try:
        fmt = services.check_format(fmt)
        scope = resolve_scope(actor=None, now=now, organisation=org, site=site or None,
                              language=lang, **{"month" if kind == "monthly" else "year": period})  # fmt: skip
        render = services.render_monthly if kind == "monthly" else services.render_annual
        report = render(scope, now=now, fmt=fmt)
    except MineWatchError as error:
        option = {"organisation": "--org", "site": "--site", "lang": "--lang",
                  "format": "-o", "month": "--month", "year": "--year"}.get(error.field, error.field)  # fmt: skip
        err.print(f"[red]{option}:[/red] {error.message}")
        raise typer.Exit(2) from None
    output.write_bytes(report.content)
    print(f"{output}: {kind} report of {scope.organisation.name} "
          f"({len(report.content)} bytes)")  # fmt: skip


@report_app.command("monthly")
def monthly_command(
    org: OrgOption,
    month: Annotated[str, typer.Option("--month", help="YYYY-MM, e.g. 2026-11.")],
    output: OutOption,
    site: SiteOption = "",
    lang: LangOption = "es",
) -> None:
    """Write the monthly security report of an organisation (or one of its sites)."""
    _write("monthly", org=org, site=site, lang=lang, output=output, period=month)


@report_app.command("annual")
def annual_command(
    org: OrgOption,
    year: Annotated[str, typer.Option("--year", help="YYYY, e.g. 2026.")],
    output: OutOption,
    site: SiteOption = "",
    lang: LangOption = "es",
) -> None:
    """Write the annual VPSHR / ICoCA report of an organisation."""
    _write("annual", org=org, site=site, lang=lang, output=output, period=year)


@report_app.command("send-due")
def send_due_command() -> None:
    """Send last month's report to the managers now if today is the first working day
    (the alerts worker also checks every 30 s)."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.reports.schedule import send_due_monthly_reports

    print(f"{send_due_monthly_reports()} monthly report(s) sent")


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
