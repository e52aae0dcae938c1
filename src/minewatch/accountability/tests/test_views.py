"""Web pages: the public grievance form and status page (no login), and the staff screens."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from minewatch.accountability.models import Grievance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def form_data(world, **values):
    data = {"organisation": world.orgs["a"].pk, "category": "road_block",
            "description": "La empresa cerró el camino a Chagual.", "place_name": "Chagual",
            "occurred_when": "ayer en la tarde", "website": ""}  # fmt: skip
    data.update(values)
    return data


def test_public_form_opens_without_login_in_spanish(world, client) -> None:
    page = client.get("/reclamos/", HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Enviar un reclamo" in text and 'name="website"' in text


def test_public_submission_shows_the_tracking_code_and_status_shows_only_the_status(
    world, client
) -> None:
    page = client.post("/reclamos/", form_data(world, complainant_name="Rosa Quispe"))
    assert page.status_code == 201
    code = re.search(r"RC-[A-Z0-9]{5}-[A-Z0-9]{5}", page.content.decode()).group(0)
    grievance = Grievance.objects.get(tracking_code=code)
    assert grievance.channel == "public_form" and grievance.complainant_name == "Rosa Quispe"
    status = client.get("/reclamos/estado/", {"code": code.lower()})
    text = status.content.decode()
    assert status.status_code == 200 and 'data-status="received"' in text
    for secret in ("Rosa Quispe", "Chagual", grievance.reference, "cerró el camino"):
        assert secret not in text
    assert client.get("/reclamos/estado/", {"code": "RC-22222-22222"}).status_code == 404


def test_honeypot_filled_is_refused_and_nothing_stored(world, client) -> None:
    page = client.post("/reclamos/", form_data(world, website="http://spam.example"))
    assert page.status_code == 400
    assert Grievance.objects.filter(channel="public_form").count() == 0


def test_rate_limit_per_address(world, client, settings) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "grievance_intake_per_hour": 2}
    assert client.post("/reclamos/", form_data(world)).status_code == 201
    assert client.post("/reclamos/", form_data(world)).status_code == 201
    assert client.post("/reclamos/", form_data(world)).status_code == 429
    other = client.post("/reclamos/", form_data(world), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 201
    assert Grievance.objects.filter(channel="public_form").count() == 3


def test_bad_public_input_is_shown_next_to_the_field(world, client) -> None:
    page = client.post("/reclamos/", form_data(world, place_name=""))
    assert page.status_code == 400
    assert 'id="id_place_name_error"' in page.content.decode()
    assert Grievance.objects.filter(channel="public_form").count() == 0


def test_english_public_form(world, client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/reclamos/"})
    assert "Send a grievance" in client.get("/reclamos/").content.decode()


def test_staff_pages_show_identity_only_to_liaison(world, client) -> None:
    grievance = world.extra["grievance_a"]
    client.force_login(world.users["liaison"])
    assert client.get("/accountability/grievances/").status_code == 200
    assert (
        "Rosa Quispe" in client.get(f"/accountability/grievances/{grievance.pk}/").content.decode()
    )
    client.force_login(world.users["psc-operator"])
    text = client.get(f"/accountability/grievances/{grievance.pk}/").content.decode()
    assert "Rosa Quispe" not in text and grievance.reference in text
    client.force_login(world.users["b-manager"])
    assert client.get(f"/accountability/grievances/{grievance.pk}/").status_code == 404


def test_liaison_acknowledges_on_the_web_and_an_illegal_step_is_a_400(world, client) -> None:
    grievance = world.extra["grievance_a"]
    client.force_login(world.users["liaison"])
    url = f"/accountability/grievances/{grievance.pk}/"
    bad = client.post(f"{url}appeal/", {"reason": "apelo"})
    assert bad.status_code == 400 and "ICoC" in bad.content.decode()
    done = client.post(f"{url}acknowledge/", {"note": "visita"})
    assert done.status_code == 302
    grievance.refresh_from_db()
    assert grievance.status == "acknowledged"


def test_liaison_files_from_the_web_form(world, client) -> None:
    client.force_login(world.users["liaison"])
    page = client.post("/accountability/grievances/new/", {
        "channel": "call", "category": "discrimination", "description": "Trato desigual",
        "place_name": "Garita 2", "non_retaliation_noted": "on"})  # fmt: skip
    assert page.status_code == 302
    assert Grievance.objects.filter(channel="call", non_retaliation_noted=True).count() == 1
