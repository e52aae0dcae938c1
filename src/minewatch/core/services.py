"""Every write of the core app: organisations, users, tokens."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from minewatch.core import audit
from minewatch.core.choices import AuditAction, OrganisationKind, Role
from minewatch.core.errors import InvalidInput
from minewatch.core.models import Organisation, User

PHONE = re.compile(r"\+[1-9][0-9]{6,14}")  # E.164


def create_organisation(
    *, actor: Any, name: str, kind: str, tax_id: str = "", contact_email: str = "", **extra: Any
) -> Organisation:
    """Create an organisation of a known kind, audited."""
    if kind not in OrganisationKind.values:
        raise InvalidInput(f"unknown organisation kind {kind!r}", field="kind")
    if not name.strip():
        raise InvalidInput("a name is required", field="name")
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name.strip(), kind=kind, tax_id=tax_id, contact_email=contact_email, **extra
        )
        audit.record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=organisation,
            after=audit.snapshot(organisation),
            organisation_id=organisation.pk,
        )
    return organisation


def create_user(
    *,
    actor: Any,
    username: str,
    password: str,
    organisation: Organisation | None,
    role: str,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a user with a role in an organisation; the password is hashed (Argon2).

    ``phone`` (international form, ``+51987654321``) is where SMS alerts go.
    """
    if role not in Role.values:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(Role.values)}", field="role")
    if not username.strip():
        raise InvalidInput("a user name is required", field="username")
    if User.objects.filter(username=username).exists():
        raise InvalidInput(f"user {username!r} already exists", field="username")
    if organisation is None and not is_superuser:
        raise InvalidInput("a user belongs to an organisation", field="organisation")
    phone = phone.replace(" ", "")
    if phone and not PHONE.fullmatch(phone):
        raise InvalidInput(
            f"phone {phone!r} is not an international number such as +51987654321", field="phone"
        )
    with transaction.atomic():
        user = User(
            username=username,
            email=email,
            phone=phone,
            first_name=first_name,
            last_name=last_name,
            organisation=organisation,
            role=role,
            is_superuser=is_superuser,
            # The Django admin is not tenant-scoped: only platform superusers get it.
            is_staff=is_superuser,
        )
        user.set_password(password)
        user.save()
        after = audit.snapshot(user)
        after.pop("password", None)
        audit.record(actor=actor, action=AuditAction.CREATE, instance=user, after=after)
    return user


def get_or_create_token(user: User) -> str:
    """The user's API token, created on first use."""
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


def _require_user_admin(actor: Any, user: User) -> None:
    """The actor manages users (``manage_users``) of the user's own organisation."""
    from minewatch.core.checks import require

    require(actor, "manage_users", "manage users")
    if not getattr(actor, "is_superuser", False) and user.organisation_id != actor.organisation_id:
        raise InvalidInput(_("Unknown user %(id)s.") % {"id": user.pk}, field="user")


def invite_user(
    *, actor: Any, username: str, role: str, email: str = "", first_name: str = "",
    last_name: str = "", phone: str = "",
) -> User:  # fmt: skip
    """Create a user of the actor's organisation with no password yet (set from the invitation)."""
    import secrets

    from minewatch.core.checks import organisation_id, require

    require(actor, "manage_users", "manage users")
    organisation = Organisation.objects.get(pk=organisation_id(actor))
    with transaction.atomic():
        user = create_user(
            actor=actor, username=username.strip(), password=secrets.token_urlsafe(24),
            organisation=organisation, role=role, email=email, phone=phone,
            first_name=first_name, last_name=last_name,
        )  # fmt: skip
        user.set_unusable_password()  # the invitee chooses one through the invitation link
        user.save(update_fields=["password"])
    return user


def set_user_role(*, actor: Any, user: User, role: str) -> User:
    """Change a user's role, audited. An administrator cannot take away their own role."""
    _require_user_admin(actor, user)
    if role not in Role.values:
        raise InvalidInput(_("Unknown role %(role)r.") % {"role": role}, field="role")
    if user.pk == getattr(actor, "pk", None) and role != user.role:
        raise InvalidInput(_("You cannot change your own role."), field="role")
    with transaction.atomic():
        before = {"role": user.role}
        user.role = role
        user.save(update_fields=["role"])
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=user, before=before,
                     after={"role": role})  # fmt: skip
    return user


def set_user_active(*, actor: Any, user: User, active: bool) -> User:
    """Deactivate (no more sign-in, API token refused) or reactivate a user, audited."""
    _require_user_admin(actor, user)
    if user.pk == getattr(actor, "pk", None) and not active:
        raise InvalidInput(_("You cannot deactivate yourself."), field="is_active")
    with transaction.atomic():
        before = {"is_active": user.is_active}
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            Token.objects.filter(user=user).delete()
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=user, before=before,
                     after={"is_active": active})  # fmt: skip
    return user
