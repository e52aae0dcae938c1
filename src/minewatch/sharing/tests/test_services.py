"""Exports and imports against a real database: what leaves, what comes in, what never crosses."""

from __future__ import annotations

import csv
import io
import json

import pytest
from stix2validator import ValidationOptions, validate_string
from typer.testing import CliRunner

from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.sharing import queries, services
from minewatch.sharing.engine import acled, tlp
from minewatch.sharing.models import AcledEvent, ExternalIntel, TlpOverride
from minewatch.testing.world import make_incident

runner = CliRunner()


def run(*args: str):
    from minewatch.cli import app

    return runner.invoke(app, ["share", *args])


def test_stix_export_validates_and_leaves_confidential_incidents_and_sources_home(world, tmp_path):
    manager = world.users["security_manager"]
    secret = make_incident(manager, world.sites["a1"], title="Caso reservado Huamán",
                           confidentiality="confidential", incident_type="ambush")  # fmt: skip
    out = tmp_path / "a.json"
    result = run("stix-export", "--org", "Org a", "-o", str(out), "--tlp-ceiling", "red")
    assert result.exit_code == 0, result.output
    text = out.read_text()
    validation = validate_string(text, ValidationOptions(version="2.1"))
    assert validation.is_valid, [str(e) for e in validation.errors]
    bundle = json.loads(text)
    names = {obj.get("name") for obj in bundle["objects"]}
    assert world.incidents["a1"].title in names and "Banda a" in names
    assert secret.title not in text and "Huamán" not in text
    assert "Fuente a-1" not in text  # the protected source never leaves
    assert world.incidents["b1"].title not in names  # another company's incident
    for obj in bundle["objects"]:
        if obj["type"] != "marking-definition":
            assert len(obj["object_marking_refs"]) == 1


def test_tlp_default_and_override_decide_the_marking_and_the_ceiling(world):
    manager = world.users["security_manager"]
    services.save_settings(actor=manager, default_tlp="green")
    services.set_tlp(actor=manager, object_kind="incident", object_id=world.incidents["a2"].pk,
                     tlp="red")  # fmt: skip
    fresh = make_incident(manager, world.sites["a1"], title="Sin marca propia")
    bundle = queries.stix_bundle(world.orgs["a"].pk, queries.ExportScope(tlp_ceiling="amber"))
    incidents = {o["name"]: o for o in bundle["objects"] if o["type"] == "incident"}
    assert world.incidents["a2"].title not in incidents  # red is above the amber ceiling
    assert incidents[fresh.title]["object_marking_refs"] == [tlp.MARKING_IDS["green"]]  # default
    overridden = incidents[world.incidents["a1"].title]["object_marking_refs"]  # world: amber
    assert overridden == [tlp.MARKING_IDS["amber"]]
    assert TlpOverride.objects.filter(organisation=world.orgs["a"]).count() == 2
    with pytest.raises(InvalidInput) as error:
        services.set_tlp(actor=manager, object_kind="incident",
                         object_id=world.incidents["b1"].pk, tlp="red")  # fmt: skip
    assert error.value.field == "object_id"
    with pytest.raises(NotAllowed):
        services.save_settings(actor=world.users["operator"], default_tlp="clear")


def test_stix_import_names_the_unknown_type_dedups_grades_and_links_actors(world, tmp_path):
    bundle = queries.stix_bundle(world.orgs["b"].pk, queries.ExportScope())
    # B's actor "Banda b" is called "Los a" by company A: A's actor has that alias.
    for obj in bundle["objects"]:
        if obj["type"] == "threat-actor" and obj["name"] == "Banda b":
            obj["aliases"] = ["Los a"]
    bundle["objects"].append({"type": "x-unknown-widget", "id": "x-unknown-widget--1"})
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    first = run("stix-import", "--org", "Org a", str(path), "--partner", "Org b",
                "--reliability", "B", "--json")  # fmt: skip
    assert first.exit_code == 1, first.output
    summary = json.loads(first.stdout)
    assert len(summary["errors"]) == 1 and "'x-unknown-widget'" in summary["errors"][0]
    assert summary["created"] >= 3 and summary["linked_actors"] >= 1
    banda_a = world.extra["intel_actors_a"][0]
    linked = ExternalIntel.objects.get(organisation=world.orgs["a"], name="Banda b")
    assert list(linked.actors.all()) == [banda_a] and linked.source_reliability == "B"
    report = ExternalIntel.objects.get(organisation=world.orgs["a"], stix_type="report")
    assert report.information_credibility == "2" and report.grade == "B2"
    again = run("stix-import", "--org", "Org a", str(path), "--partner", "Org b", "--json")
    assert json.loads(again.stdout)["created"] == 0
    assert json.loads(again.stdout)["unchanged"] == summary["created"]
    # Imported into A only: B sees none of A's external intelligence.
    assert (
        not ExternalIntel.objects.visible_to(world.users["b-manager"])
        .filter(organisation=world.orgs["a"])
        .exists()
    )


def test_stix_import_of_something_not_a_bundle_is_refused(world, tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"type": "indicator"}')
    result = run("stix-import", "--org", "Org a", str(path), "--partner", "P")
    assert result.exit_code == 2 and "bundle" in result.output


