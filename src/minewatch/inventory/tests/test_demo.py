"""The inventory demo: 60 days of synthetic lots where the CUSUM finds the planted slow loss
on one contractor's truck (and no single trip of it alarms), and one broken seal."""

from __future__ import annotations

import random

from django.utils import timezone

from minewatch.alerts.models import Alert
from minewatch.inventory import demo
from minewatch.inventory.models import LossFinding, Lot, SealCheck


def load_demo_chain(django_capture_on_commit_callbacks):
    from minewatch.core.demo import DemoContext, _people
    from minewatch.geo import demo as geo_demo

    context = DemoContext(now=timezone.now(), rng=random.Random(20261127))
    with django_capture_on_commit_callbacks(execute=True):
        _people(context)
        geo_demo.load(context)
        demo.load(context)
    return context


def test_demo_cusum_finds_planted_slow_loss_and_broken_seal(db, django_capture_on_commit_callbacks):
    context = load_demo_chain(django_capture_on_commit_callbacks)
    assert Lot.objects.filter(is_synthetic=True).count() == 8 * 20
    drifts = LossFinding.objects.filter(kind="drift", series_kind="truck")
    assert {f.series_label for f in drifts} == {demo.SLOW_LOSS_TRUCK}
    first = drifts.order_by("began_at").first()
    began_trip = int(first.began_lot.reference.rsplit("-", 1)[1])
    assert began_trip >= demo.SLOW_LOSS_FROM_TRIP - 2
    assert first.estimated_loss_t > 0.3
    assert not LossFinding.objects.filter(kind="trip_loss", lot__truck__plate=demo.SLOW_LOSS_TRUCK)
    seal = SealCheck.objects.get(is_ok=False)
    assert {r["status"] for r in seal.results} == {"matched", "broken"}
    assert seal.photos.count() == 1
    kinds = set(Alert.objects.filter(source="inventory").values_list("kind", flat=True))
    assert {"inventory.drift", "inventory.seal", "inventory.magazine"} <= kinds
    missing = LossFinding.objects.get(kind="magazine")
    assert (missing.details["blast"], missing.details["difference"]) == ("VOL-LB-0412", "6.000")
    assert any(demo.SLOW_LOSS_TRUCK in line for line in context.summary)
