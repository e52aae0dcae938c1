"""Enumerations of the evidence app, named after their field."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EvidenceKind(models.TextChoices):
    """What the person says the item is (the engine's allow-list is keyed by these values)."""

    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    DOCUMENT = "document", _("Document")
    MESSAGE = "message", _("Message (e.g. exported chat or e-mail)")
    SENSOR_SNAPSHOT = "sensor_snapshot", _("Sensor snapshot (camera, alarm)")


class CustodyAction(models.TextChoices):
    """What happened to an item; the values are the engine's ``CustodyAction``."""

    COLLECTED = "collected", _("Collected")
    UPLOADED = "uploaded", _("Uploaded")
    VIEWED = "viewed", _("Viewed")
    DOWNLOADED = "downloaded", _("Downloaded")
    EXPORTED = "exported", _("Exported (dossier)")
    HANDED_OVER = "handed_over", _("Handed over")
    RETURNED = "returned", _("Returned")
    LEGAL_HOLD = "legal_hold", _("Legal hold")
    RELEASED = "released", _("Legal hold released")
    VERIFIED = "verified", _("Verified")


class CustodyStatus(models.TextChoices):
    """Where the original is: with the organisation or handed over to an authority."""

    IN_CUSTODY = "in_custody", _("In custody")
    HANDED_OVER = "handed_over", _("Handed over")
