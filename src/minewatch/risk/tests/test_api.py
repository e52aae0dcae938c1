"""The risk API: register with suggestion vs choice, gaps, losses, forecast, matrix, controls."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.risk.engine.gaps import THREATS
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
    # the world's extortion and the three above; records go back 400 days: two yearly bins
    assert crime["yearly_counts"] == [3, 1]
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


def test_mixture_forecast_uses_the_readers_geography_as_covariates(world, api_client):
    body = (
        api_client(world.users["security_manager"])
        .get("/api/v1/risk/forecast/", {"days": 30, "resolution": 6, "method": "mixture"})
        .json()
    )
    assert "sites 2 km" in body["covariates"] and "routes 1 km" in body["covariates"]
    assert sum(body["weights"].values()) == pytest.approx(1.0, abs=5e-3)  # 4-dp rounding
    assert all(f"covariate {name}" in body["weights"] for name in body["covariates"])
    kde = api_client(world.users["security_manager"]).get(
        "/api/v1/risk/forecast/", {"days": 30, "resolution": 6, "method": "kde"}
    )
    assert kde.json()["covariates"] == []  # only the mixture weighs covariates


def test_forecast_says_when_sepp_could_not_fit_and_what_replaced_it(world, api_client):
    """No silent fallback: one visible incident gives SEPP nothing to learn triggering from."""
    manager = world.users["security_manager"]
    client = api_client(manager)
    params = {"days": 7, "resolution": 7, "method": "sepp"}
    fit = client.get("/api/v1/risk/forecast/", params).json()["fit"]
    assert fit["method"] == "sepp" and fit["fitted"] is False
    assert "no two events" in fit["reason"] and fit["replaced_by"].startswith("naive")
    now = timezone.now()
    for days in (3, 4, 6):  # a burst at one site: triggering can be learnt
        make_incident(manager, world.sites["a1"], occurred_at=now - dt.timedelta(days=days))
    fit = client.get("/api/v1/risk/forecast/", params).json()["fit"]
    assert fit["fitted"] is True and fit["replaced_by"] is None
    mixture = client.get("/api/v1/risk/forecast/", {**params, "method": "mixture"}).json()
    fit = mixture["fit"]
    assert fit["method"] == "mixture" and "chosen_scales" in fit
    assert fit["fitted"] or fit["replaced_by"] == "equal weights per family of maps"


def test_forecast_cells_carry_their_area_rank_and_outline_on_request(world, api_client):
    client = api_client(world.users["security_manager"])
    body = client.get("/api/v1/risk/forecast/", {"days": 7, "resolution": 7, "geometry": "true"})
    body = body.json()
    shares = [c["top_share"] for c in body["cells"]]
    assert shares == sorted(shares) and 0 < shares[0] <= shares[-1] <= 1
    assert body["study_area_km2"] > 0
    first = body["cells"][0]
    assert len(first["boundary"]) == 6  # a hexagon
    assert all(abs(lat - first["lat"]) < 0.05 and abs(lon - first["lon"]) < 0.05
               for lat, lon in first["boundary"])  # fmt: skip
    plain = client.get("/api/v1/risk/forecast/", {"days": 7, "resolution": 7}).json()
    assert "boundary" not in plain["cells"][0]


@pytest.mark.parametrize("params,field", [({"resolution": 16}, "resolution"),
                                          ({"threat": "aliens"}, "threat"),
                                          ({"method": "oracle"}, "method"),
                                          ({"days": 0}, "days"),
                                          ({"geometry": "maybe"}, "geometry")])  # fmt: skip
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


def test_heatmap_and_site_pages_show_the_api_figures_in_spanish(world, client, api_client):
    from minewatch.risk.tests.html_rows import decimal_es, page_text, table_rows, whole_usd
    from minewatch.testing.world import PASSWORD

    manager, site = world.users["security_manager"], world.sites["a1"]
    now = timezone.now()
    for days, loss in ((10, 40_000), (30, 120_000), (200, 15_000), (400, 60_000)):
        make_incident(manager, site, incident_type="extortion", loss_usd=loss,
                      occurred_at=now - dt.timedelta(days=days))  # fmt: skip
    api = api_client(manager)
    gaps = api.get("/api/v1/risk/gaps/").json()["sites"]
    losses = api.get("/api/v1/risk/losses/", {"site": site.pk, "controls": "escorts",
                                              "seed": 0, "years": 20_000}).json()  # fmt: skip
    assert client.login(username="a-operator", password=PASSWORD)
    heatmap = client.get("/risk/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    rows = table_rows(heatmap, "data-site")
    assert set(rows) == {str(s["site"]) for s in gaps}
    assert {str(world.sites[k].pk) for k in ("a1", "a2")} <= set(rows)
    assert str(world.sites["b1"].pk) not in rows
    for body in gaps:
        cells = rows[str(body["site"])]
        assert cells[0] == body["site_name"]
        by_threat = {t["threat"]: t for t in body["threats"]}
        assert [c.rstrip(" ⚠") for c in cells[1:]] == [decimal_es(by_threat[t]["gap"])
                                                       for t in THREATS]  # fmt: skip
    assert "Crimen organizado" in heatmap and "Antamina" not in heatmap
    legend = page_text(heatmap)
    assert "bajo 1–4 medio 5–9 alto 10–19 extremo 20–25" in legend

    page = client.get(f"/risk/sites/{site.pk}/?controls=escorts", HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    html = page.content.decode()
    loss_rows, gap_rows = table_rows(html, "data-loss-threat"), table_rows(html, "data-gap-threat")
    crime = losses["threats"]["organised_crime"]
    assert crime["without_controls"]["p99_usd"] > crime["without_controls"]["p50_usd"] > 0
    for code, row in [*losses["threats"].items(), ("total", losses["total"])]:
        figures = [row[k][p] for k in ("without_controls", "with_controls")
                   for p in ("p50_usd", "p90_usd", "p99_usd")]  # fmt: skip
        shown = loss_rows[code][1:]
        assert shown == [*map(whole_usd, figures), whole_usd(row["expected_saving_usd"])]
    assert loss_rows["total"][0] == "Todas las amenazas"
    assert loss_rows["organised_crime"][0] == "Crimen organizado"
    site_gaps = next(body["threats"] for body in gaps if body["site"] == site.pk)
    for gap in site_gaps:
        assert gap_rows[gap["threat"]][1:] == [decimal_es(gap[k])
                                               for k in ("threat_level", "coverage", "gap")]  # fmt: skip
    assert gap_rows["organised_crime"][0].startswith("Crimen organizado")
    assert "organised_crime" not in html.replace('-threat="organised_crime"', "")
    assert 'value="escorts" checked> Resguardo y escoltas' in html
    assert "access_control" not in html.replace('value="access_control"', "")


def test_register_table_shows_owner_and_translated_bands(world, client, api_client):
    from minewatch.risk.tests.html_rows import table_rows
    from minewatch.testing.world import PASSWORD

    manager = world.users["security_manager"]
    entry = world.extra["risk_entry_a"]
    response = api_client(manager).patch(f"/api/v1/risk-register/{entry.pk}/",
                                         {"owner": manager.pk}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert client.login(username="a-operator", password=PASSWORD)
    html = client.get(f"/risk/sites/{world.sites['a1'].pk}/", HTTP_ACCEPT_LANGUAGE="es")
    row = table_rows(html.content.decode(), "data-entry-threat")["organised_crime"]
    assert row[0] == "Crimen organizado"
    assert row[3] == "12 (alto)"
    assert row[5] == (manager.get_full_name() or manager.username)
    english = client.get(f"/risk/sites/{world.sites['a1'].pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "12 (high)" in english.content.decode()
    assert "Organised crime" in english.content.decode()


# --- risk bands per organisation -------------------------------------------------------

NEW_BANDS = [{"name": "low", "min_score": 1}, {"name": "medium", "min_score": 6},
             {"name": "very_high", "min_score": 12, "max_score": 19},
             {"name": "extreme", "min_score": 20}]  # fmt: skip


def test_bands_default_to_the_engine_bands_and_every_role_reads_them(world, api_client):
    body = api_client(world.users["guard"]).get("/api/v1/risk/bands/").json()
    assert body["organisation"] == world.orgs["a"].pk and body["is_default"] is True
    assert [(b["name"], b["min_score"], b["max_score"]) for b in body["bands"]] == [
        ("low", 1, 4), ("medium", 5, 9), ("high", 10, 19), ("extreme", 20, 25)]  # fmt: skip
    assert body["can_edit"] is False


def test_security_manager_changes_bands_and_the_register_is_rebanded_and_audited(world,
                                                                                api_client):  # fmt: skip
    from minewatch.core.models import AuditEntry

    entry_a, entry_b = world.extra["risk_entry_a"], world.extra["risk_entry_b"]
    assert (entry_a.inherent_score, entry_a.inherent_band) == (12, "high")
    client = api_client(world.users["security_manager"])
    response = client.put("/api/v1/risk/bands/", {"bands": NEW_BANDS}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_default"] is False and body["can_edit"] is True
    assert [(b["name"], b["min_score"], b["max_score"]) for b in body["bands"]] == [
        ("low", 1, 5), ("medium", 6, 11), ("very_high", 12, 19), ("extreme", 20, 25)]  # fmt: skip
    entry_a.refresh_from_db()
    assert entry_a.inherent_band == "very_high"
    ranges = {b["name"]: (b["min_score"], b["max_score"]) for b in body["bands"]}
    low, high = ranges[entry_a.residual_band]
    assert low <= entry_a.residual_score <= high
    entry_b.refresh_from_db()
    assert entry_b.inherent_band == "high"  # company B keeps its (default) bands
    assert AuditEntry.objects.filter(object_type="risk.riskbands",
                                     organisation=world.orgs["a"]).count() == 1  # fmt: skip
    rebanded = AuditEntry.objects.get(object_type="risk.riskregisterentry",
                                      object_id=str(entry_a.pk), note__startswith="re-banded")  # fmt: skip
    assert rebanded.changes["inherent_band"] == ["high", "very_high"]
    # new entries are scored with the organisation's bands
    post = client.post("/api/v1/risk-register/", {"site": world.sites["a2"].pk,
                       "threat": "terrorism", "impact": 3, "likelihood": 2}, format="json")  # fmt: skip
    assert post.status_code == 201, post.content
    assert post.json()["inherent_score"] == 6 and post.json()["inherent_band"] == "medium", (
        post.json()
    )
    assert api_client(world.users["b-manager"]).get("/api/v1/risk/bands/").json()["is_default"]


@pytest.mark.parametrize("role", ["analyst", "operator", "guard", "auditor"])
def test_only_managers_change_bands(world, api_client, role):
    from minewatch.risk.models import RiskBands

    response = api_client(world.users[role]).put("/api/v1/risk/bands/", {"bands": NEW_BANDS},
                                                 format="json")  # fmt: skip
    assert response.status_code == 403
    assert not RiskBands.objects.exists()


def test_another_organisations_bands_are_404(world, api_client):
    client = api_client(world.users["b-manager"])
    org_a = world.orgs["a"].pk
    assert client.get("/api/v1/risk/bands/", {"organisation": org_a}).status_code == 404
    put = client.put(f"/api/v1/risk/bands/?organisation={org_a}", {"bands": NEW_BANDS},
                     format="json")  # fmt: skip
    assert put.status_code == 404
    assert api_client().get("/api/v1/risk/bands/").status_code in (401, 403)


@pytest.mark.parametrize("bands", [
    [{"name": "low", "min_score": 2}, {"name": "high", "min_score": 10}],  # does not start at 1
    [{"name": "low", "min_score": 1}, {"name": "catastrophic", "min_score": 10}],  # unknown name
    [{"name": "high", "min_score": 1}, {"name": "low", "min_score": 10}],  # severity reversed
    [{"name": "low", "min_score": 1}, {"name": "low", "min_score": 10}],  # duplicate
    [{"name": "low", "min_score": 1}, {"name": "high", "min_score": 30}],  # beyond 25
    [{"name": "low", "min_score": 1}, {"name": "high", "min_score": 17},
     {"name": "extreme", "min_score": 20}],  # 17-19: no score can fall there
    [{"name": "low", "min_score": 1, "max_score": 6}, {"name": "high", "min_score": 10}],  # gap
    [{"name": "low", "min_score": 1}, {"name": "high", "min_score": "10"}],
    [{"name": "low", "min_score": 1, "colour": "red"}],
    [], "low", None,
])  # fmt: skip
def test_bad_bands_are_400_naming_bands_and_change_nothing(world, api_client, bands):
    from minewatch.core.models import AuditEntry
    from minewatch.risk.models import RiskBands

    audits = AuditEntry.objects.count()
    response = api_client(world.users["security_manager"]).put(
        "/api/v1/risk/bands/", {"bands": bands}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "bands" in response.json()
    assert not RiskBands.objects.exists()
    assert AuditEntry.objects.count() == audits
    world.extra["risk_entry_a"].refresh_from_db()
    assert world.extra["risk_entry_a"].inherent_band == "high"


def test_pages_show_the_organisations_own_bands_as_a_legend(world, client, api_client):
    from minewatch.risk.tests.html_rows import page_text
    from minewatch.testing.world import PASSWORD

    api_client(world.users["security_manager"]).put("/api/v1/risk/bands/", {"bands": NEW_BANDS},
                                                    format="json")  # fmt: skip
    assert client.login(username="a-operator", password=PASSWORD)
    expected = "bajo 1–5 medio 6–11 muy alto 12–19 extremo 20–25"
    assert expected in page_text(client.get("/risk/", HTTP_ACCEPT_LANGUAGE="es").content.decode())
    detail = client.get(f"/risk/sites/{world.sites['a1'].pk}/", HTTP_ACCEPT_LANGUAGE="es")
    assert expected in page_text(detail.content.decode())
    assert "12 (muy alto)" in page_text(detail.content.decode())
    english = client.get(f"/risk/sites/{world.sites['a1'].pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "low 1–5 medium 6–11 very high 12–19 extreme 20–25" in page_text(
        english.content.decode()
    )
