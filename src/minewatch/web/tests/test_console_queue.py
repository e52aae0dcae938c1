"""The alarm console's queue (one JSON answer), the snapshot link and the shift handover."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from minewatch.testing.world import PASSWORD

JPEG = b"\xff\xd8\xff\xdb" + b"\x01" * 64


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def queue(user: Any, language: str = "es") -> list[dict[str, Any]]:
    response = login(user).get("/console/queue.json", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.json()["alerts"]


def test_one_answer_holds_ladder_checklist_deliveries_and_map(world: Any) -> None:
    alert = world.extra["alert_a1"]
    rows = {row["id"]: row for row in queue(world.users["operator"])}
    row = rows[alert.pk]
    assert [s["state"] for s in row["ladder"]["steps"]][:2] == ["fired", "due"]
    assert row["ladder"]["steps"][1]["expected_at"]
    assert row["checklists"][0]["items"] and row["checklists"][0]["can_tick"] is True
    # The delivery log in words: channel, recipient and state, translated.
    assert any(" a a-operator: " in d["text"] for d in row["deliveries"])
    assert row["nearest_site"]["name"] == "Pataz"
    assert row["notes"][0]["to"] == "Abierta"
    assert row["actions"] == ["ack", "escalate", "resolve"]


def test_the_queue_costs_the_same_few_queries_for_many_alerts(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    from minewatch.alerts import services

    operator = world.users["operator"]
    for n in range(12):
        services.raise_manual_alert(actor=operator, title=f"Ruido {n}", severity=3,
                                    kind="manual", lat=-7.74, lon=-77.52)  # fmt: skip
    client = login(operator)
    with django_assert_max_num_queries(30):
        response = client.get("/console/queue.json")
    assert len(response.json()["alerts"]) >= 13


def test_another_company_and_an_unassigned_contractor_do_not_see_the_alert(world: Any) -> None:
    alert = world.extra["alert_a1"]
    assert alert.pk not in {row["id"] for row in queue(world.users["b-manager"])}
    assert queue(world.users["psc2-operator"]) == []


def test_an_auditor_reads_the_deliveries_but_cannot_tick(world: Any) -> None:
    row = {r["id"]: r for r in queue(world.users["auditor"])}[world.extra["alert_a1"].pk]
    assert row["deliveries"]
    assert row["checklists"][0]["can_tick"] is False


def test_the_queue_needs_a_login(db: Any) -> None:
    response = Client().get("/console/queue.json")
    assert response.status_code == 302


def test_the_snapshot_link_of_the_api_is_the_one_that_serves_it(
    world: Any, api_client: Any
) -> None:
    alert = world.extra["alert_a1"]
    client = api_client(world.users["operator"])
    assert client.get(f"/api/v1/alerts/{alert.pk}/").json()["snapshot"] is None
    alert.snapshot.save("cam_a1-1.jpg", ContentFile(JPEG), save=True)
    link = client.get(f"/api/v1/alerts/{alert.pk}/").json()["snapshot"]
    assert link.endswith(f"/api/v1/alerts/{alert.pk}/snapshot/")
    listed = {a["id"]: a for a in client.get("/api/v1/alerts/").json()["results"]}
    assert listed[alert.pk]["snapshot"] == link
    image = client.get(link)
    assert image.status_code == 200 and b"".join(image.streaming_content) == JPEG
    row = {r["id"]: r for r in queue(world.users["operator"])}[alert.pk]
    assert row["snapshot_url"] == f"/api/v1/alerts/{alert.pk}/snapshot/"


def test_handover_lists_open_alerts_police_and_changes(world: Any) -> None:
    from minewatch.alerts import services

    alert = world.extra["alert_a1"]
    operator = world.users["operator"]
    services.acknowledge_alert(alert, actor=operator, note="voy")
    services.record_police_notified(alert, actor=operator, note="Comisaría de Pataz")
    html = login(operator).get("/console/handover/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Relevo de turno" in html
    open_part = html[html.index('id="h-open"') : html.index('id="h-police"')]
    assert alert.reference in open_part
    police_part = html[html.index('id="h-police"') : html.index('id="h-changes"')]
    assert alert.reference in police_part
    changes = html[html.index('id="h-changes"') :]
    assert "Abierta → Atendida" in changes
    assert "voy" in changes
    other = login(world.users["b-manager"]).get("/console/handover/").content.decode()
    assert alert.reference not in other


@pytest.mark.parametrize("path", ["/console/", "/console/handover/"])
def test_console_pages_answer_in_both_languages(world: Any, path: str) -> None:
    client = login(world.users["operator"])
    for language in ("es", "en"):
        assert client.get(path, HTTP_ACCEPT_LANGUAGE=language).status_code == 200
