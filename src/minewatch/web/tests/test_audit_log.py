"""The audit-log page: who may open it, filters, CSV export, bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from minewatch.testing.world import PASSWORD


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_auditor_filters_by_user_object_and_action(world: Any) -> None:
    incident = world.incidents["a1"]
    client = login(world.users["auditor"])
    page = client.get("/audit/", {"object_type": "incidents.incident",
                                  "object_id": str(incident.pk), "action": "create"})  # fmt: skip
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="audit-row"') == 1 and incident.reference in html
    by_user = client.get("/audit/", {"user": "nobody-at-all"}).content.decode()
    assert 'class="audit-row"' not in by_user
    assert 'href="/audit/"' in client.get("/map/").content.decode()  # in the menu


def test_csv_export_holds_the_filtered_entries_and_defuses_formulas(world: Any) -> None:
    from minewatch.core import audit
    from minewatch.core.choices import AuditAction

    audit.record(actor=world.users["security_manager"], action=AuditAction.UPDATE,
                 instance=world.incidents["a1"], note="=HYPERLINK(1)")  # fmt: skip
    response = login(world.users["auditor"]).get(
        "/audit/", {"export": "csv", "object_type": "incidents.incident"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) >= 4  # header and the three incidents' entries at least
    assert all(row[3] == "incidents.incident" for row in rows[1:])
    assert any(row[7].startswith("'=HYPERLINK") for row in rows[1:])


def test_another_company_is_not_in_the_log(world: Any) -> None:
    html = login(world.users["auditor"]).get("/audit/").content.decode()
    assert world.incidents["b1"].reference not in html


@pytest.mark.parametrize("role", ["operator", "guard", "analyst"])
def test_roles_without_audit_cannot_open_it(world: Any, role: str) -> None:
    assert login(world.users[role]).get("/audit/").status_code == 403


@pytest.mark.parametrize(("name", "value"), [("date_from", "ayer"), ("action", "explode")])
def test_bad_filters_are_named(world: Any, name: str, value: str) -> None:
    response = login(world.users["auditor"]).get("/audit/", {name: value})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
