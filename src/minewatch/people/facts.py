"""What an access-event batch must know of the people behind credentials, kept between batches.

A batch of 500 events spent about a third of its time reading and judging the holders: their
vetting, training, licences and assignments in four queries, thousands of encrypted vetting
results decrypted, the vetting engine run for each (docs/people.md "Numbers"). Those records
change a few times a day; gates send passes all day. So the facts — who holds a credential,
whether they are cleared today, their shifts — are kept in memory here.

They are valid while a token in the database is unchanged. Triggers on every table the facts
come from (``people_facts_token``, migration 0007: people, the people settings, vetting,
training, licences, assignments, credentials) replace the token on every insert, update,
delete and truncate, in the writer's own transaction, whatever wrote it: a service, a bulk
update, a restore, another process, SQL typed by hand. Django signals would miss the bulk
updates and every other process, hence triggers.

* The token is random, not a counter: a rolled-back change would take a counter back to a
  value that the next change reuses with other data; a random token never comes back.
* The token is read before the facts: facts read after it are never older than it (a newer
  change meanwhile only means a miss at the next batch).
* A reader that sees a new token starts a new generation of the cache instead of clearing
  the old one, so a slower reader still filling the old generation cannot put stale facts
  under the new token.
* Facts about "today" (an expiry) belong to the day they were judged: a new day is a new
  generation.
* When the triggers are not all in place (a migration that rebuilt a table drops a SQLite
  table's triggers) nothing is cached: every batch reads everything, as before, and the
  error is logged once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from minewatch.people.choices import PersonStatus
from minewatch.people.engine import anomalies as anomaly_engine
from minewatch.people.engine.vetting import Record, requirements_for, vetting_status
from minewatch.people.models import (
    Assignment,
    Credential,
    Licence,
    PeopleSettings,
    Person,
    TrainingRecord,
    VettingRecord,
)

logger = logging.getLogger("minewatch.people")

# The models whose tables carry the triggers (migration 0007 names the same ones).
WATCHED = (Person, PeopleSettings, VettingRecord, TrainingRecord, Licence, Assignment, Credential)
# A generation holding this many entries (mostly credentials nobody holds, as a scanner
# probing random codes would send) is dropped for a fresh one: memory stays bounded.
MAX_ENTRIES = 200_000


@dataclass(frozen=True)
class CredentialFacts:
    """A credential on file: what kind, whose, and its validity window."""

    pk: int
    kind: str
    person_id: int | None
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    revoked_at: dt.datetime | None

    def state(self, at: dt.datetime) -> str:
        return anomaly_engine.credential_state(at, self.valid_from, self.valid_until,
                                               self.revoked_at)  # fmt: skip


@dataclass(frozen=True)
class HolderFacts:
    """A person as the gate judges them on one day."""

    organisation_id: int
    is_synthetic: bool
    cleared: bool
    shifts: tuple[anomaly_engine.Shift, ...]


@dataclass
class _Generation:
    token: str | None  # None: a throw-away generation (no token, or the triggers are missing)
    day: dt.date
    credentials: dict[tuple[int, str], CredentialFacts | None] = field(default_factory=dict)
    people_by_key: dict[tuple[int, str], int | None] = field(default_factory=dict)
    holders: dict[int, HolderFacts] = field(default_factory=dict)
    settings: dict[int, PeopleSettings] = field(default_factory=dict)

    def size(self) -> int:
        return len(self.credentials) + len(self.people_by_key) + len(self.holders)


_lock = threading.Lock()
_current: _Generation | None = None
_trigger_checks: dict[tuple[str, str], bool] = {}


def _token() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM people_facts_token WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def triggers_missing() -> list[str]:
    """The watched tables without their trigger on this database (empty: all in place)."""
    tables = {model._meta.db_table for model in WATCHED}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'people_facts_changed' AND t.tgenabled <> 'D'"
            )
            found = {row[0] for row in cursor.fetchall()}
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'people_facts_%' GROUP BY tbl_name HAVING count(*) = 3"
            )
            found = {row[0] for row in cursor.fetchall()}
    return sorted(tables - found)


def _triggers_in_place() -> bool:
    key = (connection.vendor, str(connection.settings_dict.get("NAME")))
    known = _trigger_checks.get(key)
    if known is None:
        missing = triggers_missing()
        if missing:
            logger.error(
                "people facts are read for every batch: tables without their change trigger: "
                "%s (run 'minewatch migrate'; a migration that rebuilt them dropped them)",
                ", ".join(missing),
            )
        known = _trigger_checks[key] = not missing
    return known


def generation(day: dt.date) -> _Generation:
    """The cache generation valid now on this connection (call it inside the transaction
    that will use the facts, before reading them)."""
    global _current
    token = _token() if _triggers_in_place() else None
    if token is None:
        return _Generation(None, day)
    with _lock:
        found = _current
        if found is None or found.token != token or found.day != day or (
            found.size() > MAX_ENTRIES
        ):  # fmt: skip
            found = _current = _Generation(token, day)
        return found


def settings_for(gen: _Generation, organisation_ids: Iterable[int]) -> dict[int, PeopleSettings]:
    """Each organisation's people settings (its defaults when it saved none)."""
    wanted = set(organisation_ids) - set(gen.settings)
    if wanted:
        saved = {c.organisation_id: c
                 for c in PeopleSettings.objects.filter(organisation_id__in=wanted)}  # fmt: skip
        for org_id in wanted:
            gen.settings[org_id] = saved.get(org_id) or PeopleSettings(organisation_id=org_id)
    return {org_id: gen.settings[org_id] for org_id in organisation_ids}


