"""``minewatch intel …`` commands: run the early-warning scan."""

from __future__ import annotations

import json
from typing import Annotated

import typer

intel_app = typer.Typer(help="Intelligence: early warnings.", no_args_is_help=True)


@intel_app.command("warnings")
def warnings_command(
    org: Annotated[str, typer.Option("--org", help="Organisation name (default: all).")] = "",
    window_days: Annotated[
        float | None, typer.Option(min=0.1, help="Time window, days (default: stored setting).")
    ] = None,
    distance_km: Annotated[
        float | None,
        typer.Option(min=0.1, help="Distance to site/route, km (default: stored setting)."),
    ] = None,
    min_weight: Annotated[
        float | None,
        typer.Option(min=0.01, help="Summed weight that warns (default: stored setting)."),
    ] = None,
    min_signals: Annotated[
        int | None, typer.Option(min=1, help="Fewest signals in a warning (default: stored).")
    ] = None,
    since_days: Annotated[
        float | None, typer.Option(min=0.1, help="Look back this many days (default: one window).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Scan reports and incidents near each site and route; store and publish new warnings.

    Each organisation is scanned with its stored early-warning settings (API
    ``/api/v1/early-warning-settings/``, web ``/intel/warnings/``); a flag overrides that
    one value for this run.
    """
    from minewatch.cli.base import err, setup_django

    setup_django()
    import datetime as dt

    from django.utils import timezone

    from minewatch.core.models import Organisation
    from minewatch.intel.early_warnings import WarningParams, scan_warnings

    orgs = Organisation.objects.all() if not org else Organisation.objects.filter(name=org)
    if org and not orgs.exists():
        err.print(f"[red]--org:[/red] no organisation named {org!r}")
        raise typer.Exit(2)
    now = timezone.now()
    rows = []
    for organisation in orgs:
        params = WarningParams.for_organisation(
            organisation.pk, window_days=window_days, distance_km=distance_km,
            min_weight=min_weight, min_signals=min_signals,
        )  # fmt: skip
        since = now - dt.timedelta(days=since_days or params.window_days)
        for warning in scan_warnings(organisation_id=organisation.pk, now=now, since=since,
                                     params=params):  # fmt: skip
            rows.append({"id": warning.pk, "organisation": organisation.name,
                         "target": str(warning.site or warning.route),
                         "window_end": warning.window_end.isoformat(),
                         "total_weight": warning.total_weight,
                         "reasons": warning.reasons})  # fmt: skip
    if as_json:
        print(json.dumps({"created": rows}, indent=2))
        return
    for row in rows:
        print(f"{row['window_end'][:10]}  {row['target']}: weight {row['total_weight']:.2f} "
              f"from {len(row['reasons'])} signals")  # fmt: skip
    print(f"{len(rows)} new or grown early warning(s)")


def register(app: typer.Typer) -> None:
    app.add_typer(intel_app, name="intel")
