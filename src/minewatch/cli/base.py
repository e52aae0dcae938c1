"""Core commands: serve, demo, migrate, createuser, token, manage."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True)
out = Console()

DEMO_PASSWORD = "minewatch-demo"  # noqa: S105 - the documented, printed password of demo users


def setup_django(*, migrated: bool = True) -> None:
    """Load settings and apps once; a configuration error exits with its message.

    With ``migrated`` (every command but those that create the tables) a database that is
    missing or not migrated stops the command with one line saying what to run
    (:func:`require_migrated`), before anything touches it.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minewatch.settings")
    import django
    from django.apps import apps

    from minewatch.core.config import ConfigError

    try:
        # Once only: django.setup() configures logging again on every call, and a second call
        # (a command run inside a running process: the tests, the demo) would bind the console
        # handler to whatever sys.stderr is at that moment, later closed ("I/O operation on
        # closed file" on every log line after it).
        if not apps.ready:
            django.setup()
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None
    if migrated:
        require_migrated()


def run_csv_import(file: Any, importer: Any, *, actor: Any, skip_bad: bool, as_json: bool) -> None:
    """Read ``file`` (UTF-8 CSV), run ``importer(actor=, text=, skip_bad=)`` and report the
    rows it stored or refused, as the CSV import commands of every app do. Exit 2 when the
    file cannot be read or a column is missing; exit 1 when a row was bad without --skip-bad."""
    import json

    from minewatch.core.errors import MineWatchError

    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        err.print(f"[red]{file}:[/red] not UTF-8 text")
        raise typer.Exit(2) from None
    try:
        report = importer(actor=actor, text=text, skip_bad=skip_bad)
    except MineWatchError as exc:
        err.print(f"[red]{file}: column {exc.field}:[/red] {exc.message}")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        for row, column, message in report.errors:
            err.print(f"row {row}, column {column}: {message}")
        state = "stored" if report.stored else "nothing stored"
        updated = getattr(report, "updated", None)
        counts = f"{report.created} created, " + (
            f"{updated} updated, " if updated is not None else "")  # fmt: skip
        print(f"{counts}{report.unchanged} unchanged, {len(report.errors)} bad row(s); {state}")
    if report.errors and not skip_bad:
        raise typer.Exit(1)


def database_label() -> str:
    """The database in words: the SQLite file's path, or PostgreSQL's name on host:port."""
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(config["NAME"])
    return f"PostgreSQL database {config['NAME']!r} on {config['HOST'] or 'localhost'}:{config['PORT'] or 5432}"


