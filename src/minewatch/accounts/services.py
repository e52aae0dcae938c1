"""Every write of the accounts app: API tokens, two-factor enrolment, recovery, policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from minewatch.accounts.choices import TokenScope
from minewatch.accounts.engine import tokens as engine
from minewatch.accounts.errors import InvalidInput, NotAllowed, TokenRefused
from minewatch.accounts.models import (
    DEFAULT_TWO_FACTOR_ROLES,
    ApiToken,
    RecoveryCode,
    TwoFactorPolicy,
)
from minewatch.core import audit
from minewatch.core.choices import AuditAction, Role
from minewatch.core.roles import has_capability

MAX_TOKEN_DAYS = 366
DEFAULT_TOKEN_DAYS = 90
# last_used_at is written at most this often per token (not one write per request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


# --- API tokens -------------------------------------------------------------------------


def create_token(
    *, actor: Any, user: Any, name: str, scope: str = TokenScope.READ,
    expires_in_days: int | None = DEFAULT_TOKEN_DAYS, allowed_networks: str = "",
) -> tuple[ApiToken, str]:  # fmt: skip
    """Make a token for ``user``; returns the row and the token itself (shown only once).

    People make their own tokens; ``actor=None`` is the command line (the operator of
    the server). Expiry is required: 1 to 366 days.
    """
    if actor is not None and actor.pk != user.pk:
        raise NotAllowed(_("You can only create tokens for yourself."), field="user")
    if not user.is_active:
        raise InvalidInput(_("The user is not active."), field="user")
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A token needs a name, e.g. the script that will use it."),
                           field="name")  # fmt: skip
    if len(name) > 100:
        raise InvalidInput(_("A token name has at most 100 characters."), field="name")
    if scope not in TokenScope.values:
        raise InvalidInput(_("Scope %(scope)r is not one of: %(choices)s.")
                           % {"scope": scope, "choices": ", ".join(TokenScope.values)},
                           field="scope")  # fmt: skip
    if expires_in_days is None or not 1 <= int(expires_in_days) <= MAX_TOKEN_DAYS:
        raise InvalidInput(_("A token expires after 1 to %(max)s days.") % {"max": MAX_TOKEN_DAYS},
                           field="expires_in_days")  # fmt: skip
    try:
        networks = [str(net) for net in engine.parse_networks(allowed_networks or "")]
    except ValueError as exc:
        raise InvalidInput(str(exc), field="allowed_networks") from None
    secret = engine.new_token()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, organisation_id=user.organisation_id, name=name, scope=scope,
            prefix=engine.display_prefix(secret), key_digest=engine.digest(secret),
            allowed_networks=networks,
            expires_at=timezone.now() + dt.timedelta(days=int(expires_in_days)),
        )  # fmt: skip
        audit.record(actor=actor, action=AuditAction.CREATE, instance=token,
                     after={"name": name, "scope": scope, "user": user.username,
                            "expires_at": token.expires_at.isoformat(), "networks": networks})  # fmt: skip
    return token, secret


def revoke_token(token: ApiToken, *, actor: Any) -> ApiToken:
    """Revoke ``token`` now (kept for the record; it authenticates nothing any more).

    Its owner or an admin of its organisation may; ``actor=None`` is the command line.
    """
    if (
        actor is not None
        and actor.pk != token.user_id
        and not (actor.role == Role.ADMIN and actor.organisation_id == token.organisation_id)
    ):
        raise NotAllowed(_("Only the token's owner or an administrator can revoke it."))
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=token,
                     note="token revoked")  # fmt: skip
    return token


def authenticate_token(raw: str, address: str) -> ApiToken:
    """The active token ``raw`` used from ``address``; raises TokenRefused saying why not."""
    token = (
        ApiToken.objects.select_related("user", "user__organisation")
        .filter(key_digest=engine.digest(raw)).first()
    )  # fmt: skip
    if token is None:
        raise TokenRefused(_("Invalid API token."))
    if token.revoked_at is not None:
        raise TokenRefused(_("This API token was revoked."))
    if token.is_expired:
        raise TokenRefused(_("This API token expired on %(date)s.")
                           % {"date": token.expires_at.date().isoformat()})  # fmt: skip
    if not token.user.is_active:
        raise TokenRefused(_("The user of this API token is not active."))
    if not engine.address_allowed(address, token.allowed_networks):
        raise TokenRefused(_("This API token may not be used from %(address)s.")
                           % {"address": address})  # fmt: skip
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_from=address[:64])
        token.last_used_at, token.last_used_from = now, address[:64]
    return token


# --- two-factor login ---------------------------------------------------------------------


def required_roles(organisation_id: int | None) -> list[str]:
    """Roles of the organisation that must use two-factor login."""
    if organisation_id is None:
        return []
    policy = TwoFactorPolicy.objects.filter(organisation_id=organisation_id).first()
    return list(policy.required_roles) if policy is not None else list(DEFAULT_TWO_FACTOR_ROLES)


def two_factor_required(user: Any) -> bool:
    """True when ``user`` must enrol and use a second factor to use MineWatch."""
    if not getattr(settings, "MINEWATCH_ENFORCE_TWO_FACTOR", True):
        return False
    return user.role in required_roles(user.organisation_id)


def set_policy(*, actor: Any, organisation: Any, roles: list[str]) -> TwoFactorPolicy:
    """Set which roles of ``organisation`` must use two-factor login (admins decide)."""
    if actor is not None and not (
        has_capability(actor, "manage_users") and actor.organisation_id == organisation.pk
    ):
        raise NotAllowed(_("Only an administrator of the organisation can change this."))
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise InvalidInput(_("Unknown role %(role)r; one of: %(choices)s.")
                           % {"role": unknown[0], "choices": ", ".join(Role.values)},
                           field="required_roles")  # fmt: skip
    roles = [role for role in Role.values if role in set(roles)]  # canonical order, no repeats
    with transaction.atomic():
        before = required_roles(organisation.pk)
        policy, _created = TwoFactorPolicy.objects.update_or_create(
            organisation=organisation, defaults={"required_roles": roles}
        )
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=policy,
                     before={"required_roles": before}, after={"required_roles": roles})  # fmt: skip
    return policy


def _refuse_while_throttled(device: TOTPDevice) -> None:
    """After a wrong code the device waits 1, 2, 4 … seconds (django-otp); say how long."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return
    until = (data or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds() + 0.999)) if until else 1
    raise InvalidInput(_("Too many wrong codes: wait %(n)s seconds and try again.")
                       % {"n": seconds}, field="code")  # fmt: skip


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_two_factor(user: Any) -> bool:
    return confirmed_device(user) is not None


