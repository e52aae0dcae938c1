"""Sharing engines on synthetic data: STIX bundle size and time, validation, TAXII paging,
ACLED round trip and the research export's k-anonymity suppression.

Run: ``.venv/bin/python benchmarks/sharing.py [--incidents 2000] [--seed 1]``. Prints
numbers only; nothing is asserted (tests do that).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import time

import numpy as np
from stix2validator import ValidationOptions, validate_string

from minewatch.incidents import taxonomy
from minewatch.sharing.engine import acled, research, stix, taxii

NOW = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    kinds = taxonomy.INCIDENT_TYPES
    actors = [stix.ActorFacts(key=f"actor-{i}", name=f"Banda {i}", kind="criminal_organisation",
                              modified=NOW, tlp="amber") for i in range(50)]  # fmt: skip
    incidents = []
    for i in range(args.incidents):
        kind = kinds[int(rng.integers(len(kinds)))]
        moment = NOW - dt.timedelta(minutes=int(rng.integers(0, 365 * 24 * 60)))
        incidents.append(stix.IncidentFacts(
            key=f"INC-{i}", title=kind.label_en, threat=kind.threat, incident_type=kind.code,
            severity=kind.default_severity, occurred_at=moment, modified=moment,
            lat=float(rng.uniform(-18, -3)), lon=float(rng.uniform(-81, -69)), tlp="green",
            acled_event_type=kind.acled_event_type, acled_sub_event_type=kind.acled_sub_event_type,
            actor_keys=(f"actor-{int(rng.integers(50))}",),
        ))  # fmt: skip
    start = time.perf_counter()
    bundle = stix.build_bundle(producer="Bench", now=NOW, actors=actors, incidents=incidents)
    built_s = time.perf_counter() - start
    text = json.dumps(bundle)
    start = time.perf_counter()
    valid = validate_string(text, ValidationOptions(version="2.1")).is_valid
    validated_s = time.perf_counter() - start
    print(f"STIX: {args.incidents} incidents → {len(bundle['objects'])} objects, "
          f"{len(text) / 1e6:.2f} MB, built in {built_s:.2f} s, validated in {validated_s:.2f} s "
          f"(valid={valid})")  # fmt: skip
    entries = [taxii.Entry(taxii.parse_timestamp(o.get("modified") or o["created"], "t"), o)
               for o in bundle["objects"]]  # fmt: skip
    start = time.perf_counter()
    pages, after = 0, None
    while True:
        page = taxii.page(entries, limit=100, after=after)
        pages += 1
        if not page.more:
            break
        after = page.next
    print(
        f"TAXII: {pages} pages of 100 in {time.perf_counter() - start:.2f} s "
        f"({(time.perf_counter() - start) / pages * 1000:.1f} ms per page, whole collection sorted each time)"
    )
    rows = [acled.AcledIncident(
        reference=f.key, occurred_at=f.occurred_at, time_precision="minute", threat=f.threat,
        incident_type=f.incident_type, event_type=f.acled_event_type,
        sub_event_type=f.acled_sub_event_type, lat=f.lat, lon=f.lon, location_precision="exact",
        location="", admin1="", notes=f.title, fatalities=0, modified=f.modified,
    ) for f in incidents]  # fmt: skip
    handle = io.StringIO()
    start = time.perf_counter()
    acled.write_csv(rows, handle)
    pairs: dict = {}
    for kind in kinds:
        pairs.setdefault((kind.acled_event_type, kind.acled_sub_event_type), set()).add(
            (kind.threat, kind.code)
        )
    parsed = acled.parse_csv(io.StringIO(handle.getvalue()), type_pairs=pairs,
                             known_codes=({t.code for t in taxonomy.THREATS}, set(taxonomy.TYPES_BY_CODE)))  # fmt: skip
    same = sum(
        1
        for a, b in zip(rows, parsed.rows, strict=True)
        if (a.threat, a.incident_type) == (b.threat, b.incident_type)
    )
    print(
        f"ACLED: {len(rows)} rows written and read in {time.perf_counter() - start:.2f} s; "
        f"taxonomy restored on {same}/{len(rows)}"
    )
    facts = [research.ResearchIncident(
        occurred_at=f.occurred_at, lat=f.lat, lon=f.lon, region_ubigeo=f"{int(rng.integers(1, 26)):02d}",
        threat=f.threat, incident_type=f.incident_type, severity=f.severity, fatalities=0,
        injured=0, kidnapped=0,
    ) for f in incidents]  # fmt: skip
    for k in (2, 3, 5, 10):
        for generalisation in ("region", "grid"):
            release = research.anonymise(facts, k=k, generalisation=generalisation, grid_deg=1.0)
            summary = release.summary()
            print(
                f"research k={k:<2} {generalisation:6}: released {summary['released_incidents']:5} "
                f"in {summary['released_cells']:4} cells, suppressed {summary['suppressed_incidents']:5} "
                f"incidents in {summary['suppressed_cells']:5} cells"
            )


if __name__ == "__main__":
    main()
