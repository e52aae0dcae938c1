"""Web pages of the intel app render for the right roles and record reports through the service."""

from __future__ import annotations

import pytest
from django.test import Client

from minewatch.intel.models import IntelReport
from minewatch.testing.world import PASSWORD


def login(world, role: str) -> Client:
    client = Client()
    assert client.login(username=world.users[role].username, password=PASSWORD)
    return client


@pytest.mark.parametrize("name", ["report-list", "actor-list", "warning-list"])
def test_lists_render(world, name):
    from django.urls import reverse

    assert login(world, "operator").get(reverse(f"intel:{name}")).status_code == 200


def test_report_detail_shows_source_only_to_analysts(world):
    report = world.extra["intel_report_a"]
    assert (
        "Fuente a-1" in login(world, "analyst").get(f"/intel/reports/{report.pk}/").content.decode()
    )
    assert (
        "Fuente a-1"
        not in login(world, "guard").get(f"/intel/reports/{report.pk}/").content.decode()
    )


def test_actor_page_draws_the_network(world):
    first, second = world.extra["intel_actors_a"]
    page = login(world, "analyst").get(f"/intel/actors/{first.pk}/").content.decode()
    assert "<svg" in page and second.name in page


def test_report_form_shows_grade_meanings_and_records_a_report(world):
    client = login(world, "analyst")
    form_page = client.get("/intel/reports/new/").content.decode()
    assert "Completamente confiable" in form_page or "Completely reliable" in form_page
    assert "No se puede juzgar su veracidad" in form_page or "Truth cannot be judged" in form_page
    response = client.post("/intel/reports/new/", {
        "title": "Nuevo socavón", "summary": "Ruido de perforación nocturna",
        "observed_at": "2026-01-10T22:00", "lat": -7.74, "lon": -77.52,
        "source_reliability": "B", "information_credibility": "2",
    })  # fmt: skip
    assert response.status_code == 302
    assert IntelReport.objects.filter(title="Nuevo socavón").exists()


def test_guard_cannot_open_report_form(world):
    assert login(world, "guard").get("/intel/reports/new/").status_code == 403
