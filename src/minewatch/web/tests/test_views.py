"""The web app's pages and JSON endpoints: roles, tenancy, bad input, language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from minewatch.testing.world import PASSWORD


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def names(collection: dict[str, Any]) -> set[str]:
    return {f["properties"]["name"] for f in collection["features"]}


@pytest.mark.parametrize(
    ("role", "landing"),
    [("operator", "/map/"), ("auditor", "/map/"), ("guard", "/incidents/field/")],
)
def test_home_sends_each_role_to_its_start_page(world: Any, role: str, landing: str) -> None:
    response = login(world.users[role]).get("/")
    assert response.status_code == 302
    assert response["Location"] == landing


def test_anonymous_user_is_sent_to_login(db: Any) -> None:
    response = Client().get("/map/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_map_page_has_layer_toggles_and_threat_legend(world: Any) -> None:
    response = login(world.users["operator"]).get("/map/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-layer="incidents"' in html
    assert "Organised crime" in html or "Crimen organizado" in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_map_layers_show_only_the_users_company(world: Any) -> None:
    data = login(world.users["operator"]).get("/map/layers.json?days=30").json()
    sites = names(data["sites"])
    assert {"Pataz", "Las Bambas"} <= sites and not sites & {"Antamina", "Puerto b", "Polvorín b"}
    assert "Perímetro Antamina" not in names(data["zones"])
    assert names(data["routes"]) == {"Las Bambas → Espinar"}
    references = {f["properties"]["reference"] for f in data["incidents"]["features"]}
    assert references == {world.incidents["a1"].reference, world.incidents["a2"].reference}


def test_map_layers_of_a_contractor_hold_only_its_assigned_site(world: Any) -> None:
    data = login(world.users["psc-operator"]).get("/map/layers.json").json()
    assert names(data["sites"]) == {"Pataz"}
    references = {f["properties"]["reference"] for f in data["incidents"]["features"]}
    assert references == {world.incidents["a1"].reference}


def test_map_layers_of_an_unassigned_contractor_are_empty(world: Any) -> None:
    data = login(world.users["psc2-operator"]).get("/map/layers.json").json()
    assert all(not data[name]["features"] for name in ("sites", "zones", "routes", "incidents"))


@pytest.mark.parametrize(("days", "message"), [("abc", "whole number"), ("0", "between")])
def test_map_layers_reject_a_bad_period_naming_the_parameter(
    world: Any, days: str, message: str
) -> None:
    response = login(world.users["operator"]).get(f"/map/layers.json?days={days}")
    assert response.status_code == 400
    assert message in response.json()["days"][0]


def test_regions_are_served_as_geojson_from_the_bundled_boundaries(world: Any) -> None:
    data = login(world.users["operator"]).get("/map/regions.geojson").json()
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) >= 25
    assert {"Lima", "Cusco"} <= names(data)


def test_dashboard_counts_only_visible_incidents(world: Any) -> None:
    response = login(world.users["b-manager"]).get("/dashboard/")
    assert response.status_code == 200
    assert response.context["total_12m"] == 1
    assert [row["name"] for row in response.context["top_sites"]] == ["Antamina"]


def test_console_is_read_only_for_the_auditor_and_actionable_for_the_operator(world: Any) -> None:
    auditor = login(world.users["auditor"]).get("/console/")
    operator = login(world.users["operator"]).get("/console/")
    assert auditor.status_code == operator.status_code == 200
    assert auditor.context["can_operate"] is False
    assert operator.context["can_operate"] is True


@pytest.mark.parametrize(
    ("language", "text"), [("es", "Mapa de operaciones"), ("en", "Operations map")]
)
def test_pages_follow_the_chosen_language(world: Any, language: str, text: str) -> None:
    client = login(world.users["operator"])
    client.post("/i18n/setlang/", {"language": language, "next": "/map/"})
    assert text in client.get("/map/").content.decode()


def test_spanish_is_the_default_language(world: Any) -> None:
    html = login(world.users["operator"]).get("/map/").content.decode()
    assert '<html lang="es">' in html
    assert "Capas" in html


@pytest.mark.parametrize(("role", "status"), [("operator", 200), ("auditor", 200), ("guard", 302)])
def test_trip_page_is_a_shell_for_staff_and_sends_a_guard_to_the_field_report(
    world: Any, role: str, status: int
) -> None:
    response = login(world.users[role]).get("/convoys/7/")
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert 'data-trip-id="7"' in html
        assert "minewatch/trip.js" in html


def test_trip_page_of_another_company_shows_nothing_from_the_api(world: Any) -> None:
    from minewatch.tracking.models import Trip

    other = Trip.objects.get(reference="TRIP-B-1")
    client = login(world.users["operator"])
    assert client.get(f"/convoys/{other.pk}/").status_code == 200  # the page is only a shell
    assert client.get(f"/api/v1/trips/{other.pk}/").status_code == 404  # what it would draw


def test_convoys_page_sends_a_guard_to_the_field_report(world: Any) -> None:
    response = login(world.users["guard"]).get("/convoys/")
    assert response.status_code == 302
    assert response["Location"] == "/incidents/field/"
