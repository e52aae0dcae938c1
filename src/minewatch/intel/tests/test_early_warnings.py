"""The early-warning service: scan, store once, publish, and run on new reports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.core import events
from minewatch.intel.early_warnings import WarningParams, scan_warnings
from minewatch.intel.models import EarlyWarning
from minewatch.intel.testing import make_report


@pytest.fixture
def published():
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    yield seen
    events.unsubscribe(seen.append)


def test_world_scan_raised_a_warning_for_each_company_with_reasons(world):
    warning_a = world.extra["early_warnings_a"][0]
    assert warning_a.site == world.sites["a1"]
    kinds = sorted(row["kind"] for row in warning_a.reasons)
    assert kinds == ["incident", "report"]
    assert warning_a.total_weight == pytest.approx(0.7 + 0.64)
    assert set(warning_a.reports.all()) == {world.extra["intel_report_a"]}
    assert world.extra["early_warnings_b"][0].organisation == world.orgs["b"]


def test_rescan_stores_no_duplicate(world):
    org_id = world.orgs["a"].pk
    before = EarlyWarning.objects.filter(organisation_id=org_id).count()
    assert scan_warnings(organisation_id=org_id, params=WarningParams(min_weight=1.0)) == []
    assert EarlyWarning.objects.filter(organisation_id=org_id).count() == before


def test_new_report_in_cluster_grows_the_warning_instead_of_adding_one(world, published):
    org_id, site = world.orgs["a"].pk, world.sites["a1"]
    make_report(world.users["analyst"], site, source_reliability="A",
                information_credibility="1")  # fmt: skip
    grown = scan_warnings(organisation_id=org_id, params=WarningParams(min_weight=1.0))
    assert len(grown) == 1
    assert grown[0].pk == world.extra["early_warnings_a"][0].pk
    assert len(grown[0].reasons) == 3
    assert EarlyWarning.objects.filter(organisation_id=org_id, site=site).count() == 1


def test_scan_publishes_early_warning_raised_for_the_alerts_app(
    world, published, django_capture_on_commit_callbacks
):
    org_id = world.orgs["a"].pk
    EarlyWarning.objects.filter(organisation_id=org_id).delete()
    with django_capture_on_commit_callbacks(execute=True):
        scan_warnings(organisation_id=org_id, params=WarningParams(min_weight=1.0))
    raised = [e for e in published if e.name == "early_warning.raised"]
    assert len(raised) == 1
    assert raised[0].site_id == world.sites["a1"].pk
    assert raised[0].payload["reports"] == [f"report:{world.extra['intel_report_a'].pk}"]
    # The effect: the alerts app turned it into one alert on that site, for company A only.
    from minewatch.alerts.models import Alert

    alerts = Alert.objects.filter(source="early_warning")
    assert [(a.organisation_id, a.site_id, a.subject_key) for a in alerts] == [
        (org_id, world.sites["a1"].pk, str(raised[0].payload["id"]))
    ]
    assert world.extra["intel_report_a"].reference in alerts[0].description


def test_report_event_triggers_a_scan_with_default_threshold(
    world, published, django_capture_on_commit_callbacks
):
    site = world.sites["a2"]
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            make_report(world.users["analyst"], site, source_reliability="A",
                        information_credibility="1")  # fmt: skip
    stored = EarlyWarning.objects.filter(site=site)
    assert stored.count() == 1
    assert stored.get().total_weight >= 2.0
    assert any(e.name == "early_warning.raised" for e in published)


def test_expired_and_old_reports_do_not_count(world):
    site = world.sites["a2"]
    now = timezone.now()
    for days in (40, 41, 42):
        make_report(world.users["analyst"], site, source_reliability="A",
                    information_credibility="1", observed_at=now - dt.timedelta(days=days))  # fmt: skip
    assert scan_warnings(organisation_id=world.orgs["a"].pk) == []


def test_contractor_sees_warnings_of_its_assigned_site_only(world, api_client):
    rows = api_client(world.users["psc-operator"]).get("/api/v1/early-warnings/").json()["results"]
    assert {row["site"] for row in rows} == {world.sites["a1"].pk}


@pytest.mark.parametrize("role,status_code", [("operator", 200), ("guard", 403), ("analyst", 403)])
def test_operators_acknowledge_warnings(world, api_client, role, status_code):
    warning = world.extra["early_warnings_a"][0]
    response = api_client(world.users[role]).post(
        f"/api/v1/early-warnings/{warning.pk}/status/", {"status": "acknowledged"}
    )
    assert response.status_code == status_code


def test_back_filled_signals_older_than_the_window_do_not_trigger_a_scan(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from minewatch.intel import early_warnings

    scanned: list[int] = []
    real_scan = early_warnings.scan_warnings

    def counting_scan(**kwargs):
        scanned.append(kwargs["organisation_id"])
        return real_scan(**kwargs)

    monkeypatch.setattr(early_warnings, "scan_warnings", counting_scan)
    site, now = world.sites["a2"], timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        make_report(world.users["analyst"], site, observed_at=now - dt.timedelta(days=400))
    assert scanned == []
    with django_capture_on_commit_callbacks(execute=True):
        make_report(world.users["analyst"], site, observed_at=now - dt.timedelta(hours=2))
    assert scanned == [world.orgs["a"].pk]


def test_outside_window_reads_the_signal_time_of_each_event_family():
    from minewatch.intel.signals import outside_window

    now = timezone.now()
    old, recent = (now - dt.timedelta(days=60)).isoformat(), now.isoformat()
    assert outside_window(events.Event("incident.reported", 1, {"occurred_at": old}), now)
    assert not outside_window(events.Event("incident.reported", 1, {"occurred_at": recent}), now)
    assert outside_window(events.Event("intel_report.created", 1, {"observed_at": old}), now)
    # No time, or a time we cannot read: scan (never skip on doubt).
    assert not outside_window(events.Event("incident.updated", 1, {}), now)
    assert not outside_window(events.Event("incident.updated", 1, {"occurred_at": "ayer"}), now)
