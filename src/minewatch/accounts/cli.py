"""``minewatch tokens …`` (named API tokens) and ``minewatch users reset-2fa``."""

from __future__ import annotations

from typing import Annotated

import typer

tokens_app = typer.Typer(help="Named, scoped, expiring API tokens.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts: two-factor login.", no_args_is_help=True)


def _user(username: str):  # noqa: ANN202 - a core.User
    from minewatch.cli.base import err
    from minewatch.core.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        err.print(f"[red]USERNAME:[/red] no user {username!r}")
        raise typer.Exit(2)
    return user


@tokens_app.command("create")
def create(
    username: str,
    name: Annotated[str, typer.Option(help="What will use the token.")],
    scope: Annotated[str, typer.Option(help="read or write (read and write).")] = "read",
    expires_days: Annotated[int, typer.Option(help="Days until it expires (1..366).")] = 90,
    allow: Annotated[str, typer.Option(help="Allowed address ranges, e.g. 10.0.0.0/8.")] = "",
) -> None:
    """Create a token for USERNAME and print it (once; only its digest is kept)."""
    from minewatch.cli.base import err, setup_django

    setup_django()
    from minewatch.accounts import services
    from minewatch.core.errors import MineWatchError

    user = _user(username)
    try:
        token, secret = services.create_token(actor=None, user=user, name=name, scope=scope,
                                              expires_in_days=expires_days,
                                              allowed_networks=allow)  # fmt: skip
    except MineWatchError as exc:
        err.print(f"[red]{exc.field}:[/red] {exc.message}")
        raise typer.Exit(2) from None
    err.print(f"token {token.pk} “{token.name}” ({token.scope}) for {user.username}, expires "
              f"{token.expires_at:%Y-%m-%d}; store it now, it is not shown again:")  # fmt: skip
    print(secret)


@tokens_app.command("list")
def list_tokens(
    username: Annotated[str, typer.Argument(help="Only this user's tokens.")] = "",
) -> None:
    """List tokens: id, user, name, scope, expiry, last use, state (never the token)."""
    from minewatch.cli.base import setup_django

    setup_django()
    from minewatch.accounts.models import ApiToken

    rows = ApiToken.objects.select_related("user").order_by("id")
    if username:
        rows = rows.filter(user=_user(username))
    # Tab-separated, one token a line: readable, and easy to cut/awk in a script.
    print("\t".join(["id", "user", "name", "scope", "prefix", "expires", "last_used", "state"]))
    for token in rows:
        state = "revoked" if token.revoked_at else "expired" if token.is_expired else "active"
        last = (
            f"{token.last_used_at:%Y-%m-%dT%H:%M} {token.last_used_from}"
            if token.last_used_at
            else "-"
        )
        print("\t".join([str(token.pk), token.user.username, token.name, token.scope,
                         token.prefix + "…", f"{token.expires_at:%Y-%m-%d}", last, state]))  # fmt: skip


@tokens_app.command("revoke")
def revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (see ``tokens list``)."""
    from minewatch.cli.base import err, out, setup_django

    setup_django()
    from minewatch.accounts import services
    from minewatch.accounts.models import ApiToken

    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        err.print(f"[red]TOKEN_ID:[/red] no token {token_id}")
        raise typer.Exit(2)
    services.revoke_token(token, actor=None)
    out.print(f"token {token.pk} “{token.name}” of {token.user.username} revoked")


@users_app.command("reset-2fa")
def reset_two_factor(username: str) -> None:
    """Remove USERNAME's authenticator and recovery codes (a lost phone); they enrol again."""
    from minewatch.cli.base import out, setup_django

    setup_django()
    from minewatch.accounts import services

    user = _user(username)
    removed = services.reset_two_factor(actor=None, user=user)
    out.print(f"two-factor login of {user.username} reset ({removed} authenticator(s) removed)")


def register(app: typer.Typer) -> None:
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(users_app, name="users")
