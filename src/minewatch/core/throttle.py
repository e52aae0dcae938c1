"""Login throttling that an attacker cannot turn against the operator on duty.

Two counters, each one database row updated atomically (``UPDATE … SET failures =
failures + 1``), so a burst of parallel guesses is counted whole:

- per (user name, address): after ``login_attempts`` failures that user name is refused
  *from that address* for ``login_lockout_s``; the operator at the control-room console
  keeps logging in while someone elsewhere guesses their password;
- per address: after ``login_attempts_per_address`` failures (any user names, existing or
  not) the address is refused, which stops password spraying and user-name probing.

Hand-written rather than django-axes: axes applies one failure limit to every lock-out
parameter, and the two limits above must differ (a control room behind one NAT must not
be locked out by one colleague mistyping five times). A manager unlocks a user with
``POST /api/v1/users/{id}/unlock-login/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from minewatch.core.errors import MineWatchError


class LoginLocked(MineWatchError):
    """Too many failed logins: refused until ``until``."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__("too many failed logins", field="username")
        self.until = until


def _key(kind: str, *parts: str) -> str:
    return f"{kind}:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:64]


def _keys(username: str, address: str) -> tuple[str, str]:
    return _key("ua", username.strip().lower(), address), _key("a", address)


def locked_until(username: str, address: str) -> dt.datetime | None:
    """When the lock on this user name from this address (or on the address) ends, or None."""
    from minewatch.core.models import LoginThrottle

    now = timezone.now()
    rows = LoginThrottle.objects.filter(key__in=_keys(username, address), locked_until__gt=now)
    return max((row.locked_until for row in rows), default=None)


def check_login(username: str, address: str) -> None:
    """Raise LoginLocked when this login must not even be tried."""
    until = locked_until(username, address)
    if until is not None:
        raise LoginLocked(until)


def _count(key: str, username: str, address: str, limit: int, lockout_s: int) -> None:
    from minewatch.core.models import LoginThrottle

    now = timezone.now()
    window_start = now - dt.timedelta(seconds=lockout_s)
    try:
        with transaction.atomic():
            LoginThrottle.objects.create(key=key, username=username[:150], address=address[:64])
    except IntegrityError:
        pass  # the row exists (or a parallel failure just made it)
    # Failures older than the lock-out window no longer count.
    LoginThrottle.objects.filter(key=key, last_failure_at__lt=window_start,
                                 locked_until__isnull=True).update(failures=0)  # fmt: skip
    LoginThrottle.objects.filter(key=key).update(failures=F("failures") + 1, last_failure_at=now)
    until = now + dt.timedelta(seconds=lockout_s)
    LoginThrottle.objects.filter(key=key, failures__gte=limit).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    ).update(locked_until=until)


def record_failure(username: str, address: str) -> None:
    """Count one failed login for the user name from the address, and for the address."""
    tunables = settings.TUNABLES
    lockout_s = int(tunables["login_lockout_s"])
    user_key, address_key = _keys(username, address)
    _count(user_key, username, address, int(tunables["login_attempts"]), lockout_s)
    _count(address_key, "", address, int(tunables["login_attempts_per_address"]), lockout_s)


def record_success(username: str, address: str) -> None:
    """A good password from this address clears that user name's failures from it."""
    from minewatch.core.models import LoginThrottle

    LoginThrottle.objects.filter(key=_keys(username, address)[0]).delete()


def unlock(user: Any, *, actor: Any) -> int:
    """Lift every lock and failure count on ``user``'s name (a manager's decision, audited)."""
    from minewatch.core import audit
    from minewatch.core.choices import AuditAction
    from minewatch.core.models import LoginThrottle

    with transaction.atomic():
        count, _ = LoginThrottle.objects.filter(username__iexact=user.username).delete()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=user,
                     note=f"login unlocked ({count} counters cleared)")  # fmt: skip
    return count