def pending_migrations() -> int:
    """How many migrations the database still needs (all of them when it has no tables)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


_migrated_checked = False
# Django management commands that work on a database without tables (or on none).
COMMANDS_WITHOUT_TABLES = frozenset(
    {
        "help", "--help", "-h", "version", "--version", "check", "migrate", "makemigrations",
        "showmigrations", "sqlmigrate", "squashmigrations", "optimizemigration",
        "createcachetable", "collectstatic", "compilemessages", "makemessages", "diffsettings",
        "dbshell", "flush", "sqlflush", "startapp", "startproject", "test",
    }
)  # fmt: skip


def require_migrated() -> None:
    """Exit with one line (what to run) unless the database exists and is migrated.

    A SQLite file that does not exist is not created (connecting would leave an empty
    file behind). Checked once per process.
    """
    global _migrated_checked
    if _migrated_checked:
        return
    from django.db import connection
    from django.db.utils import Error as DatabaseError

    if connection.vendor == "sqlite":
        path = Path(str(connection.settings_dict["NAME"]))
        if not connection.is_in_memory_db() and not path.exists():
            _stop(f"no database at {path}: run `minewatch migrate` to create it "
                  "(or `minewatch demo` for the demo)")  # fmt: skip
        if not connection.is_in_memory_db() and path.stat().st_size == 0:
            _stop(f"the database {path} is empty (not migrated): run `minewatch migrate` first")
    try:
        pending = pending_migrations()
    except DatabaseError as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        _stop(f"cannot read the database {database_label()}: {first_line}")
    if pending:
        _stop(f"the database {database_label()} is not migrated ({pending} migrations to "
              "apply): run `minewatch migrate` first")  # fmt: skip
    from minewatch.core import crypto

    try:  # personal data cannot be read or stored without them (never in plain text)
        crypto.keys()
    except crypto.EncryptionKeyError as exc:
        _stop(str(exc))
    _migrated_checked = True


def _stop(message: str) -> None:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def run_migrations(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("createcachetable", verbosity=verbosity)


def background_starters() -> list:
    """In-process background work of each app (``<app>/background.py`` ``starters()``)."""
    from minewatch.core.registry import app_modules

    found: list = []
    for _config, module in app_modules("background"):
        found.extend(module.starters())
    return found


def serve_forever(
    host: str, port: int, workers: int = 1, extra_servers: list | None = None,
    log_path: Path | None = None,
) -> None:  # fmt: skip
    """Run the ASGI app under uvicorn (a production server, not runserver); with
    ``log_path`` uvicorn's start-up and request lines go to that file."""
    import uvicorn
    from django.conf import settings
    from django.core.management import call_command

    from minewatch.cli.logs import uvicorn_log_config

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    # The extra servers first: the demo outbox must listen before the delivery worker sends.
    for start in [*(extra_servers or []), *background_starters()]:
        start()
    # X-Forwarded-For only from configured proxies: otherwise anyone could pick the address
    # that login throttling and the audit log see (uvicorn trusts 127.0.0.1 by default).
    proxies = str(settings.TUNABLES["trusted_proxies"]).strip()
    log_config = uvicorn_log_config(log_path)
    uvicorn.run(
        "minewatch.asgi:application", host=host, port=port, workers=workers,
        log_level="info", proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None,
        **({"log_config": log_config} if log_config is not None else {}),
    )  # fmt: skip


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Apply migrations first.")] = True,
    osmand_port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65535,
            help="Also listen for trackers (OsmAnd protocol) on this port, e.g. 5055.",
        ),
    ] = 0,
) -> None:
    """Serve MineWatch (uvicorn, ASGI) on the configured database."""
    if osmand_port:
        # Read by the tracking app's background starter (tunables osmand_port/osmand_host).
        os.environ["MINEWATCH_OSMAND_PORT"] = str(osmand_port)
        os.environ.setdefault("MINEWATCH_OSMAND_HOST", host)
    setup_django(migrated=not migrate)
    if migrate:
        run_migrations()
    out.print(f"MineWatch on [bold]http://{host}:{port}/[/bold]")
    if osmand_port:
        out.print(f"Trackers (OsmAnd) on [bold]http://{host}:{osmand_port}/[/bold]")
    serve_forever(host, port, workers)


def demo_database_url() -> str:
    from minewatch.core.config import DEMO_DATABASE_FILE, data_dir

    return f"sqlite:///{data_dir() / DEMO_DATABASE_FILE}"


def main_database_url() -> str:
    from minewatch.core.config import MAIN_DATABASE_FILE, data_dir

    return f"sqlite:///{data_dir() / MAIN_DATABASE_FILE}"


