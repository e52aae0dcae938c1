"""Inventory pages: the monthly reconciliation and a lot's chain, in Spanish, tenant-scoped."""

from __future__ import annotations

from django.utils import timezone

from minewatch.testing.world import PASSWORD


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_reconciliation_page_in_spanish_with_route_and_difference(world, client):
    login(client, world.users["analyst"])
    response = client.get("/inventory/", {"month": f"{timezone.localdate():%Y-%m}"},
                          HTTP_ACCEPT_LANGUAGE="es")  # fmt: skip
    assert response.status_code == 200
    text = response.content.decode()
    assert "0,920" in text or "0.920" in text  # company A's lot: 0.92 dry t missing
    assert world.extra["inventory_b"]["lot"].reference not in text


def test_bad_month_is_named_not_a_crash(world, client):
    login(client, world.users["analyst"])
    response = client.get("/inventory/", {"month": "2026-99"})
    assert response.status_code == 200 and b'role="alert"' in response.content


def test_lot_chain_lists_weighings_in_chain_order_and_hides_other_company(world, client):
    login(client, world.users["operator"])
    lot = world.extra["inventory_a"]["lot"]
    response = client.get(f"/inventory/lots/{lot.pk}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert text.index(f"{lot.reference}-weighbridge_out") < text.index(
        f"{lot.reference}-weighbridge_in"
    )
    other = world.extra["inventory_b"]["lot"]
    assert client.get(f"/inventory/lots/{other.pk}/").status_code == 404
    assert client.get("/inventory/lots/").status_code == 200


def test_magazine_monthly_report_lists_lines_and_hides_other_company(world, client):
    login(client, world.users["auditor"])
    made = world.extra["inventory_a"]
    response = client.get(f"/inventory/magazines/{made['magazine'].pk}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert made["receipt"].guia_remision in text and "500" in text
    other = world.extra["inventory_b"]["magazine"]
    assert client.get(f"/inventory/magazines/{other.pk}/").status_code == 404
    assert made["magazine"].name in client.get("/inventory/magazines/").content.decode()
