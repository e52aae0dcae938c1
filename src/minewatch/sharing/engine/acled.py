"""ACLED's column layout: incidents out as ACLED rows, an ACLED file in as events.

ACLED (Armed Conflict Location & Event Data) publishes one row per event in the
columns of :data:`COLUMNS` (ACLED Codebook 2023, "Data columns"). Export maps each
MineWatch incident through the taxonomy's ACLED event and sub-event types
(``incidents/taxonomy.py``); import reads a file a user downloaded from ACLED (or one
MineWatch wrote) and names every bad row and column.

Conventions of our rows (docs/sharing.md, "ACLED"):

* ``event_id_cnty`` is ``PER-`` + the incident reference, so it never collides with an
  ACLED id (ACLED's are ``PER`` + digits);
* ``tags`` carries ``minewatch:threat=…; minewatch:type=…`` so a round trip restores the
  taxonomy exactly; ACLED's own rows have no such tag and get their threat from the
  event type where that is unambiguous;
* ``inter1``/``inter2`` use ACLED's numeric actor codes (1 state forces … 8 external).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip
# The columns an import cannot do without; ACLED's other columns (and any extra) are optional.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "event_type", "sub_event_type", "country", "latitude",
    "longitude", "fatalities",
)  # fmt: skip
EVENT_TYPES: tuple[str, ...] = (
    "Battles", "Violence against civilians", "Explosions/Remote violence", "Riots",
    "Protests", "Strategic developments",
)  # fmt: skip

PERU_ISO = 604
# ACLED inter codes (Codebook 2023, "Actor types").
INTER_REBEL, INTER_MILITIA, INTER_RIOTERS, INTER_PROTESTERS, INTER_CIVILIANS, INTER_OTHER = (
    2, 3, 5, 6, 7, 8,
)  # fmt: skip
# Our location precision → ACLED geo_precision (1 exact town, 2 near / district, 3 region).
GEO_PRECISION = {"exact": 1, "approximate": 1, "district": 2, "region": 3}
# Our time precision → ACLED time_precision (1 day, 2 week, 3 month).
TIME_PRECISION = {"minute": 1, "hour": 1, "day": 1, "month": 3}
TAG_PREFIX = "minewatch:"
MAX_ID_CHARS = 64
# No event in ACLED's history comes near; a larger number is a typo or a broken file.
MAX_FATALITIES = 100_000


class AcledFileError(ValueError):
    """The file as a whole cannot be read (no header, a required column missing)."""


@dataclass(frozen=True)
class AcledIncident:
    """What an incident contributes to one ACLED row (already limited to what may be shared)."""

    reference: str
    occurred_at: dt.datetime
    time_precision: str
    threat: str
    incident_type: str
    event_type: str
    sub_event_type: str
    lat: float
    lon: float
    location_precision: str
    location: str
    admin1: str
    notes: str
    fatalities: int
    modified: dt.datetime
    actors: tuple[str, ...] = ()


@dataclass(frozen=True)
class AcledEventRow:
    """One valid imported row."""

    event_id_cnty: str
    event_date: dt.date
    event_type: str
    sub_event_type: str
    actor1: str
    actor2: str
    country: str
    admin1: str
    admin2: str
    admin3: str
    location: str
    lat: float
    lon: float
    fatalities: int
    notes: str
    source: str
    threat: str
    incident_type: str
    raw: dict[str, str]


@dataclass
class AcledParseResult:
    """Valid rows and, per bad row, its line number and the problems naming the column."""

    rows: list[AcledEventRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _disorder_type(event_type: str, sub_event_type: str) -> str:
    if event_type == "Protests":
        return "Demonstrations"
    if event_type == "Riots":
        return (
            "Political violence; Demonstrations"
            if sub_event_type == "Violent demonstration"
            else "Political violence"
        )
    if event_type == "Strategic developments":
        return "Strategic developments"
    return "Political violence"


def _actors(incident: AcledIncident) -> tuple[str, int, str, str, int]:
    """(actor1, inter1, actor2, assoc_actor_2, inter2) in ACLED's naming style."""
    if incident.event_type == "Protests":
        return "Protesters (Peru)", INTER_PROTESTERS, "", "", 0
    if incident.event_type == "Riots":
        return (
            "Rioters (Peru)",
            INTER_RIOTERS,
            "Civilians (Peru)",
            "Mining Workers (Peru)",
            INTER_CIVILIANS,
        )
    named = "; ".join(incident.actors)
    inter1 = INTER_REBEL if incident.threat == "terrorism" else INTER_MILITIA
    actor1 = named or "Unidentified Armed Group (Peru)"
    if incident.event_type == "Battles":
        return actor1, inter1, "Private Security Forces (Peru)", "", INTER_OTHER
    return actor1, inter1, "Civilians (Peru)", "Mining Workers (Peru)", INTER_CIVILIANS


