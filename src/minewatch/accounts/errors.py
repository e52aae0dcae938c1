"""Errors of the accounts app."""

from __future__ import annotations

from minewatch.core.errors import InvalidInput, MineWatchError, NotAllowed

__all__ = ["InvalidInput", "NotAllowed", "TokenRefused"]


class TokenRefused(MineWatchError):
    """An API token that is unknown, revoked, expired or used from outside its ranges."""

    status_code = 401
