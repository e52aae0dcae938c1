"""Photos go through the evidence store (content-addressed), and are shown at the gate."""

import hashlib
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from minewatch.evidence.storage import get_store
from minewatch.people.tests.test_views import signed_in


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_photo_upload_store_and_show(world, api_client, gates):
    guard = world.extra["people_a"]["guard"]
    data = png_bytes()
    manager = api_client(world.users["security_manager"])
    response = manager.post(f"/api/v1/people/{guard.pk}/photo/",
                            {"file": SimpleUploadedFile("cara.png", data)}, format="multipart")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["has_photo"] is True
    guard.refresh_from_db()
    assert guard.photo_sha256 == hashlib.sha256(data).hexdigest()
    assert get_store().exists(guard.photo_sha256)
    client = signed_in(world.users["guard"])
    page = client.get(f"/people/gate/?point={gates['a1'].pk}&credential=A-001").content.decode()
    assert f"/people/{guard.pk}/photo/" in page
    served = client.get(f"/people/{guard.pk}/photo/")
    assert served.status_code == 200 and b"".join(served.streaming_content) == data
    b_client = signed_in(world.users["b-manager"])
    assert b_client.get(f"/people/{guard.pk}/photo/").status_code == 404


def test_photo_refuses_non_images_and_other_roles(world, api_client):
    guard = world.extra["people_a"]["guard"]
    manager = api_client(world.users["security_manager"])
    bad = manager.post(f"/api/v1/people/{guard.pk}/photo/",
                       {"file": SimpleUploadedFile("cara.png", b"%PDF-1.4 not an image")},
                       format="multipart")  # fmt: skip
    assert bad.status_code == 400 and "file" in bad.json()
    missing = manager.post(f"/api/v1/people/{guard.pk}/photo/", {}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()
    operator = api_client(world.users["operator"])
    refused = operator.post(f"/api/v1/people/{guard.pk}/photo/",
                            {"file": SimpleUploadedFile("c.png", png_bytes())}, format="multipart")  # fmt: skip
    assert refused.status_code == 403
