"""Holder facts kept between batches (people/facts.py): never stale, whatever changed them.

Each change below is made the way the cache could miss it: through a service, a bulk
``update()`` (no signal), ``bulk_create`` and SQL typed by hand (as another process would);
the next batch must judge the holder by the change. Run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from minewatch.core import crypto
from minewatch.people import facts, services, validation
from minewatch.people.models import Assignment, Credential, Person, VettingRecord
from minewatch.people.tests.test_access_events import at, event


def kinds_of(world, gate, event_id, credential="A-001", **values):
    outcome = services.record_access_events(
        actor=world.users["operator"], events=[event(gate, event_id, credential, **values)]
    )
    return sorted(a.kind for a in outcome.stored[0].anomalies.all())


def warm(world, gate, prefix):
    """Two passes of the cleared guard (in, out): normal, and the facts are now cached."""
    assert kinds_of(world, gate, f"{prefix}-in", time=at(7)) == []
    assert kinds_of(world, gate, f"{prefix}-out", direction="out", time=at(7, 30)) == []
    assert facts._current is not None and facts._current.holders


def test_the_watched_tables_all_carry_their_trigger(db):
    assert facts.triggers_missing() == []


def test_a_suspension_by_bulk_update_is_seen_by_the_next_batch(world, gates):
    gate, guard = gates["a1"], world.extra["people_a"]["guard"]
    warm(world, gate, "w")
    Person.objects.filter(pk=guard.pk).update(status="suspended")  # no signal, no service
    assert kinds_of(world, gate, "after", time=at(8)) == ["not_cleared"]


def test_a_failed_check_added_in_bulk_is_seen(world, gates):
    gate, guard = gates["a1"], world.extra["people_a"]["guard"]
    warm(world, gate, "w")
    VettingRecord.objects.bulk_create([VettingRecord(
        person=guard, kind="polygraph", date=timezone.localdate(), result="failed")])  # fmt: skip
    assert kinds_of(world, gate, "after", time=at(8)) == ["not_cleared"]


def test_an_assignment_removed_by_sql_typed_by_hand_is_seen(world, gates):
    gate, guard = gates["a1"], world.extra["people_a"]["guard"]
    warm(world, gate, "w")
    table = connection.ops.quote_name(Assignment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE person_id = %s", [guard.pk])  # noqa: S608
    assert kinds_of(world, gate, "after", time=at(8)) == ["not_assigned"]


def test_a_credential_revoked_by_bulk_update_is_seen(world, gates):
    gate = gates["a1"]
    Credential.objects.filter(value=validation.lookup_key("QR-A-1")).update(valid_from=timezone.now() - dt.timedelta(
        hours=1))  # fmt: skip
    recently = [(timezone.now() - dt.timedelta(minutes=m)).isoformat() for m in (30, 20, 10)]
    assert kinds_of(world, gate, "q-in", credential="QR-A-1", time=recently[0]) == []
    assert kinds_of(world, gate, "q-out", credential="QR-A-1", direction="out",
                    time=recently[1]) == []  # fmt: skip
    Credential.objects.filter(value=validation.lookup_key("QR-A-1")).update(revoked_at=timezone.now() - dt.timedelta(
        minutes=15))  # fmt: skip
    assert kinds_of(world, gate, "q-after", credential="QR-A-1", time=recently[2]) == [
        "revoked_credential"]  # fmt: skip


def test_a_badge_given_to_someone_else_is_seen(world, gates):
    gate, staff = gates["a1"], world.extra["people_a"]["staff"]
    warm(world, gate, "w")
    badge = validation.lookup_key("A-001")  # as services store it
    Person.objects.filter(badge_number=badge).update(badge_number="AOLD")
    Person.objects.filter(pk=staff.pk).update(badge_number=badge)
    stored = services.record_access_events(actor=world.users["operator"],
                                           events=[event(gate, "after", time=at(8))]).stored[0]  # fmt: skip
    assert stored.person_id == staff.pk


def test_a_new_day_judges_expiries_again(world, gates, monkeypatch):
    gate, guard = gates["a1"], world.extra["people_a"]["guard"]
    VettingRecord.objects.filter(person=guard, kind="police_record").update(
        expires_on=timezone.localdate())  # valid today, expired tomorrow  # fmt: skip
    warm(world, gate, "w")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert kinds_of(world, gate, "after", time=at(8)) == ["not_cleared"]


def test_a_rolled_back_change_never_leaves_its_facts_behind(world, gates):
    from django.db import transaction

    gate, guard = gates["a1"], world.extra["people_a"]["guard"]
    warm(world, gate, "w")
    with pytest.raises(RuntimeError), transaction.atomic():
        Person.objects.filter(pk=guard.pk).update(status="suspended")
        assert kinds_of(world, gate, "inside", time=at(8)) == ["not_cleared"]
        raise RuntimeError("rolled back")
    assert kinds_of(world, gate, "after", direction="out", time=at(8, 30)) == []


def test_without_the_triggers_nothing_is_cached(world, gates, monkeypatch, caplog):
    gate, guard = gates["a1"], world.extra["people_a"]["guard"]
    table = Person._meta.db_table
    with connection.cursor() as cursor:  # undone with the test's transaction
        if connection.vendor == "postgresql":
            cursor.execute(f'DROP TRIGGER people_facts_changed ON "{table}"')
        else:
            cursor.execute(f'DROP TRIGGER "people_facts_{table}_update"')
    monkeypatch.setattr(facts, "_trigger_checks", {})
    with caplog.at_level("ERROR", logger="minewatch.people"):
        warm(world, gate, "w")
    assert "without their change trigger: people_person" in caplog.text
    assert facts.generation(timezone.localdate()).token is None  # a throw-away generation
    Person.objects.filter(pk=guard.pk).update(status="suspended")  # no trigger fires now
    assert kinds_of(world, gate, "after", time=at(8)) == ["not_cleared"]


def test_keys_are_read_once_inside_keys_held(settings, tmp_path):
    import shutil
    from pathlib import Path

    from cryptography.fernet import Fernet

    for name in (crypto.FERNET_KEY_FILE, crypto.HMAC_KEY_FILE):
        shutil.copy(Path(settings.DATA_DIR) / name, tmp_path / name)
    settings.DATA_DIR = tmp_path
    token = crypto.encrypt("10000001")
    with crypto.keys_held():
        (tmp_path / crypto.FERNET_KEY_FILE).write_text(Fernet.generate_key().decode() + "\n")
        assert crypto.decrypt(token) == "10000001"  # the keys held at the start
    with pytest.raises(crypto.EncryptionKeyError):
        crypto.decrypt(token)  # the next operation reads the replaced file
