"""A contractor's site assignment grants access only between its dates (issue 12, item 6).

The rule lives in one place (``core.tenancy.current_assignments``); the API, the live
stream's scope and the escalation ladder's recipients all follow it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from minewatch.alerts.services import escalation
from minewatch.alerts.services.config import save_escalation_policy
from minewatch.core.live import TenantScope
from minewatch.geo import services as geo_services


def ids(client: Any, prefix: str) -> set[int]:
    response = client.get(f"/api/v1/{prefix}/", {"page_size": 1000})
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    "starts_in_days,ends_in_days,has_access",
    [
        (1, None, False),  # starts tomorrow: no access today
        (30, 60, False),
        (None, -1, False),  # ended yesterday
        (-60, -30, False),
        (-5, 0, True),  # ends today: still in force today
        (0, None, True),  # starts today
        (-5, 5, True),
        (None, None, True),
    ],
)
def test_assignment_grants_access_only_between_its_dates(
    world: Any, api_client: Any, starts_in_days: int | None, ends_in_days: int | None,
    has_access: bool,
) -> None:  # fmt: skip
    today = timezone.localdate()

    def day(offset: int | None) -> dt.date | None:
        return None if offset is None else today + dt.timedelta(days=offset)

    site, manager = world.sites["a2"], world.users["security_manager"]
    geo_services.assign_contractor(
        actor=manager, site=site, contractor=world.orgs["psc2"],
        starts_on=day(starts_in_days), ends_on=day(ends_in_days),
    )  # fmt: skip
    contractor = world.users["psc2-operator"]
    client = api_client(contractor)
    assert (site.pk in ids(client, "sites")) is has_access
    assert (world.incidents["a2"].pk in ids(client, "incidents")) is has_access
    detail = client.get(f"/api/v1/sites/{site.pk}/")
    assert detail.status_code == (200 if has_access else 404)
    assert (site.pk in TenantScope.for_user(contractor).site_ids) is has_access

    policy = save_escalation_policy(
        actor=manager, organisation=world.orgs["a"], name="Intrusión",
        steps=[{"channels": ["inapp"], "recipient_roles": ["operator"], "wait_s": 0}],
    )  # fmt: skip
    alert = world.extra["alert_a1"]
    alert.site = site  # an alert at the assigned site
    recipients = escalation.recipients_of(policy.steps.first(), alert)
    assert (contractor in [r.user for r in recipients]) is has_access
