"""``minewatch alarms …``: the SIA DC-09 receiver and the Frigate MQTT subscriber."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer

alarms_app = typer.Typer(
    help="Alarm panels (SIA DC-09) and cameras (Frigate).", no_args_is_help=True
)


@alarms_app.command("sia-receiver")
def sia_receiver(
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP and UDP port.")] = 12128,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "0.0.0.0",  # noqa: S104
    reload_s: Annotated[float, typer.Option(help="Re-read panel accounts every N seconds.")] = 60.0,
) -> None:
    """Receive SIA DC-09 frames from alarm panels (TCP and UDP) and raise their alerts."""
    import asyncio

    from minewatch.cli.base import out, setup_django

    setup_django()
    from minewatch.alarms.receivers import serve_sia
    from minewatch.core import live

    live.install()
    out.print(f"SIA DC-09 receiver on {host}:{port} (tcp+udp); Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_sia(host=host, port=port, reload_s=reload_s))


@alarms_app.command()
def frigate(
    broker: Annotated[str, typer.Option(help="MQTT broker host:port.")] = "127.0.0.1:1883",
    prefix: Annotated[str, typer.Option(help="Frigate's MQTT topic prefix.")] = "frigate",
    client_id: Annotated[
        str, typer.Option(help="Fixed client id (persistent session; default per host).")
    ] = "",
    username: Annotated[str, typer.Option(envvar="MINEWATCH_MQTT_USERNAME")] = "",
    password: Annotated[str, typer.Option(envvar="MINEWATCH_MQTT_PASSWORD")] = "",
) -> None:
    """Subscribe to Frigate's MQTT events and snapshots; intrusions become alerts."""
    from minewatch.cli.base import err, out, setup_django

    setup_django()
    from minewatch.alarms.receivers import default_frigate_client_id, frigate_client
    from minewatch.core import live

    host, _, port_text = broker.rpartition(":")
    if not host or not port_text.isdigit():
        err.print(f"[red]--broker:[/red] expected host:port, got {broker!r}")
        raise typer.Exit(2)
    live.install()
    client = frigate_client(host, int(port_text), prefix=prefix,
                            client_id=client_id or default_frigate_client_id(),
                            username=username, password=password)  # fmt: skip
    out.print(f"listening to {prefix}/events on {broker}; Ctrl-C to stop")
    try:
        client.loop_forever(retry_first_connection=True)
    except KeyboardInterrupt:
        client.disconnect()


def register(app: typer.Typer) -> None:
    app.add_typer(alarms_app, name="alarms")
