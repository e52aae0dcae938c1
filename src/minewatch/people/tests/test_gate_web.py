"""The gate page: credential states, vehicles, the hire-from-outside flag and visitors."""

import datetime as dt

from django.utils import timezone

from minewatch.people import services
from minewatch.people.models import AccessEvent, Visitor
from minewatch.people.tests.test_views import signed_in


def test_gate_shows_revoked_credential_and_denies(world, gates):
    manager = world.users["security_manager"]
    guard = world.extra["people_a"]["guard"]
    badge = services.issue_credential(actor=manager, kind="qr", value="QR-5", person=guard,
                                      valid_from=timezone.now() - dt.timedelta(days=1))  # fmt: skip
    services.revoke_credential(actor=manager, credential=badge, reason="stolen")
    client = signed_in(world.users["guard"], "en")
    page = client.get(f"/people/gate/?point={gates['a1'].pk}&credential=QR5").content.decode()
    assert "Juan Quispe Mamani" in page and 'id="credential-state"' in page
    assert "Credential revoked" in page and "stolen" not in page
    client.post("/people/gate/", {"point": gates["a1"].pk, "credential": "QR5",
                                  "direction": "in"})  # fmt: skip
    event = AccessEvent.objects.get(credential="QR5")
    assert event.result == "denied"
    assert [a.kind for a in event.anomalies.all()][:1] == ["revoked_credential"]


def test_gate_unknown_plate_and_local_hire(world, gates):
    manager = world.users["security_manager"]
    client = signed_in(world.users["guard"], "en")
    page = client.get(f"/people/gate/?point={gates['a1'].pk}&credential=ZZZ-999").content.decode()
    assert "Unknown credential" in page
    local = services.save_person(actor=manager, name="Vecino Local", document_number="10000017",
                                 role="staff", badge_number="L-1", home_lat=-7.74,
                                 home_lon=-77.52)  # fmt: skip
    services.assign(actor=manager, person=local, site=world.sites["a1"], shift_start="06:00",
                    shift_end="18:00")  # fmt: skip
    page = client.get(f"/people/gate/?point={gates['a1'].pk}&credential=L1").content.decode()
    assert 'id="local-hire"' in page
    listing = signed_in(manager, "en").get("/people/").content.decode()
    assert "data-local-hire" in listing


def test_gate_registers_and_checks_out_a_visitor(world, gates):
    client = signed_in(world.users["guard"], "es")
    point = gates["a1"].pk
    host = world.extra["people_a"]["staff"]
    response = client.post(
        "/people/gate/",
        {
            "point": point,
            "visitor_name": "Ana Visitante",
            "visitor_document": "10000003",
            "host": "A-002",
            "purpose": "Auditoría",
            "hours": "2",
            "escorted": "1",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Ana Visitante" in page and 'id="visitors"' in page
    visitor = Visitor.objects.get()
    assert visitor.host == host and visitor.escorted
    assert timezone.now() + dt.timedelta(hours=1) < visitor.expected_exit
    bad = client.post("/people/gate/", {"point": point, "visitor_name": "X",
                                        "visitor_document": "123", "purpose": "p",
                                        "hours": "2"}, follow=True).content.decode()  # fmt: skip
    assert "document_number" in bad and Visitor.objects.count() == 1
    client.post("/people/gate/", {"point": point, "visitor_out": visitor.pk})
    visitor.refresh_from_db()
    assert visitor.checked_out_at is not None
