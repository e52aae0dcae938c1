"""The ``minewatch`` command: serve, demo, migrate, users, tokens, and each app's commands.

Django is set up lazily, inside each command, because ``minewatch demo``
chooses the database before the settings load. An app adds commands by
providing ``minewatch/<app>/cli.py`` with ``register(app: typer.Typer)``; that
module must not import Django models at import time.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from minewatch.cli import base
from minewatch.core.config import CAPABILITY_APPS

app = typer.Typer(
    name="minewatch",
    help="MineWatch: security operations and risk intelligence for mines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
base.register(app)


def _register_app_commands() -> None:
    for name in CAPABILITY_APPS:
        try:
            module = importlib.import_module(f"{name}.cli")
        except ModuleNotFoundError as exc:
            if exc.name == f"{name}.cli":
                continue
            raise
        module.register(app)


_register_app_commands()


def main() -> None:
    """Entry point of the ``minewatch`` console script."""
    if len(sys.argv) > 1 and sys.argv[1] == "manage":
        # Pass everything after 'manage' to Django untouched (Typer would parse its options).
        command = sys.argv[2] if len(sys.argv) > 2 else "help"
        try:
            base.setup_django(migrated=command not in base.COMMANDS_WITHOUT_TABLES)
        except typer.Exit as stop:
            sys.exit(stop.exit_code)
        from django.core.management import execute_from_command_line

        execute_from_command_line(["minewatch manage", *sys.argv[2:]])
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minewatch.settings")
    app()
