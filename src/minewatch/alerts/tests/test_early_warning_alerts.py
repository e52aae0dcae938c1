"""Early warnings of the intel app become alerts through the rules: once, for their owner only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.alerts.choices import AlertSource
from minewatch.alerts.models import Alert, AlertRule
from minewatch.alerts.services.rules import forget_cached_rules, save_rule
from minewatch.alerts.subscribers import warning_severity
from minewatch.intel.early_warnings import WarningParams, scan_warnings
from minewatch.intel.models import EarlyWarning
from minewatch.intel.testing import make_report

pytestmark = pytest.mark.django_db

RULE_NAME = "Alertas tempranas de inteligencia"


def warning_alerts(**filters):
    return Alert.objects.filter(source=AlertSource.EARLY_WARNING, **filters)


@pytest.fixture
def fresh(world):
    """Company A without the world's stored warnings, so the next scan raises them again."""
    EarlyWarning.objects.filter(organisation=world.orgs["a"]).delete()
    forget_cached_rules()
    return world


def scan(world, capture, **params):
    with capture(execute=True):
        return scan_warnings(
            organisation_id=world.orgs["a"].pk, params=WarningParams(min_weight=1.0, **params)
        )


def test_every_organisation_gets_the_early_warning_rule(world):
    for key in ("a", "b", "psc"):
        rule = AlertRule.objects.get(organisation=world.orgs[key], name=RULE_NAME)
        assert rule.sources == ["early_warning"] and rule.is_enabled


def test_a_scan_that_raises_a_warning_opens_one_alert_for_its_owner(
    fresh, api_client, django_capture_on_commit_callbacks
):
    world = fresh
    raised = scan(world, django_capture_on_commit_callbacks)
    assert len(raised) == 1
    warning = raised[0]
    alerts = list(warning_alerts())
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.organisation == world.orgs["a"]
    assert alert.site == world.sites["a1"]
    assert alert.kind == "early_warning.site"
    assert alert.subject_type == "early_warning" and alert.subject_key == str(warning.pk)
    assert alert.rule.name == RULE_NAME
    assert alert.severity == warning_severity(warning.total_weight, warning.min_weight)
    # The reasons, by reference: the report and the incident that clustered.
    assert world.extra["intel_report_a"].reference in alert.description
    assert world.incidents["a1"].reference in alert.description
    assert "Pataz" in alert.title
    # Raised when the scan published it, not at the cluster's last signal (a day ago):
    # only the ladder's first step has fired, nobody was escalated to yet.
    assert alert.raised_at > warning.window_end
    assert list(alert.firings.values_list("step_index", flat=True)) == [0]
    assert alert.status == "open"

    seen_a = api_client(world.users["security_manager"]).get("/api/v1/alerts/").json()
    assert alert.pk in {row["id"] for row in seen_a["results"]}
    for user in ("b-manager", "psc2-operator"):
        client = api_client(world.users[user])
        rows = client.get("/api/v1/alerts/", {"source": "early_warning"}).json()["results"]
        assert rows == []
        assert client.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404


def test_a_second_scan_and_a_grown_warning_add_no_alert(fresh, django_capture_on_commit_callbacks):
    world = fresh
    scan(world, django_capture_on_commit_callbacks)
    assert warning_alerts().count() == 1
    assert scan(world, django_capture_on_commit_callbacks) == []
    assert warning_alerts().count() == 1
    # A new report grows the same warning (the automatic scan publishes
    # early_warning.updated): still the one alert.
    with django_capture_on_commit_callbacks(execute=True):
        make_report(world.users["analyst"], world.sites["a1"], source_reliability="A",
                    information_credibility="1")  # fmt: skip
    grown = EarlyWarning.objects.get(organisation=world.orgs["a"], site=world.sites["a1"])
    assert len(grown.reasons) == 3
    assert warning_alerts().count() == 1
    assert warning_alerts(organisation=world.orgs["b"]).count() == 0


def test_rules_select_early_warnings_like_any_source(fresh, django_capture_on_commit_callbacks):
    world = fresh
    manager = world.users["security_manager"]
    default = AlertRule.objects.get(organisation=world.orgs["a"], name=RULE_NAME)
    save_rule(actor=manager, organisation=world.orgs["a"], rule=default, is_enabled=False)
    forget_cached_rules()
    scan(world, django_capture_on_commit_callbacks)
    assert warning_alerts().count() == 0  # no rule selects early warnings: no alert

    EarlyWarning.objects.filter(organisation=world.orgs["a"]).delete()
    save_rule(actor=manager, organisation=world.orgs["a"], name="Alerta temprana en Pataz",
              kinds=["early_warning.site"], sources=[], min_severity=1, alert_severity=5,
              sites=[world.sites["a1"]])  # fmt: skip
    forget_cached_rules()
    scan(world, django_capture_on_commit_callbacks)
    alert = warning_alerts().get()
    assert alert.rule.name == "Alerta temprana en Pataz" and alert.severity == 5


def test_a_warning_about_history_pages_nobody(fresh, django_capture_on_commit_callbacks):
    world = fresh
    old = timezone.now() - dt.timedelta(days=90)
    make_report(world.users["analyst"], world.sites["a2"], observed_at=old,
                source_reliability="A", information_credibility="1",
                valid_until=None)  # fmt: skip
    make_report(world.users["analyst"], world.sites["a2"], observed_at=old + dt.timedelta(days=1),
                source_reliability="A", information_credibility="1")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        raised = scan_warnings(
            organisation_id=world.orgs["a"].pk, since=old - dt.timedelta(days=1),
            params=WarningParams(min_weight=1.0),
        )  # fmt: skip
    recent = [w for w in raised if w.window_end > timezone.now() - dt.timedelta(days=14)]
    assert {w.site for w in recent} == {world.sites["a1"]}
    assert world.sites["a2"] in {w.site for w in raised}  # the one about history
    assert set(warning_alerts().values_list("subject_key", flat=True)) == {str(recent[0].pk)}


def test_severity_grows_with_the_weight_over_the_threshold():
    assert [warning_severity(w, 2.0) for w in (2.0, 2.49, 2.5, 3.0, 3.99, 4.0, 9.0)] == [
        2, 2, 3, 4, 4, 5, 5,
    ]  # fmt: skip
