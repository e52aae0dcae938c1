"""Core commands: serve, demo, migrate, createuser, token, manage."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True)
out = Console()

DEMO_PASSWORD = "minewatch-demo"  # noqa: S105 - the documented, printed password of demo users


def setup_django() -> None:
    """Load settings and apps once; a configuration error exits with its message."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minewatch.settings")
    import django

    from minewatch.core.config import ConfigError

    try:
        django.setup()
    except ConfigError as exc:
        err.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


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
    host: str, port: int, workers: int = 1, extra_servers: list | None = None
) -> None:
    """Run the ASGI app under uvicorn (a production server, not runserver)."""
    import uvicorn
    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    for start in [*background_starters(), *(extra_servers or [])]:
        start()
    uvicorn.run(
        "minewatch.asgi:application", host=host, port=port, workers=workers,
        log_level="info", proxy_headers=True,
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
    setup_django()
    if migrate:
        run_migrations()
    out.print(f"MineWatch on [bold]http://{host}:{port}/[/bold]")
    if osmand_port:
        out.print(f"Trackers (OsmAnd) on [bold]http://{host}:{osmand_port}/[/bold]")
    serve_forever(host, port, workers)


def demo_database_url() -> str:
    from minewatch.core.config import data_dir

    return f"sqlite:///{data_dir() / 'demo.sqlite3'}"


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
) -> None:
    """Create (or reuse) the demo database with Peruvian geography and synthetic data, then serve it."""
    os.environ.setdefault("MINEWATCH_DATABASE_URL", demo_database_url())
    if reset:
        path = Path(os.environ["MINEWATCH_DATABASE_URL"].removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    setup_django()
    run_migrations()
    from minewatch.core.demo import load_demo, simulators

    with err.status("Loading demo data…"):
        summary = load_demo()
    for line in summary:
        out.print(f"  {line}")
    url = f"http://{host}:{port}/"
    print_demo_logins(url)
    if serve_it:
        starters = simulators(base_url=f"http://{host}:{port}") if simulate else []
        serve_forever(host, port, extra_servers=starters)


def migrate() -> None:
    """Apply database migrations (SQLite or PostgreSQL)."""
    setup_django()
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
