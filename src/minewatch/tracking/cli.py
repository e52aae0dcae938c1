"""``minewatch replay`` and ``minewatch tracking …``: file replay, the MQTT worker, partitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

tracking_app = typer.Typer(help="Convoy tracking: MQTT ingest, tracker secrets, partitions.",
                           no_args_is_help=True)  # fmt: skip


def replay_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".gpx or .csv file")],
    device: Annotated[
        str, typer.Option("--device", help="Tracker identifier (required for GPX; CSV: overrides).")
    ] = "",
    speed: Annotated[
        float,
        typer.Option("--speed", min=0.0, help="Pace at N × real time (0: as fast as possible)."),
    ] = 0.0,
) -> None:
    """Replay a GPX or CSV track through the same ingest path as live fixes."""
    from minewatch.cli.base import err, out, setup_django

    setup_django()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from minewatch.tracking.replay import ReplayError, read_file, replay

    try:
        fixes = read_file(file, device=device)
    except ReplayError as error:
        err.print(f"[red]{file.name}:[/red] {error}")
        raise typer.Exit(2) from None
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=err) as progress:
        task = progress.add_task(f"replaying {file.name}", total=len(fixes))
        result = replay(fixes, speed=speed or None,
                        progress=lambda n, _result: progress.advance(task, n))  # fmt: skip
    out.print(f"{result.accepted} fixes stored, {len(result.rejected)} refused, "
              f"{len(result.detections)} detections")  # fmt: skip
    reasons: dict[str, int] = {}
    for problem in result.rejected:
        reasons[problem.reason] = reasons.get(problem.reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        out.print(f"  refused: {reason} × {count}")
    if result.rejected and not result.accepted:
        raise typer.Exit(1)


@tracking_app.command("mqtt")
def mqtt_command(
    broker: Annotated[str, typer.Option(help="host:port of the MQTT broker.")] = "127.0.0.1:1883",
    topic: Annotated[str, typer.Option(help="Topic filter of position messages.")] = (
        "minewatch/positions/#"
    ),
    shared_group: Annotated[
        str, typer.Option(help="Shared-subscription group: workers in one group split the load.")
    ] = "ingest",
    client_id: Annotated[str, typer.Option(help="Fixed client id (persistent session).")] = "",
    username: Annotated[str, typer.Option(envvar="MINEWATCH_MQTT_USERNAME")] = "",
    password: Annotated[str, typer.Option(envvar="MINEWATCH_MQTT_PASSWORD")] = "",
    backlog_probe: Annotated[
        int,
        typer.Option(
            min=0,
            help="Messages queued to test at start-up that the broker keeps a "
            "backlog for this worker (0: skip the check).",
        ),
    ] = 2000,
    topic_names_device: Annotated[
        bool,
        typer.Option(
            help="Accept a position only on its own device's topic (the topic's last "
            "level is the payload's device); --no-topic-names-device for gateways "
            "that publish many devices on one topic."
        ),
    ] = True,
) -> None:
    """Ingest JSON positions from MQTT (QoS 1, persistent session, shared subscription)."""
    from minewatch.cli.base import err, out, setup_django

    setup_django()
    from minewatch.tracking.mqtt import MqttIngestWorker, parse_broker

    try:
        host, port = parse_broker(broker)
    except ValueError as error:
        err.print(f"[red]--broker:[/red] {error}")
        raise typer.Exit(2) from None
    worker = MqttIngestWorker(host, port, topic, shared_group=shared_group, client_id=client_id,
                              username=username, password=password,
                              backlog_probe=backlog_probe,
                              topic_names_device=topic_names_device)  # fmt: skip
    backlog = worker.check_broker()
    if backlog is not None and not backlog.ok:
        err.print(f"[bold red]WARNING:[/bold red] {backlog.problem()}")
    elif backlog is not None:
        out.print(f"broker keeps a backlog: {backlog.received} of {backlog.published} queued "
                  "messages delivered after a restart")  # fmt: skip
    out.print(
        f"ingesting {worker.subscription} from {host}:{port} as {worker.client_id} (Ctrl-C to stop)"
    )
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        out.print(f"stopped after {worker.received} messages")


@tracking_app.command("rotate-secret")
def rotate_secret_command(
    unique_id: Annotated[str, typer.Argument(help="The tracker identifier (what it sends as id).")],
    legacy: Annotated[
        bool | None,
        typer.Option(
            "--legacy/--no-legacy",
            help="Also mark the device a legacy tracker that "
            "may send without a secret (--legacy) or clear that mark (--no-legacy).",
        ),
    ] = None,
) -> None:
    """Issue a new secret for a tracker and print it once (the old one stops working)."""
    from minewatch.cli.base import err, out, setup_django

    setup_django()
    from minewatch.tracking.models import Device
    from minewatch.tracking.services import fleet

    device = Device.objects.filter(unique_id=unique_id).first()
    if device is None:
        err.print(f"[red]unique_id:[/red] no tracker {unique_id!r}")
        raise typer.Exit(2)
    if legacy is not None:
        device = fleet.save_device(actor=None, device=device, accepts_unauthenticated=legacy)
    secret = fleet.rotate_device_secret(device, actor=None)
    out.print(f"new secret for {unique_id} (shown once): {secret}")
    out.print(f"Traccar Client device identifier: {unique_id}:{secret}")
    if device.accepts_unauthenticated:
        err.print("[yellow]warning:[/yellow] this legacy tracker still may send without a secret "
                  "(--no-legacy to require it)")  # fmt: skip


@tracking_app.command("partitions")
def partitions_command(
    months: Annotated[int, typer.Option(min=1, max=36, help="Months from this one on.")] = 4,
) -> None:
    """Create the monthly position partitions (PostgreSQL; nothing to do on SQLite)."""
    from minewatch.cli.base import out, setup_django

    setup_django()
    from django.utils import timezone

    from minewatch.tracking.services.storage import (
        create_month_partitions,
        existing_partitions,
        is_partitioned,
    )

    if not is_partitioned():
        out.print("the position table is not partitioned (SQLite): nothing to do")
        return
    created = create_month_partitions(start=timezone.now().date(), months=months)
    out.print(f"created {len(created)} partition(s): {', '.join(created) or '—'}")
    out.print(f"partitions: {', '.join(existing_partitions())}")


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)
    app.add_typer(tracking_app, name="tracking")
