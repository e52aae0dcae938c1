"""Builders for the evidence app's database tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile

from minewatch.evidence import services
from minewatch.evidence.models import EvidenceItem
from minewatch.evidence.tests.builders import make_jpeg_with_exif, make_wav


def upload(name: str, data: bytes) -> ContentFile:
    return ContentFile(data, name=name)


def add_photo(world: Any, incident_key: str = "a1", **values: Any) -> EvidenceItem:
    """A JPEG with EXIF time 2024-05-01 07:30 UTC and GPS 15°51'S 74°15'W."""
    values.setdefault("declared_at", dt.datetime(2024, 5, 1, 7, 40, tzinfo=dt.UTC))
    return services.intake_evidence(
        actor=values.pop("actor", world.users["security_manager"]),
        incident=world.incidents[incident_key], kind="photo",
        file=upload("IMG_0001.jpg", make_jpeg_with_exif()), **values,
    )  # fmt: skip


def add_audio(world: Any, incident_key: str = "a1", seconds: float = 2.0) -> EvidenceItem:
    return services.intake_evidence(
        actor=world.users["operator"], incident=world.incidents[incident_key], kind="audio",
        file=upload("llamada.wav", make_wav(seconds)), description="Llamada de extorsión",
    )  # fmt: skip
