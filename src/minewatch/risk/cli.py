"""``minewatch risk …``: backtest forecasts on a CSV or the database, forecast, export events.

A bad CSV (missing column, unparsable date, coordinate out of range) stops with a message
naming the row and the column and exit code 2; ``--skip-bad`` skips such rows and counts them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

risk_app = typer.Typer(help="Risk: forecast backtests and forecasts.", no_args_is_help=True)


def resolution_for_cell_size(cell_size_m: float) -> int:
    """The H3 resolution whose mean cell area is closest to a square of ``cell_size_m``."""
    import math

    import h3

    if not cell_size_m > 0:
        raise ValueError(f"cell size must be > 0 m, got {cell_size_m}")
    target = cell_size_m**2
    return min(
        range(16), key=lambda r: abs(math.log(h3.average_hexagon_area(r, unit="m^2") / target))
    )


def _fail(message: str) -> None:
    from minewatch.cli.base import err

    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _parse_start(start: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(start)
    except ValueError:
        _fail(f"--start: {start!r} is not a date (YYYY-MM-DD)")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _db_events(threat: str | None, org: str | None):
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core.models import Organisation
    from minewatch.incidents.models import Incident
    from minewatch.risk.engine.events import events_from_records

    rows = Incident.objects.all()
    if org is not None:
        organisation = Organisation.objects.filter(name=org).first()
        if organisation is None:
            _fail(f"--org: no organisation named {org!r}")
        rows = rows.filter(organisation=organisation)
    if threat:
        rows = rows.filter(threat=threat)
    times, lats, lons, threats = [], [], [], []
    for occurred_at, lat, lon, kind in rows.values_list("occurred_at", "lat", "lon", "threat"):
        times.append(occurred_at)
        lats.append(lat)
        lons.append(lon)
        threats.append(kind)
    return events_from_records(times, lats, lons, threats), 0


def _csv_events(path: Path, skip_bad: bool):
    from minewatch.risk.engine.events import EventsCsvError, load_events_csv

    if not path.exists():
        _fail(f"--events: no such file {str(path)!r}")
    try:
        loaded = load_events_csv(path, skip_bad=skip_bad)
    except EventsCsvError as exc:
        _fail(f"{path.name}: {exc}")
    return loaded.events, loaded.skipped_rows


@risk_app.command("backtest")
def backtest_command(
    start: Annotated[str, typer.Option(help="First predicted day, YYYY-MM-DD (UTC).")],
    days: Annotated[int, typer.Option(min=1, help="Number of days to predict.")],
    events: Annotated[Path | None, typer.Option(help="CSV with time, lat, lon[, threat].")] = None,
    from_db: Annotated[bool, typer.Option("--from-db", help="Use the database's incidents.")] = False,
    method: Annotated[list[str] | None, typer.Option(help="Method(s): naive, kde, sepp, blend, mixture.")] = None,
    resolution: Annotated[int | None, typer.Option(min=0, max=15, help="H3 resolution.")] = None,
    cell_size: Annotated[float | None, typer.Option(help="Cell size in metres (picks H3 resolution).")] = None,
    threat: Annotated[str | None, typer.Option(help="Only events of this threat.")] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Skip bad CSV rows, count them.")] = False,
    org: Annotated[str | None, typer.Option("--org", help="With --from-db: only this organisation's incidents (by name).")] = None,
    covariates: Annotated[bool, typer.Option("--covariates/--no-covariates", help="With --from-db: the routes, sites and risk zones as forecast covariates (default).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:  # fmt: skip
    """Predict each day from everything before it; hit rate and PAI at 5/10/20 % per method."""
    from minewatch.risk.engine.backtest import DEFAULT_METHODS, run_backtest

    if (events is None) == (not from_db):
        _fail("give exactly one of --events FILE or --from-db")
    if from_db and skip_bad:
        _fail("--skip-bad applies to --events FILE only (the database has no bad rows to skip)")
    if org is not None and not from_db:
        _fail("--org applies to --from-db only")
    if resolution is not None and cell_size is not None:
        _fail("give --resolution or --cell-size, not both")
    try:
        res = (
            resolution
            if resolution is not None
            else (resolution_for_cell_size(cell_size) if cell_size is not None else 9)
        )
    except ValueError as exc:
        _fail(f"--cell-size: {exc}")
    data, skipped = _db_events(threat, org) if from_db else _csv_events(events, skip_bad)
    geography = None
    if from_db and covariates:
        from minewatch.core.models import Organisation
        from minewatch.risk.covariates import covariates_for

        owners = (
            list(Organisation.objects.filter(name=org).values_list("pk", flat=True))
            if org
            else None
        )
        geography = covariates_for(organisation_ids=owners)
    try:
        result = run_backtest(
            data,
            _parse_start(start),
            days,
            methods=tuple(method or DEFAULT_METHODS),
            resolution=res,
            threat=None if from_db else threat,
            covariates=geography,
        )
    except ValueError as exc:
        _fail(str(exc))
    result["skipped_rows"] = skipped
    result["source"] = "database" if from_db else str(events)
    if as_json:
        print(json.dumps(result, indent=2, default=str))
        return
    print(
        f"{result['source']}: {result['test_events']} test events over "
        f"{result['days_predicted']} days, H3 res {res}, {result['study_area']['cells']} cells"
        f"{f', {skipped} bad rows skipped' if skipped else ''}"
    )
    if result["covariates"]:
        print(f"covariates (mixture): {', '.join(result['covariates'])}")
    print(
        f"{'method':8} {'hit@5%':>7} {'hit@10%':>8} {'hit@20%':>8} {'PAI@5%':>7} {'fit+pred s/day':>15}"
    )
    for name, row in result["methods"].items():
        hit, pai = row["hit_rate"], row["pai"]
        seconds = row["fit_seconds_per_day"] + row["predict_seconds_per_day"]
        print(
            f"{name:8} {hit['0.05']:7.3f} {hit['0.10']:8.3f} {hit['0.20']:8.3f} "
            f"{pai['0.05']:7.2f} {seconds:15.4f}"
        )
    for name, row in result["methods"].items():  # never a silent fallback
        for reason, count in row.get("fit", {}).get("not_fitted", {}).items():
            print(f"{name}: not fitted on {count} of {result['days_predicted']} days: {reason}")


@risk_app.command("forecast")
def forecast_command(
    days: Annotated[int, typer.Option(min=1, max=366, help="Horizon in days.")] = 7,
    threat: Annotated[str | None, typer.Option(help="Threat (default: all).")] = None,
    resolution: Annotated[int, typer.Option(min=0, max=15, help="H3 resolution.")] = 7,
    method: Annotated[str, typer.Option(help="naive, kde, sepp, blend or mixture.")] = "mixture",
    org: Annotated[str, typer.Option("--org", help="Organisation name (default: all).")] = "",
    top: Annotated[int, typer.Option(min=1, help="Cells to print.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Forecast where the next incidents will happen (H3 cells, expected counts)."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.core.errors import MineWatchError
    from minewatch.incidents.models import Incident
    from minewatch.risk.analysis import check_threat, forecast_cells
    from minewatch.risk.covariates import covariates_for

    incidents = Incident.objects.all()
    if org:
        incidents = incidents.filter(organisation__name=org)
    try:
        check_threat(threat, allow_all=True)
        if threat:
            incidents = incidents.filter(threat=threat)
        owners = list(incidents.values_list("organisation_id", flat=True).distinct())
        explain: dict = {}
        cells = forecast_cells(
            incidents, days=days, resolution=resolution, method=method,
            covariates=covariates_for(organisation_ids=owners), explain=explain,
        )  # fmt: skip
    except MineWatchError as exc:
        _fail(f"--{exc.field}: {exc.message}")
    if as_json:
        print(
            json.dumps(
                {
                    "days": days,
                    "threat": threat or "all",
                    "resolution": resolution,
                    "method": method,
                    **explain,
                    "cells": cells[:top],
                },
                indent=2,
            )
        )
        return
    fit = explain.get("fit", {})
    if fit and not fit.get("fitted", True):  # never a silent fallback
        print(f"{method}: not fitted ({fit['reason']}); replaced by {fit['replaced_by']}")
    for cell in cells[:top]:
        print(
            f"{cell['cell']}  {cell['lat']:9.4f} {cell['lon']:9.4f}  expected {cell['expected']:.3f}"
        )


def _write_events_csv(handle, incidents) -> int:
    """Write ``incidents`` as backtest CSV rows to ``handle``; the number written."""
    import csv

    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["time", "lat", "lon", "threat", "type"])
    count = 0
    rows = incidents.values_list("occurred_at", "lat", "lon", "threat", "incident_type")
    for occurred_at, lat, lon, kind, incident_type in rows.iterator(chunk_size=2000):
        moment = occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        writer.writerow([moment, f"{lat:.6f}", f"{lon:.6f}", kind, incident_type])
        count += 1
    return count


@risk_app.command("export-events")
def export_events_command(
    out: Annotated[Path, typer.Option(help="CSV file to write; - for standard output.")],
    threat: Annotated[str | None, typer.Option(help="Only incidents of this threat.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="The organisation whose incidents to export (by name); required unless --all-organisations.")] = None,
    all_organisations: Annotated[bool, typer.Option("--all-organisations", help="Every organisation's incidents (a platform administrator's export).")] = False,
    include_confidential: Annotated[bool, typer.Option("--include-confidential", help="Also restricted and confidential incidents (left out by default).")] = False,
) -> None:  # fmt: skip
    """Write one organisation's incidents as a backtest CSV (time, lat, lon, threat, type).

    The file is what ``risk backtest --events`` reads, so the same incidents can be
    backtested elsewhere or handed to another forecasting tool (the forecast benchmark
    does this with the demo's incidents). Oldest first; times in UTC. The coordinates
    are exact, so the export is scoped: ``--org NAME`` (or, deliberately,
    ``--all-organisations``), and only incidents of ``internal`` confidentiality unless
    ``--include-confidential`` is given.
    """
    import sys

    from minewatch.cli.base import setup_django

    if (org is None) == (not all_organisations):
        _fail("give exactly one of --org NAME or --all-organisations")
    setup_django()
    from minewatch.core.errors import MineWatchError
    from minewatch.core.models import Organisation
    from minewatch.incidents.choices import Confidentiality
    from minewatch.incidents.models import Incident
    from minewatch.risk.analysis import check_threat

    incidents = Incident.objects.order_by("occurred_at", "pk")
    if org is not None:
        organisation = Organisation.objects.filter(name=org).first()
        if organisation is None:
            _fail(f"--org: no organisation named {org!r}")
        incidents = incidents.filter(organisation=organisation)
    if not include_confidential:
        incidents = incidents.filter(confidentiality=Confidentiality.INTERNAL)
    try:
        check_threat(threat, allow_all=True)
    except MineWatchError as exc:
        _fail(f"--{exc.field}: {exc.message}")
    if threat:
        incidents = incidents.filter(threat=threat)
    if str(out) != "-" and not out.parent.is_dir():
        _fail(f"--out: no such directory {str(out.parent)!r}")
    to_stdout = str(out) == "-"
    if to_stdout:
        count = _write_events_csv(sys.stdout, incidents)
    else:
        with open(out, "w", newline="", encoding="utf-8") as handle:
            count = _write_events_csv(handle, incidents)
    if not to_stdout:
        from minewatch.cli.base import err

        err.print(f"{count} incidents written to {out}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