def start_enrolment(user: Any) -> TOTPDevice:
    """The unconfirmed authenticator being set up for ``user`` (a new secret if none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def confirm_enrolment(user: Any, device: TOTPDevice, code: str) -> list[str]:
    """Confirm ``device`` with a code it shows; returns fresh recovery codes (shown once)."""
    if device.user_id != user.pk or device.confirmed:
        raise InvalidInput(_("This authenticator is not being set up."), field="code")
    _refuse_while_throttled(device)
    if not device.verify_token((code or "").strip().replace(" ", "")):
        raise InvalidInput(_("The code does not match; check the phone's clock and try the "
                             "next code."), field="code")  # fmt: skip
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
        audit.record(actor=user, action=AuditAction.UPDATE, instance=user,
                     note="two-factor login enrolled")  # fmt: skip
    return codes


def _replace_recovery_codes(user: Any) -> list[str]:
    codes = engine.new_recovery_codes()
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_digest=engine.digest(code)) for code in codes]
    )
    return codes


def regenerate_recovery_codes(user: Any) -> list[str]:
    """New recovery codes for an enrolled user; the old ones stop working."""
    if not has_two_factor(user):
        raise InvalidInput(_("Set up two-factor login first."))
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit.record(actor=user, action=AuditAction.UPDATE, instance=user,
                     note="recovery codes regenerated")  # fmt: skip
    return codes


def unused_recovery_codes(user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def verify_second_factor(user: Any, code: str) -> TOTPDevice | None:
    """The user's device if ``code`` is its current TOTP code or an unused recovery code
    (which is then used up); None otherwise. Raises InvalidInput while wrong codes are
    being throttled."""
    device = confirmed_device(user)
    if device is None:
        return None
    cleaned = (code or "").strip().replace(" ", "")
    if cleaned.isdigit() and len(cleaned) == device.digits:
        _refuse_while_throttled(device)
        return device if device.verify_token(cleaned) else None
    digest = engine.digest(engine.normalise_recovery_code(code or ""))
    used = RecoveryCode.objects.filter(user=user, code_digest=digest, used_at__isnull=True).update(
        used_at=timezone.now()
    )  # atomic: the same code cannot be used twice
    if used:
        audit.record(actor=user, action=AuditAction.LOGIN, instance=user,
                     note="signed in with a recovery code")  # fmt: skip
        return device
    return None


def reset_two_factor(*, actor: Any, user: Any) -> int:
    """Remove ``user``'s authenticators and recovery codes (a lost phone); returns how many
    devices were removed. Admins of the user's organisation; ``actor=None``: the CLI."""
    if actor is not None and not (
        has_capability(actor, "manage_users")
        and (actor.is_superuser or actor.organisation_id == user.organisation_id)
    ):
        raise NotAllowed(_("Only an administrator of the organisation can reset two-factor "
                           "login."))  # fmt: skip
    with transaction.atomic():
        removed, _detail = TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=user,
                     note="two-factor login reset")  # fmt: skip
    return removed
