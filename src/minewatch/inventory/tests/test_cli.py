"""``minewatch inventory import-weighings``: named row/column errors, all-or-nothing, --skip-bad."""

from __future__ import annotations

from typer.testing import CliRunner

from minewatch.cli import app
from minewatch.inventory.models import Weighing
from minewatch.inventory.testing import make_chain

runner = CliRunner()
HEADER = "ticket_number,lot,custody_point,weighbridge,truck,weighed_at,wet_tonnes,moisture_pct\n"


def csv_file(tmp_path, made, rows):
    lot = made["lot"]
    lines = [HEADER]
    for ticket, point, bridge, wet, moisture in rows:
        lines.append(f"{ticket},{lot.reference},{point},{made[bridge].code},{lot.truck.plate},"
                     f"{lot.dispatched_at.isoformat()},{wet},{moisture}\n")  # fmt: skip
    path = tmp_path / "tickets.csv"
    path.write_text("".join(lines))
    return path


def run(*args):
    return runner.invoke(app, ["inventory", "import-weighings", *map(str, args)],
                         catch_exceptions=False)  # fmt: skip


ROWS = [("C-1", "weighbridge_out", "mine_bridge", "30.1", "8.0"),
        ("C-2", "weighbridge_in", "port_bridge", "-29.9", "8.0"),
        ("C-3", "final_receipt", "port_bridge", "29.9", "44")]  # fmt: skip


def test_bad_rows_are_named_and_nothing_is_stored(world, tmp_path):
    made = make_chain(world, "a")
    before = Weighing.objects.count()
    result = run(csv_file(tmp_path, made, ROWS), "--user", "a-operator")
    assert result.exit_code == 1
    assert "row 3, column wet_tonnes" in result.output
    assert "row 4, column moisture_pct" in result.output
    assert Weighing.objects.count() == before


def test_skip_bad_stores_good_rows_and_a_second_run_adds_nothing(world, tmp_path):
    made = make_chain(world, "a")
    path = csv_file(tmp_path, made, ROWS)
    result = run(path, "--user", "a-operator", "--skip-bad")
    assert result.exit_code == 0 and "1 created" in result.output
    again = run(path, "--user", "a-operator", "--skip-bad")
    assert "0 created, 1 unchanged" in again.output
    assert Weighing.objects.filter(ticket_number="C-1").count() == 1


def test_missing_column_is_named(world, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("ticket_number,lot\nX,Y\n")
    result = run(path, "--user", "a-operator")
    assert result.exit_code == 2 and "custody_point" in result.output
