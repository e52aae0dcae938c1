"""The risk-bands page: a security manager changes the bands and the register follows."""

from __future__ import annotations

import pytest

from minewatch.risk import analysis
from minewatch.risk.models import RiskBands, RiskRegisterEntry
from minewatch.testing.world import PASSWORD

pytestmark = pytest.mark.django_db


def register_entry(world, api_client):
    body = {"site": world.sites["a2"].pk, "threat": "social_conflict", "impact": 4, "likelihood": 4}
    response = api_client(world.users["analyst"]).post(
        "/api/v1/risk-register/", body, format="json"
    )
    assert response.status_code == 201, response.content
    return RiskRegisterEntry.objects.get(pk=response.json()["id"])


def test_manager_changes_the_bands_and_the_register_is_re_banded(world, client, api_client):
    entry = register_entry(world, api_client)
    assert (entry.inherent_score, entry.inherent_band) == (16, "high")
    assert client.login(username="a-security_manager", password=PASSWORD)
    page = client.get("/risk/bands/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'name="min_medium" value="5"' in page and 'name="min_extreme" value="20"' in page
    assert "Bandas de riesgo" in page
    response = client.post("/risk/bands/", {"min_very_low": "1", "min_low": "3", "min_medium": "6",
                                            "min_high": "10", "min_extreme": "15"})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/risk/"
    assert [b["name"] for b in analysis.band_legend(world.orgs["a"].pk)] == [
        "very_low", "low", "medium", "high", "extreme"]  # fmt: skip
    entry.refresh_from_db()
    assert entry.inherent_band == "extreme"  # 16 is now in 15–25
    heatmap = client.get("/risk/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Cambiar las bandas de riesgo" in heatmap


@pytest.mark.parametrize("form,message", [
    ({"min_low": "1", "min_medium": "cinco", "min_high": "10", "min_extreme": "20"}, "no es un puntaje entero"),
    ({"min_medium": "5", "min_high": "10", "min_extreme": "20"}, "start at score 1"),
    ({"min_low": "1", "min_medium": "10", "min_high": "5", "min_extreme": "20"}, "strictly increase"),
])  # fmt: skip
def test_bad_bands_are_refused_with_the_reason_and_nothing_changes(world, client, api_client, form,
                                                                     message):  # fmt: skip
    entry = register_entry(world, api_client)
    assert client.login(username="a-security_manager", password=PASSWORD)
    response = client.post("/risk/bands/", form, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and message in page
    assert not RiskBands.objects.filter(organisation=world.orgs["a"]).exists()
    entry.refresh_from_db()
    assert entry.inherent_band == "high"


@pytest.mark.parametrize("role", ["operator", "analyst", "guard", "auditor"])
def test_other_roles_cannot_change_the_bands(world, client, role):
    assert client.login(username=f"a-{role}", password=PASSWORD)
    assert client.get("/risk/bands/").status_code == 403
    assert client.post("/risk/bands/", {"min_low": "1", "min_high": "5"}).status_code == 403
    assert not RiskBands.objects.exists()
    assert (
        "Cambiar las bandas" not in client.get("/risk/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    )
