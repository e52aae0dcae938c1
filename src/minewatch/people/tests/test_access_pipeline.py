"""Group commit of access events (people/pipeline.py): many callers, one batch, each its own answer."""

from __future__ import annotations

import pytest

from minewatch.core.models import AuditEntry
from minewatch.geo import services as geo_services
from minewatch.geo.models import Site
from minewatch.people import pipeline, services
from minewatch.people.models import AccessEvent
from minewatch.people.tests.test_access_events import event


def call(world, user, *events):
    return services.prepare_access_call(actor=world.users[user], events=list(events))


def test_calls_stored_together_each_get_their_own_outcome_and_actor(world, gates):
    gate, other_company = gates["a1"], gates["b1"]
    first = call(world, "operator", event(gate, "c-1"), event(gate, "c-2"))
    # index 1 is the second company's gate: not this caller's (refused by its own index)
    second = call(world, "security_manager", event(gate, "c-3"),
                  event(other_company, "c-4"), event(gate, "c-1"))  # fmt: skip
    services.store_access_calls([first, second])
    assert [e.controller_event_id for e in first.result.stored] == ["c-1", "c-2"]
    assert first.result.rejected == [] and first.result.duplicates == []
    assert [e.controller_event_id for e in second.result.stored] == ["c-3"]
    assert [(r["index"], r["field"]) for r in second.result.rejected] == [(1, "access_point")]
    assert second.result.duplicates == ["c-1"]  # sent first by the other caller
    entries = AuditEntry.objects.filter(object_type="people.accessevent").order_by("sequence")
    names = {snapshot["controller_event_id"]: entry.actor_name
             for entry in entries for snapshot in entry.after["events"]}  # fmt: skip
    assert names == {"c-1": "a-operator", "c-2": "a-operator", "c-3": "a-security_manager"}
    assert entries.count() == 2  # one entry per call


def test_each_caller_may_name_only_the_access_points_of_its_own_scope(world, gates):
    a1, b1 = gates["a1"], gates["b1"]
    # The first contractor guards this gate; the second is assigned nowhere.
    geo_services.assign_contractor(actor=world.users["security_manager"], site=a1,
                                   contractor=world.orgs["psc"])  # fmt: skip
    calls = {user: call(world, user, event(a1, f"{user}-a1"), event(b1, f"{user}-b1"))
             for user in ("operator", "guard", "b-manager", "psc-operator", "psc2-operator")}  # fmt: skip
    services.store_access_calls(list(calls.values()))
    stored = {user: [e.access_point_id for e in c.result.stored] for user, c in calls.items()}
    refused = {user: [r["index"] for r in c.result.rejected] for user, c in calls.items()}
    assert stored == {"operator": [a1.pk], "guard": [a1.pk], "b-manager": [b1.pk],
                      "psc-operator": [a1.pk], "psc2-operator": []}  # fmt: skip
    assert refused == {"operator": [1], "guard": [1], "b-manager": [0],
                       "psc-operator": [1], "psc2-operator": [0, 1]}  # fmt: skip


def test_calls_of_one_scope_are_read_together(world, gates):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(names):
        calls = [call(world, "operator", event(gates["a1"], name)) for name in names]
        with CaptureQueriesContext(connection) as captured:
            services.store_access_calls(calls)
        assert all(len(c.result.stored) == 1 for c in calls)
        return len(captured)

    queries(["first"])  # the holder facts are read the first time
    one = queries(["alone"])
    assert queries([f"many-{n}" for n in range(6)]) == one  # not one read of the points per call


def test_inside_a_transaction_the_events_are_stored_at_once(world, gates):
    outcome = pipeline.record_access_events(actor=world.users["operator"],
                                            events=[event(gates["a1"], "t-1")])  # fmt: skip
    assert [e.controller_event_id for e in outcome.stored] == ["t-1"]
    assert pipeline._shared is None  # no thread was needed


@pytest.mark.django_db(transaction=True)
def test_calls_queued_meanwhile_are_committed_in_one_batch(world, gates):
    batcher = pipeline.AccessBatcher()
    gate = gates["a1"]
    futures = [batcher.submit(call(world, "operator", event(gate, f"q-{n}"))) for n in range(5)]
    batcher.start()  # everything queued so far is one batch
    try:
        outcomes = [future.result(30) for future in futures]
    finally:
        batcher.stop()
    assert batcher.batches == 1
    assert [[e.controller_event_id for e in o.stored] for o in outcomes] == [
        [f"q-{n}"] for n in range(5)]  # fmt: skip
    assert AccessEvent.objects.filter(controller_event_id__startswith="q-").count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_call_that_cannot_be_stored_does_not_refuse_the_others(world, gates):
    gate = gates["a1"]
    batcher = pipeline.AccessBatcher()
    good = call(world, "operator", event(gate, "ok-1"))
    broken = call(world, "operator", event(gate, "broken"))
    broken.points = {gate.pk: Site(name="not saved", organisation=gate.organisation)}  # no pk
    later = call(world, "operator", event(gate, "ok-2"))
    futures = [batcher.submit(c) for c in (good, broken, later)]
    batcher.start()
    try:
        assert [e.controller_event_id for e in futures[0].result(30).stored] == ["ok-1"]
        with pytest.raises(RuntimeError):
            futures[1].result(30)
        assert [e.controller_event_id for e in futures[2].result(30).stored] == ["ok-2"]
    finally:
        batcher.stop()
    assert set(AccessEvent.objects.values_list("controller_event_id", flat=True)) == {
        "ok-1", "ok-2"}  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_after_the_shared_batcher_commits(world, gates, api_client):
    client = api_client(world.users["operator"])
    try:
        response = client.post("/api/v1/access-events/", {"events": [event(gates["a1"], "api-1")]},
                               format="json")  # fmt: skip
        again = client.post("/api/v1/access-events/", {"events": [event(gates["a1"], "api-1")]},
                            format="json")  # fmt: skip
    finally:
        pipeline.stop_shared_batcher()
    assert response.status_code == 201, response.content
    assert [e["controller_event_id"] for e in response.json()["stored"]] == ["api-1"]
    assert again.status_code == 201 and again.json()["duplicates"] == ["api-1"]
    assert AccessEvent.objects.filter(controller_event_id="api-1").count() == 1
