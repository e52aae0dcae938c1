"""Incident pages: list filters and roles, detail timeline and transitions, forms, field report."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from minewatch.incidents.models import Incident
from minewatch.testing.world import PASSWORD, make_incident


def login(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def field_values(**overrides: Any) -> dict[str, Any]:
    values = {
        "threat": "illegal_mining", "incident_type": "concession_invasion",
        "lat": "-7.74", "lon": "-77.52",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "assailants": "12", "weapons": ["firearm", "explosive"], "narrative": "Socavón nuevo",
    }  # fmt: skip
    values.update(overrides)
    return values


def test_list_filters_by_threat_and_free_text(world: Any) -> None:
    client = login(world.users["operator"])
    by_threat = client.get("/incidents/?threat=social_conflict").context["page"].object_list
    assert [i.pk for i in by_threat] == [world.incidents["a2"].pk]
    by_text = client.get(f"/incidents/?q={world.incidents['a1'].reference}").context["page"]
    assert [i.pk for i in by_text.object_list] == [world.incidents["a1"].pk]


def test_guard_list_shows_only_their_own_reports(world: Any) -> None:
    guard = world.users["guard"]
    own = make_incident(guard, world.sites["a1"], incident_type="ore_theft")
    page = login(guard).get("/incidents/").context["page"]
    assert [i.pk for i in page.object_list] == [own.pk]


def test_detail_shows_only_legal_transitions_and_the_timeline(world: Any) -> None:
    incident = world.incidents["a1"]
    response = login(world.users["operator"]).get(f"/incidents/{incident.pk}/")
    assert [s.value for s in response.context["transitions"]] == ["closed", "verified"]
    # The creation comes first, in words, with the values it was created with.
    first = response.context["timeline"][0]
    assert first["kind"] == "created" and first["changes"]


def test_transition_button_moves_the_incident_and_records_the_note(world: Any) -> None:
    incident = world.incidents["a1"]
    login(world.users["operator"]).post(
        f"/incidents/{incident.pk}/transition/", {"status": "verified", "note": "confirmado"}
    )
    incident.refresh_from_db()
    assert incident.status == "verified"
    assert incident.status_changes.last().note == "confirmado"


def test_auditor_cannot_edit_transition_or_report(world: Any) -> None:
    client = login(world.users["auditor"])
    incident = world.incidents["a1"]
    assert client.get(f"/incidents/{incident.pk}/edit/").status_code == 403
    assert client.get("/incidents/field/").status_code == 403
    client.post(f"/incidents/{incident.pk}/transition/", {"status": "verified"})
    incident.refresh_from_db()
    assert incident.status == "reported"


def test_other_company_incident_is_not_found(world: Any) -> None:
    response = login(world.users["operator"]).get(f"/incidents/{world.incidents['b1'].pk}/")
    assert response.status_code == 404


def test_edit_changes_facts_and_keeps_an_audit_entry(world: Any) -> None:
    incident = world.incidents["a1"]
    client = login(world.users["operator"])
    form = client.get(f"/incidents/{incident.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(site=incident.site_id, complaint_number="DEN-2025-0042", weapons=["firearm"])
    data["occurred_at"] = timezone.localtime(incident.occurred_at).strftime("%Y-%m-%dT%H:%M")
    data.pop("responders", None)
    response = client.post(f"/incidents/{incident.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    incident.refresh_from_db()
    assert incident.complaint_number == "DEN-2025-0042"
    timeline = client.get(f"/incidents/{incident.pk}/").context["timeline"]
    edits = [item for item in timeline if item["kind"] == "audit"]
    assert edits and edits[-1]["headline"].endswith("a-operator")
    changed = {change["value"]: change for change in edits[-1]["changes"]}
    assert changed["DEN-2025-0042"]["before"] == "—"  # labelled values, not field names
    assert changed["DEN-2025-0042"]["label"] in {"Complaint number", "Número de denuncia"}


def test_field_report_by_a_guard_creates_an_incident(world: Any) -> None:
    guard = world.users["guard"]
    response = login(guard).post("/incidents/field/", field_values())
    incident = Incident.objects.get(reporter=guard)
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.threat, incident.assailants_min, incident.assailants_max) == (
        "illegal_mining", 12, 12,
    )  # fmt: skip
    assert incident.weapons == ["firearm", "explosive"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lat": "", "lon": ""}, "lat"),
        ({"threat": "terrorism"}, "incident_type"),
        ({"lat": "95"}, "lat"),
        ({"lat": "40.4", "lon": "-3.7"}, "lat"),  # Madrid: outside Peru
        ({"assailants": "-1"}, "assailants"),
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at"),
    ],
)
def test_field_report_errors_appear_next_to_the_field_and_nothing_is_stored(
    world: Any, overrides: dict[str, Any], field: str
) -> None:
    response = login(world.users["guard"]).post("/incidents/field/", field_values(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Incident.objects.filter(reporter=world.users["guard"]).exists()


def test_full_form_rejects_a_site_of_another_company(world: Any) -> None:
    values = field_values()
    values.pop("threat")
    values.pop("assailants")
    values.update(site=world.sites["b1"].pk, fatalities=0, injured_staff=0, kidnapped=0,
                  occurred_at_precision="minute", confidentiality="internal")  # fmt: skip
    response = login(world.users["operator"]).post("/incidents/new/", values)
    assert response.status_code == 200
    assert "site" in response.context["form"].errors


def jpeg(name: str = "foto.jpg") -> Any:
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 80, 40)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_field_report_photos_become_evidence_of_the_incident(world: Any) -> None:
    from django.apps import apps

    if not apps.is_installed("minewatch.evidence"):
        pytest.skip("the evidence app is not installed")
    guard = world.users["guard"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("b.jpg", b"not an image at all", content_type="image/jpeg")
    values = field_values(photos=[jpeg("a.jpg"), fake])
    response = login(guard).post("/incidents/field/", values, follow=True)
    incident = Incident.objects.get(reporter=guard)
    assert [item.original_name for item in incident.evidence_items.all()] == ["a.jpg"]
    texts = [str(m) for m in response.context["messages"]]
    assert any("b.jpg" in text for text in texts)


def test_edit_with_a_narrative_over_the_maximum_shows_the_error_on_the_field(world: Any) -> None:
    from django.conf import settings

    incident = world.incidents["a1"]
    client = login(world.users["operator"])
    form = client.get(f"/incidents/{incident.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        site=incident.site_id, narrative="a" * (int(settings.TUNABLES["max_text_chars"]) + 1)
    )
    data["occurred_at"] = timezone.localtime(incident.occurred_at).strftime("%Y-%m-%dT%H:%M")
    data.pop("responders", None)
    data.pop("weapons", None)
    response = client.post(f"/incidents/{incident.pk}/edit/", data)
    assert response.status_code == 200
    assert "narrative" in response.context["form"].errors
    incident.refresh_from_db()
    assert len(incident.narrative) <= int(settings.TUNABLES["max_text_chars"])
