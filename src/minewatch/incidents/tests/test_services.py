"""Reporting, editing and the workflow of incidents through the service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from minewatch.core.errors import InvalidInput, InvalidTransition, NotAllowed
from minewatch.core.models import AuditEntry
from minewatch.incidents import services
from minewatch.incidents.models import Incident
from minewatch.testing.world import make_incident


def test_report_fills_threat_severity_region_and_time_of_day(world: Any) -> None:
    occurred = dt.datetime(2025, 3, 1, 3, 30, tzinfo=dt.UTC)  # 22:30 in Lima
    incident = make_incident(
        world.users["operator"],
        world.sites["a1"],
        incident_type="cargo_hijacking",
        occurred_at=occurred,
    )
    assert incident.threat == "organised_crime"
    assert incident.severity == 5
    assert incident.region.code == "PE-LAL"
    assert incident.time_of_day == "night"
    assert incident.status == "reported"
    assert incident.organisation == world.orgs["a"]
    assert incident.reference.startswith("INC-2025-")


def test_contractor_report_at_assigned_site_belongs_to_site_owner(world: Any) -> None:
    incident = make_incident(world.users["psc-operator"], world.sites["a1"])
    assert incident.organisation == world.orgs["a"]


@pytest.mark.parametrize(
    "values,field",
    [
        ({"incident_type": "alien_landing"}, "incident_type"),
        ({"threat": "terrorism", "incident_type": "extortion"}, "incident_type"),
        ({"threat": "piracy", "incident_type": "extortion"}, "threat"),
        ({"severity": 6}, "severity"),
        ({"severity": 0}, "severity"),
        ({"fatalities": -1}, "fatalities"),
        ({"assailants_min": 5, "assailants_max": 2}, "assailants_min"),
        ({"lat": 95.0}, "lat"),
        ({"lon": -200.0}, "lon"),
        ({"lat": 40.4, "lon": -3.7}, "lat"),
        ({"weapons": ["lightsaber"]}, "weapons"),
        ({"responders": ["nasa"]}, "responders"),
        ({"loss_usd": "-5"}, "loss_usd"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_bad_values_are_refused_naming_the_field(world: Any, values: dict, field: str) -> None:
    before = Incident.objects.count()
    with pytest.raises(InvalidInput) as error:
        make_incident(world.users["operator"], world.sites["a1"], **values)
    assert error.value.field == field
    assert Incident.objects.count() == before


def test_future_occurrence_beyond_clock_skew_is_refused(world: Any) -> None:
    with pytest.raises(InvalidInput) as error:
        make_incident(
            world.users["operator"], world.sites["a1"],
            occurred_at=timezone.now() + dt.timedelta(hours=1),
        )  # fmt: skip
    assert error.value.field == "occurred_at"


def test_small_clock_skew_is_tolerated(world: Any) -> None:
    incident = make_incident(
        world.users["operator"],
        world.sites["a1"],
        occurred_at=timezone.now() + dt.timedelta(seconds=30),
    )
    assert incident.pk


def test_reported_before_occurred_is_refused(world: Any) -> None:
    occurred = timezone.now() - dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as error:
        make_incident(
            world.users["operator"], world.sites["a1"], occurred_at=occurred,
            reported_at=occurred - dt.timedelta(hours=2),
        )  # fmt: skip
    assert error.value.field == "reported_at"


def test_site_of_another_company_is_unknown(world: Any) -> None:
    with pytest.raises(InvalidInput) as error:
        make_incident(world.users["operator"], world.sites["b1"])
    assert error.value.field == "site"
    assert "unknown site" in error.value.message


def test_unassigned_contractor_cannot_use_a_company_site(world: Any) -> None:
    with pytest.raises(InvalidInput):
        make_incident(world.users["psc2-operator"], world.sites["a1"])


def test_auditor_cannot_report(world: Any) -> None:
    with pytest.raises(NotAllowed):
        make_incident(world.users["auditor"], world.sites["a1"])


def test_workflow_forward_and_reopen(world: Any) -> None:
    incident = world.incidents["a1"]
    manager = world.users["security_manager"]
    for status in (
        "verified",
        "under_investigation",
        "referred_to_authorities",
        "closed",
        "reported",
    ):
        referral = {"complaint_number": "DEN-2025-0042", "police_unit": "Comisaría de Pataz"}
        extra = referral if status == "referred_to_authorities" else {}
        incident = services.change_status(incident, actor=manager, to_status=status, **extra)
    assert incident.police_unit == "Comisaría de Pataz"
    assert [c.to_status for c in incident.status_changes.all()] == [
        "reported", "verified", "under_investigation", "referred_to_authorities", "closed", "reported",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "start,target",
    [
        ([], "closed_by_magic"),
        ([], "under_investigation"),
        ([], "referred_to_authorities"),
        (["verified", "under_investigation"], "verified"),
        (["closed"], "verified"),
    ],
)
def test_illegal_transitions_are_refused(world: Any, start: list[str], target: str) -> None:
    incident = world.incidents["a1"]
    manager = world.users["security_manager"]
    for status in start:
        incident = services.change_status(incident, actor=manager, to_status=status)
    with pytest.raises((InvalidTransition, InvalidInput)):
        services.change_status(incident, actor=manager, to_status=target)
    incident.refresh_from_db()
    assert incident.status == (start[-1] if start else "reported")


def test_guard_cannot_change_status(world: Any) -> None:
    with pytest.raises(NotAllowed):
        services.change_status(
            world.incidents["a1"], actor=world.users["guard"], to_status="verified"
        )


def test_every_change_is_audited_with_before_and_after(world: Any) -> None:
    incident = world.incidents["a1"]
    manager = world.users["security_manager"]
    services.update_incident(incident, actor=manager, fatalities=2, complaint_number="DEN-1")
    services.change_status(incident, actor=manager, to_status="verified", note="confirmed by PNP")
    entries = AuditEntry.objects.filter(
        object_type="incidents.incident", object_id=str(incident.pk)
    )
    assert [e.action for e in entries.order_by("id")] == ["create", "update", "transition"]
    update = entries.get(action="update")
    assert update.changes["fatalities"] == [0, 2]
    assert update.changes["complaint_number"] == ["", "DEN-1"]
    assert update.actor == manager
    transition = entries.get(action="transition")
    assert transition.changes["status"] == ["reported", "verified"]
    assert transition.note == "confirmed by PNP"


def test_failed_update_changes_nothing(world: Any) -> None:
    incident = world.incidents["a1"]
    with pytest.raises(InvalidInput):
        services.update_incident(
            incident, actor=world.users["security_manager"], fatalities=3, assailants_min=9,
            assailants_max=1,
        )  # fmt: skip
    incident.refresh_from_db()
    assert incident.fatalities == 0
    assert not AuditEntry.objects.filter(object_type="incidents.incident",
                                         object_id=str(incident.pk), action="update").exists()  # fmt: skip


def test_restricted_incident_hidden_from_operator(world: Any) -> None:
    from minewatch.core.tenancy import restrict

    secret = make_incident(
        world.users["security_manager"], world.sites["a1"], confidentiality="confidential"
    )
    visible = restrict(Incident.objects.all(), world.users["operator"])
    assert secret not in visible
    assert secret in restrict(Incident.objects.all(), world.users["security_manager"])
    assert secret not in restrict(Incident.objects.all(), world.users["analyst"])
