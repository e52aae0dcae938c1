"""Risk records for both companies of the test world (see minewatch.testing.world)."""

from __future__ import annotations

from typing import Any

from minewatch.risk import services


def extend_world(world: Any) -> None:
    """A register entry, a deployed control and a matrix edit for company A and company B."""
    for key, user_key, site_key in (("a", "security_manager", "a1"), ("b", "b-manager", "b1")):
        user, site = world.users[user_key], world.sites[site_key]
        world.extra[f"control_{key}"] = services.deploy_control(
            actor=user, site=site, control="guard_patrols", quality=0.8
        )
        world.extra[f"risk_entry_{key}"] = services.save_register_entry(
            actor=user, site=site, threat="organised_crime", impact=4, likelihood=3
        )
        world.extra[f"effectiveness_{key}"] = services.set_effectiveness(
            actor=user, control="cctv", threat="internal", effectiveness=0.5
        )
