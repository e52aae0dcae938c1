"""``minewatch demo``: organisations and users, then each app's demo data, then simulators.

Each capability app may provide ``demo.py`` with ``load(context)`` (and
optionally ``simulators(context, base_url)`` returning callables that start
background simulators). They run in ``CAPABILITY_APPS`` order, so geography
exists before incidents and convoys. Everything synthetic is labelled so.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from minewatch.core import services
from minewatch.core.choices import OrganisationKind, Role
from minewatch.core.models import Organisation, User
from minewatch.core.registry import app_modules

DEMO_PASSWORD = "minewatch-demo"  # noqa: S105 - documented and printed for the demo
SYNTHETIC = "Synthetic demo data (MineWatch demo generator)"

COMPANY_1 = "Minera Andes del Sur S.A.A. (demo, synthetic)"
COMPANY_2 = "Compañía Minera Cordillera Norte S.A. (demo, synthetic)"
PSC_1 = "Vigilancia Integral Andina S.A.C. (demo PSC, synthetic)"
PSC_2 = "Seguridad Minera del Norte S.A.C. (demo PSC, synthetic)"

ORGANISATIONS = (
    (COMPANY_1, OrganisationKind.MINING_COMPANY, "20100000001"),
    (COMPANY_2, OrganisationKind.MINING_COMPANY, "20100000002"),
    (PSC_1, OrganisationKind.SECURITY_CONTRACTOR, "20500000001"),
    (PSC_2, OrganisationKind.SECURITY_CONTRACTOR, "20500000002"),
)

# (username, role, organisation) — every demo user has DEMO_PASSWORD.
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("admin", Role.ADMIN, COMPANY_1),
    ("manager", Role.SECURITY_MANAGER, COMPANY_1),
    ("analyst", Role.ANALYST, COMPANY_1),
    ("operator", Role.OPERATOR, COMPANY_1),
    ("guard", Role.GUARD, COMPANY_1),
    ("liaison", Role.LIAISON, COMPANY_1),
    ("auditor", Role.AUDITOR, COMPANY_1),
    ("manager2", Role.SECURITY_MANAGER, COMPANY_2),
    ("psc-operator", Role.OPERATOR, PSC_1),
    ("psc2-operator", Role.OPERATOR, PSC_2),
    ("sysadmin", "platform superuser (Django admin)", ""),
)


@dataclass
class DemoContext:
    """What one app's demo loader leaves for the next."""

    now: dt.datetime
    rng: random.Random
    organisations: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    sites: dict[str, Any] = field(default_factory=dict)
    routes: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)


def is_loaded() -> bool:
    return Organisation.objects.filter(name=COMPANY_1).exists()


def _people(context: DemoContext) -> None:
    for name, kind, tax_id in ORGANISATIONS:
        context.organisations[name] = services.create_organisation(
            actor=None, name=name, kind=kind, tax_id=tax_id, contact_email="seguridad@example.pe"
        )
    for number, (username, role, org_name) in enumerate(DEMO_LOGINS, start=1):
        superuser = org_name == ""
        context.users[username] = services.create_user(
            actor=None, username=username, password=DEMO_PASSWORD,
            organisation=context.organisations.get(org_name),
            role=Role.ADMIN if superuser else role, is_superuser=superuser,
            email=f"{username}@example.pe", phone=f"+519000002{number:02d}",  # synthetic
        )  # fmt: skip
    context.summary.append(f"{len(ORGANISATIONS)} organisations, {len(DEMO_LOGINS)} users")


def load_demo(seed: int = 20261127) -> list[str]:
    """Load the demo once; a second call reuses what is there. Returns summary lines."""
    if is_loaded():
        return ["demo database already loaded: reusing it (use --reset to start again)"]
    context = DemoContext(now=timezone.now(), rng=random.Random(seed))
    with transaction.atomic():
        _people(context)
        for _config, module in app_modules("demo"):
            loader = getattr(module, "load", None)
            if loader is not None:
                loader(context)
    return context.summary


def demo_context_from_db() -> DemoContext:
    """Rebuild the context of a loaded demo (for simulators on a reused database)."""
    context = DemoContext(now=timezone.now(), rng=random.Random())
    context.organisations = {o.name: o for o in Organisation.objects.all()}
    context.users = {u.username: u for u in User.objects.all()}
    return context


def simulators(base_url: str) -> list[Callable[[], None]]:
    """Starters of each app's live simulators (run once the server is about to listen)."""
    context = demo_context_from_db()
    starters: list[Callable[[], None]] = []
    for _config, module in app_modules("demo"):
        factory = getattr(module, "simulators", None)
        if factory is not None and factory is not simulators:  # core.demo is an app's demo too
            starters.extend(factory(context, base_url))
    return starters
