"""Expiry alerts at 30/7/0 days through the alert rules, once per threshold (issue #15)."""

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.alerts.models import Alert
from minewatch.alerts.worker import PERIODIC_CHECKS
from minewatch.people import services
from minewatch.people.checks import check_expiries, run_people_checks
from minewatch.people.engine.expiry import check_thresholds, due_threshold
from minewatch.people.models import ExpiryNotice

D = dt.date


def test_due_threshold_most_urgent_once():
    expires = D(2026, 3, 31)
    assert due_threshold(expires, D(2026, 1, 1), (30, 7, 0)) is None
    assert due_threshold(expires, D(2026, 3, 1), (30, 7, 0)) == 30
    assert due_threshold(expires, D(2026, 3, 1), (30, 7, 0), [30]) is None
    assert due_threshold(expires, D(2026, 3, 26), (30, 7, 0)) == 7  # first seen late: 7 only
    assert due_threshold(expires, D(2026, 3, 31), (30, 7, 0), [30, 7]) == 0
    assert due_threshold(expires, D(2026, 5, 1), (30, 7, 0), [0]) is None


def test_thresholds_are_checked():
    assert check_thresholds([7, 30, 0, 7]) == [30, 7, 0]
    for bad in ([], [-1], ["7"], [True], "30", [400]):
        with pytest.raises(ValueError):
            check_thresholds(bad)


def test_the_people_checks_run_in_the_alerts_worker():
    assert run_people_checks in PERIODIC_CHECKS


def _alerts(world, org="a"):
    return Alert.objects.filter(organisation=world.orgs[org], kind__startswith="people.")


@pytest.mark.django_db
def test_expiring_vetting_alerts_company_and_contractor_once_per_threshold(world):
    manager = world.users["security_manager"]
    guard = world.extra["people_a"]["guard"]
    today = timezone.localdate()
    services.add_vetting(actor=manager, person=guard, kind="drug_test", date=today - dt.timedelta(
        days=100), result="clear", expires_on=today + dt.timedelta(days=5))  # fmt: skip
    now = timezone.now()
    assert check_expiries(now) == 1
    alert = _alerts(world).get()
    assert alert.kind == "people.vetting_expiry" and alert.severity == 3
    assert guard.name in alert.title and "clear" not in alert.title.lower()
    assert _alerts(world, "psc").filter(kind="people.vetting_expiry").exists()  # the contractor
    assert check_expiries(now) == 0  # once per threshold
    assert check_expiries(now + dt.timedelta(days=5)) == 1  # the day it expires
    assert sorted(ExpiryNotice.objects.values_list("threshold", flat=True)) == [0, 7]
    assert _alerts(world).filter(severity=4).count() == 1


@pytest.mark.django_db
def test_licence_and_training_expiries_and_settings(world, api_client):
    manager = world.users["security_manager"]
    guard = world.extra["people_a"]["guard"]
    today = timezone.localdate()
    services.add_licence(actor=manager, person=guard, number="L-NEW", issued_on=today -
                         dt.timedelta(days=300), expires_on=today + dt.timedelta(days=20))  # fmt: skip
    services.add_training(
        actor=manager, person=guard, kind="de_escalation", date=today - dt.timedelta(days=729)
    )  # default validity 730 days
    client = api_client(manager)
    response = client.patch("/api/v1/people-settings/", {"expiry_alert_days": [14, 1]},
                            format="json")  # fmt: skip
    assert response.status_code == 200 and response.json()["expiry_alert_days"] == [14, 1]
    assert check_expiries() == 1  # training in 1 day; the licence (20 days) is not due at 14
    assert _alerts(world).get().kind == "people.training_expiry"
    bad = client.patch("/api/v1/people-settings/", {"expiry_alert_days": [-3]}, format="json")
    assert bad.status_code == 400 and "expiry_alert_days" in bad.json()


@pytest.mark.django_db
def test_people_who_left_raise_nothing(world):
    manager = world.users["security_manager"]
    guard = world.extra["people_a"]["guard"]
    today = timezone.localdate()
    services.add_vetting(actor=manager, person=guard, kind="drug_test", date=today, result="clear",
                         expires_on=today)  # fmt: skip
    services.save_person(actor=manager, person=guard, status="left")
    assert check_expiries() == 0
