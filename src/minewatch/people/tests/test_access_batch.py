"""Access events in batches: what batching could break (time order, duplicates, queries)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minewatch.alerts.models import Alert, IntakeEntry
from minewatch.alerts.services import intake as intake_module
from minewatch.core import audit, ledger
from minewatch.core.models import AuditEntry
from minewatch.people import services
from minewatch.people.models import AccessAnomaly, AccessEvent
from minewatch.people.tests.test_access_events import at, event


def kinds(event_id):
    return sorted(AccessAnomaly.objects.filter(event__controller_event_id=event_id)
                  .values_list("kind", flat=True))  # fmt: skip


def record(world, *events):
    return services.record_access_events(actor=world.users["operator"], events=list(events))


def test_anti_passback_sees_an_earlier_pass_sent_later_in_the_same_batch(world, gates):
    gate = gates["a1"]
    # the controller sends its log out of order: 09:00 first, then 08:00
    record(world, event(gate, "late", time=at(9)), event(gate, "early", time=at(8)))
    assert kinds("early") == []
    assert kinds("late") == ["anti_passback"]


def test_anti_passback_in_out_in_within_one_batch_is_normal(world, gates):
    gate = gates["a1"]
    record(world, event(gate, "i-1", time=at(8)), event(gate, "o-1", direction="out",
                                                        time=at(9)),
           event(gate, "i-2", time=at(10)))  # fmt: skip
    assert kinds("i-1") == kinds("o-1") == kinds("i-2") == []
    # and across batches: the guard is in, a later batch's "in" is a passback
    record(world, event(gate, "i-3", time=at(11)))
    assert kinds("i-3") == ["anti_passback"]


def test_duplicate_id_inside_one_batch_is_stored_once_the_first(world, gates):
    gate = gates["a1"]
    outcome = record(world, event(gate, "same", credential="A-001"),
                     event(gate, "same", credential="99999999"), event(gate, "other"))  # fmt: skip
    assert [e.controller_event_id for e in outcome.stored] == ["same", "other"]
    assert outcome.duplicates == ["same"]
    assert AccessEvent.objects.get(controller_event_id="same").credential == "A001"
    again = record(world, event(gate, "same"), event(gate, "new"))
    assert again.duplicates == ["same"]
    assert [e.controller_event_id for e in again.stored] == ["new"]


def test_a_bad_event_is_reported_by_index_and_the_others_stored(world, gates):
    gate = gates["a1"]
    future = timezone.now() + dt.timedelta(hours=2)
    outcome = record(world, event(gate, "g-1"), event(gate, "g-2", access_point=999999),
                     event(gate, "g-3", time="soon"), event(gate, "g-4", time=future),
                     event(gate, "g-5", credential="99999999"))  # fmt: skip
    assert [(r["index"], r["field"]) for r in outcome.rejected] == [
        (1, "access_point"), (2, "time"), (3, "time")]  # fmt: skip
    assert [e.controller_event_id for e in outcome.stored] == ["g-1", "g-5"]
    assert kinds("g-5") == ["unknown_credential"]


def test_repeated_denials_count_in_time_order_within_a_batch(world, gates):
    gate = gates["a1"]
    # sent newest first: in time order the third denial (08:02) is the limit (3)
    denials = [event(gate, f"d-{i}", credential="99999999", result="denied", time=at(8, i))
               for i in (3, 2, 1, 0)]  # fmt: skip
    record(world, *denials)
    assert [("repeated_denials" in kinds(f"d-{i}")) for i in range(4)] == [False, False, True,
                                                                          False]  # fmt: skip


def test_each_call_is_one_audit_entry_holding_every_pass_it_stored(world, gates):
    gate = gates["a1"]
    before = AuditEntry.objects.filter(object_type="people.accessevent").count()
    outcome = record(world, event(gate, "a-1"), event(gate, "a-2", credential="99999999"))
    entries = AuditEntry.objects.filter(object_type="people.accessevent").order_by("sequence")
    assert entries.count() == before + 1
    entry = entries.last()
    first, second = outcome.stored
    assert entry.actor_name == world.users["operator"].username and entry.object_id == ""
    assert entry.after["events"] == [audit.snapshot(first), audit.snapshot(second)]
    assert entry.after["anomalies"] == {str(second.pk): ["unknown_credential"]}
    assert entry.note == "unknown_credential"
    assert str(first.pk) in entry.object_repr and str(second.pk) in entry.object_repr
    assert ledger.verify_ledger().problems == []
    # one pass (the gate page's way): the entry names it
    single = record(world, event(gate, "a-3")).stored[0]
    last = AuditEntry.objects.filter(object_type="people.accessevent").order_by("sequence").last()
    assert (last.object_id, last.object_repr) == (str(single.pk), str(single))
    assert last.after["events"] == [audit.snapshot(single)]


def test_a_pass_changed_after_it_was_stored_no_longer_matches_its_audit_entry(world, gates):
    stored = record(world, event(gates["a1"], "t-1")).stored[0]
    AccessEvent.objects.filter(pk=stored.pk).update(direction="out")  # behind the services
    entry = AuditEntry.objects.filter(object_type="people.accessevent").order_by("sequence").last()
    assert entry.after["events"] == [audit.snapshot(stored)]  # what was stored, in the chain
    assert entry.after["events"] != [audit.snapshot(AccessEvent.objects.get(pk=stored.pk))]
    assert ledger.verify_ledger().problems == []


def batch(gates, start, size):
    """``size`` events, the same mix in every batch: a known guard in and out, an unknown
    badge, a staff member, a denial and a plate."""
    gate, rows = gates["a1"], []
    base = timezone.now() - dt.timedelta(hours=1)
    pattern = [("A-001", "in", "granted"), ("A-001", "out", "granted"),
               ("99999999", "in", "granted"), ("A-002", "in", "granted"),
               ("88888888", "in", "denied"), ("XYZ987", "in", "granted")]  # fmt: skip
    for n in range(size):
        credential, direction, result = pattern[n % len(pattern)]
        rows.append(event(gate, f"q-{start + n}", credential=credential, direction=direction,
                          result=result, time=base + dt.timedelta(seconds=start + n)))  # fmt: skip
    return rows


def test_queries_per_batch_do_not_grow_with_its_size(world, gates):
    operator = world.users["operator"]
    record(world, *batch(gates, 0, 6))  # warm: settings, rules and caches read once
    counts = {}
    for start, size in ((100, 6), (200, 60), (1000, 300)):
        with CaptureQueriesContext(connection) as queries:
            outcome = services.record_access_events(actor=operator, events=batch(gates, start,
                                                                                  size))  # fmt: skip
        assert len(outcome.stored) == size
        counts[size] = [q["sql"][:60] for q in queries.captured_queries]
    assert len(counts[6]) == len(counts[60]) == len(counts[300]), counts


@pytest.fixture
def running_intake(monkeypatch):
    intake = intake_module.AlertIntake()
    monkeypatch.setattr(intake_module, "_running", intake)
    return intake


def test_a_batch_goes_to_the_intake_in_one_journal_write(world, gates, running_intake,
                                                         django_capture_on_commit_callbacks):  # fmt: skip
    recent = timezone.now() - dt.timedelta(minutes=1)
    gate = gates["a1"]
    with django_capture_on_commit_callbacks(execute=True):
        record(world, event(gate, "n-1", credential="99999999", time=recent),
               event(gate, "n-2", credential="A-002", time=recent))  # fmt: skip
    # unknown credential; staff not cleared and not assigned: three detections journalled
    assert IntakeEntry.objects.count() == 3
    assert running_intake.run_once() == 3
    alerts = Alert.objects.filter(organisation=world.orgs["a"], kind__startswith="access.")
    assert {"access.unknown_credential", "access.not_cleared", "access.not_assigned"} <= set(
        alerts.values_list("kind", flat=True)
    )
    assert IntakeEntry.objects.count() == 0


def test_the_call_entry_is_named_in_the_users_language(world, gates):
    from django.utils import translation

    with translation.override("es"):
        record(world, event(gates["a1"], "es-1"), event(gates["a1"], "es-2", direction="out"))
    entry = AuditEntry.objects.filter(object_type="people.accessevent").order_by("sequence").last()
    assert entry.object_repr.startswith("2 pasos por garita, del n.º ")
