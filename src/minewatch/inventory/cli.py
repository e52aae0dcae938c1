"""``minewatch inventory …``: import weighbridge tickets, run the loss detection over stored lots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

inventory_app = typer.Typer(help="Inventory and cargo integrity.", no_args_is_help=True)


def _actor(username: str):  # noqa: ANN202 - a Django user, imported late
    from minewatch.cli.base import err
    from minewatch.core.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        err.print(f"[red]--user:[/red] no active user {username!r}")
        raise typer.Exit(2)
    return user


@inventory_app.command("import-weighings")
def import_weighings_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="CSV of weighbridge tickets."
        ),
    ],  # fmt: skip
    user: Annotated[str, typer.Option("--user", help="Who records the tickets (username).")],
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Store the good rows and report the bad ones.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import weighbridge tickets from CSV (columns: ticket_number, lot, custody_point,
    weighbridge, truck, weighed_at, wet_tonnes, moisture_pct).

    Without --skip-bad one bad row stores nothing (exit 1). Importing the same file
    again stores nothing new (tickets are idempotent).
    """
    from minewatch.cli.base import run_csv_import, setup_django

    setup_django()
    from minewatch.inventory.imports import import_weighings

    actor = _actor(user)
    run_csv_import(file, import_weighings, actor=actor, skip_bad=skip_bad, as_json=as_json)


@inventory_app.command("listen")
def listen_command(
    weighbridge: Annotated[str, typer.Option("--weighbridge", help="Weighbridge code.")],
    host: Annotated[str, typer.Option(help="The indicator's address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="The indicator's TCP port.")] = 4001,
    frames: Annotated[int, typer.Option(min=1, help="Stable frames before a capture.")] = 5,
    min_kg: Annotated[
        float, typer.Option(min=1, help="Below this the bridge is empty (kg).")
    ] = 2000,
    once: Annotated[bool, typer.Option(help="Stop when the indicator disconnects.")] = False,
) -> None:
    """Read a weighbridge indicator ("ST,GS,+0012345kg" or MT-SICS "S S 12345 kg" frames) and
    store each truck's stable mass as a capture, to be named in a weighing (``capture``)."""
    from minewatch.cli.base import err, setup_django

    setup_django()
    from minewatch.inventory.engine.indicator import StableCapture
    from minewatch.inventory.listener import listen
    from minewatch.inventory.models import Weighbridge
    from minewatch.inventory.services import record_capture

    bridge = Weighbridge.objects.filter(code=weighbridge, is_active=True).first()
    if bridge is None:
        err.print(f"[red]--weighbridge:[/red] no active weighbridge {weighbridge!r}")
        raise typer.Exit(2)

    def store(mass_kg: float, frame: str) -> None:
        capture = record_capture(weighbridge=bridge, mass_kg=mass_kg, frame=frame)
        print(f"capture {capture.pk}: {mass_kg:.0f} kg on {bridge.code}")

    try:
        stats = listen(host=host, port=port, on_capture=store, once=once,
                       detector=StableCapture(frames=frames, min_kg=min_kg))  # fmt: skip
    except KeyboardInterrupt:
        return
    print(f"{stats.frames} frames, {stats.bad_frames} refused, {len(stats.captures)} captures")


def register(app: typer.Typer) -> None:
    app.add_typer(inventory_app, name="inventory")
