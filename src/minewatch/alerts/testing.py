"""Alerts of both companies for the tenancy walker (``extend_world``) and test builders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from minewatch.alerts import services
from minewatch.alerts.choices import ContactKind
from minewatch.alerts.services.rules import AlertInput


def make_input(site: Any, **values: Any) -> AlertInput:
    """An AlertInput at ``site`` (an alarm-panel burglary by default)."""
    defaults: dict[str, Any] = {
        "organisation_id": site.organisation_id, "kind": "alarm.burglary", "severity": 4,
        "source": "alarm_panel", "occurred_at": timezone.now(), "site_id": site.pk,
        "subject_type": "panel", "subject_key": "1234", "lat": site.lat, "lon": site.lon,
        "title": "Alarma de intrusión",
    }  # fmt: skip
    defaults.update(values)
    return AlertInput(**defaults)


def restore_world(world: Any) -> None:
    """After the test world is restored from its snapshot: no rules cached from an earlier test
    (``enabled_rules`` keeps them five seconds; a build used to take longer than that)."""
    services.rules.forget_cached_rules()


def extend_world(world: Any) -> None:
    """One alert with a checklist and deliveries per company, a police contact per company."""
    for key, manager in (("a1", world.users["security_manager"]), ("b1", world.users["b-manager"])):
        site = world.sites[key]
        contact = services.save_contact(
            actor=manager, organisation=site.organisation, name=f"Comisaría PNP {site.name}",
            kind=ContactKind.POLICE, site=site, email=f"pnp-{key}@example.pe", phone="+51900000001",
        )  # fmt: skip
        world.extra[f"police_{key}"] = contact
        item = make_input(site, occurred_at=timezone.now() - dt.timedelta(minutes=5),
                          incident_type="concession_invasion")  # fmt: skip
        world.extra[f"alert_{key}"] = services.raise_alert(item)[0]
