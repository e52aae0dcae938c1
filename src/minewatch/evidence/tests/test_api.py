"""The evidence API: multipart upload, list, detail with custody log, download, custody actions."""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any

import pytest

from minewatch.evidence.models import CustodyEntry, EvidenceItem
from minewatch.evidence.tests.builders import make_jpeg_with_exif, make_zip
from minewatch.evidence.tests.helpers import add_photo
from minewatch.incidents import services as incident_services
from minewatch.testing.world import make_incident


def post_file(client: Any, incident: Any, name: str, data: bytes, **fields: Any) -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    body = {"incident": incident.pk, "kind": "photo", "file": upload, **fields}
    return client.post("/api/v1/evidence/", body, format="multipart")


def test_multipart_upload_creates_item_with_hash_and_metadata(world: Any, api_client: Any) -> None:
    client = api_client(world.users["guard"])
    own_report = make_incident(world.users["guard"], world.sites["a1"])
    response = post_file(
        client, own_report, "foto garita.jpg", make_jpeg_with_exif(),
        description="Vehículo sospechoso", declared_at="2024-05-01T02:35:00-05:00",
        declared_place="Garita 3",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    item = EvidenceItem.objects.get(pk=body["id"])
    assert body["sha256"] == item.sha256 and len(item.sha256) == 64
    assert body["original_name"] == "foto garita.jpg"
    captured = dt.datetime.fromisoformat(body["file_captured_at"])
    assert captured == dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC)
    assert body["discrepancies"] == []
    assert body["custody_length"] == 2
    assert item.uploaded_by == world.users["guard"]


@pytest.mark.parametrize(
    "name,data,kind,message",
    [
        # In the request's language: Spanish, the default.
        ("fotos.zip", make_zip({"a.jpg": b"x"}), "photo", "No se aceptan archivos ZIP"),
        ("foto.jpg", b"%PDF-1.7\n", "photo", "se declaró como fotografía pero su contenido es PDF"),
        ("vacio.jpg", b"", "photo", "está vacío"),
    ],
)
def test_bad_upload_answers_400_naming_file(
    world: Any, api_client: Any, name: str, data: bytes, kind: str, message: str
) -> None:
    before = EvidenceItem.objects.count()
    response = post_file(api_client(world.users["operator"]), world.incidents["a1"], name, data,
                         kind=kind)  # fmt: skip
    assert response.status_code == 400
    assert "file" in response.json()
    assert message in response.json()["file"][0]
    assert EvidenceItem.objects.count() == before


def test_oversized_upload_answers_400_with_the_limit(
    world: Any, api_client: Any, settings: Any
) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "max_upload_mb": 1}
    data = b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024 + 10)
    response = post_file(api_client(world.users["operator"]), world.incidents["a1"], "g.jpg", data)
    assert response.status_code == 400
    assert "el límite de subida es 1 MB" in response.json()["file"][0]


