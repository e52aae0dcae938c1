"""Enumerations of the people app, named after their field."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    DNI = "dni", _("DNI")
    CE = "ce", _("Carné de extranjería")


class PersonRole(models.TextChoices):
    GUARD = "guard", _("Guard")
    SUPERVISOR = "supervisor", _("Supervisor")
    DRIVER = "driver", _("Driver")
    ESCORT = "escort", _("Escort")
    STAFF = "staff", _("Staff")


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    LEFT = "left", _("Left")


class VettingKind(models.TextChoices):
    POLICE_RECORD = "police_record", _("Police record")
    CRIMINAL_RECORD = "criminal_record", _("Criminal record")
    JUDICIAL_RECORD = "judicial_record", _("Judicial record")
    POLYGRAPH = "polygraph", _("Polygraph")
    REFERENCE_CHECK = "reference_check", _("Reference check")
    INTERNAL_AUDIT = "internal_audit", _("Internal audit")
    DRUG_TEST = "drug_test", _("Drug test")


class VettingResult(models.TextChoices):
    CLEAR = "clear", _("Clear")
    FLAGGED = "flagged", _("Flagged")
    FAILED = "failed", _("Failed")


class TrainingKind(models.TextChoices):
    HUMAN_RIGHTS = "human_rights", _("Human rights")
    USE_OF_FORCE = "use_of_force", _("Use of force")
    DE_ESCALATION = "de_escalation", _("De-escalation")
    FIRST_AID = "first_aid", _("First aid")
    SITE_INDUCTION = "site_induction", _("Site induction")


class VettingState(models.TextChoices):
    CLEARED = "cleared", _("Cleared")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")
    FAILED = "failed", _("Failed")
    INCOMPLETE = "incomplete", _("Incomplete")


class Direction(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")


class AccessResult(models.TextChoices):
    GRANTED = "granted", _("Granted")
    DENIED = "denied", _("Denied")


class AnomalyKind(models.TextChoices):
    UNKNOWN_CREDENTIAL = "unknown_credential", _("Unknown credential")
    NOT_CLEARED = "not_cleared", _("Person not cleared")
    NOT_ASSIGNED = "not_assigned", _("Not assigned to this site")
    OUTSIDE_SHIFT = "outside_shift", _("Outside the assigned shift")
    ANTI_PASSBACK = "anti_passback", _("Anti-passback (in twice without out)")
    REVOKED_CREDENTIAL = "revoked_credential", _("Revoked credential")
    EXPIRED_CREDENTIAL = "expired_credential", _("Expired credential")
    REPEATED_DENIALS = "repeated_denials", _("Repeated denials at one gate")
    UNPLANNED_VEHICLE = "unplanned_vehicle", _("Vehicle not planned or authorised")
    AFTER_HOURS_MAGAZINE = "after_hours_magazine", _("After-hours access to an explosives magazine")


class CredentialKind(models.TextChoices):
    BADGE = "badge", _("Badge")
    QR = "qr", _("QR code")
    PLATE = "plate", _("Vehicle plate")


class LocalHireAction(models.TextChoices):
    OFF = "off", _("Off")
    WARN = "warn", _("Warn")
    REFUSE = "refuse", _("Refuse the assignment")


class ExpiryRecordType(models.TextChoices):
    VETTING = "vetting", _("Vetting")
    LICENCE = "licence", _("SUCAMEC licence")
    TRAINING = "training", _("Training")
