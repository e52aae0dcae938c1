"""The live stream: fan-out, tenancy filtering, Last-Event-ID replay, heartbeat, the SSE view,
and the PostgreSQL LISTEN/NOTIFY relay between two hubs (as two processes would be)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections

from minewatch.core.events import Event
from minewatch.core.live import (
    LiveHub,
    PostgresRelay,
    TenantScope,
    conninfo_from_settings,
    event_stream,
)


def parse(chunk: bytes) -> dict:
    fields = dict(
        line.split(": ", 1) for line in chunk.decode().strip().splitlines() if ": " in line
    )
    return {"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])}


async def collect(stream, count: int, timeout_s: float = 3.0) -> list[bytes]:
    chunks = []
    async with asyncio.timeout(timeout_s):
        async for chunk in stream:
            chunks.append(chunk)
            if len(chunks) >= count:
                break
    return chunks


def test_client_sees_its_organisation_and_assigned_sites_only() -> None:
    hub = LiveHub()
    scope = TenantScope(is_superuser=False, organisation_id=7, site_ids=frozenset({70}))

    async def scenario() -> list[bytes]:
        stream = event_stream(hub, scope, heartbeat_s=5)
        hello = await anext(stream)
        assert hello.startswith(b"retry:")
        task = asyncio.ensure_future(collect(stream, 2))
        await asyncio.sleep(0.05)
        hub.publish("alert.raised", 7, None, {"id": 1})  # own organisation
        hub.publish("alert.raised", 8, None, {"id": 2})  # another company
        hub.publish("alert.raised", 8, 70, {"id": 3})  # another company's site it is assigned to
        return await task

    chunks = asyncio.run(scenario())
    assert [parse(c)["data"]["payload"]["id"] for c in chunks] == [1, 3]


def test_reconnect_with_last_event_id_replays_what_was_missed() -> None:
    hub = LiveHub()
    scope = TenantScope(is_superuser=True, organisation_id=None)
    first = hub.publish("alert.raised", 1, None, {"id": 1})
    hub.publish("alert.acknowledged", 1, None, {"id": 1})
    hub.publish("alert.resolved", 1, None, {"id": 1})

    async def scenario() -> list[bytes]:
        stream = event_stream(hub, scope, last_event_id=first.id, heartbeat_s=5)
        return (await collect(stream, 3))[1:]

    assert [parse(c)["event"] for c in asyncio.run(scenario())] == [
        "alert.acknowledged",
        "alert.resolved",
    ]


def test_idle_stream_sends_heartbeat_comments() -> None:
    async def scenario() -> list[bytes]:
        stream = event_stream(LiveHub(), TenantScope(True, None), heartbeat_s=0.05)
        return await collect(stream, 3)

    assert asyncio.run(scenario())[1:] == [b": heartbeat\n\n", b": heartbeat\n\n"]


def test_event_published_from_another_thread_reaches_the_client() -> None:
    hub = LiveHub()

    async def scenario() -> list[bytes]:
        stream = event_stream(hub, TenantScope(True, None), heartbeat_s=5)
        await anext(stream)
        task = asyncio.ensure_future(collect(stream, 1))
        await asyncio.sleep(0.05)
        await asyncio.to_thread(hub.on_event, Event("incident.reported", 3, {"id": 9}, site_id=4))
        return await task

    assert parse(asyncio.run(scenario())[0])["data"]["site_id"] == 4


@pytest.mark.django_db(transaction=True)
def test_stream_view_refuses_anonymous_and_streams_for_a_token(client) -> None:
    from rest_framework.authtoken.models import Token

    from minewatch.core import services
    from minewatch.core.live import get_hub

    assert client.get("/api/v1/stream/").status_code == 401
    org = services.create_organisation(actor=None, name="Org live", kind="mining_company")
    user = services.create_user(actor=None, username="live-op", password="x-long-password-1",
                                organisation=org, role="operator")  # fmt: skip
    key = Token.objects.create(user=user).key

    async def scenario() -> tuple[int, str, list[bytes]]:
        from django.test import AsyncClient

        response = await AsyncClient().get(
            "/api/v1/stream/", headers={"Authorization": f"Token {key}"}
        )
        stream = aiter(response.streaming_content)
        hello = await anext(stream)
        task = asyncio.ensure_future(collect(stream, 1))
        await asyncio.sleep(0.1)
        await sync_to_async(get_hub().on_event)(Event("alert.raised", org.pk, {"id": 5}))
        chunks = [hello, *await task]
        await sync_to_async(connections.close_all)()  # the executor thread's, not the test's
        return response.status_code, response["Content-Type"], chunks

    code, content_type, chunks = asyncio.run(scenario())
    assert (code, content_type) == (200, "text/event-stream")
    assert parse(chunks[1])["data"]["payload"] == {"id": 5}


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_relay_carries_events_between_processes() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    conninfo = conninfo_from_settings(connection.settings_dict)
    channel = f"minewatch_test_{time.time_ns()}"
    web, worker = LiveHub(), LiveHub()
    web.relay = PostgresRelay(web, conninfo, channel).start()
    worker.relay = PostgresRelay(worker, conninfo, channel).start()
    try:
        assert web.relay.listening.wait(5) and worker.relay.listening.wait(5)
        worker.on_event(Event("alert.raised", 1, {"id": 77, "big": "x" * 9000}, site_id=2))
        deadline = time.monotonic() + 5
        while not web.since(0) and time.monotonic() < deadline:
            time.sleep(0.05)
        relayed = web.since(0)
        assert [(e.name, e.organisation_id, e.site_id) for e in relayed] == [("alert.raised", 1, 2)]
        assert relayed[0].payload == {
            "id": 77,
            "truncated": True,
        }  # NOTIFY payloads are < 8000 bytes
        assert len(worker.since(0)) == 1  # its own event once, not echoed back
    finally:
        web.relay.stop()
        worker.relay.stop()


@pytest.mark.django_db(transaction=True)
def test_stream_applies_role_rules_confidential_incident_reaches_manager_not_operator() -> None:
    """Two real SSE requests (token auth, through Django's ASGI handler): a confidential
    incident's events reach the security manager but not the operator of the same company,
    exactly as the incidents API shows it to one and not the other."""
    from django.test import AsyncClient
    from rest_framework.authtoken.models import Token

    from minewatch.core import services
    from minewatch.core.live import get_hub
    from minewatch.geo.services import save_site
    from minewatch.incidents.models import Incident
    from minewatch.testing.world import make_incident

    org = services.create_organisation(actor=None, name="Org roles", kind="mining_company")
    users = {
        role: services.create_user(
            actor=None,
            username=f"live-{role}",
            organisation=org,
            password="x-long-password-1",
            role=role,
        )  # fmt: skip
        for role in ("operator", "security_manager")
    }
    keys = {role: Token.objects.create(user=user).key for role, user in users.items()}
    site = save_site(actor=users["security_manager"], organisation=org, name="Pataz",
                     kind="mine", lat=-7.735, lon=-77.53)  # fmt: skip
    secret = make_incident(users["security_manager"], site, confidentiality="confidential")
    public = make_incident(users["security_manager"], site, confidentiality="internal")
    assert not Incident.objects.visible_to(users["operator"]).filter(pk=secret.pk).exists()
    assert Incident.objects.visible_to(users["security_manager"]).filter(pk=secret.pk).exists()

    async def open_stream(role: str):  # noqa: ANN202
        response = await AsyncClient().get(
            "/api/v1/stream/", headers={"Authorization": f"Token {keys[role]}"}
        )
        assert response.status_code == 200
        stream = aiter(response.streaming_content)
        await anext(stream)  # "retry: … connected"
        return stream

    async def scenario() -> dict[str, list[dict]]:
        streams = {role: await open_stream(role) for role in keys}
        tasks = {
            "operator": asyncio.ensure_future(collect(streams["operator"], 2)),
            "security_manager": asyncio.ensure_future(collect(streams["security_manager"], 4)),
        }
        await asyncio.sleep(0.1)
        hub = get_hub()
        for incident in (secret, public):
            payload = {"id": incident.pk, "reference": incident.reference}
            await sync_to_async(hub.on_event)(
                Event("incident.reported", org.pk, payload, site_id=site.pk)
            )
        for incident in (secret, public):  # an alert event naming the incident
            payload = {"alert_id": 1, "incident_id": incident.pk}
            await sync_to_async(hub.on_event)(
                Event("alert.incident_linked", org.pk, payload, site_id=site.pk)
            )
        seen = {role: [parse(c)["data"] for c in await task] for role, task in tasks.items()}
        await sync_to_async(connections.close_all)()  # the executor thread's, not the test's
        return seen

    seen = asyncio.run(scenario())
    operator = [(d["name"], d["payload"].get("id") or d["payload"]["incident_id"])
                for d in seen["operator"]]  # fmt: skip
    manager = [(d["name"], d["payload"].get("id") or d["payload"]["incident_id"])
               for d in seen["security_manager"]]  # fmt: skip
    assert operator == [("incident.reported", public.pk), ("alert.incident_linked", public.pk)]
    assert manager == [
        ("incident.reported", secret.pk), ("incident.reported", public.pk),
        ("alert.incident_linked", secret.pk), ("alert.incident_linked", public.pk),
    ]  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_stream_gives_a_guard_its_own_reports_only_no_alerts_or_positions() -> None:
    """A guard's SSE stream carries the events of the incidents it reported, and none of
    another user's incident, of alerts, positions or detections (the API's role rules)."""
    from django.test import AsyncClient
    from rest_framework.authtoken.models import Token

    from minewatch.core import services
    from minewatch.core.live import get_hub
    from minewatch.geo.services import save_site
    from minewatch.testing.world import make_incident

    org = services.create_organisation(actor=None, name="Org guard", kind="mining_company")
    guard, manager = (
        services.create_user(
            actor=None,
            username=f"live-g-{role}",
            organisation=org,
            password="x-long-password-1",
            role=role,
        )  # fmt: skip
        for role in ("guard", "security_manager")
    )
    key = Token.objects.create(user=guard).key
    site = save_site(actor=manager, organisation=org, name="Pataz", kind="mine",
                     lat=-7.735, lon=-77.53)  # fmt: skip
    theirs = make_incident(manager, site)
    own = make_incident(guard, site)

    async def scenario() -> list[dict]:
        response = await AsyncClient().get(
            "/api/v1/stream/", headers={"Authorization": f"Token {key}"}
        )
        assert response.status_code == 200
        stream = aiter(response.streaming_content)
        await anext(stream)
        task = asyncio.ensure_future(collect(stream, 1, timeout_s=5.0))
        await asyncio.sleep(0.1)
        hub = get_hub()
        for name, payload in (
            ("incident.reported", {"id": theirs.pk}),
            ("alert.raised", {"id": 1, "title": "Intrusión"}),
            ("tracking.position", {"device": 1, "lat": -7.7, "lon": -77.5}),
            ("detection.route_deviation", {"id": 2}),
            ("incident.reported", {"id": own.pk}),
        ):
            await sync_to_async(hub.on_event)(Event(name, org.pk, payload, site_id=site.pk))
        seen = [parse(c)["data"] for c in await task]
        await sync_to_async(connections.close_all)()
        return seen

    seen = asyncio.run(scenario())
    assert [(d["name"], d["payload"]["id"]) for d in seen] == [("incident.reported", own.pk)]


def test_references_name_role_filtered_objects_only() -> None:
    from minewatch.core.live import LiveEvent, references

    def event(name: str, payload: dict) -> LiveEvent:
        return LiveEvent(1, name, 1, None, payload, 0.0)

    assert references(event("incident.reported", {"id": 4})) == {("incidents.Incident", 4)}
    assert references(event("alert.raised", {"id": 4})) == {("alerts.Alert", 4)}
    assert references(event("alert.delivery", {"alert_id": 5})) == {("alerts.Alert", 5)}
    assert references(event("tracking.position", {"id": 4})) == set()  # tenancy only
    assert references(event("early_warning.raised", {"id": 2, "incidents": ["incident:9"]})) == {
        ("incidents.Incident", 9)
    }
    assert references(event("evidence.added", {"id": 3, "incident": 8})) == {
        ("evidence.EvidenceItem", 3), ("incidents.Incident", 8),
    }  # fmt: skip
    assert references(event("protocol.step_ticked", {"incident_id": None})) == set()