def test_an_english_client_reads_the_refusal_in_english(world: Any, api_client: Any) -> None:
    client = api_client(world.users["operator"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = post_file(client, world.incidents["a1"], "foto.jpg", b"%PDF-1.7\n", kind="photo")
    assert response.status_code == 400
    assert response.json()["file"] == [
        "The file was declared as photo but its content is PDF; accepted: GIF, HEIC, JPEG, PNG, "
        "TIFF, WEBP."
    ]


def test_upload_to_another_companys_incident_reads_as_missing(world: Any, api_client: Any) -> None:
    response = post_file(api_client(world.users["operator"]), world.incidents["b1"], "f.jpg",
                         make_jpeg_with_exif())  # fmt: skip
    assert response.status_code == 400
    assert "incident" in response.json()


def test_auditor_cannot_upload(world: Any, api_client: Any) -> None:
    response = post_file(api_client(world.users["auditor"]), world.incidents["a1"], "f.jpg",
                         make_jpeg_with_exif())  # fmt: skip
    assert response.status_code == 403


def test_detail_shows_custody_log_and_logs_the_view(world: Any, api_client: Any) -> None:
    item = add_photo(world)
    response = api_client(world.users["analyst"]).get(f"/api/v1/evidence/{item.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert [e["action"] for e in body["custody"]] == ["collected", "uploaded", "viewed"]
    assert body["custody"][-1]["actor_name"] == "a-analyst"
    assert body["verification"] == {"is_ok": True, "file_status": "ok", "chain_problems": []}


def test_list_does_not_log_views(world: Any, api_client: Any) -> None:
    item = add_photo(world)
    response = api_client(world.users["analyst"]).get(
        "/api/v1/evidence/", {"incident": world.incidents["a1"].pk}
    )
    assert response.status_code == 200
    assert item.pk in [row["id"] for row in response.json()["results"]]
    assert CustodyEntry.objects.filter(item=item).count() == 2


def test_download_streams_the_original_and_logs_it(world: Any, api_client: Any) -> None:
    item = add_photo(world)
    response = api_client(world.users["operator"]).get(f"/api/v1/evidence/{item.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == make_jpeg_with_exif()
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment")
    assert CustodyEntry.objects.filter(item=item).last().action == "downloaded"


def test_hand_over_through_the_api(world: Any, api_client: Any) -> None:
    item = add_photo(world)
    client = api_client(world.users["operator"])
    url = f"/api/v1/evidence/{item.pk}/hand-over/"
    missing = client.post(url, {"recipient_organisation": "Fiscalía Provincial de Pataz",
                                "document_number": ""}, format="json")  # fmt: skip
    assert missing.status_code == 400
    assert "document_number" in missing.json()
    done = client.post(url, {"recipient_organisation": "Fiscalía Provincial de Pataz",
                             "document_number": "Acta 77-2025"}, format="json")  # fmt: skip
    assert done.status_code == 200
    assert done.json()["custody_status"] == "handed_over"
    assert done.json()["custody"][-1]["recipient_document_number"] == "Acta 77-2025"
    again = client.post(url, {"recipient_organisation": "X", "document_number": "1"},
                        format="json")  # fmt: skip
    assert again.status_code == 409
    returned = client.post(f"/api/v1/evidence/{item.pk}/return/", {}, format="json")
    assert returned.json()["custody_status"] == "in_custody"


@pytest.mark.parametrize("role,status", [("operator", 403), ("security_manager", 200)])
def test_legal_hold_needs_a_manager(world: Any, api_client: Any, role: str, status: int) -> None:
    item = add_photo(world)
    response = api_client(world.users[role]).post(
        f"/api/v1/evidence/{item.pk}/legal-hold/", {"reason": "Disposición fiscal 3"},
        format="json",
    )  # fmt: skip
    assert response.status_code == status


def test_verify_action_records_a_verified_entry(world: Any, api_client: Any) -> None:
    item = add_photo(world)
    response = api_client(world.users["auditor"]).post(f"/api/v1/evidence/{item.pk}/verify/")
    assert response.status_code == 200
    assert response.json()["custody"][-1]["action"] == "verified"


@pytest.mark.parametrize(
    "confidentiality,role,visible",
    [
        ("internal", "operator", True),
        ("internal", "guard", False),  # not its own report
        ("restricted", "operator", False),
        ("restricted", "analyst", True),
        ("confidential", "analyst", False),
        ("confidential", "security_manager", True),
    ],
)
def test_item_access_follows_incident_confidentiality(
    world: Any, api_client: Any, confidentiality: str, role: str, visible: bool
) -> None:
    item = add_photo(world)
    incident_services.update_incident(
        world.incidents["a1"], actor=world.users["security_manager"],
        confidentiality=confidentiality,
    )  # fmt: skip
    client = api_client(world.users[role])
    listed = {row["id"] for row in client.get("/api/v1/evidence/").json()["results"]}
    assert (item.pk in listed) is visible
    assert client.get(f"/api/v1/evidence/{item.pk}/").status_code == (200 if visible else 404)
    download = client.get(f"/api/v1/evidence/{item.pk}/download/")
    assert download.status_code == (200 if visible else 404)


def test_contractor_sees_evidence_of_assigned_site_only(world: Any, api_client: Any) -> None:
    client = api_client(world.users["psc-operator"])
    listed = {row["id"] for row in client.get("/api/v1/evidence/").json()["results"]}
    assert listed == {world.extra["evidence"]["a1"].pk}
    hidden = world.extra["evidence"]["a2"]
    assert client.get(f"/api/v1/evidence/{hidden.pk}/download/").status_code == 404
    assert CustodyEntry.objects.filter(item=hidden).count() == 2


def test_other_company_gets_404_and_no_custody_entry(world: Any, api_client: Any) -> None:
    item = world.extra["evidence"]["a1"]
    client = api_client(world.users["b-manager"])
    assert client.get(f"/api/v1/evidence/{item.pk}/").status_code == 404
    assert client.get(f"/api/v1/evidence/{item.pk}/download/").status_code == 404
    assert client.post(f"/api/v1/evidence/{item.pk}/verify/").status_code == 404
    assert CustodyEntry.objects.filter(item=item).count() == 2


def test_anonymous_is_refused(world: Any, api_client: Any) -> None:
    item = world.extra["evidence"]["a1"]
    assert api_client().get(f"/api/v1/evidence/{item.pk}/download/").status_code in (401, 403)


def test_decompression_bomb_photo_is_refused_naming_the_file(world: Any, api_client: Any) -> None:
    from minewatch.evidence.tests.builders import make_png_bomb

    bomb = make_png_bomb()
    assert len(bomb) < 200_000
    before = EvidenceItem.objects.count()
    response = post_file(api_client(world.users["operator"]), world.incidents["a1"], "foto.png",
                         bomb, kind="photo")  # fmt: skip
    assert response.status_code == 400, response.content[:300]
    assert "150" in response.json()["file"][0]  # the limit, in either language
    assert EvidenceItem.objects.count() == before


def test_photo_over_the_megapixel_limit_is_refused(
    world: Any, api_client: Any, settings: Any
) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "max_image_megapixels": 1}
    from minewatch.evidence.tests.builders import make_png_bomb

    client = api_client(world.users["operator"])
    refused = post_file(client, world.incidents["a1"], "grande.png", make_png_bomb(1200, 1000))
    assert refused.status_code == 400, refused.content[:300]
    assert "1200×1000" in refused.json()["file"][0]
    accepted = post_file(client, world.incidents["a1"], "chica.png", make_png_bomb(1000, 1000))
    assert accepted.status_code == 201, accepted.content[:300]
