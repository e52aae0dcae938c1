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


def test_warning_page_shows_the_effective_settings(world):
    from minewatch.intel.early_warnings import save_warning_settings, settings_for

    save_warning_settings(settings_for(world.orgs["a"].pk), actor=world.users["analyst"],
                          distance_km=7.5, reliability_weights={"B": 0.55})  # fmt: skip
    page = login(world, "operator").get("/intel/warnings/", HTTP_ACCEPT_LANGUAGE="es")
    html = page.content.decode()
    assert "Cómo avisa el escaneo" in html and "7.5" in html and "0.55" in html
    assert "/intel/warnings/settings/" not in html  # operators read, do not edit
    english = login(world, "analyst").get("/intel/warnings/", HTTP_ACCEPT_LANGUAGE="en")
    html = english.content.decode()
    assert "How the scan warns" in html and "7.5" in html and "Usually reliable" in html
    assert "/intel/warnings/settings/" in html


def settings_post(world, **changes):
    from minewatch.intel.early_warnings import settings_for
    from minewatch.intel.forms import EarlyWarningSettingsForm

    data = EarlyWarningSettingsForm.initial_from(settings_for(world.orgs["a"].pk))
    data.update(changes)
    return data


@pytest.mark.parametrize("role,status_code", [("analyst", 302), ("security_manager", 302),
                                              ("operator", 403), ("guard", 403)])  # fmt: skip
def test_analysts_and_managers_change_settings_on_the_web(world, role, status_code):
    from minewatch.intel.early_warnings import settings_for

    client = login(world, role)
    assert client.get("/intel/warnings/settings/").status_code == (
        200 if status_code == 302 else 403
    )
    response = client.post("/intel/warnings/settings/",
                           settings_post(world, min_weight=1.25, credibility_3=0.5))  # fmt: skip
    assert response.status_code == status_code
    stored = settings_for(world.orgs["a"].pk)
    if status_code == 302:
        assert stored.min_weight == 1.25 and stored.credibility_weights["3"] == 0.5
    else:
        assert stored.min_weight == 2.0 and stored.credibility_weights["3"] == 0.6


@pytest.mark.parametrize("field,value", [("distance_km", -2), ("reliability_C", 1.5),
                                         ("window_days", "abc"), ("min_signals", 0)])  # fmt: skip
def test_bad_settings_on_the_web_show_the_error_and_change_nothing(world, field, value):
    from minewatch.intel.early_warnings import settings_for

    before = settings_for(world.orgs["a"].pk)
    response = login(world, "analyst").post("/intel/warnings/settings/",
                                            settings_post(world, **{field: value}))  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    after = settings_for(world.orgs["a"].pk)
    assert (after.distance_km, after.window_days, after.min_signals, after.reliability_weights) == (
        before.distance_km, before.window_days, before.min_signals, before.reliability_weights,
    )  # fmt: skip


def test_filters_and_graph_edges_speak_spanish(world):
    client = login(world, "analyst")
    reports = client.get("/intel/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "No vencido" in reports and "Buscar" in reports
    assert "not expired" not in reports
    first, _second = world.extra["intel_actors_a"]
    page = client.get(f"/intel/actors/{first.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    for label in ("<title>Aliado con</title>", "<title>Involucrado en</title>",
                  "<title>Mencionado en</title>"):  # fmt: skip
        assert label in page
    for code in ("allied_with", "involved_in", "mentioned_in"):
        assert f"<title>{code}</title>" not in page
    english = client.get(f"/intel/actors/{first.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<title>Involved in</title>" in english and "<title>Allied with</title>" in english
