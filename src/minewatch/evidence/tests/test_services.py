"""Intake, custody actions and verification through the evidence services."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from minewatch.core.errors import InvalidInput, InvalidTransition, NotAllowed
from minewatch.core.models import AuditEntry
from minewatch.evidence import services
from minewatch.evidence.models import CustodyEntry, EvidenceItem
from minewatch.evidence.storage import get_store
from minewatch.evidence.tests.builders import (
    make_gzip,
    make_image,
    make_jpeg_with_exif,
    make_tar,
    make_zip,
)
from minewatch.evidence.tests.helpers import add_audio, add_photo, upload


def actions(item: EvidenceItem) -> list[str]:
    return list(CustodyEntry.objects.filter(item=item).values_list("action", flat=True))


def test_photo_intake_stores_by_hash_reads_exif_and_opens_custody(world: Any) -> None:
    item = add_photo(world, declared_place="Garita 3", collected_by="Guardia J. Pérez")
    assert get_store().verify(item.sha256)
    assert item.content_type == "image/jpeg"
    assert item.original_name == "IMG_0001.jpg"
    assert item.file_captured_at == dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC)
    assert (round(item.file_lat, 2), round(item.file_lon, 2)) == (-15.85, -74.25)
    assert item.file_camera == "ACME Cam 1"
    assert item.organisation == world.orgs["a"]
    assert actions(item) == ["collected", "uploaded"]
    first = CustodyEntry.objects.get(item=item, sequence=0)
    assert first.actor_name == "Guardia J. Pérez"
    assert item.custody_length == 2
    assert services.verify_item(item).is_ok


def test_declared_time_far_from_exif_time_is_kept_as_a_discrepancy(world: Any) -> None:
    item = add_photo(world, declared_at=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC))
    assert [d["field"] for d in item.discrepancies] == ["captured_at"]
    assert "270 min" in item.discrepancies[0]["message"]


def test_declared_place_far_from_exif_gps_is_a_discrepancy(world: Any) -> None:
    item = add_photo(world, declared_lat=-7.73, declared_lon=-77.53)
    assert "position" in [d["field"] for d in item.discrepancies]


def test_audio_duration_is_read(world: Any) -> None:
    item = add_audio(world, seconds=2.0)
    assert item.content_label == "wav"
    assert item.file_duration_s == pytest.approx(2.0, abs=0.01)


def test_file_name_is_for_display_only(world: Any) -> None:
    item = services.intake_evidence(
        actor=world.users["operator"], incident=world.incidents["a1"], kind="message",
        file=upload("../../etc/passwd\x00.txt", b"Paga o muere"),
    )  # fmt: skip
    assert item.original_name == "passwd.txt"
    assert "passwd" not in get_store().path_for(item.sha256)


BAD_UPLOADS = [
    ("zip archive", "photo", "fotos.zip", make_zip({"a.jpg": b"x"}), "ZIP archives"),
    ("tar archive", "document", "docs.tar", make_tar(), "tar archive"),
    ("gzip archive", "document", "nota.txt.gz", make_gzip(), "gzip archive"),
    ("pdf declared as photo", "photo", "foto.jpg", b"%PDF-1.7\n%...", "declared photo"),
    ("text declared as audio", "audio", "audio.mp3", b"hola", "declared audio"),
    ("png declared as video", "video", "clip.mp4", make_image("PNG"), "declared video"),
    ("empty file", "message", "vacio.txt", b"", "empty"),
    ("html page", "message", "mensaje.txt", b"<html><script>x</script></html>", "markup"),
]


def test_bad_uploads_are_refused_on_file_and_nothing_is_stored(world: Any) -> None:
    # One world for the whole case table: building it dominates the test's time.
    before = (EvidenceItem.objects.count(), CustodyEntry.objects.count())
    for case, kind, name, data, message in BAD_UPLOADS:
        with pytest.raises(InvalidInput) as error:
            services.intake_evidence(
                actor=world.users["operator"], incident=world.incidents["a1"], kind=kind,
                file=upload(name, data),
            )  # fmt: skip
        assert (error.value.field, message in error.value.message) == ("file", True), case
    assert (EvidenceItem.objects.count(), CustodyEntry.objects.count()) == before
    assert set(get_store().iter_hashes()) == set(
        EvidenceItem.objects.values_list("sha256", flat=True)
    )


def test_oversized_upload_is_refused_with_the_limit(world: Any, settings: Any) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "max_upload_mb": 1}
    data = b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024)
    with pytest.raises(InvalidInput) as error:
        services.intake_evidence(
            actor=world.users["operator"], incident=world.incidents["a1"], kind="photo",
            file=upload("grande.jpg", data),
        )  # fmt: skip
    assert error.value.field == "file"
    assert "upload limit is 1 MB" in error.value.message
    assert set(get_store().iter_hashes()) == set(
        EvidenceItem.objects.values_list("sha256", flat=True)
    )


def test_stream_longer_than_its_declared_size_is_still_cut_at_the_limit(
    world: Any, settings: Any
) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "max_upload_mb": 1}
    file = upload("grande.jpg", b"\xff\xd8\xff\xe0" + os.urandom(1024 * 1024))
    file.size = 10  # a lying client or upload handler
    with pytest.raises(InvalidInput) as error:
        services.intake_evidence(
            actor=world.users["operator"], incident=world.incidents["a1"], kind="photo", file=file
        )
    assert error.value.field == "file"
    assert "upload limit" in error.value.message


BAD_DECLARATIONS = [
    ({"declared_lat": -7.7}, "declared_lat"),
    ({"declared_lat": -95.0, "declared_lon": -77.0}, "declared_lat"),
    ({"declared_lat": -7.0, "declared_lon": -190.0}, "declared_lon"),
    ({"declared_at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}, "declared_at"),
    ({"collected_at": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}, "collected_at"),
    ({"declared_at": dt.datetime(2024, 1, 1)}, "declared_at"),
    ({"colour": "red"}, "colour"),
]


def test_bad_declarations_are_refused_naming_the_field(world: Any) -> None:
    before = EvidenceItem.objects.count()
    for values, field in BAD_DECLARATIONS:
        with pytest.raises(InvalidInput) as error:
            services.intake_evidence(
                actor=world.users["operator"], incident=world.incidents["a1"], kind="message",
                file=upload("m.txt", b"cupo"), **values,
            )  # fmt: skip
        assert error.value.field == field, values
    assert EvidenceItem.objects.count() == before


def test_same_file_twice_on_one_incident_is_refused(world: Any) -> None:
    add_photo(world)
    with pytest.raises(InvalidInput) as error:
        add_photo(world)
    assert error.value.field == "file"
    assert "already evidence item" in error.value.message


def test_same_file_on_two_incidents_is_stored_once(world: Any) -> None:
    first, second = add_photo(world, "a1"), add_photo(world, "a2")
    assert first.sha256 == second.sha256
    assert list(get_store().iter_hashes()).count(first.sha256) == 1


@pytest.mark.parametrize("role", ["auditor", "liaison"])
def test_roles_without_evidence_capability_cannot_upload(world: Any, role: str) -> None:
    with pytest.raises(NotAllowed):
        add_photo(world, actor=world.users[role])


def test_incident_of_another_company_reads_as_unknown(world: Any) -> None:
    with pytest.raises(InvalidInput) as error:
        add_photo(world, "b1")
    assert error.value.field == "incident"


def test_hand_over_and_return_are_chained_with_the_recipient(world: Any) -> None:
    item, manager = add_photo(world), world.users["security_manager"]
    services.hand_over(item, actor=manager, recipient_organisation="Comisaría PNP Tayabamba",
                       document_number="Oficio 045-2025-PNP", reason="para peritaje")  # fmt: skip
    with pytest.raises(InvalidTransition):
        services.hand_over(item, actor=manager, recipient_organisation="Otra",
                           document_number="1")  # fmt: skip
    services.return_item(item, actor=manager, reason="devuelto tras peritaje")
    handed = CustodyEntry.objects.get(item=item, action="handed_over")
    assert (handed.recipient_organisation, handed.recipient_document_number) == (
        "Comisaría PNP Tayabamba", "Oficio 045-2025-PNP",
    )  # fmt: skip
    assert actions(item)[-2:] == ["handed_over", "returned"]
    assert services.verify_item(item).is_ok


@pytest.mark.parametrize(
    "values,field",
    [({"recipient_organisation": "", "document_number": "1"}, "recipient_organisation"),
     ({"recipient_organisation": "Fiscalía de Pataz", "document_number": " "}, "document_number")],
)  # fmt: skip
def test_hand_over_needs_recipient_and_document_number(
    world: Any, values: dict, field: str
) -> None:
    item = add_photo(world)
    with pytest.raises(InvalidInput) as error:
        services.hand_over(item, actor=world.users["security_manager"], **values)
    assert error.value.field == field
    assert actions(item) == ["collected", "uploaded"]


def test_legal_hold_is_for_managers_and_is_logged(world: Any) -> None:
    item = add_photo(world)
    with pytest.raises(NotAllowed):
        services.set_legal_hold(item, actor=world.users["operator"], reason="fiscalía")
    services.set_legal_hold(item, actor=world.users["admin"], reason="Requerimiento fiscal 12")
    assert EvidenceItem.objects.get(pk=item.pk).legal_hold
    services.release_legal_hold(item, actor=world.users["admin"], reason="archivo del caso")
    assert actions(item)[-2:] == ["legal_hold", "released"]
    assert AuditEntry.objects.filter(
        object_type="evidence.evidenceitem", note="legal_hold"
    ).exists()


def test_view_and_download_are_custody_entries(world: Any) -> None:
    item = add_photo(world)
    services.record_view(item, actor=world.users["analyst"])
    with services.open_for_download(item, actor=world.users["analyst"]) as stream:
        assert stream.read() == make_jpeg_with_exif()
    assert actions(item)[-2:] == ["viewed", "downloaded"]
    assert CustodyEntry.objects.filter(item=item).last().actor_name == "a-analyst"


def test_custody_rows_are_append_only(world: Any) -> None:
    entry = CustodyEntry.objects.filter(item=add_photo(world)).first()
    entry.reason = "otra cosa"
    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    with pytest.raises(PermissionDenied):
        CustodyEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(PermissionDenied):
        CustodyEntry.objects.filter(pk=entry.pk).delete()


def test_a_truncated_log_is_never_appended_to(world: Any) -> None:
    item = add_photo(world)
    last = CustodyEntry.objects.filter(item=item).last()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM evidence_custodyentry WHERE id = %s", [last.pk])
    item.refresh_from_db()
    with pytest.raises(services.CustodyBroken):
        services.hand_over(item, actor=world.users["security_manager"],
                           recipient_organisation="PNP", document_number="1")  # fmt: skip
    assert services.record_view(item, actor=world.users["analyst"]) is None
    assert AuditEntry.objects.filter(note__startswith="viewed; custody log broken").exists()
    with pytest.raises(services.CustodyBroken):
        services.open_for_download(item, actor=world.users["analyst"])
    kinds = {p.kind for p in services.verify_item(item).chain_problems}
    assert kinds == {"length_mismatch", "head_mismatch"}


def test_altered_file_is_not_handed_out(world: Any) -> None:
    item = add_photo(world)
    path = get_store().path_for(item.sha256)
    os.chmod(path, 0o600)
    with open(path, "r+b") as blob:
        blob.seek(100)
        blob.write(b"\x00\x01")
    with pytest.raises(services.EvidenceUnavailable):
        services.open_for_download(item, actor=world.users["analyst"])
    assert services.verify_item(item).file_status == "changed"
    assert actions(item) == ["collected", "uploaded"]


def test_verify_all_is_clean_on_untouched_evidence(world: Any) -> None:
    add_photo(world)
    add_audio(world)
    seen: list[int] = []
    report = services.verify_all(progress=seen.append)
    assert report.is_ok
    assert report.items == EvidenceItem.objects.count() == sum(seen)
    assert report.entries == CustodyEntry.objects.count()


def test_verify_all_pages_through_every_item_in_small_batches(world: Any) -> None:
    add_photo(world)
    add_audio(world)
    total = EvidenceItem.objects.count()
    seen: list[int] = []
    report = services.verify_all(batch_size=1, progress=seen.append)
    assert seen == [1] * total
    assert report.items == total
