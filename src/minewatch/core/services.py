"""Every write of the core app: organisations, users, tokens."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
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
