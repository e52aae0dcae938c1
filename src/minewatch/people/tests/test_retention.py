"""Retention periods per record kind (people settings): what each rule removes, what it keeps
(legal hold, open incidents, newer records), dry runs, the audit trail, the CLI and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from minewatch.alerts.worker import PERIODIC_CHECKS
from minewatch.cli import app
from minewatch.core.models import AuditEntry
from minewatch.people import services, visits
from minewatch.people.models import AccessEvent, Person, VettingRecord, Visitor
from minewatch.people.retention import apply_retention, run_retention_periodically
from minewatch.testing.world import make_incident

DAY = dt.timedelta(days=1)


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def set_retention(world, **days):
    services.save_settings(actor=world.users["security_manager"], **days)


def gate_pass(world, gates, credential: str, at: dt.datetime) -> AccessEvent:
    event = services.record_gate_pass(actor=world.users["security_manager"],
                                      access_point=gates["a1"], credential=credential,
                                      direction="in")  # fmt: skip
    AccessEvent.objects.filter(pk=event.pk).update(occurred_at=at)
    return event


def left(world, person, at: dt.datetime, manager: str = "security_manager") -> Person:
    person = services.save_person(actor=world.users[manager], person=person, status="left")
    Person.objects.filter(pk=person.pk).update(left_at=at)
    return Person.objects.get(pk=person.pk)


def audited(rule: str) -> AuditEntry:
    return AuditEntry.objects.filter(note__startswith=f"retention rule {rule}=")


def test_old_access_events_are_deleted_and_audited(world, gates):
    set_retention(world, retention_access_events_days=365)
    old = gate_pass(world, gates, "A-001", days_ago(400))
    recent = gate_pass(world, gates, "A-002", days_ago(300))
    report = apply_retention()
    assert report.applied["retention_access_events_days"] == 1
    assert not AccessEvent.objects.filter(pk=old.pk).exists()
    assert AccessEvent.objects.filter(pk=recent.pk).exists()
    entry = audited("retention_access_events_days").get()
    assert (entry.action, entry.object_id, entry.actor_name) == ("delete", str(old.pk),
                                                                 "retention")  # fmt: skip
    assert "=365 days" in entry.note


def test_events_of_a_held_person_or_near_an_open_incident_are_kept(world, gates):
    set_retention(world, retention_access_events_days=365)
    held = gate_pass(world, gates, "A-001", days_ago(500))
    services.set_legal_hold(actor=world.users["security_manager"],
                            person=world.extra["people_a"]["guard"], hold=True)  # fmt: skip
    make_incident(world.users["security_manager"], world.sites["a1"],
                  occurred_at=days_ago(400))  # fmt: skip
    near_incident = gate_pass(world, gates, "A-002", days_ago(400) + dt.timedelta(hours=3))
    unlinked = gate_pass(world, gates, "99999999", days_ago(420))
    apply_retention()
    assert AccessEvent.objects.filter(pk=held.pk).exists()
    assert AccessEvent.objects.filter(pk=near_incident.pk).exists()
    assert not AccessEvent.objects.filter(pk=unlinked.pk).exists()


def test_visitor_records_go_after_the_period_from_their_check_out(world, gates):
    set_retention(world, retention_visitors_days=90)
    made = []
    for number, checked_out in (("40000001", days_ago(100)), ("40000002", days_ago(10))):
        visitor = visits.check_in_visitor(
            actor=world.users["security_manager"], access_point=gates["a1"], name="Visita",
            document_number=number, purpose="auditoría", expected_exit=timezone.now() + DAY,
        )  # fmt: skip
        Visitor.objects.filter(pk=visitor.pk).update(checked_in_at=checked_out - DAY,
                                                     checked_out_at=checked_out)  # fmt: skip
        made.append(visitor.pk)
    assert apply_retention().applied["retention_visitors_days"] == 1
    assert list(Visitor.objects.filter(pk__in=made).values_list("pk", flat=True)) == [made[1]]
    assert audited("retention_visitors_days").get().object_id == str(made[0])


def test_vetting_of_people_who_left_goes_and_the_person_stays(world):
    set_retention(world, retention_vetting_of_leavers_days=180)
    guard = left(world, world.extra["people_a"]["guard"], days_ago(200))
    count = VettingRecord.objects.filter(person=guard).count()
    assert count == 4
    assert apply_retention().applied["retention_vetting_of_leavers_days"] == count
    assert not VettingRecord.objects.filter(person=guard).exists()
    assert Person.objects.get(pk=guard.pk).anonymised_at is None
    assert audited("retention_vetting_of_leavers_days").count() == count


def test_people_who_left_are_anonymised_unless_held_or_recent(world):
    set_retention(world, retention_leavers_days=30)
    people = world.extra["people_a"]
    staff = left(world, people["staff"], days_ago(40))
    guard = left(world, people["guard"], days_ago(40))
    services.set_legal_hold(actor=world.users["security_manager"], person=guard, hold=True)
    b_guard = world.extra["people_b"]["guard"]  # company B keeps its people (its rule is off)
    left(world, b_guard, days_ago(400), manager="b-manager")
    assert apply_retention().applied["retention_leavers_days"] == 1
    staff, guard = Person.objects.get(pk=staff.pk), Person.objects.get(pk=guard.pk)
    assert staff.anonymised_at and staff.document_number.startswith("ANON")
    assert "Rosa" not in staff.name
    assert guard.anonymised_at is None and guard.document_number == "10000001"
    assert Person.objects.get(pk=b_guard.pk).anonymised_at is None
    assert audited("retention_leavers_days").get().object_id == str(staff.pk)


def test_a_leaver_seen_near_an_open_incident_is_kept(world, gates):
    set_retention(world, retention_leavers_days=30)
    guard = world.extra["people_a"]["guard"]
    make_incident(world.users["security_manager"], world.sites["a1"], occurred_at=days_ago(50))
    gate_pass(world, gates, "A-001", days_ago(50) - dt.timedelta(hours=2))
    left(world, guard, days_ago(40))
    assert apply_retention().applied["retention_leavers_days"] == 0
    assert Person.objects.get(pk=guard.pk).anonymised_at is None


def test_a_person_leaving_gets_left_at_and_returning_clears_it(world):
    guard = left(world, world.extra["people_a"]["guard"], days_ago(3))
    assert guard.left_at is not None
    back = services.save_person(actor=world.users["security_manager"], person=guard,
                                status="active")  # fmt: skip
    assert back.left_at is None


def test_dry_run_counts_and_changes_nothing(world, gates):
    set_retention(world, retention_access_events_days=1, retention_leavers_days=1,
                  retention_vetting_of_leavers_days=1, retention_visitors_days=1)  # fmt: skip
    gate_pass(world, gates, "A-001", days_ago(5))
    left(world, world.extra["people_a"]["staff"], days_ago(5))
    tables = (AccessEvent, Person, VettingRecord, Visitor, AuditEntry)
    before = [model.objects.count() for model in tables]
    report = apply_retention(dry_run=True)
    assert report.dry_run and report.applied["retention_access_events_days"] == 1
    assert report.applied["retention_leavers_days"] == 1
    assert [model.objects.count() for model in tables] == before
    assert not Person.objects.filter(anonymised_at__isnull=False).exists()


def test_cli_dry_run_then_apply(world, gates):
    set_retention(world, retention_access_events_days=30)
    event = gate_pass(world, gates, "A-001", days_ago(60))
    runner = CliRunner()
    dry = runner.invoke(app, ["people", "retention", "--dry-run", "--json"],
                        catch_exceptions=False)  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["applied"]["retention_access_events_days"] == 1
    assert AccessEvent.objects.filter(pk=event.pk).exists()
    done = runner.invoke(app, ["people", "retention"], catch_exceptions=False)
    assert "retention_access_events_days: applied to 1 record(s)" in done.output
    assert not AccessEvent.objects.filter(pk=event.pk).exists()


def test_the_alerts_worker_runs_retention(world, gates):
    assert run_retention_periodically in PERIODIC_CHECKS
    set_retention(world, retention_access_events_days=30)
    event = gate_pass(world, gates, "A-001", days_ago(60))
    from minewatch.people import retention

    retention._last_run["at"] = -retention.RUN_EVERY_S  # as in a freshly started worker
    assert run_retention_periodically() == 0
    assert not AccessEvent.objects.filter(pk=event.pk).exists()
    again = gate_pass(world, gates, "A-002", days_ago(60))
    run_retention_periodically()  # within the hour: not run again
    assert AccessEvent.objects.filter(pk=again.pk).exists()


def test_retention_settings_through_the_api(world, api_client):
    client = api_client(world.users["security_manager"])
    changed = client.patch("/api/v1/people-settings/", {"retention_leavers_days": 730},
                           format="json")  # fmt: skip
    assert changed.status_code == 200 and changed.json()["retention_leavers_days"] == 730
    assert changed.json()["retention_access_events_days"] == 0
    for bad in (-1, "many", 40_000):
        refused = client.patch("/api/v1/people-settings/", {"retention_visitors_days": bad},
                               format="json")  # fmt: skip
        assert refused.status_code == 400 and "retention_visitors_days" in refused.json()


@pytest.mark.parametrize("role", ["operator", "guard"])
def test_only_managers_set_retention(world, api_client, role):
    response = api_client(world.users[role]).patch(
        "/api/v1/people-settings/", {"retention_leavers_days": 1}, format="json"
    )
    assert response.status_code == 403
