"""The web pages: personnel list, person page (personal data per role) and the gate page."""

import pytest
from django.test import Client

from minewatch.people.models import AccessEvent


def signed_in(user, language="es"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_list_shows_cleared_or_not_in_spanish(world):
    page = signed_in(world.users["operator"]).get("/people/").content.decode()
    assert "Juan Quispe Mamani" in page and "Rosa Huamán" in page and "Pedro Flores" not in page
    assert "Personal" in page
    assert "10000001" not in page


@pytest.mark.parametrize("role,sees", [("security_manager", True), ("guard", False),
                                       ("operator", False), ("analyst", False)])  # fmt: skip
def test_person_page_hides_why_from_other_roles(world, role, sees):
    staff = world.extra["people_a"]["staff"]
    page = signed_in(world.users[role]).get(f"/people/{staff.pk}/").content.decode()
    assert "Rosa Huamán" in page
    assert ("10000002" in page) is sees
    assert ("missing:police_record" in page) is sees
    assert 'id="cleared"' in page


def test_person_of_another_company_is_404(world):
    b_guard = world.extra["people_b"]["guard"]
    assert (
        signed_in(world.users["security_manager"]).get(f"/people/{b_guard.pk}/").status_code == 404
    )


def test_gate_lookup_and_record_entry_and_exit(world, gates):
    client = signed_in(world.users["guard"])
    gate = gates["a1"]
    page = client.get(
        "/people/gate/", {"point": gate.pk, "credential": "10000001"}
    ).content.decode()
    assert "Juan Quispe Mamani" in page and 'class="verdict ok"' in page
    assert "Asignado a este sitio" in page or "Assigned to this site" in page
    response = client.post("/people/gate/", {"point": gate.pk, "credential": "10000001",
                                             "direction": "in"})  # fmt: skip
    assert response.status_code == 302
    stored = AccessEvent.objects.get(credential="10000001")
    assert stored.person == world.extra["people_a"]["guard"] and stored.direction == "in"
    client.post("/people/gate/", {"point": gate.pk, "credential": "10000001", "direction": "out"})
    assert AccessEvent.objects.filter(credential="10000001").count() == 2


def test_gate_shows_not_cleared_not_assigned_and_unknown(world, gates):
    client = signed_in(world.users["guard"])
    page = client.get(
        "/people/gate/", {"point": gates["a1"].pk, "credential": "A-002"}
    ).content.decode()
    assert "Rosa Huamán" in page and 'class="verdict danger"' in page
    assert "missing:" not in page and "police_record" not in page  # never why
    page = client.get(
        "/people/gate/", {"point": gates["a1"].pk, "credential": "77777777"}
    ).content.decode()
    assert 'id="verdict"' in page and "Rosa" not in page
    response = client.post("/people/gate/", {"point": gates["a1"].pk, "credential": "77777777",
                                             "direction": "in"}, follow=True)  # fmt: skip
    assert (
        AccessEvent.objects.get(credential="77777777").anomalies.get().kind == "unknown_credential"
    )
    assert "Anomal" in response.content.decode()


def test_gate_refuses_bad_direction_and_roles_without_record_access(world, gates):
    response = signed_in(world.users["guard"]).post(
        "/people/gate/", {"point": gates["a1"].pk, "credential": "10000001", "direction": "up"},
        follow=True)  # fmt: skip
    assert AccessEvent.objects.count() == 0 and response.status_code == 200
    assert signed_in(world.users["analyst"]).get("/people/gate/").status_code == 403
    # another company's gate is not offered nor accepted
    page = signed_in(world.users["guard"]).get("/people/gate/").content.decode()
    assert "Garita Antamina" not in page
    signed_in(world.users["guard"]).post("/people/gate/", {"point": gates["b1"].pk,
                                          "credential": "B-001", "direction": "in"})  # fmt: skip
    assert AccessEvent.objects.count() == 0
