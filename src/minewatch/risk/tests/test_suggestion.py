"""The likelihood suggestion: rates per year over the real observation window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.risk import analysis
from minewatch.risk.models import RiskRegisterEntry
from minewatch.testing.world import make_incident


def old_record(world, days):
    """An incident of another threat at the other site ``days`` ago: records start then."""
    make_incident(world.users["security_manager"], world.sites["a2"], incident_type="fraud",
                  occurred_at=timezone.now() - dt.timedelta(days=days))  # fmt: skip


@pytest.mark.django_db
def test_one_incident_in_three_years_is_unlikely_not_almost_certain(world):
    old_record(world, 3 * 365)  # the organisation has three years of records
    now = timezone.now()
    # the world's one extortion at Pataz (two days ago) is the only organised crime there
    value, basis = analysis.suggest(world.sites["a1"], "organised_crime", now)
    assert basis["incidents"] == 1
    assert basis["period_days"] == pytest.approx(3 * 365, abs=1)
    assert basis["history_per_year"] == pytest.approx(1 / 1095 * 365.25, abs=1e-3)
    assert basis["forecast_per_year"] <= basis["history_per_year"] + 1e-3  # not 365 a year
    assert value <= 2


@pytest.mark.django_db
def test_one_incident_is_adopted_as_a_low_likelihood_when_none_is_given(world, api_client):
    old_record(world, 3 * 365)
    body = {"site": world.sites["a1"].pk, "threat": "organised_crime", "impact": 3}
    client = api_client(world.users["security_manager"])
    RiskRegisterEntry.objects.filter(site=world.sites["a1"], threat="organised_crime").delete()
    row = client.post("/api/v1/risk-register/", body, format="json").json()
    assert row["suggestion_basis"]["adopted"] is True
    assert row["likelihood"] == row["suggested_likelihood"] <= 2


@pytest.mark.django_db
def test_a_new_organisation_is_measured_over_at_least_ninety_days(world):
    now = timezone.now()
    # the world's incidents are two days old: the window is the 90-day minimum, not 3 years
    assert analysis.observation_window_days(world.orgs["a"].pk, now) == 90
    value, basis = analysis.suggest(world.sites["a1"], "organised_crime", now)
    assert basis["period_days"] == 90
    assert basis["history_per_year"] == pytest.approx(365.25 / 90, abs=1e-3)
    assert value == 4  # about four a year: "likely", not 365 a year


@pytest.mark.django_db
def test_records_shorter_than_three_years_set_the_window(world):
    old_record(world, 400)
    assert analysis.observation_window_days(world.orgs["a"].pk, timezone.now()) == pytest.approx(
        400, abs=0.01
    )


@pytest.mark.django_db
@pytest.mark.parametrize("history_days", [None, 3 * 365])
def test_many_recent_incidents_are_likely_or_almost_certain(world, history_days):
    if history_days:
        old_record(world, history_days)
    now = timezone.now()
    for day in range(3, 63, 5):  # twelve extortions in the last two months
        make_incident(world.users["security_manager"], world.sites["a1"],
                      occurred_at=now - dt.timedelta(days=day))  # fmt: skip
    value, basis = analysis.suggest(world.sites["a1"], "organised_crime", now)
    assert basis["incidents"] == 13
    assert value >= 4
    assert basis["forecast_per_year"] > 1.0


@pytest.mark.django_db
def test_incidents_far_from_the_site_do_not_raise_its_forecast(world):
    old_record(world, 3 * 365)
    now = timezone.now()
    for day in range(3, 63, 5):  # organised crime at Las Bambas, 700 km from Pataz
        make_incident(world.users["security_manager"], world.sites["a2"],
                      occurred_at=now - dt.timedelta(days=day))  # fmt: skip
    value, basis = analysis.suggest(world.sites["a1"], "organised_crime", now)
    far_value, far_basis = analysis.suggest(world.sites["a2"], "organised_crime", now)
    # Pataz keeps its own extortion (plus the forecast's smoothing), far below Las Bambas
    assert basis["forecast_per_year"] < far_basis["forecast_per_year"] / 3
    assert value < far_value


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("recorded_days", "bins"),
    [
        (730, 2),
        (730.01, 2),
        (731, 2),
        (750, 2),
        (800, 3),
        (2 * 365 + 200, 3),
        (400, 2),
        (380, 1),
        (120, 1),
    ],
)
def test_yearly_bins_follow_the_years_on_record_not_the_minutes_since(world, recorded_days, bins):
    # two years of records read a few minutes later are still two years, not a third empty
    # year that would cut the loss model's frequency by a third (CI found it on the demo)
    old_record(world, recorded_days)
    counts, _ = analysis._yearly_counts_and_losses(
        world.sites["a1"], "organised_crime", timezone.now()
    )
    assert len(counts) == bins
