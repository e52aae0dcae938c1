"""Web pages: the evidence section of the incident page, upload, item page, download, dossier."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from minewatch.evidence.models import CustodyEntry, EvidenceItem
from minewatch.evidence.tests.builders import make_jpeg_with_exif, make_zip
from minewatch.evidence.tests.helpers import add_photo
from minewatch.testing.world import make_incident


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_incident_page_lists_evidence_with_hashes_and_offers_upload_and_dossier(
    world: Any,
) -> None:
    item = add_photo(world)
    incident = world.incidents["a1"]
    page = browser(world.users["operator"]).get(f"/incidents/{incident.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="evidence"' in html
    assert item.sha256 in html
    assert f"/evidence/{item.pk}/" in html
    assert f"/evidence/incident/{incident.pk}/upload/" in html
    assert f"/evidence/incident/{incident.pk}/dossier/" in html


def test_auditor_sees_evidence_but_no_upload_or_dossier(world: Any) -> None:
    incident = world.incidents["a1"]
    html = browser(world.users["auditor"]).get(f"/incidents/{incident.pk}/").content.decode()
    assert world.extra["evidence"]["a1"].sha256 in html
    assert "/upload/" not in html and "/dossier/" not in html


def test_upload_from_the_incident_page(world: Any) -> None:
    incident = make_incident(world.users["guard"], world.sites["a1"])  # a guard's own report
    response = browser(world.users["guard"]).post(
        f"/evidence/incident/{incident.pk}/upload/",
        {"file": SimpleUploadedFile("garita.jpg", make_jpeg_with_exif()), "kind": "photo",
         "description": "Camioneta sin placa", "declared_at": "2024-05-01T02:31",
         "declared_place": "Garita 3"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"].endswith(f"/incidents/{incident.pk}/#evidence")
    item = EvidenceItem.objects.get(incident=incident, kind="photo")
    assert item.description == "Camioneta sin placa"
    assert item.discrepancies == []  # 02:31 Lima is one minute after the EXIF time


@pytest.mark.parametrize(
    "name,data,kind,message",
    [("fotos.zip", make_zip({"a.jpg": b"x"}), "photo", "archivos ZIP"),
     ("nota.jpg", b"solo texto", "photo", "se declaró como")],
)  # fmt: skip
def test_bad_upload_shows_the_error_beside_the_file_field(
    world: Any, name: str, data: bytes, kind: str, message: str
) -> None:
    incident = make_incident(world.users["guard"], world.sites["a1"])
    response = browser(world.users["guard"]).post(
        f"/evidence/incident/{incident.pk}/upload/",
        {"file": SimpleUploadedFile(name, data), "kind": kind},
    )
    assert response.status_code == 400
    assert message in response.context["form"].errors["file"][0]
    assert 'id="id_file_error"' in response.content.decode()
    assert not EvidenceItem.objects.filter(incident=incident, kind=kind).exists()


def test_item_page_shows_custody_log_and_verification_and_logs_the_view(world: Any) -> None:
    item = add_photo(world)
    page = browser(world.users["analyst"]).get(f"/evidence/{item.pk}/")
    assert page.status_code == 200
    assert page.context["verification"].is_ok
    assert [e.action for e in page.context["custody"]] == ["collected", "uploaded", "viewed"]
    assert 'id="custody"' in page.content.decode()


def test_item_page_shows_a_broken_chain(world: Any) -> None:
    item = add_photo(world)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE evidence_custodyentry SET reason = 'x' WHERE item_id = %s",
                       [item.pk])  # fmt: skip
    page = browser(world.users["analyst"]).get(f"/evidence/{item.pk}/")
    assert page.status_code == 200
    assert not page.context["verification"].is_ok
    assert "altered" in page.content.decode()


def test_download_from_the_item_page_is_logged(world: Any) -> None:
    item = add_photo(world)
    response = browser(world.users["operator"]).get(f"/evidence/{item.pk}/download/")
    assert b"".join(response.streaming_content) == make_jpeg_with_exif()
    assert CustodyEntry.objects.filter(item=item).last().action == "downloaded"


def test_hand_over_from_the_item_page(world: Any) -> None:
    item = add_photo(world)
    response = browser(world.users["security_manager"]).post(
        f"/evidence/{item.pk}/hand-over/",
        {"recipient_organisation": "Comisaría PNP Pataz", "document_number": "Oficio 12"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.custody_status == "handed_over"


def test_dossier_button_downloads_the_zip(world: Any) -> None:
    incident = world.incidents["a1"]
    response = browser(world.users["security_manager"]).post(
        f"/evidence/incident/{incident.pk}/dossier/", {"output": "zip"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "denuncia.pdf" in archive.namelist()


def test_other_company_cannot_open_the_item_page(world: Any) -> None:
    item = world.extra["evidence"]["a1"]
    assert browser(world.users["b-manager"]).get(f"/evidence/{item.pk}/").status_code == 404
    assert CustodyEntry.objects.filter(item=item).count() == 2
