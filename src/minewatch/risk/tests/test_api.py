"""The risk API: register with suggestion vs choice, gaps, losses, forecast, matrix, controls."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.risk.models import DeployedControl, RiskRegisterEntry
from minewatch.testing.world import make_incident


def test_register_entry_stores_suggested_beside_chosen_likelihood(world, api_client):
    client = api_client(world.users["analyst"])
    body = {"site": world.sites["a2"].pk, "threat": "social_conflict", "impact": 4, "likelihood": 5}
    response = client.post("/api/v1/risk-register/", body, format="json")
    assert response.status_code == 201, response.content
    row = response.json()
    assert row["likelihood"] == 5
    assert 1 <= row["suggested_likelihood"] <= 5
    assert row["suggestion_basis"]["incidents"] == 1  # the world's road blockade at a2
    assert row["inherent_score"] == 20 and row["inherent_band"] == "extreme"


def test_omitted_likelihood_adopts_the_suggestion_and_says_so(world, api_client):
    body = {"site": world.sites["a2"].pk, "threat": "internal", "impact": 2}
    row = api_client(world.users["analyst"]).post("/api/v1/risk-register/", body,
                                                   format="json").json()  # fmt: skip
    assert row["likelihood"] == row["suggested_likelihood"]
    assert row["suggestion_basis"]["adopted"] is True


def test_refreshing_the_suggestion_never_overwrites_the_chosen_likelihood(world, api_client):
    entry = world.extra["risk_entry_a"]
    response = api_client(world.users["analyst"]).post(
        f"/api/v1/risk-register/{entry.pk}/refresh-suggestion/"
    )
    assert response.status_code == 200
    assert response.json()["likelihood"] == 3
    entry.refresh_from_db()
    assert entry.likelihood == 3 and entry.suggested_likelihood is not None


@pytest.mark.parametrize("field,value", [("likelihood", 6), ("likelihood", 0), ("impact", 9),
                                         ("impact", -1), ("likelihood", "x")])  # fmt: skip
def test_rating_outside_1_to_5_is_400_naming_field_and_nothing_stored(world, api_client, field,
                                                                      value):  # fmt: skip
    before = RiskRegisterEntry.objects.count()
    body = {"site": world.sites["a2"].pk, "threat": "terrorism", "impact": 3, "likelihood": 2,
            field: value}  # fmt: skip
    response = api_client(world.users["analyst"]).post("/api/v1/risk-register/", body,
                                                        format="json")  # fmt: skip
    assert response.status_code == 400
    assert field in response.json()
    assert RiskRegisterEntry.objects.count() == before


@pytest.mark.parametrize("role", ["operator", "guard", "auditor"])
def test_roles_without_analysis_cannot_edit_the_register(world, api_client, role):
    body = {"site": world.sites["a2"].pk, "threat": "terrorism", "impact": 3, "likelihood": 2}
    response = api_client(world.users[role]).post("/api/v1/risk-register/", body, format="json")
    assert response.status_code == 403


def test_gaps_flag_structural_imbalance_for_high_threat_with_weak_controls(world, api_client):
    client = api_client(world.users["security_manager"])
    body = {"site": world.sites["a1"].pk, "threat": "illegal_mining", "impact": 5, "likelihood": 5}
    assert client.post("/api/v1/risk-register/", body, format="json").status_code == 201
    site = client.get("/api/v1/risk/gaps/", {"site": world.sites["a1"].pk}).json()["sites"][0]
    by_threat = {row["threat"]: row for row in site["threats"]}
    mining = by_threat["illegal_mining"]
    assert mining["threat_level"] == 1.0
    assert mining["coverage"] == pytest.approx(0.35 * 0.8)  # guard patrols at quality 0.8
    assert mining["is_structural_imbalance"] is True
    assert set(by_threat) == {"terrorism", "social_conflict", "illegal_mining",
                              "organised_crime", "internal"}  # fmt: skip


def test_deploying_controls_raises_coverage_and_lowers_residual_risk(world, api_client):
    client = api_client(world.users["security_manager"])
    entry = world.extra["risk_entry_a"]
    for control in ("escorts", "fleet_tracking", "personnel_screening", "police_agreement"):
        response = client.post(
            "/api/v1/deployed-controls/",
            {"site": world.sites["a1"].pk, "control": control, "quality": 1.0},
            format="json",
        )
        assert response.status_code == 201, response.content
    entry.refresh_from_db()
    assert entry.coverage > 0.7
    assert entry.residual_score < entry.inherent_score


@pytest.mark.parametrize("body,field", [({"control": "laser_fence", "quality": 0.5}, "control"),
                                        ({"control": "cctv", "quality": 1.5}, "quality")])  # fmt: skip
def test_bad_deployed_control_is_400_naming_field(world, api_client, body, field):
    response = api_client(world.users["security_manager"]).post(
        "/api/v1/deployed-controls/", {"site": world.sites["a1"].pk, **body}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not DeployedControl.objects.filter(control="laser_fence").exists()


def test_contractor_cannot_see_or_change_another_companys_controls(world, api_client):
    client = api_client(world.users["psc-operator"])
    response = client.post(
        "/api/v1/deployed-controls/",
        {"site": world.sites["b1"].pk, "control": "cctv", "quality": 0.5},
        format="json",
    )
    assert response.status_code in (400, 403)


def test_losses_with_proposed_controls_are_lower_and_repeatable(world, api_client):
    manager = world.users["security_manager"]
    now = timezone.now()
    for days, loss in ((10, 40_000), (30, 120_000), (400, 15_000)):
        make_incident(manager, world.sites["a1"], incident_type="extortion", loss_usd=loss,
                      occurred_at=now - dt.timedelta(days=days))  # fmt: skip
    client = api_client(manager)
    params = {"site": world.sites["a1"].pk, "controls": "escorts,personnel_screening",
              "seed": 7, "years": 2000}  # fmt: skip
    first = client.get("/api/v1/risk/losses/", params).json()
    again = client.get("/api/v1/risk/losses/", params).json()
    assert first == again
    crime = first["threats"]["organised_crime"]
    assert crime["yearly_counts"] == [3, 1, 0]  # the world's extortion and the three above
    assert crime["losses_observed"] == 3
    for key in ("p50_usd", "p90_usd", "p99_usd"):
        assert crime["with_controls"][key] <= crime["without_controls"][key]
    assert crime["with_controls"]["mean_usd"] < crime["without_controls"]["mean_usd"]
    assert crime["expected_saving_usd"] > 0


@pytest.mark.parametrize("params,field", [({"controls": "magic"}, "controls"),
                                          ({"years": 5}, "years"), ({"seed": "x"}, "seed")])  # fmt: skip
def test_bad_loss_parameters_are_400_naming_field(world, api_client, params, field):
    response = api_client(world.users["security_manager"]).get(
        "/api/v1/risk/losses/", {"site": world.sites["a1"].pk, **params}
    )
    assert response.status_code == 400
    assert field in response.json()


def test_losses_of_another_companys_site_are_404(world, api_client):
    response = api_client(world.users["security_manager"]).get(
        "/api/v1/risk/losses/", {"site": world.sites["b1"].pk}
    )
    assert response.status_code == 404


def test_forecast_returns_scored_h3_cells_from_visible_incidents(world, api_client):
    body = (
        api_client(world.users["security_manager"])
        .get("/api/v1/risk/forecast/", {"days": 7, "resolution": 6, "method": "kde"})
        .json()
    )
    assert body["resolution"] == 6 and body["cells"]
    assert body["cells"][0]["score"] >= body["cells"][-1]["score"]
    assert sum(c["score"] for c in body["cells"]) == pytest.approx(1.0, abs=1e-3)
    near_b = [c for c in body["cells"] if abs(c["lat"] - world.sites["b1"].lat) < 0.3
              and abs(c["lon"] - world.sites["b1"].lon) < 0.3]  # fmt: skip
    assert near_b == []  # company B's incident is not in A's forecast


@pytest.mark.parametrize("params,field", [({"resolution": 16}, "resolution"),
                                          ({"threat": "aliens"}, "threat"),
                                          ({"method": "oracle"}, "method"),
                                          ({"days": 0}, "days")])  # fmt: skip
def test_bad_forecast_parameters_are_400_naming_field(world, api_client, params, field):
    response = api_client(world.users["security_manager"]).get("/api/v1/risk/forecast/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_editing_the_matrix_changes_coverage(world, api_client):
    client = api_client(world.users["analyst"])
    before = client.get("/api/v1/risk/gaps/", {"site": world.sites["a1"].pk}).json()
    response = client.post("/api/v1/control-effectiveness/", {
        "control": "guard_patrols", "threat": "organised_crime", "effectiveness": 0.9},
        format="json")  # fmt: skip
    assert response.status_code == 201
    assert response.json()["default"] == 0.25
    after = client.get("/api/v1/risk/gaps/", {"site": world.sites["a1"].pk}).json()

    def coverage(body):
        return next(t["coverage"] for t in body["sites"][0]["threats"]
                    if t["threat"] == "organised_crime")  # fmt: skip

    assert coverage(after) > coverage(before)


def test_control_catalogue_lists_the_seed_controls_in_both_languages(world, api_client):
    body = api_client(world.users["guard"]).get("/api/v1/risk/controls/").json()
    assert len(body) == 16
    assert body[0]["label"] == {"es": "Videovigilancia (CCTV)", "en": "CCTV"}


def test_heatmap_and_site_pages_render(world, client):
    from minewatch.testing.world import PASSWORD

    assert client.login(username="a-operator", password=PASSWORD)
    page = client.get("/risk/").content.decode()
    assert "Pataz" in page and "Antamina" not in page
    detail = client.get(f"/risk/sites/{world.sites['a1'].pk}/?controls=escorts")
    assert detail.status_code == 200
    assert "P99" in detail.content.decode()
