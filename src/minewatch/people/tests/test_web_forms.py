"""The web forms of the people pages: credentials and records on the person page, and the
passenger manifest of a personnel-transport trip (issue #15). Spanish first; a refusal is
shown on the form, next to the field it names."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from minewatch.core.models import AuditEntry
from minewatch.people.models import Credential, Licence, TrainingRecord, TripPassenger
from minewatch.people.tests.test_views import signed_in


def _error_of(page: str, field_id: str) -> str:
    """The error shown under one field (its id is ``<field id>_error``)."""
    found = re.search(rf'id="{field_id}_error">(.*?)</div>', page, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)).strip() if found else ""


def test_manager_issues_a_badge_and_revokes_it_with_a_reason(world):
    manager = world.users["security_manager"]
    guard = world.extra["people_a"]["guard"]
    client = signed_in(manager)
    page = client.get(f"/people/{guard.pk}/").content.decode()
    assert 'id="credential-form"' in page and "Emitir una credencial" in page
    response = client.post(f"/people/{guard.pk}/records/credential/", {
        "credential-kind": "badge", "credential-value": "b-77 01",
        "credential-valid_until": (timezone.localtime() + dt.timedelta(days=30)).strftime(
            "%Y-%m-%dT%H:%M"),
    }, follow=True)  # fmt: skip
    assert response.status_code == 200
    assert "Credencial emitida." in response.content.decode()
    badge = Credential.objects.get(value="B7701")
    assert badge.person == guard and badge.valid_until is not None
    empty = client.post(f"/people/{guard.pk}/credentials/{badge.pk}/revoke/",
                        {"revoke-reason": ""})  # fmt: skip
    assert empty.status_code == 400
    assert f'id="revoke-{badge.pk}-error"' in empty.content.decode()
    assert Credential.objects.get(pk=badge.pk).revoked_at is None
    done = client.post(f"/people/{guard.pk}/credentials/{badge.pk}/revoke/",
                       {"revoke-reason": "Extraviado"}, follow=True)  # fmt: skip
    assert "Credencial B7701 revocada." in done.content.decode()
    badge.refresh_from_db()
    assert badge.revoked_at is not None and badge.revoked_reason == "Extraviado"
    assert AuditEntry.objects.filter(object_type="people.credential", object_id=str(badge.pk),
                                     action="update").exists()  # fmt: skip


def test_credential_refusals_name_the_field_in_spanish(world):
    manager = world.users["security_manager"]
    guard = world.extra["people_a"]["guard"]
    client = signed_in(manager)
    url = f"/people/{guard.pk}/records/credential/"
    now = timezone.localtime()
    backwards = client.post(url, {
        "credential-kind": "qr", "credential-value": "QR-9",
        "credential-valid_from": now.strftime("%Y-%m-%dT%H:%M"),
        "credential-valid_until": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip
    assert backwards.status_code == 400
    page = backwards.content.decode()
    assert _error_of(page, "id_credential-valid_until")  # shown under "Válido hasta"
    assert 'id="credential" open' in page  # the form stays open with what was typed
    taken = client.post(url, {"credential-kind": "qr", "credential-value": "QR-A-1"})
    assert "ya" in _error_of(taken.content.decode(), "id_credential-value")
    plate = client.post(url, {"credential-kind": "plate", "credential-value": "ABC-123"})
    assert plate.status_code == 400 and "vehicle" in plate.content.decode()
    bad_date = client.post(url, {"credential-kind": "qr", "credential-value": "QR-10",
                                 "credential-valid_until": "mañana"})  # fmt: skip
    assert _error_of(bad_date.content.decode(), "id_credential-valid_until")
    assert not Credential.objects.filter(value__in=["QR9", "ABC123", "QR10"]).exists()


@pytest.mark.parametrize("role", ["guard", "operator", "analyst"])
def test_other_roles_get_no_forms_and_their_posts_are_refused(world, role):
    guard = world.extra["people_a"]["guard"]
    credential = Credential.objects.get(value="QRA1")
    client = signed_in(world.users[role])
    page = client.get(f"/people/{guard.pk}/").content.decode()
    assert 'id="credential-form"' not in page and 'id="vetting-form"' not in page
    response = client.post(f"/people/{guard.pk}/records/credential/",
                           {"credential-kind": "qr", "credential-value": "QR-X"})  # fmt: skip
    assert response.status_code == 403
    revoke = client.post(f"/people/{guard.pk}/credentials/{credential.pk}/revoke/",
                         {"revoke-reason": "x"})  # fmt: skip
    assert revoke.status_code in (403, 404)
    credential.refresh_from_db()
    assert credential.revoked_at is None and not Credential.objects.filter(value="QRX").exists()


def test_another_company_cannot_reach_the_person_forms(world):
    guard = world.extra["people_a"]["guard"]
    client = signed_in(world.users["b-manager"])
    assert client.post(f"/people/{guard.pk}/records/licence/", {}).status_code == 404


def test_manager_adds_vetting_licence_and_training_from_the_person_page(world):
    manager = world.users["security_manager"]
    staff = world.extra["people_a"]["staff"]
    client = signed_in(manager)
    today = timezone.localdate()
    assert client.post(f"/people/{staff.pk}/records/vetting/", {
        "vetting-kind": "police_record", "vetting-date": today.isoformat(),
        "vetting-result": "clear", "vetting-issuing_body": "PNP",
    }).status_code == 302  # fmt: skip
    assert staff.vetting.get().issuing_body == "PNP"
    licence = client.post(f"/people/{staff.pk}/records/licence/", {
        "licence-number": "L-55", "licence-issued_on": today.isoformat(),
        "licence-expires_on": (today - dt.timedelta(days=1)).isoformat(),
    })  # fmt: skip
    assert licence.status_code == 400
    assert "vencimiento" in _error_of(licence.content.decode(), "id_licence-expires_on")
    assert not Licence.objects.filter(person=staff).exists()
    training = client.post(f"/people/{staff.pk}/records/training/", {
        "training-kind": "human_rights", "training-date": today.isoformat(),
        "training-hours": "1000",
    })  # fmt: skip
    assert training.status_code == 400
    assert _error_of(training.content.decode(), "id_training-hours")
    assert client.post(f"/people/{staff.pk}/records/training/", {
        "training-kind": "human_rights", "training-date": today.isoformat(),
        "training-hours": "8", "training-provider": "ISEM",
    }).status_code == 302  # fmt: skip
    assert TrainingRecord.objects.get(person=staff).hours == 8
    assert client.post(f"/people/{staff.pk}/records/nonsense/", {}).status_code == 404


def _trip(world, reference="BUS-WEB", **values):
    from minewatch.tracking.services import fleet

    return fleet.save_trip(actor=world.users["security_manager"], organisation=world.orgs["a"],
                           reference=reference, site=world.sites["a1"], **values)  # fmt: skip


def test_manifest_add_board_arrive_and_missing_passenger_on_the_page(world):
    from minewatch.tracking.services import fleet

    manager, guard_user = world.users["security_manager"], world.users["guard"]
    trip = _trip(world)
    client = signed_in(manager)
    url = f"/people/transport/{trip.pk}/"
    for typed in ("A-001", "10000002"):  # the guard's badge, the staff's DNI
        response = client.post(f"{url}passengers/", {"passenger-person": typed})
        assert response.status_code == 302, response.content.decode()
    unknown = client.post(f"{url}passengers/", {"passenger-person": "ZZ-404"})
    assert unknown.status_code == 400
    assert "fotocheck o DNI" in _error_of(unknown.content.decode(), "id_passenger-person")
    twice = client.post(f"{url}passengers/", {"passenger-person": "A-001"})
    assert "manifiesto" in _error_of(twice.content.decode(), "id_passenger-person")
    lines = {line.person.badge_number: line for line in TripPassenger.objects.filter(trip=trip)}
    guard_client = signed_in(guard_user)
    page = guard_client.get(url).content.decode()
    assert page.count('data-state="waiting"') == 2 and 'id="passenger-form"' not in page
    early = guard_client.post(f"{url}passengers/{lines['A001'].pk}/check/", {"stage": "arrive"})
    assert early.status_code == 400 and "stage" in early.content.decode()
    for line in lines.values():
        assert guard_client.post(f"{url}passengers/{line.pk}/check/",
                                 {"stage": "board"}).status_code == 302  # fmt: skip
    trip = fleet.change_trip_status(trip, actor=manager, to_status="en_route")
    fleet.change_trip_status(trip, actor=manager, to_status="arrived")
    guard_client.post(f"{url}passengers/{lines['A001'].pk}/check/", {"stage": "arrive"})
    page = guard_client.get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'data-state="arrived"' in page and page.count('data-state="missing"') == 1
    assert "1 pasajero falta a la llegada" in page and "Falta a la llegada" in page
    listing = guard_client.get("/people/transport/").content.decode()
    assert "BUS-WEB" in listing and 'data-missing="1"' in listing


def test_manifest_remove_only_before_boarding_and_only_managers(world):
    manager = world.users["security_manager"]
    trip = _trip(world)
    client = signed_in(manager)
    url = f"/people/transport/{trip.pk}/"
    client.post(f"{url}passengers/", {"passenger-person": "A-001"})
    client.post(f"{url}passengers/", {"passenger-person": "A-002"})
    guard_line = TripPassenger.objects.get(trip=trip, person__badge_number="A001")
    staff_line = TripPassenger.objects.get(trip=trip, person__badge_number="A002")
    guard_client = signed_in(world.users["guard"])
    assert guard_client.post(f"{url}passengers/{staff_line.pk}/remove/").status_code == 403
    guard_client.post(f"{url}passengers/{guard_line.pk}/check/", {"stage": "board"})
    stays = client.post(f"{url}passengers/{guard_line.pk}/remove/")
    assert stays.status_code == 400 and 'id="row-error"' in stays.content.decode()
    assert client.post(f"{url}passengers/{staff_line.pk}/remove/").status_code == 302
    assert list(TripPassenger.objects.filter(trip=trip)) == [guard_line]
    assert AuditEntry.objects.filter(object_type="people.trippassenger", action="delete",
                                     object_id=str(staff_line.pk)).exists()  # fmt: skip
    other = signed_in(world.users["b-manager"])
    assert other.get(url).status_code == 404
    assert other.post(f"{url}passengers/{guard_line.pk}/check/",
                      {"stage": "arrive"}).status_code == 404  # fmt: skip


def test_trip_page_links_to_its_manifest(world):
    trip = _trip(world)
    operator = signed_in(world.users["operator"])
    assert 'id="trip-manifest"' not in operator.get(f"/convoys/{trip.pk}/").content.decode()
    manager = signed_in(world.users["security_manager"])
    assert 'id="trip-manifest"' in manager.get(f"/convoys/{trip.pk}/").content.decode()
    manager.post(f"/people/transport/{trip.pk}/passengers/", {"passenger-person": "A-001"})
    assert 'id="trip-manifest"' in operator.get(f"/convoys/{trip.pk}/").content.decode()


def test_manager_authorises_a_vehicle_plate_and_revokes_it(world):
    from minewatch.tracking.services import fleet

    manager = world.users["security_manager"]
    bus = fleet.save_vehicle(actor=manager, organisation=world.orgs["a"], plate="ABC-123",
                             kind="bus", site=world.sites["a1"])  # fmt: skip
    client = signed_in(manager)
    assert 'id="plate-form"' in client.get("/people/transport/plates/").content.decode()
    person_page = client.get(f"/people/{world.extra['people_a']['guard'].pk}/").content.decode()
    assert 'value="plate"' not in person_page  # plates go to vehicles, on the plates page
    done = client.post("/people/transport/plates/", {"plate-vehicle": bus.pk}, follow=True)
    assert "Placa ABC123 autorizada." in done.content.decode()
    plate = Credential.objects.get(kind="plate")
    assert plate.vehicle == bus and plate.value == "ABC123" and plate.person is None
    twice = client.post("/people/transport/plates/", {"plate-vehicle": bus.pk})
    assert twice.status_code == 400 and _error_of(twice.content.decode(), "id_plate-value")
    nothing = client.post("/people/transport/plates/", {"plate-value": "XYZ-1"})
    assert _error_of(nothing.content.decode(), "id_plate-vehicle")
    revoked = client.post(f"/people/transport/plates/{plate.pk}/revoke/",
                          {"revoke-reason": "Vendido"}, follow=True)  # fmt: skip
    assert "Credencial ABC123 revocada." in revoked.content.decode()
    guard = signed_in(world.users["guard"])
    assert guard.post("/people/transport/plates/", {"plate-vehicle": bus.pk}).status_code in (
        400, 403)  # fmt: skip
    assert Credential.objects.filter(kind="plate").count() == 1
    other = signed_in(world.users["b-manager"])
    assert "ABC123" not in other.get("/people/transport/plates/").content.decode()


def test_api_takes_a_passenger_off_before_boarding_only(world, api_client):
    from minewatch.people import visits

    manager = world.users["security_manager"]
    trip = _trip(world)
    staff, guard = world.extra["people_a"]["staff"], world.extra["people_a"]["guard"]
    waiting = visits.add_passenger(actor=manager, trip=trip, person=staff)
    boarded = visits.add_passenger(actor=manager, trip=trip, person=guard)
    visits.check_passenger(actor=manager, passenger=boarded, stage="board")
    assert api_client(world.users["guard"]).delete(
        f"/api/v1/trip-passengers/{waiting.pk}/").status_code == 403  # fmt: skip
    client = api_client(manager)
    refused = client.delete(f"/api/v1/trip-passengers/{boarded.pk}/")
    assert refused.status_code == 400 and "passenger" in refused.json()
    assert client.delete(f"/api/v1/trip-passengers/{waiting.pk}/").status_code == 204
    assert list(TripPassenger.objects.filter(trip=trip)) == [boarded]