def print_demo_logins(url: str) -> None:
    from minewatch.core.demo import DEMO_LOGINS

    table = Table(title="Demo logins (password: " + DEMO_PASSWORD + ")")
    table.add_column("user")
    table.add_column("role")
    table.add_column("organisation")
    for username, role, organisation in DEMO_LOGINS:
        table.add_row(username, role, organisation)
    out.print(table)
    out.print(f"Open [bold]{url}[/bold] and log in with one of the users above.")
    out.print("All demo incidents, companies and convoys are synthetic (labelled so).")


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    reset: Annotated[bool, typer.Option(help="Delete the demo database and start again.")] = False,
    serve_it: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after loading (default).")
    ] = True,
    simulate: Annotated[
        bool, typer.Option("--simulate/--no-simulate", help="Run the live simulators.")
    ] = True,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", help="Log every fix, message and request on the console "
                     "(by default they go to <data dir>/demo.log)."),
    ] = False,
) -> None:  # fmt: skip
    """Create (or reuse) the demo database with Peruvian geography and synthetic data, then serve it.

    The console shows the summary and, last, the logins table and the address; the
    simulators' and the server's log lines go to ``<data dir>/demo.log`` (``--verbose``:
    to the console too).
    """
    from minewatch.cli.logs import when_listening
    from minewatch.core.config import data_dir

    os.environ.setdefault("MINEWATCH_DATABASE_URL", demo_database_url())
    if not verbose:
        os.environ.setdefault("MINEWATCH_LOG_FILE", str(data_dir() / "demo.log"))
    log_path = Path(os.environ["MINEWATCH_LOG_FILE"]) if not verbose else None
    if reset:
        path = Path(os.environ["MINEWATCH_DATABASE_URL"].removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    setup_django(migrated=False)
    logging.captureWarnings(log_path is not None)
    run_migrations()
    from minewatch.core.demo import load_demo, simulators

    with err.status("Loading demo data…"):
        summary = load_demo()
    url = f"http://{host}:{port}/"

    def announce() -> None:
        for line in summary:
            out.print(f"  {line}", soft_wrap=True)
        if log_path is not None:
            out.print(f"  Log (simulators, deliveries, requests): {log_path} (--verbose: here)",
                      soft_wrap=True)  # fmt: skip
        print_demo_logins(url)

    if not serve_it:
        announce()
        return
    starters = simulators(base_url=f"http://{host}:{port}") if simulate else []
    starters.append(when_listening(host, port, announce))
    serve_forever(host, port, extra_servers=starters, log_path=log_path)


def migrate() -> None:
    """Apply database migrations (SQLite or PostgreSQL)."""
    # The main database, even while only the demo's exists (see config.default_database_path).
    os.environ.setdefault("MINEWATCH_DATABASE_URL", main_database_url())
    setup_django(migrated=False)
    run_migrations(verbosity=1)


def createuser(
    username: str,
    organisation: Annotated[str, typer.Option("--org", help="Organisation name.")] = "",
    role: Annotated[str, typer.Option(help="Role, e.g. operator.")] = "operator",
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    phone: Annotated[str, typer.Option(help="Mobile for SMS alerts, e.g. +51987654321.")] = "",
    superuser: Annotated[bool, typer.Option(help="Platform administrator.")] = False,
    password: Annotated[
        str, typer.Option(envvar="MINEWATCH_NEW_PASSWORD", help="Password (prompted if omitted).")
    ] = "",
) -> None:
    """Create a user with a role in an organisation."""
    setup_django()
    from minewatch.core import services
    from minewatch.core.errors import MineWatchError
    from minewatch.core.models import Organisation

    org = Organisation.objects.filter(name=organisation).first() if organisation else None
    if organisation and org is None:
        err.print(f"[red]--org:[/red] no organisation named {organisation!r}")
        raise typer.Exit(2)
    if not password:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(
            actor=None, username=username, password=password, organisation=org, role=role,
            email=email, phone=phone, is_superuser=superuser,
        )  # fmt: skip
    except MineWatchError as exc:
        err.print(f"[red]{exc.field}:[/red] {exc.message}")
        raise typer.Exit(2) from None
    out.print(f"created user {user.username} ({user.role})")


def token(username: str) -> None:
    """Print the user's API token (created if needed) and nothing else."""
    setup_django()
    from minewatch.core.models import User
    from minewatch.core.services import get_or_create_token

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        err.print(f"[red]USERNAME:[/red] no active user {username!r}")
        raise typer.Exit(2)
    print(get_or_create_token(user))


def manage() -> None:
    """Run a Django management command: minewatch manage COMMAND [ARGS]."""
    # Handled in minewatch.cli.main before Typer parses; shown here for --help.


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(demo)
    app.command()(migrate)
    app.command()(createuser)
    app.command()(token)
    app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(manage)
