"""``minewatch alerts …``: the escalation and delivery worker."""

from __future__ import annotations

from typing import Annotated

import typer

alerts_app = typer.Typer(help="Alerts: escalation timers and notification deliveries.",
                         no_args_is_help=True)  # fmt: skip


@alerts_app.command()
def worker(
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between steps.")] = 1.0,
    once: Annotated[bool, typer.Option(help="Run one step, wait for deliveries, exit.")] = False,
) -> None:
    """Fire due escalation steps and send queued notifications (with retries) until stopped."""
    from minewatch.cli.base import out, setup_django

    setup_django()
    from minewatch.alerts.services import run_due_deliveries, run_due_escalations
    from minewatch.alerts.worker import AlertsWorker
    from minewatch.core import live

    if once:
        fired = run_due_escalations()
        sent = run_due_deliveries()
        out.print(f"escalation steps fired: {fired}; delivery tries: {sent}")
        return
    live.install()
    runner = AlertsWorker(interval_s=interval)
    out.print("alerts worker running (Ctrl-C to stop)")
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        runner.stop()


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
