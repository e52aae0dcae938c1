"""The sharing engines on their own: no database."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from stix2validator import ValidationOptions, validate_string

from minewatch.incidents import taxonomy
from minewatch.sharing.engine import acled, policy, research, stix, stix_import, taxii, tlp

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def type_pairs() -> dict[tuple[str, str], set[tuple[str, str]]]:
    pairs: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for kind in taxonomy.INCIDENT_TYPES:
        pairs.setdefault((kind.acled_event_type, kind.acled_sub_event_type), set()).add(
            (kind.threat, kind.code)
        )
    return pairs


KNOWN = ({t.code for t in taxonomy.THREATS}, set(taxonomy.TYPES_BY_CODE))


def make_bundle() -> dict:
    actor = stix.ActorFacts(key="actor-1", name="Los Pulpos", kind="criminal_organisation",
                            aliases=("Pulpos",), modified=NOW, tlp="amber")  # fmt: skip
    incident = stix.IncidentFacts(
        key="INC-1", title="Extorsión a contratista", threat="organised_crime",
        incident_type="extortion", severity=4, occurred_at=NOW - dt.timedelta(days=2),
        modified=NOW, lat=-7.735, lon=-77.53, tlp="green", weapons=("firearm",),
        modus_operandi_tags=("phone_threat",), assailants_min=2, assailants_max=3,
        acled_event_type="Violence against civilians", acled_sub_event_type="Attack",
        actor_keys=("actor-1",),
    )  # fmt: skip
    report = stix.ReportFacts(
        key="INT-1", title="Cobro de cupos", summary="Nueva exigencia", observed_at=NOW,
        modified=NOW, source_reliability="B", information_credibility="2", lat=-7.7,
        lon=-77.5, tlp="amber+strict", actor_keys=("actor-1",), incident_keys=("INC-1",),
    )  # fmt: skip
    return stix.build_bundle(producer="Org A", now=NOW, actors=[actor], incidents=[incident],
                             reports=[report])  # fmt: skip


def test_exported_bundle_is_valid_under_the_oasis_validator() -> None:
    bundle = make_bundle()
    result = validate_string(json.dumps(bundle), ValidationOptions(version="2.1"))
    assert result.is_valid, [str(error) for error in result.errors]
    types = {obj["type"] for obj in bundle["objects"]}
    assert {"threat-actor", "incident", "report", "location", "sighting", "relationship",
            "identity", "extension-definition", "marking-definition"} <= types  # fmt: skip


def test_every_object_but_marking_definitions_carries_exactly_one_tlp_marking() -> None:
    for obj in make_bundle()["objects"]:
        if obj["type"] == "marking-definition":
            assert (
                obj["id"] in tlp.LEVEL_BY_MARKING_ID.values()
                or obj["id"] in tlp.MARKING_IDS.values()
            )
            continue
        refs = obj.get("object_marking_refs", [])
        assert len(refs) == 1 and refs[0] in tlp.LEVEL_BY_MARKING_ID, obj["id"]


def test_report_carries_admiralty_grade_in_confidence_and_extension() -> None:
    report = next(o for o in make_bundle()["objects"] if o["type"] == "report")
    assert report["confidence"] == 70  # credibility 2 "probably true" (STIX Appendix A)
    assert report["extensions"][stix.ADMIRALTY_EXTENSION_ID]["grade"] == "B2"
    assert report["object_marking_refs"] == [tlp.MARKING_IDS["amber+strict"]]


def test_incident_extension_holds_taxonomy_assailants_weapons_and_modus_operandi() -> None:
    incident = next(o for o in make_bundle()["objects"] if o["type"] == "incident")
    extension = incident["extensions"][stix.INCIDENT_EXTENSION_ID]
    assert extension["threat"] == "organised_crime" and extension["incident_type"] == "extortion"
    assert extension["weapons"] == ["firearm"] and extension["assailants_max"] == 3
    assert extension["modus_operandi_tags"] == ["phone_threat"]


def test_ids_are_stable_across_exports_and_distinct_between_producers() -> None:
    first, second = make_bundle(), make_bundle()
    assert [o["id"] for o in first["objects"]] == [o["id"] for o in second["objects"]]
    assert stix.stix_id("incident", "Org A", "INC-1") != stix.stix_id("incident", "Org B", "INC-1")


def test_naive_datetime_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="occurred_at"):
        stix.build_bundle(producer="A", now=NOW, incidents=[stix.IncidentFacts(
            key="I", title="t", threat="terrorism", incident_type="ambush", severity=5,
            occurred_at=dt.datetime(2026, 1, 1), modified=NOW, lat=0, lon=0, tlp="green",
        )])  # fmt: skip


def test_import_names_an_unknown_type_and_keeps_the_rest() -> None:
    bundle = make_bundle()
    bundle["objects"].append(
        {"type": "x-weird-thing", "id": "x-weird-thing--1", "spec_version": "2.1"}
    )
    parsed = stix_import.parse_bundle(bundle)
    assert len(parsed.errors) == 1 and "'x-weird-thing'" in parsed.errors[0]
    kinds = sorted(obj.stix_type for obj in parsed.objects)
    assert kinds == ["incident", "report", "sighting", "threat-actor"]
    report = next(obj for obj in parsed.objects if obj.stix_type == "report")
    assert report.information_credibility == "2" and report.tlp == "amber+strict"
    assert report.lat == pytest.approx(-7.7)
    incident = next(obj for obj in parsed.objects if obj.stix_type == "incident")
    assert incident.actor_ids and incident.lat == pytest.approx(-7.735)


def test_not_a_bundle_is_a_clear_error() -> None:
    with pytest.raises(stix_import.StixBundleError, match="bundle"):
        stix_import.load('{"type": "indicator"}')


@pytest.mark.parametrize(("level", "ceiling", "expected"), [
    ("clear", "green", True), ("green", "green", True), ("amber", "green", False),
    ("amber+strict", "amber", False), ("red", "red", True),
])  # fmt: skip
def test_tlp_ceiling(level: str, ceiling: str, expected: bool) -> None:
    assert tlp.within_ceiling(level, ceiling) is expected


def test_confidential_never_shared_whatever_the_ceiling() -> None:
    assert not policy.may_share(threat="terrorism", level="clear", ceiling="red",
                                threats=["terrorism"], confidentiality="confidential")  # fmt: skip
    assert (
        policy.effective_tlp(override="clear", default="green", confidentiality="restricted")
        == "amber"
    )


def test_acled_export_then_import_round_trips_taxonomy_and_place() -> None:
    incident = acled.AcledIncident(
        reference="INC-2026-0001", occurred_at=NOW, time_precision="minute", threat="terrorism",
        incident_type="ambush", event_type="Battles", sub_event_type="Armed clash", lat=-12.5,
        lon=-73.9, location_precision="exact", location="Ayacucho", admin1="Ayacucho",
        notes="Emboscada", fatalities=2, modified=NOW,
    )  # fmt: skip
    handle = io.StringIO()
    assert acled.write_csv([incident], handle) == 1
    header = handle.getvalue().splitlines()[0].split(",")
    assert tuple(header) == acled.COLUMNS
    parsed = acled.parse_csv(
        io.StringIO(handle.getvalue()), type_pairs=type_pairs(), known_codes=KNOWN
    )
    assert parsed.errors == []
    (row,) = parsed.rows
    assert (row.threat, row.incident_type, row.fatalities) == ("terrorism", "ambush", 2)
    assert (row.lat, row.lon, row.event_date) == (-12.5, -73.9, NOW.date())


def test_acled_missing_column_is_named() -> None:
    text = "event_id_cnty,event_date,event_type,sub_event_type,country,latitude,fatalities\n"
    with pytest.raises(acled.AcledFileError, match="longitude"):
        acled.parse_csv(io.StringIO(text), type_pairs=type_pairs(), known_codes=KNOWN)


def test_acled_bad_rows_are_named_by_line_and_column() -> None:
    rows = [",".join(acled.COLUMNS)]
    good = {name: "" for name in acled.COLUMNS} | {
        "event_id_cnty": "PER1", "event_date": "15 November 2026", "event_type": "Protests",
        "sub_event_type": "Peaceful protest", "country": "Peru", "latitude": "-14.0",
        "longitude": "-72.3", "fatalities": "0",
    }  # fmt: skip
    rows.append(",".join(good[name] for name in acled.COLUMNS))
    bad = good | {"event_id_cnty": "PER2", "latitude": "north", "event_type": "Parade"}
    rows.append(",".join(bad[name] for name in acled.COLUMNS))
    parsed = acled.parse_csv(
        io.StringIO("\n".join(rows) + "\n"), type_pairs=type_pairs(), known_codes=KNOWN
    )
    assert len(parsed.rows) == 1 and parsed.rows[0].threat == "social_conflict"
    (error,) = parsed.errors
    assert (
        error.startswith("line 3:") and "column latitude" in error and "column event_type" in error
    )


def _research_incident(
    day: int, lat: float = -7.7, kind: str = "extortion"
) -> research.ResearchIncident:
    return research.ResearchIncident(
        occurred_at=NOW + dt.timedelta(days=day), lat=lat, lon=-77.5, region_ubigeo="13",
        threat="organised_crime", incident_type=kind, severity=3, fatalities=0, injured=0,
        kidnapped=0,
    )  # fmt: skip


def test_research_cells_under_k_are_suppressed_and_counted() -> None:
    incidents = [_research_incident(0) for _ in range(5)] + [
        _research_incident(0, kind="ore_theft")
    ]
    release = research.anonymise(incidents, k=5)
    assert len(release.rows) == 5 and release.suppressed_cells == 1
    assert release.suppressed_incidents == 1
    assert research.smallest_cell(release.rows) >= 5
    assert set(release.rows[0]) == {"place", "week", "week_start", "threat", "incident_type",
                                     "severity", "fatalities", "injured", "kidnapped"}  # fmt: skip


def test_research_grid_generalisation_and_week() -> None:
    release = research.anonymise([_research_incident(0) for _ in range(3)], k=3,
                                 generalisation="grid", grid_deg=0.5)  # fmt: skip
    assert release.rows[0]["place"] == "grid:0.5:-8:-77.5"
    assert release.rows[0]["week"] == "2026-W47" and release.rows[0]["week_start"] == "2026-11-16"
    with pytest.raises(ValueError, match="k 1"):
        research.anonymise([], k=1)


def test_taxii_paging_filters_and_continues_without_repeats() -> None:
    entries = [taxii.Entry(NOW + dt.timedelta(minutes=i),
                           {"id": f"incident--{i:04d}", "type": "incident" if i % 2 else "location"})
               for i in range(10)]  # fmt: skip
    seen, after = [], None
    while True:
        page = taxii.page(entries, types={"incident"}, limit=2, after=after)
        seen += [entry.id for entry in page.entries]
        if not page.more:
            break
        after = page.next
    assert seen == [f"incident--{i:04d}" for i in range(1, 10, 2)]
    later = taxii.page(entries, added_after=NOW + dt.timedelta(minutes=7))
    assert [entry.id for entry in later.entries] == ["incident--0008", "incident--0009"]
    with pytest.raises(ValueError, match="limit"):
        taxii.page(entries, limit=0)


def test_generalised_points() -> None:
    assert policy.generalise_point(-7.7351, -77.5312, "approximate") == (-7.74, -77.53)
    assert policy.generalise_point(-7.7351, -77.5312, "coarse") == (-7.75, -77.75)


def test_engines_do_not_import_django() -> None:
    import subprocess
    import sys

    code = (
        "import importlib, pkgutil, sys\n"
        "import minewatch.sharing.engine as package\n"
        "for module in pkgutil.iter_modules(package.__path__):\n"
        "    importlib.import_module(f'minewatch.sharing.engine.{module.name}')\n"
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_malformed_objects_are_named_never_a_crash() -> None:
    bundle = {"type": "bundle", "objects": [
        {"type": ["threat-actor"], "id": "threat-actor--1"},
        {"type": "report", "id": "report--1", "name": "R", "modified": "2026-01-01T00:00:00Z",
         "object_refs": 7, "extensions": [], "object_marking_refs": 3},
        {"type": "relationship", "id": "relationship--1", "source_ref": {}, "target_ref": []},
        {"type": "incident", "id": "incident--1", "name": "I", "modified": "not a time"},
        "not an object",
    ]}  # fmt: skip
    parsed = stix_import.parse_bundle(bundle)
    assert [obj.stix_id for obj in parsed.objects] == ["report--1"]
    assert len(parsed.errors) == 3
    assert any("incident--1" in error and "modified" in error for error in parsed.errors)
