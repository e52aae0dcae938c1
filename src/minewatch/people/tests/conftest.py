"""An access point at each company's mine, for the gate and event tests."""

import pytest

from minewatch.geo import services as geo_services


@pytest.fixture
def gates(world):
    return make_gates(world)


def make_gates(world):
    """An access point at a1 (company A) and at b1 (company B)."""
    made = {}
    for key, user_key, site_key in (("a1", "security_manager", "a1"), ("b1", "b-manager", "b1")):
        site = world.sites[site_key]
        made[key] = geo_services.save_site(
            actor=world.users[user_key], organisation=site.organisation, name=f"Garita {site}",
            kind="access_point", lat=site.lat + 0.001, lon=site.lon, parent=site,
        )  # fmt: skip
    return made
