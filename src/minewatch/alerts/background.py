"""Work ``minewatch serve`` and ``demo`` run in-process beside the web server."""

from __future__ import annotations

from collections.abc import Callable


def starters() -> list[Callable[[], None]]:
    """Start the live-stream hub (and its PostgreSQL relay), the detection intake and the
    alerts worker."""

    def start() -> None:
        from minewatch.alerts.services import intake
        from minewatch.alerts.worker import start_in_thread
        from minewatch.core import live

        live.install()
        intake.start_in_thread()
        start_in_thread()

    return [start]