def export_row(incident: AcledIncident) -> dict[str, str]:
    """One incident as an ACLED row (every value a string, in :data:`COLUMNS` order)."""
    occurred = incident.occurred_at.astimezone(dt.UTC)
    actor1, inter1, actor2, assoc2, inter2 = _actors(incident)
    interaction = int(f"{min(inter1, inter2)}{max(inter1, inter2)}") if inter2 else inter1 * 10
    values: dict[str, object] = {
        "event_id_cnty": f"PER-{incident.reference}", "event_date": occurred.date().isoformat(),
        "year": occurred.year, "time_precision": TIME_PRECISION.get(incident.time_precision, 1),
        "disorder_type": _disorder_type(incident.event_type, incident.sub_event_type),
        "event_type": incident.event_type, "sub_event_type": incident.sub_event_type,
        "actor1": actor1, "assoc_actor_1": "", "inter1": inter1, "actor2": actor2,
        "assoc_actor_2": assoc2, "inter2": inter2 or "", "interaction": interaction,
        "civilian_targeting": "Civilian targeting"
        if incident.event_type == "Violence against civilians" else "",
        "iso": PERU_ISO, "region": "South America", "country": "Peru",
        "admin1": incident.admin1, "admin2": "", "admin3": "", "location": incident.location,
        "latitude": f"{incident.lat:.4f}", "longitude": f"{incident.lon:.4f}",
        "geo_precision": GEO_PRECISION.get(incident.location_precision, 1),
        "source": "MineWatch", "source_scale": "Other", "notes": incident.notes,
        "fatalities": incident.fatalities,
        "tags": f"{TAG_PREFIX}threat={incident.threat}; {TAG_PREFIX}type={incident.incident_type}",
        "timestamp": int(incident.modified.timestamp()),
    }  # fmt: skip
    return {name: str(values[name]) for name in COLUMNS}


def write_csv(incidents: Iterable[AcledIncident], handle: io.TextIOBase) -> int:
    """Write ACLED rows of ``incidents`` to ``handle``; the number of rows written."""
    writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for incident in incidents:
        writer.writerow(export_row(incident))
        count += 1
    return count


def _parse_date(text: str) -> dt.date:
    for layout in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), layout).replace(tzinfo=dt.UTC).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (expected YYYY-MM-DD or '15 November 2026')")


