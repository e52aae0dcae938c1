"""Intel records for both companies of the test world (see minewatch.testing.world)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from minewatch.intel import services
from minewatch.intel.early_warnings import WarningParams, scan_warnings


def make_report(actor: Any, site: Any, **values: Any) -> Any:
    """A B2 report one day ago, about ``site``, 1 km from it."""
    defaults: dict[str, Any] = {
        "title": "Cobro de cupos a contratistas",
        "summary": "Informante indica nueva exigencia de pagos semanales.",
        "lat": site.lat + 0.005,
        "lon": site.lon + 0.005,
        "observed_at": timezone.now() - dt.timedelta(days=1),
        "source_reliability": "B",
        "information_credibility": "2",
        "sites": [site],
    }
    defaults.update(values)
    return services.report_intel(actor=actor, **defaults)


def extend_world(world: Any) -> None:
    """A source, two linked actors, a report and an early warning for company A and company B."""
    for key, user_key, site_key in (("a", "security_manager", "a1"), ("b", "b-manager", "b1")):
        user, site = world.users[user_key], world.sites[site_key]
        source = services.save_source(actor=user, name=f"Fuente {key}-1", contact="radio")
        first = services.save_actor(
            actor=user, name=f"Banda {key}", kind="criminal_organisation",
            aliases=[f"Los {key}"], incidents=[world.incidents[site_key]],
        )  # fmt: skip
        second = services.save_actor(actor=user, name=f"Grupo {key}", kind="illegal_mining_group")
        link = services.link_actors(actor=user, from_actor=first, to_actor=second,
                                    relation="allied_with", source=source, confidence=0.7)  # fmt: skip
        report = make_report(user, site, source=source, actors=[first])
        world.extra[f"intel_source_{key}"] = source
        world.extra[f"intel_actors_{key}"] = (first, second)
        world.extra[f"intel_link_{key}"] = link
        world.extra[f"intel_report_{key}"] = report
        world.extra[f"early_warnings_{key}"] = scan_warnings(
            organisation_id=user.organisation_id, params=WarningParams(min_weight=1.0)
        )