def credentials(gen: _Generation,
                keys: set[tuple[int, str]]) -> dict[tuple[int, str], CredentialFacts]:  # fmt: skip
    """The credentials on file among ``(organisation id, normalised value)`` keys."""
    missing = keys - set(gen.credentials)
    if missing:
        for key in missing:
            gen.credentials[key] = None
        rows = Credential.objects.filter(
            organisation_id__in={org for org, _value in missing},
            value__in={value for _org, value in missing},
        ).values_list("organisation_id", "value", "pk", "kind", "person_id", "valid_from",
                      "valid_until", "revoked_at")  # fmt: skip
        for org_id, value, *facts in rows:
            if (org_id, value) in missing:
                gen.credentials[(org_id, value)] = CredentialFacts(*facts)
    return {key: found for key in keys if (found := gen.credentials[key]) is not None}


def people_by_key(gen: _Generation, keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The people known by badge or document number among ``(organisation id, key)``; with
    several matches the first by name wins. The document number is matched through its
    keyed hash (core/fields.py), so nothing is decrypted."""
    from minewatch.core import crypto

    missing = keys - set(gen.people_by_key)
    if missing:
        for key in missing:
            gen.people_by_key[key] = None
        hashes = {crypto.lookup_hash(value): value for _org, value in missing}
        rows = Person.objects.filter(
            Q(badge_number__in={value for _org, value in missing})
            | Q(document_number_hash__in=set(hashes)),
            organisation_id__in={org for org, _value in missing},
        ).values_list("pk", "organisation_id", "badge_number", "document_number_hash")  # fmt: skip
        for pk, org_id, badge, document_hash in rows:  # Person.Meta.ordering: by name
            for value in (badge, hashes.get(document_hash)):
                key = (org_id, value)
                if key in missing and gen.people_by_key[key] is None:
                    gen.people_by_key[key] = pk
    return {key: pk for key in keys if (pk := gen.people_by_key[key]) is not None}


def holders(gen: _Generation, person_ids: Iterable[int]) -> dict[int, HolderFacts]:
    """Each person's facts on the generation's day: cleared by their own company's settings
    (as ``queries.status_of``) and their active shifts; the records of the people not yet
    known are read in five queries."""
    wanted = set(person_ids)
    missing = list(wanted - set(gen.holders))
    if missing:
        gen.holders.update(_judge(gen, missing))
    return {pk: gen.holders[pk] for pk in wanted if pk in gen.holders}


def _judge(gen: _Generation, ids: list[int]) -> dict[int, HolderFacts]:
    people = {pk: (org_id, role, status, synthetic) for pk, org_id, role, status, synthetic
              in Person.objects.filter(pk__in=ids).values_list(
                  "pk", "organisation_id", "role", "status", "is_synthetic")}  # fmt: skip
    ids = list(people)
    vetting: dict[int, list[Record]] = {pk: [] for pk in ids}
    training: dict[int, list[Record]] = {pk: [] for pk in ids}
    licences: dict[int, list[Record]] = {pk: [] for pk in ids}
    shifts: dict[int, list[anomaly_engine.Shift]] = {pk: [] for pk in ids}
    rows = VettingRecord.objects.filter(person_id__in=ids).values_list(
        "person_id", "kind", "date", "result", "expires_on")  # fmt: skip
    for pk, kind, on, outcome, expires_on in rows:
        vetting[pk].append(Record(kind, on, outcome, expires_on))
    rows = TrainingRecord.objects.filter(person_id__in=ids).values_list(
        "person_id", "kind", "date", "expires_on")  # fmt: skip
    for pk, kind, on, expires_on in rows:
        training[pk].append(Record(kind, on, "clear", expires_on))
    rows = Licence.objects.filter(person_id__in=ids).values_list(
        "person_id", "issued_on", "expires_on")  # fmt: skip
    for pk, on, expires_on in rows:
        licences[pk].append(Record("licence", on, "clear", expires_on))
    rows = Assignment.objects.filter(person_id__in=ids, is_active=True).values_list(
        "person_id", "site_id", "shift_start", "shift_end")  # fmt: skip
    for pk, site_id, start, end in rows:
        shifts[pk].append(anomaly_engine.Shift(site_id, start, end))
    configs = settings_for(gen, {org_id for org_id, *_rest in people.values()})
    facts = {}
    for pk, (org_id, role, status, synthetic) in people.items():
        config = configs[org_id]
        req = requirements_for(role, config.required_vetting, config.required_training,
                               config.validity_days)  # fmt: skip
        judged = vetting_status(req, today=gen.day, warn_days=config.warn_days,
                                vetting=vetting[pk], training=training[pk],
                                licences=licences[pk])  # fmt: skip
        facts[pk] = HolderFacts(org_id, synthetic, status == PersonStatus.ACTIVE and judged.cleared,
                                tuple(shifts[pk]))  # fmt: skip
    return facts
