"""``minewatch people import`` and ``import-events``: named row/column errors, all-or-nothing,
--skip-bad, idempotent."""

from __future__ import annotations

from typer.testing import CliRunner

from minewatch.cli import app
from minewatch.people.models import AccessEvent, Person, VettingRecord

runner = CliRunner()
HEADER = (
    "name,document_number,role,employer,badge_number,vetting_kind,vetting_date,vetting_result\n"
)
GOOD = ("Carla Ramos,10000011,guard,Org psc,C-11,police_record,2026-01-10,clear\n"
        "Luis Pari,10000012,driver,,,drug_test,2026-02-01,clear\n")  # fmt: skip
BAD = ("Sin Nombre,10000019X,guard,,,,,\n"  # bad DNI
       "Otro,10000013,pilot,,,,,\n"  # unknown role
       "Tercero,10000014,guard,,,polygraph,2026-13-01,clear\n")  # fmt: skip


def run(*args):
    return runner.invoke(app, ["people", *map(str, args)], catch_exceptions=False)


def write(tmp_path, text, name="people.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_people_all_or_nothing_then_skip_bad_then_idempotent(world, tmp_path):
    before = Person.objects.count()
    path = write(tmp_path, HEADER + GOOD + BAD)
    result = run("import", path, "--user", "a-security_manager")
    assert result.exit_code == 1
    assert "row 4, column document_number" in result.output
    assert "row 5, column role" in result.output
    assert "row 6, column vetting_date" in result.output
    assert Person.objects.count() == before
    result = run("import", path, "--user", "a-security_manager", "--skip-bad")
    assert result.exit_code == 0 and "2 created" in result.output
    carla = Person.objects.get(document_number="10000011")
    assert carla.employer == world.orgs["psc"] and carla.badge_number == "C11"
    assert VettingRecord.objects.filter(person=carla, kind="police_record").count() == 1
    again = run("import", write(tmp_path, HEADER + GOOD, "again.csv"), "--user",
                "a-security_manager")  # fmt: skip
    assert again.exit_code == 0 and "2 unchanged" in again.output, again.output
    assert VettingRecord.objects.filter(person=carla).count() == 1


def test_import_people_refuses_bad_columns_and_roles(world, tmp_path):
    result = run("import", write(tmp_path, "name,role\nX,guard\n"), "--user",
                 "a-security_manager")  # fmt: skip
    assert result.exit_code == 2 and "document_number" in result.output
    result = run("import", write(tmp_path, "name,document_number,role,shoe\n"), "--user",
                 "a-security_manager")  # fmt: skip
    assert result.exit_code == 2 and "shoe" in result.output
    result = run("import", write(tmp_path, HEADER + GOOD), "--user", "a-operator")
    assert result.exit_code == 2 and Person.objects.filter(document_number="10000011").count() == 0


def test_import_events(world, gates, tmp_path):
    gate = gates["a1"].pk
    text = ("controller_event_id,time,access_point,direction,credential\n"
            f"e-1,2026-01-05T08:00:00-05:00,{gate},in,A-001\n"
            f"e-2,2026-01-05T08:05:00-05:00,999999,in,A-001\n"
            f"e-3,2026-01-05T08:06:00-05:00,{gate},sideways,A-001\n")  # fmt: skip
    path = write(tmp_path, text, "events.csv")
    result = run("import-events", path, "--user", "a-operator")
    assert result.exit_code == 1 and "row 3, column access_point" in result.output
    assert "row 4, column direction" in result.output
    assert not AccessEvent.objects.filter(controller_event_id="e-1").exists()
    assert run("import-events", path, "--user", "a-operator", "--skip-bad").exit_code == 0
    again = run("import-events", path, "--user", "a-operator", "--skip-bad")
    assert "0 created" in again.output and "1 unchanged" in again.output
    assert AccessEvent.objects.filter(controller_event_id="e-1").count() == 1


def test_import_matches_an_encrypted_person_by_document(world, tmp_path):
    """The document is encrypted at rest: the match goes through its keyed hash."""
    guard = world.extra["people_a"]["guard"]
    before = Person.objects.count()
    text = ("name,document_number,role,phone\n"
            "Juan Quispe M.,10.000.001,guard,+51 911 222 333\n")  # fmt: skip
    result = run("import", write(tmp_path, text), "--user", "a-security_manager")
    assert result.exit_code == 0 and "1 updated" in result.output, result.output
    assert Person.objects.count() == before
    found = Person.objects.get(pk=guard.pk)
    assert (found.name, found.phone) == ("Juan Quispe M.", "+51911222333")
