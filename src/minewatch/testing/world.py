"""A small multi-tenant world for tests, built through the services like real data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from minewatch.core import services as core_services
from minewatch.core.choices import OrganisationKind, Role
from minewatch.core.registry import app_modules
from minewatch.geo import services as geo_services
from minewatch.incidents import services as incident_services

PASSWORD = "test-password-123"  # noqa: S105


@dataclass
class World:
    orgs: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    sites: dict[str, Any] = field(default_factory=dict)
    zones: dict[str, Any] = field(default_factory=dict)
    routes: dict[str, Any] = field(default_factory=dict)
    incidents: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def make_incident(actor: Any, site: Any, **values: Any) -> Any:
    """Report an incident at ``site`` with plausible defaults."""
    now = timezone.now()
    defaults: dict[str, Any] = {
        "incident_type": "extortion",
        "occurred_at": now - dt.timedelta(days=2),
        "lat": site.lat + 0.01,
        "lon": site.lon + 0.01,
        "site": site,
    }
    defaults.update(values)
    return incident_services.report_incident(actor=actor, **defaults)


def build_world() -> World:
    """Company A (sites a1 Pataz, a2 Las Bambas), company B (b1 Antamina), PSC assigned to a1, PSC2 not."""
    w = World()
    for key, kind in (
        ("a", OrganisationKind.MINING_COMPANY),
        ("b", OrganisationKind.MINING_COMPANY),
        ("psc", OrganisationKind.SECURITY_CONTRACTOR),
        ("psc2", OrganisationKind.SECURITY_CONTRACTOR),
    ):
        w.orgs[key] = core_services.create_organisation(actor=None, name=f"Org {key}", kind=kind)
    for role in Role.values:
        w.users[role] = core_services.create_user(
            actor=None, username=f"a-{role}", password=PASSWORD, organisation=w.orgs["a"], role=role
        )
    w.users["b-manager"] = core_services.create_user(
        actor=None, username="b-manager", password=PASSWORD, organisation=w.orgs["b"],
        role=Role.SECURITY_MANAGER,
    )  # fmt: skip
    w.users["psc-operator"] = core_services.create_user(
        actor=None, username="psc-operator", password=PASSWORD, organisation=w.orgs["psc"],
        role=Role.OPERATOR,
    )  # fmt: skip
    w.users["psc2-operator"] = core_services.create_user(
        actor=None, username="psc2-operator", password=PASSWORD, organisation=w.orgs["psc2"],
        role=Role.OPERATOR,
    )  # fmt: skip
    manager = w.users[Role.SECURITY_MANAGER]
    w.sites["a1"] = geo_services.save_site(
        actor=manager, organisation=w.orgs["a"], name="Pataz", kind="mine", lat=-7.735, lon=-77.53
    )
    w.sites["a2"] = geo_services.save_site(
        actor=manager, organisation=w.orgs["a"], name="Las Bambas", kind="mine", lat=-14.068,
        lon=-72.318,
    )  # fmt: skip
    w.sites["b1"] = geo_services.save_site(
        actor=w.users["b-manager"], organisation=w.orgs["b"], name="Antamina", kind="mine",
        lat=-9.537, lon=-77.05,
    )  # fmt: skip
    geo_services.assign_contractor(actor=manager, site=w.sites["a1"], contractor=w.orgs["psc"])
    w.zones["a1"] = geo_services.save_zone(
        actor=manager, organisation=w.orgs["a"], name="Perímetro Pataz", kind="perimeter",
        site=w.sites["a1"], center_lat=-7.735, center_lon=-77.53, radius_m=2000,
    )  # fmt: skip
    w.zones["b1"] = geo_services.save_zone(
        actor=w.users["b-manager"], organisation=w.orgs["b"], name="Perímetro Antamina",
        kind="perimeter", site=w.sites["b1"], center_lat=-9.537, center_lon=-77.05, radius_m=2000,
    )  # fmt: skip
    line = {"type": "LineString", "coordinates": [[-72.318, -14.068], [-71.413, -14.793]]}
    w.routes["a"] = geo_services.save_route(
        actor=manager, organisation=w.orgs["a"], name="Las Bambas → Espinar", geometry=line,
        origin=w.sites["a2"],
    )  # fmt: skip
    line_b = {"type": "LineString", "coordinates": [[-77.05, -9.537], [-77.2, -9.6]]}
    w.routes["b"] = geo_services.save_route(
        actor=w.users["b-manager"], organisation=w.orgs["b"], name="Antamina → Huarmey",
        geometry=line_b, origin=w.sites["b1"],
    )  # fmt: skip
    w.incidents["a1"] = make_incident(manager, w.sites["a1"])
    w.incidents["a2"] = make_incident(manager, w.sites["a2"], incident_type="road_blockade")
    w.incidents["b1"] = make_incident(w.users["b-manager"], w.sites["b1"], incident_type="protest")
    # Each app may add its records for both companies: <app>/testing.py extend_world(world).
    for _config, module in app_modules("testing"):
        extend = getattr(module, "extend_world", None)
        if extend is not None:
            extend(w)
    return w
