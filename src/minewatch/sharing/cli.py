"""``minewatch share …``: STIX, ACLED and research exports and imports, group sync.

Each command acts for one organisation (``--org NAME``), as its platform operator:
what leaves is limited by the same policy as the API (no confidential incidents,
no sources, the TLP ceiling given).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

share_app = typer.Typer(help="Sharing: STIX 2.1, ACLED and research exports; imports.",
                        no_args_is_help=True)  # fmt: skip

OrgOption = Annotated[str, typer.Option("--org", help="The organisation (by name).")]
OutOption = Annotated[
    Path, typer.Option("-o", "--out", help="File to write; - for standard output.")
]


def _fail(message: str) -> None:
    from minewatch.cli.base import err

    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _organisation(name: str) -> Any:
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core.models import Organisation

    found = Organisation.objects.filter(name=name).first()
    if found is None:
        _fail(f"--org: no organisation named {name!r}")
    return found


def _scope(threats: list[str] | None, tlp_ceiling: str, precision: str) -> Any:
    from minewatch.sharing.engine import policy, tlp
    from minewatch.sharing.queries import ALL_THREATS, ExportScope

    unknown = [threat for threat in threats or [] if threat not in ALL_THREATS]
    if unknown:
        _fail(f"--threat: unknown {unknown}; expected some of {', '.join(ALL_THREATS)}")
    try:
        ceiling = tlp.check_level(tlp_ceiling)
    except ValueError as exc:
        _fail(f"--tlp-ceiling: {exc}")
    if precision not in policy.PRECISIONS:
        _fail(f"--precision: {precision!r}; expected one of {', '.join(policy.PRECISIONS)}")
    return ExportScope(threats=tuple(threats or ALL_THREATS), tlp_ceiling=ceiling,
                       precision=precision)  # fmt: skip


def _write(out: Path, text: str) -> None:
    if str(out) == "-":
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


@share_app.command("stix-export")
def stix_export_command(
    org: OrgOption, out: OutOption,
    threat: Annotated[list[str] | None, typer.Option(help="Only this threat (repeatable).")] = None,
    tlp_ceiling: Annotated[str, typer.Option(help="Most restrictive TLP let out.")] = "amber",
    precision: Annotated[str, typer.Option(help="exact, approximate or coarse.")] = "approximate",
    no_reports: Annotated[bool, typer.Option("--no-reports", help="Leave out intelligence reports.")] = False,
) -> None:  # fmt: skip
    """Write a STIX 2.1 bundle of the organisation's actors, incidents and graded reports."""
    organisation = _organisation(org)
    from dataclasses import replace

    from minewatch.sharing.queries import stix_bundle

    scope = replace(_scope(threat, tlp_ceiling, precision), include_reports=not no_reports)
    bundle = stix_bundle(organisation.pk, scope)
    _write(out, json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
    if str(out) != "-":
        print(f"{len(bundle['objects'])} STIX objects written to {out}")


@share_app.command("stix-import")
def stix_import_command(
    org: OrgOption,
    bundle: Annotated[Path, typer.Argument(help="A STIX 2.1 bundle (JSON).")],
    partner: Annotated[str, typer.Option(help="Who sent it (kept with each object).")],
    reliability: Annotated[str, typer.Option(help="How reliable the partner is (Admiralty A-F).")] = "C",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:  # fmt: skip
    """Import a partner's bundle as external intelligence (de-duplicated, graded, actors linked)."""
    organisation = _organisation(org)
    from minewatch.core.errors import MineWatchError
    from minewatch.sharing import services

    if not bundle.exists():
        _fail(f"no such file {str(bundle)!r}")
    try:
        result = services.import_stix(actor=None, organisation=organisation,
                                      text=bundle.read_bytes(), partner=partner,
                                      source_reliability=reliability)  # fmt: skip
    except MineWatchError as exc:
        _fail(f"{exc.field}: {exc.message}")
    _report(result.as_dict(), as_json)
    if result.errors:
        raise typer.Exit(1)


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    for error in summary.get("errors", []):
        print(f"error: {error}", file=sys.stderr)
    counts = {key: value for key, value in summary.items() if key != "errors"}
    print(", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items()))


@share_app.command("acled-export")
def acled_export_command(
    org: OrgOption, out: OutOption,
    threat: Annotated[list[str] | None, typer.Option(help="Only this threat (repeatable).")] = None,
    tlp_ceiling: Annotated[str, typer.Option(help="Most restrictive TLP let out.")] = "amber",
    precision: Annotated[str, typer.Option(help="exact, approximate or coarse.")] = "approximate",
) -> None:  # fmt: skip
    """Write the organisation's incidents in ACLED's column layout (CSV)."""
    import io

    organisation = _organisation(org)
    from minewatch.sharing.engine.acled import write_csv
    from minewatch.sharing.queries import acled_incidents

    handle = io.StringIO()
    count = write_csv(
        acled_incidents(organisation.pk, _scope(threat, tlp_ceiling, precision)), handle
    )
    _write(out, handle.getvalue())
    if str(out) != "-":
        print(f"{count} ACLED rows written to {out}")


@share_app.command("acled-import")
def acled_import_command(
    org: OrgOption,
    file: Annotated[Path, typer.Argument(help="An ACLED CSV file.")],
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Import the good rows; count and name the bad.")] = False,
    events_csv: Annotated[Path | None, typer.Option(help="Also write the events as a forecast backtest CSV.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:  # fmt: skip
    """Import an ACLED file as a map context layer and as backtest events (`risk backtest --events`)."""
    import csv

    organisation = _organisation(org)
    from minewatch.core.errors import MineWatchError
    from minewatch.sharing import services
    from minewatch.sharing.engine.acled import backtest_rows

    if not file.exists():
        _fail(f"no such file {str(file)!r}")
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            result, rows = services.import_acled(actor=None, organisation=organisation,
                                                 handle=handle, filename=file.name,
                                                 skip_bad=skip_bad)  # fmt: skip
    except MineWatchError as exc:
        _fail(exc.message)
    if result.errors and not skip_bad:
        for error in result.errors:
            print(f"error: {file.name} {error}", file=sys.stderr)
        _fail(
            f"{len(result.errors)} bad row(s); nothing imported (use --skip-bad to import the rest)"
        )
    if events_csv is not None:
        with events_csv.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["time", "lat", "lon", "threat", "type"])
            writer.writerows(backtest_rows(rows))
    _report(result.as_dict(), as_json)


@share_app.command("research-export")
def research_export_command(
    org: OrgOption, out: OutOption,
    k: Annotated[int | None, typer.Option(help="Smallest cell released (default: the setting).")] = None,
    generalisation: Annotated[str | None, typer.Option(help="region or grid (default: the setting).")] = None,
    grid_deg: Annotated[float | None, typer.Option(help="Grid cell, degrees (default: the setting).")] = None,
) -> None:  # fmt: skip
    """Write the anonymised research CSV; print the k-anonymity summary (suppressed cells)."""
    organisation = _organisation(org)
    from minewatch.sharing.research import research_csv

    try:
        text, summary = research_csv(organisation.pk, k=k, generalisation=generalisation,
                                     grid_deg=grid_deg)  # fmt: skip
    except ValueError as exc:
        _fail(str(exc))
    _write(out, text)
    print(json.dumps(summary), file=sys.stderr if str(out) == "-" else sys.stdout)


@share_app.command("sync-groups")
def sync_groups_command(
    org: Annotated[str, typer.Option("--org", help="Only this organisation (default: all).")] = "",
) -> None:
    """Rebuild what each member shares with its groups from its current records and policy."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.sharing.models import GroupMembership
    from minewatch.sharing.services import sync_membership

    rows = GroupMembership.objects.filter(is_active=True).select_related("group", "organisation")
    if org:
        rows = rows.filter(organisation__name=org)
    for membership in rows:
        count = sync_membership(membership)
        print(f"{membership.organisation} → {membership.group}: {count} shared")


def register(app: typer.Typer) -> None:
    app.add_typer(share_app, name="share")
