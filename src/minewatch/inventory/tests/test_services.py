"""Weighings, balances, loss findings and seal checks through the services and into alerts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from minewatch.alerts.models import Alert
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.inventory import services
from minewatch.inventory.models import LossFinding, Lot, Weighing
from minewatch.inventory.testing import make_chain, weighing
from minewatch.tracking.models import Detection
from minewatch.tracking.services import fleet


def inventory_alerts(organisation_id):
    return Alert.objects.filter(organisation_id=organisation_id, source="inventory")


def weigh_both_ends(made, out_t, in_t):
    user, lot = made["user"], made["lot"]
    services.record_weighing(actor=user, values=weighing(lot, "weighbridge_out",
                             made["mine_bridge"], out_t, ticket=f"{lot.reference}-O"))  # fmt: skip
    services.record_weighing(actor=user, values=weighing(lot, "weighbridge_in",
                             made["port_bridge"], in_t, ticket=f"{lot.reference}-I", hours=8))  # fmt: skip


def test_lot_weighed_at_both_ends_is_balanced_with_dry_mass_and_trip_loss_alert(
    world, django_capture_on_commit_callbacks
):
    made = make_chain(world, "a")
    with django_capture_on_commit_callbacks(execute=True):
        weigh_both_ends(made, 30.0, 29.0)
    lot = Lot.objects.get(pk=made["lot"].pk)
    assert lot.dispatched_dry_t == pytest.approx(27.6)
    assert lot.received_dry_t == pytest.approx(26.68)
    assert lot.difference_t == pytest.approx(0.92) and lot.z_score > 5
    finding = LossFinding.objects.get(lot=lot, kind="trip_loss")
    alert = inventory_alerts(lot.organisation_id).get(details__finding_id=finding.pk)
    assert alert.kind == "inventory.trip_loss" and alert.severity == 4
    assert alert.details["truck"] == lot.truck.plate and alert.details["driver"] == "Chofer a"
    assert alert.details["trip"] == lot.trip.reference


def test_stop_plus_missing_mass_is_one_alert_of_higher_severity(
    world, django_capture_on_commit_callbacks
):
    made = make_chain(world, "a")
    lot = made["lot"]
    Detection.objects.create(organisation_id=lot.organisation_id, site=lot.origin,
                             kind="unscheduled_stop", trip=lot.trip, time=timezone.now(),
                             lat=-14.2, lon=-72.0)  # fmt: skip
    before = inventory_alerts(lot.organisation_id).count()
    with django_capture_on_commit_callbacks(execute=True):
        weigh_both_ends(made, 30.0, 29.2)
    new = inventory_alerts(lot.organisation_id).filter(kind="inventory.trip_loss").order_by("-pk")
    assert inventory_alerts(lot.organisation_id).count() == before + 1
    assert new[0].severity == 5
    assert new[0].details["tracking"][0]["kind"] == "unscheduled_stop"
    assert "unscheduled_stop" in new[0].description
    assert Detection.objects.filter(trip=lot.trip, kind="unscheduled_stop").count() == 1


def test_ticket_is_idempotent_and_a_changed_repeat_is_refused(world):
    made = make_chain(world, "a")
    values = weighing(made["lot"], "weighbridge_out", made["mine_bridge"], 30.0, ticket="T-1")
    first, created = services.record_weighing(actor=made["user"], values=values)
    again, created_again = services.record_weighing(actor=made["user"], values=dict(values))
    assert created and not created_again and first.pk == again.pk
    with pytest.raises(InvalidInput) as caught:
        services.record_weighing(actor=made["user"], values={**values, "wet_tonnes": 31.0})
    assert caught.value.field == "ticket_number"
    assert Weighing.objects.get(pk=first.pk).wet_tonnes == 30.0


def bad_cases():
    return [
        ({"wet_tonnes": -30.0}, "wet_tonnes"), ({"wet_tonnes": "x"}, "wet_tonnes"),
        ({"moisture_pct": 31.0}, "moisture_pct"), ({"moisture_pct": -1}, "moisture_pct"),
        ({"truck": "ZZZ-999"}, "truck"), ({"lot": "NO-LOT"}, "lot"),
        ({"weighbridge": "NOPE"}, "weighbridge"), ({"custody_point": "port"}, "custody_point"),
        ({"weighed_at": "2026-01-01T10:00"}, "weighed_at"), ({"ticket_number": ""}, "ticket_number"),
        ({"colour": "red"}, "colour"),
    ]  # fmt: skip


@pytest.mark.parametrize("change,field", bad_cases())
def test_bad_weighing_names_field_and_stores_nothing(world, change, field):
    made = make_chain(world, "a")
    values = {**weighing(made["lot"], "weighbridge_out", made["mine_bridge"], 30.0), **change}
    before = (Weighing.objects.count(), LossFinding.objects.count())
    with pytest.raises(InvalidInput) as caught:
        services.record_weighing(actor=made["user"], values=values)
    assert caught.value.field == field
    assert (Weighing.objects.count(), LossFinding.objects.count()) == before


def test_second_receipt_for_one_lot_is_refused(world):
    made = world.extra["inventory_a"]
    values = weighing(made["lot"], "weighbridge_in", made["port_bridge"], 28.0, ticket="T-AGAIN")
    with pytest.raises(InvalidInput) as caught:
        services.record_weighing(actor=made["user"], values=values)
    assert caught.value.field == "custody_point"
    assert Lot.objects.get(pk=made["lot"].pk).received_dry_t == pytest.approx(26.68)


def test_other_company_lot_is_unknown_and_guard_may_not_record(world):
    made_b = world.extra["inventory_b"]
    values = weighing(made_b["lot"], "final_receipt", made_b["port_bridge"], 29.0, ticket="X")
    with pytest.raises(InvalidInput) as caught:
        services.record_weighing(actor=world.users["security_manager"], values=values)
    assert caught.value.field == "lot"
    with pytest.raises(NotAllowed):
        services.record_weighing(actor=world.users["guard"], values=values)


def record_slow_loss(made, truck, start, rng, *, trips=45, from_trip=10, loss=0.005):
    """``trips`` lots of ``truck``; from ``from_trip`` on each arrives ``loss`` short."""
    user = made["user"]
    for n in range(trips):
        lot = services.register_lot(
            actor=user, reference=f"SLOW-{n:03d}", product="copper_concentrate",
            origin=made["lot"].origin, destination=made["port"], truck=truck,
            driver_name="Chofer lento", dispatched_at=start + dt.timedelta(days=n),
        )  # fmt: skip
        received = 30.0 * (1 - (loss if n >= from_trip else 0.0)) + rng.normal(0, 0.05)
        services.record_weighing(actor=user, values=weighing(lot, "weighbridge_out",
                                 made["mine_bridge"], 30.0))  # fmt: skip
        services.record_weighing(actor=user, values=weighing(lot, "weighbridge_in",
                                 made["port_bridge"], round(received, 3), hours=9))  # fmt: skip


def test_slow_loss_on_one_truck_is_found_by_cusum_with_series_start_and_tonnes(
    world, django_capture_on_commit_callbacks
):
    made = make_chain(world, "a")
    user = made["user"]
    truck = fleet.save_vehicle(actor=user, plate="CUS-001", kind="truck", site=made["lot"].origin)
    rng = np.random.default_rng(3)
    start = timezone.now() - dt.timedelta(days=60)
    with django_capture_on_commit_callbacks(execute=True):
        record_slow_loss(made, truck, start, rng)
    drift = LossFinding.objects.filter(kind="drift", series_kind="truck",
                                       series_key=str(truck.pk)).order_by("pk").first()  # fmt: skip
    assert drift is not None
    assert drift.series_label == "CUS-001"
    assert int(drift.began_lot.reference.split("-")[1]) >= 5  # began near the 11th trip
    assert drift.estimated_loss_t > 0.5
    assert not LossFinding.objects.filter(kind="trip_loss", lot__truck=truck).exists()
    alert = inventory_alerts(user.organisation_id).get(details__finding_id=drift.pk)
    assert "CUS-001" in alert.title and alert.subject_key == f"truck:{truck.pk}"
    assert LossFinding.objects.filter(kind="drift", series_kind="driver").exists()


def test_broken_seal_raises_finding_with_photos(world, django_capture_on_commit_callbacks):
    made = make_chain(world, "a")
    photo = world.extra["evidence"]["a1"]
    with django_capture_on_commit_callbacks(execute=True):
        check = services.check_seals(actor=made["user"], lot=made["lot"], photos=[photo.pk],
                                     observed=[{"number": "S-a-1", "condition": "broken"},
                                               {"number": "Z-9", "condition": "intact"}])  # fmt: skip
    assert not check.is_ok and list(check.photos.all()) == [photo]
    statuses = {row["number"]: row["status"] for row in check.results}
    assert statuses == {"S-a-1": "broken", "S-a-2": "missing", "Z-9": "different"}
    finding = LossFinding.objects.get(kind="seal", lot=made["lot"])
    alert = inventory_alerts(made["lot"].organisation_id).get(details__finding_id=finding.pk)
    assert alert.kind == "inventory.seal" and finding.details["photos"] == [photo.pk]


@pytest.mark.parametrize("observed", [None, [{"number": ""}], [{"number": "A", "condition": "ok"}]])
def test_bad_seal_input_names_observed(world, observed):
    made = make_chain(world, "a")
    with pytest.raises(InvalidInput) as caught:
        services.check_seals(actor=made["user"], lot=made["lot"], observed=observed)
    assert caught.value.field == "observed"
