"""``minewatch risk backtest``: CSV and database, bad rows named, --skip-bad counted."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from minewatch.cli import app
from minewatch.risk.cli import resolution_for_cell_size

runner = CliRunner()
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def write_events(path, rows):
    path.write_text("time,lat,lon,threat\n" + "".join(f"{r}\n" for r in rows))
    return path


def good_rows(count=60):
    return [f"{(T0 + dt.timedelta(hours=12 * i)).isoformat()},{-7.73 + (i % 3) * 0.004},"
            f"{-77.53 + (i % 2) * 0.004},organised_crime" for i in range(count)]  # fmt: skip


def test_backtest_on_csv_prints_hit_rate_and_pai_per_method(tmp_path):
    path = write_events(tmp_path / "events.csv", good_rows())
    result = runner.invoke(app, ["risk", "backtest", "--events", str(path), "--start",
                                 "2026-01-20", "--days", "5", "--method", "naive", "--method",
                                 "kde", "--resolution", "9", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body["methods"]) == {"naive", "kde"}
    assert set(body["methods"]["kde"]["hit_rate"]) == {"0.05", "0.10", "0.20"}
    assert body["test_events"] == 10 and body["skipped_rows"] == 0


@pytest.mark.parametrize("bad_row,row,column", [
    ("yesterday,-7.7,-77.5,x", 2, "time"),
    ("2026-01-02T00:00:00+00:00,-97.7,-77.5,x", 2, "lat"),
    ("2026-01-02T00:00:00+00:00,-7.7,,x", 2, "lon"),
])  # fmt: skip
def test_bad_csv_row_stops_with_row_and_column_and_exit_2(tmp_path, bad_row, row, column):
    path = write_events(tmp_path / "bad.csv", [good_rows(1)[0], bad_row])
    result = runner.invoke(app, ["risk", "backtest", "--events", str(path), "--start",
                                 "2026-01-02", "--days", "1"])  # fmt: skip
    assert result.exit_code == 2
    assert f"row {row}" in result.output and f"'{column}'" in result.output


def test_missing_column_is_named(tmp_path):
    path = tmp_path / "missing.csv"
    path.write_text("time,lat\n2026-01-01T00:00:00Z,-7.7\n")
    result = runner.invoke(app, ["risk", "backtest", "--events", str(path), "--start",
                                 "2026-01-02", "--days", "1"])  # fmt: skip
    assert result.exit_code == 2 and "lon" in result.output


def test_skip_bad_counts_skipped_rows(tmp_path):
    path = write_events(
        tmp_path / "mixed.csv", [*good_rows(), "nonsense,1,2,x", "2026-13-01,1,2,x"]
    )
    result = runner.invoke(app, ["risk", "backtest", "--events", str(path), "--start",
                                 "2026-01-20", "--days", "3", "--method", "naive", "--skip-bad",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["skipped_rows"] == 2


def test_events_and_from_db_are_exclusive(tmp_path):
    path = write_events(tmp_path / "events.csv", good_rows())
    neither = runner.invoke(app, ["risk", "backtest", "--start", "2026-01-02", "--days", "1"])
    assert neither.exit_code == 2 and "exactly one" in neither.output
    both = runner.invoke(app, ["risk", "backtest", "--events", str(path), "--from-db", "--start",
                               "2026-01-02", "--days", "1"])  # fmt: skip
    assert both.exit_code == 2 and "exactly one" in both.output


def test_skip_bad_with_from_db_is_an_error_naming_it():
    result = runner.invoke(app, ["risk", "backtest", "--from-db", "--skip-bad", "--start",
                                 "2026-01-02", "--days", "1"])  # fmt: skip
    assert result.exit_code == 2 and "--skip-bad" in result.output


def test_org_without_from_db_is_an_error_naming_it(tmp_path):
    path = write_events(tmp_path / "events.csv", good_rows())
    result = runner.invoke(app, ["risk", "backtest", "--events", str(path), "--org", "Org a",
                                 "--start", "2026-01-20", "--days", "1"])  # fmt: skip
    assert result.exit_code == 2 and "--org" in result.output


@pytest.mark.parametrize("cell_size_m,resolution", [(150, 10), (500, 9), (1000, 8), (3000, 7)])
def test_cell_size_maps_to_nearest_h3_resolution(cell_size_m, resolution):
    assert resolution_for_cell_size(cell_size_m) == resolution


def add_training_incidents(world):
    """Two incidents of company A well before the predicted days (the backtest needs a past)."""
    from minewatch.testing.world import make_incident

    now = dt.datetime.now(dt.UTC)
    for days in (20, 40):
        make_incident(world.users["security_manager"], world.sites["a1"],
                      occurred_at=now - dt.timedelta(days=days))  # fmt: skip


@pytest.mark.django_db
def test_backtest_from_db_uses_the_incidents(world):
    add_training_incidents(world)
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).date().isoformat()
    result = runner.invoke(app, ["risk", "backtest", "--from-db", "--start", start, "--days", "2",
                                 "--method", "naive", "--resolution", "7", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["source"] == "database"
    assert body["study_area"]["cells"] >= 1
    # the world's three incidents (two of company A, one of B) happened two days ago
    assert body["test_events"] == 3


@pytest.mark.django_db
def test_backtest_from_db_for_one_organisation(world):
    add_training_incidents(world)
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).date().isoformat()
    args = ["risk", "backtest", "--from-db", "--start", start, "--days", "2", "--method",
            "naive", "--resolution", "7", "--json"]  # fmt: skip
    result = runner.invoke(app, [*args, "--org", world.orgs["a"].name])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["test_events"] == 2
    unknown = runner.invoke(app, [*args, "--org", "Nobody S.A."])
    assert unknown.exit_code == 2 and "--org" in unknown.output


@pytest.mark.django_db
def test_backtest_from_db_gives_the_mixture_the_geography_as_covariates(world):
    add_training_incidents(world)
    start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).date().isoformat()
    args = ["risk", "backtest", "--from-db", "--start", start, "--days", "2", "--method",
            "mixture", "--resolution", "7"]  # fmt: skip
    body = json.loads(runner.invoke(app, [*args, "--json"]).output)
    assert "routes 1 km" in body["covariates"] and "sites 2 km" in body["covariates"]
    plain = json.loads(runner.invoke(app, [*args, "--json", "--no-covariates"]).output)
    assert plain["covariates"] == []
    text = runner.invoke(app, args)
    assert text.exit_code == 0 and "covariates (mixture): routes 1 km" in text.output


@pytest.mark.django_db
def test_export_events_writes_a_csv_the_backtest_reads_back(world, tmp_path):
    from minewatch.incidents.models import Incident
    from minewatch.risk.engine.events import load_events_csv

    out = tmp_path / "incidents.csv"
    args = ["risk", "export-events", "--out", str(out), "--all-organisations"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    loaded = load_events_csv(out)
    assert loaded.skipped_rows == 0
    assert len(loaded.events) == Incident.objects.count() > 0
    assert sorted(set(loaded.events.threat)) == sorted(
        set(Incident.objects.values_list("threat", flat=True))
    )
    first = Incident.objects.order_by("occurred_at").first()
    assert loaded.events.t_s[0] == pytest.approx(first.occurred_at.timestamp())
    assert out.read_text().splitlines()[0] == "time,lat,lon,threat,type"


@pytest.mark.django_db
def test_export_events_filters_by_threat_and_names_bad_options(world, tmp_path):
    from minewatch.incidents.models import Incident

    threat = Incident.objects.values_list("threat", flat=True).first()
    every = ["risk", "export-events", "--out", "-", "--all-organisations"]
    result = runner.invoke(app, [*every, "--threat", threat])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) - 1 == Incident.objects.filter(threat=threat).count()
    assert all(line.split(",")[3] == threat for line in lines[1:])
    bad = runner.invoke(app, [*every, "--threat", "dragons"])
    assert bad.exit_code == 2 and "--threat" in bad.output
    missing_dir = runner.invoke(
        app, ["risk", "export-events", "--org", "Org a", "--out", str(tmp_path / "no" / "f.csv")]
    )
    assert missing_dir.exit_code == 2 and "--out" in missing_dir.output


@pytest.mark.django_db
def test_export_events_is_scoped_to_one_organisation_without_confidential_incidents(world):
    """Exact coordinates of every company's incidents, confidential ones too, were one
    command away: now --org (or an explicit --all-organisations) is required and only
    internal incidents are written unless --include-confidential is given."""
    from minewatch.incidents.models import Incident
    from minewatch.incidents.services import update_incident

    update_incident(
        world.incidents["a2"], actor=world.users["security_manager"], confidentiality="confidential"
    )

    def rows(*options: str) -> list[list[str]]:
        result = runner.invoke(app, ["risk", "export-events", "--out", "-", *options])
        assert result.exit_code == 0, result.output
        return [line.split(",") for line in result.stdout.strip().splitlines()[1:]]

    def at(incident: Incident) -> list[str]:
        return [f"{incident.lat:.6f}", f"{incident.lon:.6f}"]

    a1, a2, b1 = (world.incidents[key] for key in ("a1", "a2", "b1"))
    assert [row[1:3] for row in rows("--org", "Org a")] == [at(a1)]
    assert sorted(row[1:3] for row in rows("--org", "Org a", "--include-confidential")) == sorted(
        [at(a1), at(a2)]
    )
    everything = rows("--all-organisations")
    assert len(everything) == Incident.objects.filter(confidentiality="internal").count()
    assert at(b1) in [row[1:3] for row in everything] and at(a2) not in [r[1:3] for r in everything]
    for options, message in (
        ((), "--org"),
        (("--org", "Org a", "--all-organisations"), "--org"),
        (("--org", "Nadie S.A."), "no organisation named"),
    ):
        refused = runner.invoke(app, ["risk", "export-events", "--out", "-", *options])
        assert refused.exit_code == 2 and message in refused.output, refused.output
        assert "time,lat,lon" not in refused.stdout


@pytest.mark.django_db
def test_forecast_command_prints_cells_and_the_covariates_it_weighed(world):
    add_training_incidents(world)
    args = ["risk", "forecast", "--days", "30", "--resolution", "6", "--json"]
    body = json.loads(runner.invoke(app, args).output)
    assert body["method"] == "mixture" and body["cells"]
    assert "routes 1 km" in body["covariates"]
    assert body["cells"][0]["expected"] >= body["cells"][-1]["expected"]
    only_b = json.loads(runner.invoke(app, [*args, "--org", world.orgs["b"].name]).output)
    from minewatch.geo.models import Site

    b_sites = list(Site.objects.filter(organisation=world.orgs["b"]))
    # B's incident and B's own places only (the area holds the cells around B's sites)
    assert all(any(abs(c["lat"] - s.lat) < 0.5 and abs(c["lon"] - s.lon) < 0.5 for s in b_sites)
               for c in only_b["cells"])  # fmt: skip
    a1 = world.sites["a1"]
    assert not any(abs(c["lat"] - a1.lat) < 0.2 and abs(c["lon"] - a1.lon) < 0.2
                   for c in only_b["cells"])  # fmt: skip
    text = runner.invoke(app, ["risk", "forecast", "--top", "3", "--resolution", "6"])
    note, *lines = text.output.strip().splitlines()
    assert text.exit_code == 0 and len(lines) == 3
    # too few incidents to weigh the maps on: said, with what replaced the fit (never silent)
    assert note.startswith("mixture: not fitted") and "replaced by equal weights" in note
    bad = runner.invoke(app, ["risk", "forecast", "--threat", "aliens"])
    assert bad.exit_code == 2 and "--threat" in bad.output
