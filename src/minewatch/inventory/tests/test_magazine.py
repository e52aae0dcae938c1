"""The explosives magazine ledger: append-only, reversals, counts and blast reconciliation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from minewatch.alerts.models import Alert
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.inventory import magazine
from minewatch.inventory.models import LossFinding, MagazineEntry


@pytest.fixture
def stock(world):
    """Company A's magazine with 500 detonators received (see inventory.testing)."""
    made = world.extra["inventory_a"]
    return made["magazine"], world.users["operator"]


def entry(site, actor, kind, quantity, **values):
    return magazine.record_entry(actor=actor, magazine=site, product="detonator", kind=kind,
                                 quantity=quantity, **values)  # fmt: skip


@pytest.mark.parametrize(
    "values,field",
    [({"kind": "receipt", "quantity": 10}, "guia_remision"),
     ({"kind": "receipt", "quantity": 10.5, "guia_remision": "T1"}, "quantity"),
     ({"kind": "issue", "quantity": 501, "blast_id": "V-1", "authorised_person": "J. Q."}, "quantity"),
     ({"kind": "issue", "quantity": 5, "blast_id": "V-1"}, "authorised_person"),
     ({"kind": "issue", "quantity": -5, "blast_id": "V-1", "authorised_person": "J"}, "quantity"),
     ({"kind": "consumption", "quantity": 5, "blast_id": "NUNCA"}, "blast_id"),
     ({"kind": "theft", "quantity": 5}, "kind")],
)  # fmt: skip
def test_bad_line_names_field_and_stores_nothing(stock, values, field):
    site, actor = stock
    before = MagazineEntry.objects.count()
    with pytest.raises(InvalidInput) as caught:
        magazine.record_entry(actor=actor, magazine=site, product="detonator", **values)
    assert caught.value.field == field
    assert MagazineEntry.objects.count() == before


def test_other_site_is_not_a_magazine(world):
    with pytest.raises(InvalidInput) as caught:
        magazine.record_entry(actor=world.users["operator"], magazine=world.sites["a1"],
                              product="anfo", kind="count", quantity=0)  # fmt: skip
    assert caught.value.field == "magazine"


def test_reconciled_blast_raises_nothing(stock, django_capture_on_commit_callbacks):
    site, actor = stock
    with django_capture_on_commit_callbacks(execute=True):
        entry(site, actor, "issue", 200, blast_id="V-10", authorised_person="Juan Quispe")
        entry(site, actor, "return", 20, blast_id="V-10")
        last = entry(site, actor, "consumption", 180, blast_id="V-10")
    assert last.book_balance == Decimal("320")
    assert not LossFinding.objects.filter(kind="magazine").exists()


def test_missing_detonators_after_a_blast_alert_at_once(stock, django_capture_on_commit_callbacks):
    site, actor = stock
    with django_capture_on_commit_callbacks(execute=True):
        entry(site, actor, "issue", 200, blast_id="V-11", authorised_person="Juan Quispe")
        entry(site, actor, "return", 15, blast_id="V-11")
        entry(site, actor, "consumption", 180, blast_id="V-11")
    finding = LossFinding.objects.get(kind="magazine")
    assert finding.details["difference"] == "5.000" and finding.severity == 5
    alert = Alert.objects.get(source="inventory", kind="inventory.magazine")
    assert alert.severity == 5 and "V-11" in alert.description


def test_count_below_book_is_a_discrepancy(stock, django_capture_on_commit_callbacks):
    site, actor = stock
    with django_capture_on_commit_callbacks(execute=True):
        entry(site, actor, "count", 497)
    finding = LossFinding.objects.get(kind="magazine")
    assert finding.details["check"] == "count" and finding.details["difference"] == "3.000"


def test_ledger_is_append_only_and_corrected_by_audited_reversal(stock, world):
    site, actor = stock
    wrong = entry(site, actor, "issue", 50, blast_id="V-12", authorised_person="Ana Ccori")
    with pytest.raises(PermissionDenied):
        wrong.save()
    with pytest.raises(PermissionDenied):
        MagazineEntry.objects.filter(pk=wrong.pk).update(quantity=5)
    with pytest.raises(NotAllowed):
        magazine.reverse_entry(wrong, actor=actor, reason="error de digitación")
    reversal = magazine.reverse_entry(wrong, actor=world.users["security_manager"],
                                      reason="error de digitación")  # fmt: skip
    assert reversal.book_balance == Decimal("500") and reversal.reverses_id == wrong.pk
    with pytest.raises(InvalidInput):
        magazine.reverse_entry(wrong, actor=world.users["security_manager"], reason="otra vez")
    with pytest.raises(InvalidInput):  # the blast has no live issue any more
        entry(site, actor, "consumption", 50, blast_id="V-12")


def test_api_creates_and_reverses(stock, world, api_client):
    site, _actor = stock
    client = api_client(world.users["operator"])
    body = {"magazine": site.pk, "product": "anfo", "kind": "receipt", "quantity": "1000.5",
            "guia_remision": "T001-00012"}  # fmt: skip
    created = client.post("/api/v1/magazine-entries/", body, format="json")
    assert created.status_code == 201, created.content
    bad = client.post("/api/v1/magazine-entries/", {**body, "guia_remision": ""}, format="json")
    assert bad.status_code == 400 and "guia_remision" in bad.json()
    path = f"/api/v1/magazine-entries/{created.json()['id']}/reverse/"
    assert client.post(path, {"reason": "x"}, format="json").status_code == 403
    manager = api_client(world.users["security_manager"])
    assert manager.post(path, {"reason": "duplicado"}, format="json").status_code == 201
