"""Incident input rules from the control-room issue: land, earliest date, referral, timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from minewatch.core.errors import InvalidInput
from minewatch.incidents import services
from minewatch.testing.world import PASSWORD, make_incident


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_a_point_at_sea_inside_perus_bounding_box_is_refused(world: Any) -> None:
    with translation.override("en"), pytest.raises(InvalidInput) as caught:
        make_incident(world.users["operator"], world.sites["a1"], lat=-12.0, lon=-80.0)
    assert caught.value.field == "lat"
    assert "Peruvian land" in caught.value.message


def test_the_land_error_is_in_the_users_language(world: Any) -> None:
    response = login(world.users["operator"]).post(
        "/api/v1/incidents/",
        {"incident_type": "ore_theft", "lat": -12.0, "lon": -80.0,
         "occurred_at": timezone.now().isoformat()},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="es",
    )  # fmt: skip
    assert response.status_code == 400
    assert "no está en territorio peruano" in str(response.json()["lat"])


def test_an_incident_before_the_earliest_date_is_refused(world: Any, settings: Any) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "incident_earliest_date": "2000-01-01"}
    old = dt.datetime(1900, 1, 1, 12, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput) as caught:
        make_incident(world.users["operator"], world.sites["a1"], occurred_at=old)
    assert caught.value.field == "occurred_at" and "01/01/2000" in caught.value.message
    fine = make_incident(
        world.users["operator"], world.sites["a1"],
        occurred_at=dt.datetime(2000, 1, 2, 12, tzinfo=dt.UTC),
    )  # fmt: skip
    assert fine.pk


def test_a_malformed_earliest_date_names_the_variable(world: Any, settings: Any) -> None:
    from minewatch.core.config import ConfigError

    settings.TUNABLES = {**settings.TUNABLES, "incident_earliest_date": "ayer"}
    with pytest.raises(ConfigError, match="MINEWATCH_INCIDENT_EARLIEST_DATE"):
        services.earliest_date()


def _verified(world: Any) -> Any:
    manager = world.users["security_manager"]
    return services.change_status(world.incidents["a1"], actor=manager, to_status="verified")


@pytest.mark.parametrize(
    ("given", "field"),
    [({}, "complaint_number"), ({"complaint_number": "DEN-1"}, "police_unit"),
     ({"complaint_number": "  ", "police_unit": "Comisaría"}, "complaint_number")],
)  # fmt: skip
def test_referral_needs_complaint_number_and_police_unit(
    world: Any, given: dict[str, str], field: str
) -> None:
    incident = _verified(world)
    with pytest.raises(InvalidInput) as caught:
        services.change_status(incident, actor=world.users["security_manager"],
                               to_status="referred_to_authorities", **given)  # fmt: skip
    assert caught.value.field == field
    incident.refresh_from_db()
    assert incident.status == "verified"


def test_referral_through_the_api_and_the_page(world: Any, api_client: Any) -> None:
    incident = _verified(world)
    client = api_client(world.users["security_manager"])
    url = f"/api/v1/incidents/{incident.pk}/transition/"
    refused = client.post(url, {"status": "referred_to_authorities"}, format="json")
    assert refused.status_code == 400 and "complaint_number" in refused.json()
    page = login(world.users["security_manager"])
    html = page.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'name="police_unit"' in html
    page.post(f"/incidents/{incident.pk}/transition/", {
        "status": "referred_to_authorities", "complaint_number": "DEN-2026-77",
        "police_unit": "Comisaría PNP Pataz"})  # fmt: skip
    incident.refresh_from_db()
    assert incident.status == "referred_to_authorities"
    assert (incident.complaint_number, incident.police_unit) == (
        "DEN-2026-77",
        "Comisaría PNP Pataz",
    )


def test_timeline_in_words_one_entry_per_status_change(world: Any) -> None:
    incident = _verified(world)
    page = login(world.users["security_manager"])
    html = page.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    timeline = html[html.index('id="timeline-title"') :]
    assert "Creado por a-security_manager" in timeline or "Creado por " in timeline
    assert timeline.count("Reportado → Verificado") == 1
    assert "<dt>Tipo de incidente</dt>" in timeline or "<dt>Incident type</dt>" in timeline
    assert "occurred_at_precision" not in timeline  # labels, not column names


def test_location_precision_is_kept_from_the_field_report(world: Any) -> None:
    response = login(world.users["guard"]).post("/incidents/field/", {
        "threat": "illegal_mining", "incident_type": "concession_invasion",
        "lat": "-7.74", "lon": "-77.52", "location_precision": "region",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
    assert response.status_code == 302
    from minewatch.incidents.models import Incident

    assert Incident.objects.latest("pk").location_precision == "region"


def test_type_lists_start_empty_and_are_grouped(world: Any) -> None:
    html = login(world.users["operator"]).get("/incidents/new/").content.decode()
    select = html[
        html.index('name="incident_type"') : html.index(
            "</select>", html.index('name="incident_type"')
        )
    ]
    first_option = select[select.index("<option") : select.index("</option>")]
    assert 'value=""' in first_option
    assert select.count("selected") == first_option.count("selected")  # only the empty one
    assert "<optgroup" in select
    assert 'name="location_precision"' in html