def _parse_tags(tags: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in tags.split(";"):
        part = part.strip()
        if part.startswith(TAG_PREFIX) and "=" in part:
            key, _sep, value = part[len(TAG_PREFIX) :].partition("=")
            found[key.strip()] = value.strip()
    return found


def threat_for(event_type: str, sub_event_type: str,
               type_pairs: dict[tuple[str, str], set[tuple[str, str]]]) -> tuple[str, str]:  # fmt: skip
    """(threat, incident_type) for an ACLED type pair when the taxonomy makes it unambiguous.

    ``type_pairs`` maps (event_type, sub_event_type) to the (threat, type) codes mapped to
    it. Protests and riots are social conflict whatever the sub-type; otherwise an
    ambiguous pair gives ``("", "")`` (the backtest then uses the event without a threat).
    """
    matches = type_pairs.get((event_type, sub_event_type), set())
    threats = {threat for threat, _type in matches}
    if len(matches) == 1:
        return next(iter(matches))
    if len(threats) == 1:
        return next(iter(threats)), ""
    if event_type in ("Protests", "Riots"):
        return "social_conflict", ""
    return "", ""


def _parse_row(record: dict[str, str], type_pairs: dict[tuple[str, str], set[tuple[str, str]]],
               known_codes: tuple[set[str], set[str]]) -> tuple[AcledEventRow | None, list[str]]:  # fmt: skip
    problems: list[str] = []

    def text(name: str) -> str:
        return (record.get(name) or "").strip()

    def number(name: str, low: float, high: float) -> float:
        try:
            value = float(text(name))
        except ValueError:
            problems.append(f"column {name}: {text(name)!r} is not a number")
            return 0.0
        if not low <= value <= high:
            problems.append(f"column {name}: {value} is outside {low}..{high}")
        return value

    event_id = text("event_id_cnty")
    if not event_id:
        problems.append("column event_id_cnty: empty")
    elif len(event_id) > MAX_ID_CHARS:
        problems.append(f"column event_id_cnty: longer than {MAX_ID_CHARS} characters")
    try:
        event_date = _parse_date(text("event_date"))
    except ValueError as exc:
        problems.append(f"column event_date: {exc}")
        event_date = dt.date(1970, 1, 1)
    event_type = text("event_type")
    if event_type not in EVENT_TYPES:
        problems.append(f"column event_type: {event_type!r} is not an ACLED event type")
    lat, lon = number("latitude", -90, 90), number("longitude", -180, 180)
    try:
        fatalities = int(text("fatalities") or "0")
        if not 0 <= fatalities <= MAX_FATALITIES:
            raise ValueError
    except ValueError:
        problems.append(
            f"column fatalities: {text('fatalities')!r} is not a whole number 0..{MAX_FATALITIES}"
        )
        fatalities = 0
    if problems:
        return None, problems
    tags = _parse_tags(text("tags"))
    threats, types = known_codes
    if tags.get("threat") in threats and tags.get("type", "") in types | {""}:
        threat, incident_type = tags["threat"], tags.get("type", "")
    else:
        threat, incident_type = threat_for(event_type, text("sub_event_type"), type_pairs)
    return AcledEventRow(
        event_id_cnty=event_id, event_date=event_date, event_type=event_type,
        sub_event_type=text("sub_event_type"), actor1=text("actor1"), actor2=text("actor2"),
        country=text("country"), admin1=text("admin1"), admin2=text("admin2"),
        admin3=text("admin3"), location=text("location"), lat=lat, lon=lon,
        fatalities=fatalities, notes=text("notes"), source=text("source"), threat=threat,
        incident_type=incident_type, raw={name: record.get(name) or "" for name in COLUMNS},
    ), []  # fmt: skip


def parse_csv(handle: io.TextIOBase, *, type_pairs: dict[tuple[str, str], set[tuple[str, str]]],
              known_codes: tuple[set[str], set[str]]) -> AcledParseResult:  # fmt: skip
    """Read an ACLED CSV: valid rows, and one error per bad row naming its line and columns.

    Raises :class:`AcledFileError` when the header lacks a required column (named).
    A repeated ``event_id_cnty`` in the file is an error on the later row.
    """
    reader = csv.DictReader(handle)
    header = [name.strip() for name in reader.fieldnames or []]
    if not header:
        raise AcledFileError("the file is empty or has no header row")
    reader.fieldnames = header
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise AcledFileError(f"missing column(s): {', '.join(missing)}")
    result = AcledParseResult()
    seen: set[str] = set()
    for line, record in _numbered(reader):
        row, problems = _parse_row(record, type_pairs, known_codes)
        if row is not None and row.event_id_cnty in seen:
            problems, row = (
                [f"column event_id_cnty: {row.event_id_cnty!r} repeats an earlier row"],
                None,
            )
        if row is None:
            result.errors.append(f"line {line}: " + "; ".join(problems))
            continue
        seen.add(row.event_id_cnty)
        result.rows.append(row)
    return result


def _numbered(reader: csv.DictReader) -> Iterator[tuple[int, dict[str, str]]]:
    for record in reader:
        yield reader.line_num, record


def backtest_rows(rows: Iterable[AcledEventRow]) -> Iterator[list[str]]:
    """Rows of the forecast backtest CSV (``time, lat, lon, threat, type``) for ACLED events.

    ACLED dates are days: each event is placed at 12:00 UTC of its day.
    """
    for row in rows:
        moment = dt.datetime.combine(row.event_date, dt.time(12), tzinfo=dt.UTC)
        yield [moment.isoformat().replace("+00:00", "Z"), f"{row.lat:.6f}", f"{row.lon:.6f}",
               row.threat, row.incident_type]  # fmt: skip