def test_acled_files_round_trip_through_export_and_import(world, tmp_path):
    out = tmp_path / "acled.csv"
    result = run("acled-export", "--org", "Org a", "-o", str(out), "--precision", "exact")
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == acled.COLUMNS and len(rows) == 2
    by_id = {row["event_id_cnty"]: row for row in rows}
    a1 = world.incidents["a1"]
    row = by_id[f"PER-{a1.reference}"]
    assert (row["event_type"], row["sub_event_type"]) == ("Violence against civilians", "Attack")
    assert row["country"] == "Peru" and row["iso"] == "604"
    events = tmp_path / "events.csv"
    imported = run(
        "acled-import", "--org", "Org b", str(out), "--events-csv", str(events), "--json"
    )
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["created"] == 2
    stored = AcledEvent.objects.get(
        organisation=world.orgs["b"], event_id_cnty=f"PER-{a1.reference}"
    )
    assert (stored.threat, stored.incident_type) == (a1.threat, a1.incident_type)
    assert stored.lat == pytest.approx(a1.lat, abs=1e-4)
    with events.open() as handle:
        backtest = list(csv.DictReader(handle))
    assert {row["threat"] for row in backtest} == {"organised_crime", "social_conflict"}
    again = run("acled-import", "--org", "Org b", str(out), "--json")
    assert json.loads(again.stdout)["updated"] == 2


def test_acled_file_missing_a_column_or_with_bad_rows_is_named(world, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("event_id_cnty,event_date,event_type\nPER1,2026-11-01,Protests\n")
    missing = run("acled-import", "--org", "Org a", str(path))
    assert missing.exit_code == 2 and "missing column(s)" in missing.output
    assert "latitude" in missing.output
    rows = io.StringIO()
    writer = csv.DictWriter(rows, fieldnames=acled.COLUMNS, lineterminator="\n")
    writer.writeheader()
    base = dict.fromkeys(acled.COLUMNS, "") | {
        "event_date": "2026-11-02", "event_type": "Riots", "sub_event_type": "Mob violence",
        "country": "Peru", "latitude": "-14.1", "longitude": "-72.3", "fatalities": "1",
    }  # fmt: skip
    writer.writerow(base | {"event_id_cnty": "PER100"})
    writer.writerow(base | {"event_id_cnty": "PER101", "longitude": "far west"})
    path.write_text(rows.getvalue())
    refused = run("acled-import", "--org", "Org a", str(path))
    assert refused.exit_code == 2 and "line 3" in refused.output and "longitude" in refused.output
    assert not AcledEvent.objects.filter(event_id_cnty__in=["PER100", "PER101"]).exists()
    skipped = run("acled-import", "--org", "Org a", str(path), "--skip-bad", "--json")
    assert skipped.exit_code == 0
    assert json.loads(skipped.stdout)["skipped"] == 1
    stored = AcledEvent.objects.filter(event_id_cnty__in=["PER100", "PER101"])
    assert list(stored.values_list("event_id_cnty", flat=True)) == ["PER100"]


def test_research_export_passes_k_anonymity_and_leaks_nothing_confidential(world, tmp_path):
    manager = world.users["security_manager"]
    site = world.sites["a1"]
    for _ in range(4):  # with the world's a1 incident: five extortions at Pataz this week
        make_incident(manager, site, occurred_at=world.incidents["a1"].occurred_at,
                      title="Extorsión a transportista Quispe")  # fmt: skip
    planted = make_incident(manager, site, title="Denuncia reservada de Mamani",
                            confidentiality="confidential", incident_type="ore_theft",
                            occurred_at=world.incidents["a1"].occurred_at)  # fmt: skip
    for _ in range(5):  # a confidential cell big enough to release, if it leaked
        make_incident(manager, site, confidentiality="confidential", incident_type="ambush",
                      occurred_at=planted.occurred_at)  # fmt: skip
    out = tmp_path / "research.csv"
    result = run("research-export", "--org", "Org a", "-o", str(out), "--k", "5")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    text = out.read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5 and {row["incident_type"] for row in rows} == {"extortion"}
    assert (
        summary["suppressed_cells"] == 1 and summary["suppressed_incidents"] == 1
    )  # a2's blockade
    for needle in ("Quispe", "Mamani", "Fuente a-1", "Pataz", "ambush", "ore_theft", "Org a",
                   str(round(site.lat, 3))):  # fmt: skip
        assert needle not in text
    assert {row["place"] for row in rows} == {f"ubigeo:{world.incidents['a1'].region.ubigeo[:2]}"}
    assert rows[0]["week"].startswith(str(world.incidents["a1"].occurred_at.isocalendar()[0]))


def test_research_export_refuses_k_below_two(world, tmp_path):
    result = run("research-export", "--org", "Org a", "-o", str(tmp_path / "r.csv"), "--k", "1")
    assert result.exit_code == 2 and "k 1" in result.output


def test_a_collection_is_built_once_and_rebuilt_when_its_records_change(world):
    agreement = services.save_agreement(actor=world.users["security_manager"], name="A→B",
                                        partner=world.orgs["b"], threats=["organised_crime"])  # fmt: skip
    first = queries.collection_entries(agreement)
    assert queries.collection_entries(agreement) is first  # cached: no rebuild per TAXII page
    make_incident(
        world.users["security_manager"], world.sites["a2"], title="Cupos en Challhuahuacho"
    )
    second = queries.collection_entries(agreement)
    assert second is not first
    assert "Cupos en Challhuahuacho" in {entry.stix.get("name") for entry in second}
    services.set_tlp(actor=world.users["security_manager"], object_kind="incident",
                     object_id=world.incidents["a1"].pk, tlp="red")  # fmt: skip
    third = queries.collection_entries(agreement)
    assert world.incidents["a1"].title not in {entry.stix.get("name") for entry in third}
