"""Ley 29733: document numbers, phones and vetting results are encrypted at rest.

The raw columns are read with a cursor (what a stolen database file shows); look-ups by
DNI go through the keyed hash; a missing or wrong key fails loudly; rotation keeps old
rows readable.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.exceptions import FieldError
from django.db import IntegrityError, connection, transaction

from minewatch.core import crypto
from minewatch.core.errors import InvalidInput
from minewatch.core.fields import reencrypt_all
from minewatch.core.models import AuditEntry
from minewatch.people import services
from minewatch.people.models import Person, VettingRecord


def raw(table: str, columns: str, pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()


@pytest.fixture
def own_keys(settings: Any, tmp_path: Path) -> Path:
    """A data dir of the test's own holding a copy of the session's keys."""
    for name in (crypto.FERNET_KEY_FILE, crypto.HMAC_KEY_FILE):
        shutil.copy(Path(django_settings.DATA_DIR) / name, tmp_path / name)
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_raw_columns_hold_tokens_not_the_dni_phone_or_result(world):
    guard = world.extra["people_a"]["guard"]
    number, digest, phone = raw("people_person", "document_number, document_number_hash, phone",
                                guard.pk)  # fmt: skip
    assert "10000001" not in number and "987654321" not in phone
    assert number.startswith("gAAAAA") and phone.startswith("gAAAAA")
    assert digest == crypto.lookup_hash("10000001") and len(digest) == 64
    check = VettingRecord.objects.filter(person=guard).first()
    services.add_vetting(actor=world.users["security_manager"], person=guard, kind="drug_test",
                         date="2026-01-05", result="failed", document_number="INF-2026-77")  # fmt: skip
    failed = VettingRecord.objects.get(person=guard, kind="drug_test")
    for pk in (check.pk, failed.pk):
        result, document = raw("people_vettingrecord", "result, document_number", pk)
        assert result.startswith("gAAAAA") and result not in {"clear", "failed", "flagged"}
        assert "INF" not in document
    assert failed.result == "failed" and failed.document_number == "INF-2026-77"
    assert Person.objects.get(pk=guard.pk).phone == "+51987654321"


def test_two_saves_of_one_value_give_different_tokens(world):
    guard = world.extra["people_a"]["guard"]
    before = raw("people_person", "document_number", guard.pk)[0]
    services.save_person(actor=world.users["security_manager"], person=guard, name="Juan Q.")
    after = raw("people_person", "document_number, document_number_hash", guard.pk)
    assert after[0] != before and after[1] == crypto.lookup_hash("10000001")


@pytest.mark.parametrize("typed", ["10000001", "10.000.001", " 10000001 ", "A-001", "a001"])
def test_find_holder_by_dni_or_badge(world, typed):
    guard = world.extra["people_a"]["guard"]
    assert services.find_holder(guard.organisation_id, typed) == guard


def test_lookups_by_value_use_the_hash(world):
    guard = world.extra["people_a"]["guard"]
    org = guard.organisation_id
    assert Person.objects.get(organisation_id=org, document_number="10000001") == guard
    assert list(Person.objects.filter(document_number__in=["10000001", "99999999"],
                                      organisation_id=org)) == [guard]  # fmt: skip
    assert not Person.objects.filter(document_number="10000009").exists()
    with pytest.raises(FieldError, match="encrypted"):
        list(Person.objects.filter(document_number__startswith="1000"))
    with pytest.raises(FieldError, match="cannot be queried by value"):
        list(VettingRecord.objects.filter(result="clear"))


def test_a_document_is_unique_per_company_not_across_companies(world):
    manager = world.users["security_manager"]
    with pytest.raises(InvalidInput) as refused:
        services.save_person(actor=manager, name="Otro", document_number="10000001", role="guard")
    assert refused.value.field == "document_number"
    other = services.save_person(actor=world.users["b-manager"], name="Juan en B",
                                 document_number="10000001", role="driver")  # fmt: skip
    assert other.document_number_hash == world.extra["people_a"]["guard"].document_number_hash
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(organisation=other.organisation, employer=other.organisation,
                              name="Duplicado", document_type="dni", document_number="10000001",
                              role="driver")  # fmt: skip


def test_the_audit_log_keeps_no_plain_personal_data(world):
    guard = world.extra["people_a"]["guard"]
    entries = AuditEntry.objects.filter(object_type="people.person", object_id=str(guard.pk))
    text = json.dumps([[e.before, e.after, e.changes] for e in entries])
    assert entries.exists() and "10000001" not in text and "987654321" not in text
    checks = AuditEntry.objects.filter(object_type="people.vettingrecord")
    assert checks.exists() and '"clear"' not in json.dumps([e.after for e in checks])


def test_a_missing_key_is_a_clear_error_and_nothing_is_stored(world, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # no keys here
    before = Person.objects.count()
    with pytest.raises(crypto.EncryptionKeyError, match="fernet.key is missing"):
        services.save_person(actor=world.users["security_manager"], name="Sin Llave",
                             document_number="10000077", role="driver")  # fmt: skip
    assert Person.objects.count() == before


def test_a_visitors_document_number_is_encrypted_at_rest(world, gates):
    import datetime as dt

    from django.utils import timezone

    from minewatch.people import visits
    from minewatch.people.models import Visitor

    visitor = visits.check_in_visitor(
        actor=world.users["operator"], access_point=gates["a1"], name="Ana Torres",
        document_number="45678912", purpose="auditoría",
        expected_exit=timezone.now() + dt.timedelta(hours=2),
    )  # fmt: skip
    (stored,) = raw("people_visitor", "document_number", visitor.pk)
    assert "45678912" not in stored and stored.startswith("gAAAAA")
    assert Visitor.objects.get(pk=visitor.pk).document_number == "45678912"


def test_a_credential_typed_at_a_gate_is_encrypted_at_rest(world, gates):
    from minewatch.people.models import AccessEvent
    from minewatch.people.tests.test_access_events import event

    guard = world.extra["people_a"]["guard"]
    outcome = services.record_access_events(actor=world.users["operator"], events=[
        event(gates["a1"], "dni-1", credential="10000001"),
        event(gates["a1"], "badge-1", credential="ZZ-999")])  # fmt: skip
    by_dni, by_badge = outcome.stored
    assert by_dni.person_id == guard.pk  # still matched by the DNI's keyed hash
    for stored, typed in ((by_dni, "10000001"), (by_badge, "ZZ999")):
        token, digest = raw("people_accessevent", "credential, credential_hash", stored.pk)
        assert typed not in token and token.startswith("gAAAAA")
        assert digest == crypto.lookup_hash(typed)
        assert AccessEvent.objects.get(credential=typed).pk == stored.pk
        assert AccessEvent.objects.get(pk=stored.pk).credential == typed
    entries = AuditEntry.objects.filter(object_type="people.accessevent")
    assert entries.exists() and "10000001" not in json.dumps([e.after for e in entries])
    from minewatch.alerts.services.bulk import update_rows

    with pytest.raises(ValueError, match="credential_hash"):  # the hash would go stale
        update_rows(AccessEvent, [by_badge], ["credential"])


def test_a_wrong_key_fails_clearly_on_read(world, own_keys):
    (own_keys / crypto.FERNET_KEY_FILE).write_text(Fernet.generate_key().decode() + "\n")
    guard = world.extra["people_a"]["guard"]
    with pytest.raises(crypto.EncryptionKeyError, match=r"cannot decrypt people\.Person\.document"):
        Person.objects.get(pk=guard.pk)


def test_a_malformed_key_file_is_named(world, own_keys):
    (own_keys / crypto.FERNET_KEY_FILE).write_text("not a key\n")
    with pytest.raises(crypto.EncryptionKeyError, match="every line must be a Fernet key"):
        Person.objects.get(pk=world.extra["people_a"]["guard"].pk)


def test_rotation_keeps_old_rows_readable_and_reencrypts(world, own_keys):
    guard = world.extra["people_a"]["guard"]
    old_key = (own_keys / crypto.FERNET_KEY_FILE).read_text().strip()
    crypto.rotate_fernet_key()
    lines = (own_keys / crypto.FERNET_KEY_FILE).read_text().split()
    assert len(lines) == 2 and lines[1] == old_key
    assert Person.objects.get(pk=guard.pk).document_number == "10000001"  # old key decrypts
    new = Fernet(lines[0].encode())
    assert reencrypt_all() >= Person.objects.count()
    token = raw("people_person", "document_number", guard.pk)[0]
    assert new.decrypt(token.encode()) == b"10000001"  # now under the new key
    (own_keys / crypto.FERNET_KEY_FILE).write_text(lines[0] + "\n")  # old key retired
    found = Person.objects.get(pk=guard.pk)
    assert (found.document_number, found.phone) == ("10000001", "+51987654321")
    assert {v.result for v in VettingRecord.objects.filter(person=guard)} == {"clear"}


def test_only_personal_data_roles_see_the_decrypted_values(world, api_client):
    guard = world.extra["people_a"]["guard"]
    manager = api_client(world.users["security_manager"]).get(f"/api/v1/people/{guard.pk}/")
    assert manager.json()["document_number"] == "10000001"
    assert manager.json()["phone"] == "+51987654321"
    operator = api_client(world.users["operator"]).get(f"/api/v1/people/{guard.pk}/").json()
    assert "document_number" not in operator and "phone" not in operator
    records = api_client(world.users["security_manager"]).get(
        f"/api/v1/vetting-records/?person={guard.pk}").json()  # fmt: skip
    assert {r["result"] for r in records["results"]} == {"clear"}


def test_a_typed_dni_is_shown_whole_only_to_personal_data_roles(world, gates, api_client):
    from minewatch.people.tests.test_access_events import event

    services.record_access_events(actor=world.users["operator"], events=[
        event(gates["a1"], "dni-2", credential="10000001")])  # fmt: skip
    seen = {}
    for role in ("security_manager", "operator", "guard"):
        rows = api_client(world.users[role]).get("/api/v1/access-events/").json()["results"]
        seen[role] = {r["credential"] for r in rows if r["controller_event_id"] == "dni-2"}
    assert seen == {"security_manager": {"10000001"}, "operator": {"•••••001"},
                    "guard": {"•••••001"}}  # fmt: skip


def latest_people_migration() -> str:
    from django.db.migrations.loader import MigrationLoader

    (leaf,) = [name for app, name in MigrationLoader(connection).graph.leaf_nodes()
               if app == "people"]  # fmt: skip
    return leaf


def migrate_people(target: str) -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("people", target)])


def test_migration_encrypts_existing_rows_and_going_back_decrypts(transactional_db):
    from minewatch.testing.world import build_world

    world = build_world()
    guard = world.extra["people_a"]["guard"]
    latest = latest_people_migration()  # whatever comes after, as a real upgrade would end
    try:
        migrate_people("0004_person_legal_hold_and_anonymisation")
        assert raw("people_person", "document_number, phone", guard.pk) == ("10000001",
                                                                           "+51987654321")  # fmt: skip
        with connection.cursor() as cursor:  # a row written by the old version, in plain text
            cursor.execute("UPDATE people_person SET phone = %s WHERE id = %s",
                           ["+51911111111", guard.pk])  # fmt: skip
            cursor.execute("SELECT result FROM people_vettingrecord WHERE person_id = %s",
                           [guard.pk])  # fmt: skip
            assert {row[0] for row in cursor.fetchall()} == {"clear"}
    finally:
        migrate_people(latest)
    number, digest, phone = raw("people_person", "document_number, document_number_hash, phone",
                                guard.pk)  # fmt: skip
    assert number.startswith("gAAAAA") and phone.startswith("gAAAAA")
    assert digest == crypto.lookup_hash("10000001")
    found = Person.objects.get(organisation_id=guard.organisation_id, document_number="10000001")
    assert (found.pk, found.phone) == (guard.pk, "+51911111111")
    assert {v.result for v in VettingRecord.objects.filter(person=guard)} == {"clear"}


def test_credentials_of_stored_passes_are_encrypted_by_the_upgrade(transactional_db):
    from minewatch.people.models import AccessEvent
    from minewatch.people.tests.conftest import make_gates
    from minewatch.people.tests.test_access_events import event
    from minewatch.testing.world import build_world

    world = build_world()
    gate = make_gates(world)["a1"]
    (stored,) = services.record_access_events(actor=world.users["operator"], events=[
        event(gate, "old-1", credential="10000001")]).stored  # fmt: skip
    latest = latest_people_migration()
    try:
        migrate_people("0009_encrypt_visitor_document")  # the version before: plain text
        assert raw("people_accessevent", "credential", stored.pk) == ("10000001",)
        with connection.cursor() as cursor:  # a pass the old version wrote
            cursor.execute("UPDATE people_accessevent SET credential = %s WHERE id = %s",
                           ["QR-OLD-7", stored.pk])  # fmt: skip
    finally:
        migrate_people(latest)
    token, digest = raw("people_accessevent", "credential, credential_hash", stored.pk)
    assert token.startswith("gAAAAA") and digest == crypto.lookup_hash("QR-OLD-7")
    assert AccessEvent.objects.get(credential="QR-OLD-7").pk == stored.pk


def test_a_command_stops_at_start_up_naming_the_missing_key(world, settings, tmp_path):
    from typer.testing import CliRunner

    from minewatch.cli import app, base

    settings.DATA_DIR = tmp_path  # no keys here
    base._migrated_checked = False
    try:
        result = CliRunner().invoke(app, ["people", "check"])
    finally:
        base._migrated_checked = False
    assert result.exit_code == 2
    assert "fernet.key is missing" in result.output
