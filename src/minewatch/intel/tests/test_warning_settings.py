"""Per-organisation early-warning settings: API per role, bad input, and their effect on scans."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from typer.testing import CliRunner

from minewatch.core.models import AuditEntry
from minewatch.intel.early_warnings import WarningParams, scan_warnings, settings_for
from minewatch.intel.engine.grading import DEFAULT_CREDIBILITY_WEIGHTS, DEFAULT_RELIABILITY_WEIGHTS
from minewatch.intel.models import EarlyWarning, EarlyWarningSettings
from minewatch.intel.testing import make_report

pytestmark = pytest.mark.django_db

URL = "/api/v1/early-warning-settings/"


def settings_url(world, key: str = "a") -> str:
    return f"{URL}{settings_for(world.orgs[key].pk).pk}/"


def test_every_organisation_has_settings_with_the_documented_defaults(world):
    for organisation in world.orgs.values():
        stored = EarlyWarningSettings.objects.get(organisation=organisation)
        assert (stored.window_days, stored.distance_km, stored.min_weight, stored.min_signals) == (
            14.0, 10.0, 2.0, 2,
        )  # fmt: skip
        assert stored.reliability_weights == DEFAULT_RELIABILITY_WEIGHTS
        assert stored.credibility_weights == DEFAULT_CREDIBILITY_WEIGHTS
    assert WarningParams.for_organisation(world.orgs["a"].pk) == WarningParams()


@pytest.mark.parametrize("role", ["admin", "security_manager", "analyst", "operator",
                                  "liaison", "auditor"])  # fmt: skip
def test_everyone_of_the_organisation_reads_only_its_own_settings(world, api_client, role):
    rows = api_client(world.users[role]).get(URL).json()["results"]
    assert [row["organisation"] for row in rows] == [world.orgs["a"].pk]
    assert rows[0]["reliability_weights"]["B"] == 0.8


def test_a_guard_reads_no_intelligence_settings(world, api_client):
    # intelligence is the control room's (core.roles: what field staff read)
    assert api_client(world.users["guard"]).get(URL).json()["results"] == []


@pytest.mark.parametrize(
    "user,status_code",
    [("security_manager", 200), ("analyst", 200), ("admin", 200), ("operator", 403),
     ("guard", 403), ("liaison", 403), ("auditor", 403), ("b-manager", 404),
     ("psc-operator", 403)],
)  # fmt: skip
def test_managers_and_analysts_edit_the_settings(world, api_client, user, status_code):
    response = api_client(world.users[user]).patch(
        settings_url(world), {"distance_km": 4.5, "reliability_weights": {"B": 0.9}}, format="json"
    )
    assert response.status_code == status_code, response.content
    stored = settings_for(world.orgs["a"].pk)
    if status_code == 200:
        assert stored.distance_km == 4.5
        assert stored.reliability_weights == {**DEFAULT_RELIABILITY_WEIGHTS, "B": 0.9}
        entry = AuditEntry.objects.filter(object_type="intel.earlywarningsettings").latest("id")
        assert entry.actor == world.users[user]
        assert entry.changes["distance_km"] == [10.0, 4.5]
    else:
        assert stored.distance_km == 10.0


def test_b_manager_edits_its_own_settings_only(world, api_client):
    client = api_client(world.users["b-manager"])
    assert (
        client.patch(settings_url(world, "b"), {"min_weight": 1.5}, format="json").status_code
        == 200
    )
    assert settings_for(world.orgs["b"].pk).min_weight == 1.5
    assert settings_for(world.orgs["a"].pk).min_weight == 2.0


@pytest.mark.parametrize(
    "body,field",
    [
        ({"distance_km": -1}, "distance_km"),
        ({"distance_km": 0}, "distance_km"),
        ({"window_days": "two weeks"}, "window_days"),
        ({"window_days": 4000}, "window_days"),
        ({"min_weight": 0}, "min_weight"),
        ({"min_signals": 0}, "min_signals"),
        ({"reliability_weights": {"G": 0.5}}, "reliability_weights"),
        ({"reliability_weights": {"A": 1.5}}, "reliability_weights"),
        ({"reliability_weights": {"A": -0.1}}, "reliability_weights"),
        ({"credibility_weights": {"7": 0.5}}, "credibility_weights"),
        ({"credibility_weights": {"1": "high"}}, "credibility_weights"),
        ({"credibility_weights": [1, 0.8]}, "credibility_weights"),
        ({"distance_km": 3, "reliability_weights": {"Z": 1}}, "reliability_weights"),
    ],
)  # fmt: skip
def test_bad_settings_get_400_naming_the_field_and_change_nothing(world, api_client, body, field):
    before = EarlyWarningSettings.objects.filter(organisation=world.orgs["a"]).values().get()
    response = api_client(world.users["analyst"]).patch(settings_url(world), body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    after = EarlyWarningSettings.objects.filter(organisation=world.orgs["a"]).values().get()
    assert after == before


def two_reports_near(world, site, *, dlat: float = 0.005, **values):
    return [
        make_report(world.users["analyst"], site, lat=site.lat + dlat, lon=site.lon,
                    observed_at=timezone.now() - dt.timedelta(days=days), **values)
        for days in (1, 2)
    ]  # fmt: skip


def site_warnings(world, site):
    return EarlyWarning.objects.filter(organisation=world.orgs["a"], site=site)


def test_a_grade_weight_changes_what_the_scan_raises(world, api_client):
    site, org_id = world.sites["a2"], world.orgs["a"].pk
    # The world's incident near a2 (only reported: 0.7) and two B2 reports (0.64 each).
    two_reports_near(world, site)
    client = api_client(world.users["analyst"])
    url = settings_url(world)
    body = {"min_weight": 1.6, "reliability_weights": {"B": 0.5}}  # B2 = 0.4: 1.5 in all
    assert client.patch(url, body, format="json").status_code == 200
    scan_warnings(organisation_id=org_id)
    assert not site_warnings(world, site).exists()
    assert client.patch(url, {"reliability_weights": {"B": 0.8}}, format="json").status_code == 200
    scan_warnings(organisation_id=org_id)
    warning = site_warnings(world, site).get()
    assert warning.total_weight == pytest.approx(0.7 + 1.28)
    assert warning.min_weight == 1.6


def test_the_distance_changes_what_the_scan_raises(world, api_client):
    site, org_id = world.sites["a2"], world.orgs["a"].pk
    two_reports_near(world, site, dlat=0.045, source_reliability="A",
                     information_credibility="1")  # fmt: skip  # about 5 km away
    client = api_client(world.users["security_manager"])
    assert client.patch(settings_url(world), {"distance_km": 3}, format="json").status_code == 200
    scan_warnings(organisation_id=org_id)
    assert not site_warnings(world, site).exists()
    assert client.patch(settings_url(world), {"distance_km": 6}, format="json").status_code == 200
    scan_warnings(organisation_id=org_id)
    assert site_warnings(world, site).get().distance_km == 6


def test_the_automatic_scan_uses_the_stored_settings(
    world, api_client, django_capture_on_commit_callbacks
):
    site = world.sites["a2"]
    with django_capture_on_commit_callbacks(execute=True):
        two_reports_near(world, site)  # 0.7 + 1.28 < the default threshold of 2.0
    assert not site_warnings(world, site).exists()
    response = api_client(world.users["analyst"]).patch(
        settings_url(world), {"min_weight": 1.5}, format="json"
    )
    assert response.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        make_report(world.users["analyst"], site, source_reliability="C",
                    information_credibility="3")  # fmt: skip  # + 0.36 = 2.34
    warning = site_warnings(world, site).get()
    assert warning.min_weight == 1.5 and len(warning.reasons) == 4


def test_the_cli_uses_stored_settings_and_flags_override_them(world, api_client):
    from minewatch.cli import app

    site = world.sites["a2"]
    two_reports_near(world, site)
    api_client(world.users["analyst"]).patch(settings_url(world), {"min_weight": 1.2},
                                             format="json")  # fmt: skip
    runner = CliRunner()
    overridden = runner.invoke(app, ["intel", "warnings", "--org", "Org a", "--min-weight", "5",
                                     "--json"])  # fmt: skip
    assert overridden.exit_code == 0, overridden.output
    assert json.loads(overridden.stdout)["created"] == []
    stored = runner.invoke(app, ["intel", "warnings", "--org", "Org a", "--json"])
    assert stored.exit_code == 0, stored.output
    rows = [r for r in json.loads(stored.stdout)["created"] if r["target"] == str(site)]
    assert len(rows) == 1 and rows[0]["total_weight"] == pytest.approx(0.7 + 1.28)
    assert site_warnings(world, site).get().min_weight == 1.2


def test_an_expired_report_does_not_count_in_a_new_scan(world):
    site, org_id, now = world.sites["a2"], world.orgs["a"].pk, timezone.now()
    make_report(world.users["analyst"], site, source_reliability="A", information_credibility="1",
                observed_at=now - dt.timedelta(days=3),
                valid_until=now - dt.timedelta(days=1))  # fmt: skip
    make_report(world.users["analyst"], site, source_reliability="A", information_credibility="1",
                observed_at=now - dt.timedelta(days=2))  # fmt: skip
    # With the world's incident (0.7), 2.7 over the threshold of 2.0; but the first
    # report expired yesterday, so a scan now sees 1.7: no warning.
    assert [w for w in scan_warnings(organisation_id=org_id) if w.site == site] == []
    # Scanning as of before it expired, it counted.
    earlier = now - dt.timedelta(days=1, hours=12)
    raised = scan_warnings(organisation_id=org_id, now=earlier)
    assert [w.total_weight for w in raised if w.site == site] == [pytest.approx(2.7)]


def test_the_model_refuses_what_the_service_refuses(world):
    from django.core.exceptions import ValidationError

    stored = settings_for(world.orgs["a"].pk)
    stored.full_clean()
    stored.credibility_weights = {**stored.credibility_weights, "9": 0.5}
    with pytest.raises(ValidationError) as raised:
        stored.full_clean()
    assert "credibility_weights" in raised.value.message_dict
    stored.refresh_from_db()
    stored.distance_km = -1
    with pytest.raises(ValidationError) as raised:
        stored.full_clean()
    assert "distance_km" in raised.value.message_dict


def test_admin_edits_the_settings_with_the_same_checks(world):
    from django.test import Client

    from minewatch.core.models import User

    User.objects.create_superuser("root-ew", "root@example.pe", "x-Secret-9")
    client = Client()
    assert client.login(username="root-ew", password="x-Secret-9")
    stored = settings_for(world.orgs["a"].pk)
    url = f"/admin/intel/earlywarningsettings/{stored.pk}/change/"
    assert client.get("/admin/intel/earlywarningsettings/").status_code == 200
    form = {"organisation": world.orgs["a"].pk, "window_days": 14, "distance_km": -3,
            "min_weight": 2, "min_signals": 2,
            "reliability_weights": json.dumps(stored.reliability_weights),
            "credibility_weights": json.dumps(stored.credibility_weights)}  # fmt: skip
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with the error
    assert "distance_km" in response.context["adminform"].form.errors
    assert settings_for(world.orgs["a"].pk).distance_km == 10.0
    assert client.post(url, {**form, "distance_km": 8}).status_code == 302
    assert settings_for(world.orgs["a"].pk).distance_km == 8.0
