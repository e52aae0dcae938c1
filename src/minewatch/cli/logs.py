"""Where a long-running command's log lines go: the console, or a file beside the data.

``minewatch demo`` sends its per-fix, per-message and per-request lines to
``<data dir>/demo.log`` unless ``--verbose`` (MineWatch's own lines through
MINEWATCH_LOG_FILE, see ``core.config.logging_config``; uvicorn's here), so the console
ends with what a new user needs (the logins table and the address).
"""

from __future__ import annotations

import copy
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def uvicorn_log_config(path: Path | None) -> dict[str, Any] | None:
    """uvicorn's own logging configuration with its handlers writing to ``path`` (None:
    uvicorn's default, the console)."""
    if path is None:
        return None
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    for formatter in config["formatters"].values():
        formatter["use_colors"] = False
    for handler in config["handlers"].values():
        handler.pop("stream", None)
        handler.update({"class": "logging.FileHandler", "filename": str(path), "encoding": "utf-8"})
    return config


def when_listening(
    host: str, port: int, callback: Callable[[], None], timeout_s: float = 600.0
) -> Callable[[], None]:
    """A starter that calls ``callback`` once ``host:port`` accepts connections (from a
    daemon thread), so what it prints comes after the server's own start-up lines."""

    def wait() -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host, port), timeout=1.0):
                    break
            except OSError:
                time.sleep(0.2)
        callback()

    def start() -> None:
        threading.Thread(target=wait, name="announce", daemon=True).start()

    return start
