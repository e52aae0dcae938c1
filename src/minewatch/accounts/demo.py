"""Demo data of the accounts app: the demo's organisations do not require two-factor login.

``minewatch demo`` prints one password for every demo user and must stay usable with no
extra step; an operator who wants to try two-factor login turns it on for a role on the
security page (/security/) as an administrator.
"""

from __future__ import annotations

from typing import Any

from minewatch.accounts.models import TwoFactorPolicy
from minewatch.core.models import Organisation


def load(context: Any) -> None:
    for organisation in Organisation.objects.all():
        TwoFactorPolicy.objects.update_or_create(
            organisation=organisation, defaults={"required_roles": []}
        )
    context.summary.append("two-factor login: optional for the demo's organisations (/security/)")
