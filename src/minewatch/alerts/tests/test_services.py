"""Alert services: rules, folding, throttling, the restart-safe ladder, protocols, incidents."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.alerts import services
from minewatch.alerts.choices import AlertStatus, DeliveryStatus
from minewatch.alerts.models import Alert, AlertRule, DeliveryAttempt
from minewatch.alerts.services.escalation import run_due_escalations
from minewatch.alerts.testing import make_input
from minewatch.core.errors import InvalidInput, InvalidTransition, NotAllowed
from minewatch.core.events import Event, dispatch
from minewatch.testing.world import make_incident

pytestmark = pytest.mark.django_db


def rule(world, name: str) -> AlertRule:
    return AlertRule.objects.get(organisation=world.orgs["a"], name__startswith=name)


def test_detection_opens_alert_and_first_step_tells_owner_and_assigned_contractor(world) -> None:
    alert = services.raise_alert(make_input(world.sites["a1"], subject_key="P-9"))[0]
    assert alert.status == AlertStatus.OPEN and alert.occurrences == 1
    told = set(
        alert.deliveries.filter(channel_kind="inapp").values_list("recipient_label", flat=True)
    )
    assert {"a-operator", "psc-operator"} <= told
    assert "psc2-operator" not in told
    fired_at = alert.firings.get(step_index=0).fired_at
    assert alert.next_escalation_at == fired_at + dt.timedelta(seconds=300)


def test_repeats_fold_into_one_alert_with_a_counter(world) -> None:
    t0 = timezone.now()
    results = [
        services.raise_alert(
            make_input(
                world.sites["a1"], subject_key="P-1", occurred_at=t0 + dt.timedelta(seconds=30 * i)
            )
        )  # fmt: skip
        for i in range(5)
    ]
    ids = {alerts[0].pk for alerts in results}
    assert len(ids) == 1
    assert Alert.objects.get(pk=ids.pop()).occurrences == 5
    other = services.raise_alert(make_input(world.sites["a1"], subject_key="P-2"))[0]
    assert other.pk not in {alerts[0].pk for alerts in results}


def test_repeat_after_the_window_or_after_resolution_opens_a_new_alert(world) -> None:
    t0 = timezone.now() - dt.timedelta(hours=2)
    first = services.raise_alert(make_input(world.sites["a1"], occurred_at=t0))[0]
    later = services.raise_alert(
        make_input(world.sites["a1"], occurred_at=t0 + dt.timedelta(minutes=11))
    )[0]
    assert later.pk != first.pk
    services.resolve_alert(later, actor=world.users["operator"], note="falsa alarma, gato")
    again = services.raise_alert(
        make_input(world.sites["a1"], occurred_at=t0 + dt.timedelta(minutes=12))
    )[0]
    assert again.pk not in (first.pk, later.pk)


def test_throttled_rule_opens_no_more_alerts_and_counts_what_it_dropped(world) -> None:
    target = rule(world, "Alarmas")
    target.throttle_max_alerts, target.throttle_window_minutes = 2, 60
    target.save()
    opened = [
        services.raise_alert(make_input(world.sites["a1"], subject_key=f"Z{i}")) for i in range(4)
    ]
    assert [len(a) for a in opened] == [1, 1, 0, 0]
    target.refresh_from_db()
    assert target.suppressed_count == 2


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"severity": 2}, 0),  # below the rule's minimum severity (3)
        ({"kind": "alarm.unknown_thing"}, 0),  # no rule watches this kind
        ({"kind": "alarm.panic", "severity": 5}, 1),
    ],
)
def test_only_matching_rules_raise(world, values, expected) -> None:
    assert len(services.raise_alert(make_input(world.sites["a1"], **values))) == expected


def steps_fired(alert: Alert) -> list[int]:
    return list(alert.firings.order_by("step_index").values_list("step_index", flat=True))


def test_ladder_fires_after_waits_even_from_a_new_worker_and_never_twice(world) -> None:
    alert = services.raise_alert(make_input(world.sites["a1"], subject_key="restart"))[0]
    t0 = alert.firings.get().fired_at
    run_due_escalations(t0 + dt.timedelta(seconds=299))
    assert steps_fired(alert) == [0]
    # A "restarted" worker is just another call: the timer is in the database.
    run_due_escalations(t0 + dt.timedelta(seconds=301))
    run_due_escalations(t0 + dt.timedelta(seconds=302))
    assert steps_fired(alert) == [0, 1]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ESCALATED and alert.escalated_by is None
    run_due_escalations(t0 + dt.timedelta(seconds=301 + 601))
    police = DeliveryAttempt.objects.filter(alert=alert, is_police=True)
    assert police.filter(channel_kind="email", target="pnp-a1@example.pe").exists()
    assert steps_fired(alert) == [0, 1, 2]


def test_acknowledged_alert_does_not_escalate(world) -> None:
    alert = services.raise_alert(make_input(world.sites["a1"], subject_key="ack"))[0]
    services.acknowledge_alert(alert, actor=world.users["operator"], note="en camino")
    run_due_escalations(alert.raised_at + dt.timedelta(hours=5))
    assert steps_fired(alert) == [0]
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.next_escalation_at) == (world.users["operator"], None)


def test_manual_escalation_fires_next_step_until_the_ladder_is_exhausted(world) -> None:
    alert = services.raise_alert(make_input(world.sites["a1"], subject_key="manual"))[0]
    for _ in range(3):
        alert = services.escalate_alert(alert, actor=world.users["operator"], note="sube")
    assert alert.escalated_by == world.users["operator"]
    with pytest.raises(InvalidTransition):
        services.escalate_alert(alert, actor=world.users["operator"])


@pytest.mark.parametrize("role", ["guard", "auditor", "liaison"])
def test_roles_without_operate_cannot_acknowledge(world, role) -> None:
    alert = world.extra["alert_a1"]
    with pytest.raises(NotAllowed):
        services.acknowledge_alert(alert, actor=world.users[role])


def test_resolving_needs_a_note_and_a_resolved_alert_stays_resolved(world) -> None:
    alert = world.extra["alert_a1"]
    with pytest.raises(InvalidInput) as error:
        services.resolve_alert(alert, actor=world.users["operator"], note=" ")
    assert error.value.field == "note"
    services.resolve_alert(alert, actor=world.users["operator"], note="patrulla verificó")
    with pytest.raises(InvalidTransition):
        services.acknowledge_alert(alert, actor=world.users["operator"])


def test_incident_created_from_alert_is_prefilled_and_linked(world) -> None:
    alert = world.extra["alert_a1"]
    incident = services.create_incident_from_alert(alert, actor=world.users["operator"])
    alert.refresh_from_db()
    assert alert.incident == incident
    assert (incident.incident_type, incident.site, incident.severity) == (
        "concession_invasion",
        world.sites["a1"],
        alert.severity,
    )
    assert alert.checklists.get().incident == incident
    with pytest.raises(InvalidTransition):
        services.create_incident_from_alert(alert, actor=world.users["operator"])


def test_protocol_checklist_ticks_record_who_when_and_police_time(world) -> None:
    alert = world.extra["alert_a1"]
    checklist = alert.checklists.get()
    assert checklist.protocol.code == "concession_invasion"
    police_step = checklist.items.get(code="INV-04")
    services.tick_protocol_step(police_step, actor=world.users["operator"], note="llamé a la PNP")
    police_step.refresh_from_db()
    alert.refresh_from_db()
    assert police_step.ticked_by == world.users["operator"]
    assert alert.police_notified_at == police_step.ticked_at
    for item in checklist.items.filter(ticked_at__isnull=True):
        services.tick_protocol_step(item, actor=world.users["operator"])
    checklist.refresh_from_db()
    assert checklist.completed_at is not None


def test_serious_incident_raises_an_alert_and_a_minor_one_does_not(
    world, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        serious = make_incident(
            world.users["operator"], world.sites["a1"], incident_type="kidnapping"
        )
        minor = make_incident(world.users["operator"], world.sites["a1"], incident_type="protest")
    assert Alert.objects.filter(incident=serious, source="incident").count() == 1
    assert not Alert.objects.filter(incident=minor).exists()
    alert = Alert.objects.get(incident=serious)
    assert alert.checklists.get().protocol.code == "kidnapping"


@pytest.mark.parametrize("confidentiality", ["restricted", "confidential"])
def test_alert_from_a_restricted_incident_does_not_carry_its_words(
    world, django_capture_on_commit_callbacks, api_client, confidentiality
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(
            world.users["security_manager"], world.sites["a1"], incident_type="kidnapping",
            confidentiality=confidentiality, title="Secuestro del gerente Pérez",
            narrative="Llamada exigiendo rescate a la familia.", location_description="Casa 12",
        )  # fmt: skip
    alert = Alert.objects.get(incident=incident)
    assert "Pérez" not in alert.title and incident.reference in alert.title
    assert (alert.description, alert.place) == ("", "")
    # The operator sees the alert (and must act on it), not the words of the incident.
    rows = api_client(world.users["operator"]).get("/api/v1/alerts/").json()["results"]
    mine = [row for row in rows if row["id"] == alert.pk]
    assert mine and "rescate" not in str(mine[0]) and "Pérez" not in str(mine[0])


def test_alert_from_an_internal_incident_keeps_its_title_and_narrative(
    world, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(
            world.users["operator"], world.sites["a1"], incident_type="kidnapping",
            title="Secuestro en garita 3", narrative="Dos vigilantes retenidos.",
        )  # fmt: skip
    alert = Alert.objects.get(incident=incident)
    assert (alert.title, alert.description) == (
        "Secuestro en garita 3",
        "Dos vigilantes retenidos.",
    )


def test_tracking_detection_event_becomes_an_alert_and_a_bad_one_is_dropped(world) -> None:
    site = world.sites["a2"]
    payload = {
        "kind": "route_deviation",
        "device": "TRK-7",
        "trip": 12,
        "site_id": site.pk,
        "lat": -14.1,
        "lon": -72.3,
        "time": timezone.now().isoformat(),
        "details": {},
    }
    dispatch(Event("detection.route_deviation", site.organisation_id, payload, site_id=site.pk))
    dispatch(
        Event(
            "detection.route_deviation",
            site.organisation_id,
            {"kind": "x", "lat": "n/a", "time": "yesterday"},
        )
    )
    alert = Alert.objects.get(kind="route_deviation")
    assert (alert.subject_key, alert.severity, alert.source) == ("TRK-7", 3, "detection")


def test_panic_always_alerts_and_a_second_press_folds(world) -> None:
    guard = world.users["guard"]
    first = services.raise_panic(actor=guard, lat=-7.73, lon=-77.52, site=world.sites["a1"])
    second = services.raise_panic(actor=guard, lat=-7.74, lon=-77.52, site=world.sites["a1"])
    assert first.pk == second.pk and second.occurrences == 2 and second.severity == 5
    with pytest.raises(InvalidInput):
        services.raise_panic(actor=guard, lat=95, lon=-77.5)


def test_step_without_a_police_contact_is_recorded_as_a_failed_delivery(world) -> None:
    alert = services.raise_alert(make_input(world.sites["a2"]))[0]  # a2 has no police contact
    run_due_escalations(alert.raised_at + dt.timedelta(seconds=301))
    run_due_escalations(alert.raised_at + dt.timedelta(seconds=1000))
    missing = DeliveryAttempt.objects.get(alert=alert, recipient_label__startswith="PNP")
    assert missing.status == DeliveryStatus.FAILED and "no police contact" in missing.error


def test_detection_on_old_fixes_pages_nobody(world) -> None:
    """A replayed file or a tracker flushing days of memory is recorded by tracking, not alerted."""
    site = world.sites["a2"]
    old = {
        "kind": "unscheduled_stop", "device": "TRK-OLD", "trip": 3, "site_id": site.pk,
        "lat": -14.1, "lon": -72.3, "details": {},
        "time": (timezone.now() - dt.timedelta(hours=50)).isoformat(),
    }  # fmt: skip
    fresh = {**old, "device": "TRK-NEW", "time": timezone.now().isoformat()}
    dispatch(Event("detection.unscheduled_stop", site.organisation_id, old, site_id=site.pk))
    dispatch(Event("detection.unscheduled_stop", site.organisation_id, fresh, site_id=site.pk))
    keys = set(Alert.objects.filter(kind="unscheduled_stop").values_list("subject_key", flat=True))
    assert keys == {"TRK-NEW"}


@pytest.mark.parametrize(
    "zone_kind,paged", [("high_risk", True), ("generic", False), (None, False)]
)
def test_zone_entry_pages_only_for_high_risk_zones(world, zone_kind, paged) -> None:
    site = world.sites["a2"]
    payload = {
        "kind": "zone_enter", "device": "TRK-Z", "trip": 4, "site_id": site.pk, "lat": -14.1,
        "lon": -72.3, "time": timezone.now().isoformat(), "details": {"zone": "zone:1", "zone_kind": zone_kind},
    }  # fmt: skip
    dispatch(Event("detection.zone_enter", site.organisation_id, payload, site_id=site.pk))
    assert Alert.objects.filter(kind="zone_enter", subject_key="TRK-Z").exists() is paged


def test_each_watched_thing_has_its_own_small_dedup_entry_pruned_after_the_window(world) -> None:
    from minewatch.alerts.models import RuleSlot
    from minewatch.alerts.services.rules import prune_slots

    t0 = timezone.now()
    first = services.raise_alert(make_input(world.sites["a1"], subject_key="S1", occurred_at=t0))[0]
    services.raise_alert(make_input(world.sites["a1"], subject_key="S2", occurred_at=t0))
    slots = RuleSlot.objects.filter(rule=first.rule, slot__contains="panel:S")
    assert slots.count() == 2
    assert prune_slots(t0 + dt.timedelta(minutes=11)) >= 2
    later = services.raise_alert(make_input(world.sites["a1"], subject_key="S1",
                                            occurred_at=t0 + dt.timedelta(minutes=12)))[0]  # fmt: skip
    assert later.pk != first.pk


def test_later_police_call_on_an_alert_reaches_its_incident_and_dossier(world) -> None:
    """The incident's notification record is fed from its alerts at any time (not only at creation)."""
    from minewatch.evidence.facts import incident_facts

    alert = world.extra["alert_a1"]
    incident = services.create_incident_from_alert(alert, actor=world.users["operator"])
    assert incident.police_notified_at is None
    called = alert.raised_at + dt.timedelta(minutes=7)
    services.record_police_notified(alert, actor=world.users["operator"], at=called)
    incident.refresh_from_db()
    assert incident.police_notified_at == called
    assert incident_facts(incident)["police_notified_at"] == called
    # A later call does not move the record; an earlier one (another alert) does.
    services.record_police_notified(
        alert, actor=world.users["operator"], at=called + dt.timedelta(minutes=5)
    )
    incident.refresh_from_db()
    assert incident.police_notified_at == called


def test_police_step_ticked_on_an_incident_checklist_reaches_the_incident(world) -> None:
    alert = world.extra["alert_a1"]
    incident = services.create_incident_from_alert(alert, actor=world.users["operator"])
    step = alert.checklists.get().items.get(code="INV-04")
    services.tick_protocol_step(step, actor=world.users["operator"])
    step.refresh_from_db()
    incident.refresh_from_db()
    assert incident.police_notified_at == step.ticked_at
