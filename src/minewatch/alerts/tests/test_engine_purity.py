"""The alarms and alerts engines must not import Django."""

from __future__ import annotations

import subprocess
import sys

ENGINE_MODULES = [
    "minewatch.alarms.engine.sia",
    "minewatch.alarms.engine.sia_client",
    "minewatch.alarms.engine.supervision",
    "minewatch.alarms.engine.frigate",
    "minewatch.alarms.engine.tours",
    "minewatch.alerts.engine.rules",
    "minewatch.alerts.engine.escalation",
    "minewatch.alerts.engine.channels",
    "minewatch.alerts.engine.protocols_catalog",
    "minewatch.alerts.engine.suggestions",
]


def test_engines_load_without_django() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {ENGINE_MODULES!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(  # noqa: S603 (fixed interpreter and code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
