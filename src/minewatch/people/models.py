"""People and access (SPEC capability 10): personnel, vetting, licences, training, gate events.

Personal data (Ley 29733): document numbers, phones and the vetting, licence and training
records are for roles with ``see_personal_data`` only; every other reader of a person
sees the name, role, employer and whether they are cleared, never why.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minewatch.core.fields import EncryptedCharField, LookupHashField
from minewatch.core.models import Organisation
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import TenantModel, TenantQuerySet
from minewatch.geo.models import Site
from minewatch.people.choices import (
    AccessResult,
    AnomalyKind,
    CredentialKind,
    Direction,
    DocumentType,
    ExpiryRecordType,
    LocalHireAction,
    PersonRole,
    PersonStatus,
    TrainingKind,
    VettingKind,
    VettingResult,
)
from minewatch.people.engine.anomalies import credential_state
from minewatch.people.engine.expiry import DEFAULT_THRESHOLDS
from minewatch.people.engine.vetting import (
    DEFAULT_REQUIRED_TRAINING,
    DEFAULT_REQUIRED_VETTING,
    DEFAULT_VALIDITY_DAYS,
    DEFAULT_WARN_DAYS,
)

PERSON_OWNERS = ("person__organisation", "person__employer")


def default_vetting() -> dict:
    return {k: list(v) for k, v in DEFAULT_REQUIRED_VETTING.items()}


def default_training() -> dict:
    return {k: list(v) for k, v in DEFAULT_REQUIRED_TRAINING.items()}


def default_validity() -> dict:
    return dict(DEFAULT_VALIDITY_DAYS)


def default_thresholds() -> list:
    return list(DEFAULT_THRESHOLDS)


def personal_data_filter(user: object) -> Q:
    return Q() if has_capability(user, "see_personal_data") else Q(pk__in=[])


class PeopleSettings(models.Model):
    """Per organisation: what each role must have and how long each check stays valid."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="people_settings"
    )
    # {"guard": ["police_record", ...]}, {"guard": ["human_rights", ...]}, {"polygraph": 365}
    required_vetting = models.JSONField(
        _("required vetting per role"), default=default_vetting, blank=True
    )
    required_training = models.JSONField(
        _("required training per role"), default=default_training, blank=True
    )
    validity_days = models.JSONField(
        _("validity (days) per kind"), default=default_validity, blank=True
    )
    warn_days = models.PositiveIntegerField(_("expiring within (days)"), default=DEFAULT_WARN_DAYS)
    expiry_alert_days = models.JSONField(_("expiry alerts (days before)"),
                                         default=default_thresholds, blank=True)  # fmt: skip
    local_hire_action = models.CharField(_("hire-from-outside rule"), max_length=8,
                                         choices=LocalHireAction.choices,
                                         default=LocalHireAction.WARN)  # fmt: skip
    local_hire_km = models.PositiveIntegerField(_("local within (km)"), default=50)
    # {"<site id>": "<district UBIGEO>"}: the district each site lies in (same-province rule).
    site_districts = models.JSONField(_("district of each site"), default=dict, blank=True)
    denial_limit = models.PositiveIntegerField(_("repeated denials: count"), default=3)
    denial_window_min = models.PositiveIntegerField(_("repeated denials: within (min)"),
                                                    default=10)  # fmt: skip
    magazine_opens = models.TimeField(_("explosives magazines open at"), default=dt.time(6))
    magazine_closes = models.TimeField(_("explosives magazines close at"), default=dt.time(18))
    # Retention (Ley 29733 art. 8 and its regulation, D.S. 016-2024-JUS: data kept no longer
    # than needed), in days; 0 keeps the records (people/retention.py applies them).
    retention_access_events_days = models.PositiveIntegerField(
        _("keep access events (days)"), default=0
    )
    retention_visitors_days = models.PositiveIntegerField(
        _("keep visitor records after the visit (days)"), default=0
    )
    retention_vetting_of_leavers_days = models.PositiveIntegerField(
        _("keep the vetting of people who left (days)"), default=0
    )
    retention_leavers_days = models.PositiveIntegerField(
        _("anonymise people who left after (days)"), default=0
    )

    objects = TenantQuerySet.as_manager()
    tenant_owner_field = "organisation"
    tenant_site_field = None

    class Meta:
        verbose_name = _("people settings")
        verbose_name_plural = _("people settings")

    def __str__(self) -> str:
        return f"{self.organisation}"


class Person(TenantModel):
    """Someone who works at the company's sites: its own staff or a contractor's."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="people", verbose_name=_("company")
    )
    employer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="employees",
        verbose_name=_("employer"),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=200)
    document_type = models.CharField(_("document type"), max_length=8,
                                     choices=DocumentType.choices)  # fmt: skip
    # Encrypted at rest (Ley 29733); found by its keyed hash (core/fields.py).
    document_number = EncryptedCharField(_("document number"), max_length=20,
                                         hash_field="document_number_hash")  # fmt: skip
    document_number_hash = LookupHashField(source="document_number")
    badge_number = models.CharField(_("badge number"), max_length=40, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=PersonRole.choices)
    home_ubigeo = models.CharField(_("home district (UBIGEO)"), max_length=6, blank=True)
    # The home district's centroid, for the hire-from-outside distance rule.
    home_lat = models.FloatField(_("home latitude"), null=True, blank=True)
    home_lon = models.FloatField(_("home longitude"), null=True, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PersonStatus.choices,
                              default=PersonStatus.ACTIVE)  # fmt: skip
    # When the status became "left" (the retention periods of leavers count from it).
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    # The photo lives in the evidence blob store (content-addressed), never as a path.
    photo_sha256 = models.CharField(_("photo (SHA-256 in the evidence store)"), max_length=64,
                                    blank=True)  # fmt: skip
    photo_mime = models.CharField(_("photo type"), max_length=40, blank=True)
    # Ley 29733: a hold (an incident, a legal case) keeps the data from being anonymised.
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_owner_field = ("organisation", "employer")  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "document_type",
                                            "document_number_hash"],
                                    name="person_unique_document"),
            models.UniqueConstraint(fields=["organisation", "badge_number"],
                                    condition=~Q(badge_number=""), name="person_unique_badge"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class PersonRecord(models.Model):
    """Base of the records only ``see_personal_data`` roles read."""

    objects = TenantQuerySet.as_manager()
    tenant_owner_field = PERSON_OWNERS
    tenant_site_field = None
    role_filter = staticmethod(personal_data_filter)

    class Meta:
        abstract = True


class VettingRecord(PersonRecord):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="vetting")
    kind = models.CharField(_("kind"), max_length=32, choices=VettingKind.choices)
    date = models.DateField(_("date"))
    issuing_body = models.CharField(_("issuing body"), max_length=200, blank=True)
    # Encrypted at rest (Ley 29733): never queried by value.
    document_number = EncryptedCharField(_("document number"), max_length=60, blank=True)
    result = EncryptedCharField(_("result"), max_length=16, choices=VettingResult.choices)
    reviewer = models.CharField(_("reviewer"), max_length=200, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("vetting record")
        verbose_name_plural = _("vetting records")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Licence(PersonRecord):
    """The SUCAMEC carné (and the firearm licence when armed)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="licences")
    number = models.CharField(_("number"), max_length=40)
    category = models.CharField(_("category"), max_length=60, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))
    armed = models.BooleanField(_("armed"), default=False)

    class Meta:
        ordering = ["-expires_on"]
        verbose_name = _("SUCAMEC licence")
        verbose_name_plural = _("SUCAMEC licences")

    def __str__(self) -> str:
        return self.number


class TrainingRecord(PersonRecord):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="training")
    kind = models.CharField(_("kind"), max_length=32, choices=TrainingKind.choices)
    date = models.DateField(_("date"))
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, default=0)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("training record")
        verbose_name_plural = _("training records")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class Assignment(models.Model):
    """A person posted to a site, on a shift (local time; end before start runs overnight)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assignments")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="people_assignments")
    shift_start = models.TimeField(_("shift start"))
    shift_end = models.TimeField(_("shift end"))
    is_active = models.BooleanField(_("active"), default=True)
    # Why the person counts as hired locally for this site ("" : from outside).
    local_hire = models.CharField(_("hired locally"), max_length=20, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_owner_field = PERSON_OWNERS
    tenant_site_field = None

    class Meta:
        verbose_name = _("site assignment")
        verbose_name_plural = _("site assignments")

    def __str__(self) -> str:
        return f"{self.person} @ {self.site} {self.shift_start:%H:%M}-{self.shift_end:%H:%M}"


class AccessEvent(TenantModel):
    """One pass (or refusal) at an access point, as the controller or the gate page saw it."""

    # No index of their own on organisation and person: the unique constraint (organisation,
    # controller id) and the (person, access point, time) index lead with them, and every
    # index is written once per pass.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                      related_name="access_events", db_index=False)  # fmt: skip
    controller_event_id = models.CharField(_("controller event id"), max_length=100)
    occurred_at = models.DateTimeField(_("time"))
    access_point = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="access_events")
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    # What was typed or scanned: a badge, a plate, or a DNI (a document number: encrypted
    # at rest, Ley 29733); found by its keyed hash (core/fields.py).
    credential = EncryptedCharField(_("credential"), max_length=60, hash_field="credential_hash")
    credential_hash = LookupHashField(source="credential")
    result = models.CharField(_("result"), max_length=8, choices=AccessResult.choices)
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="access_events", db_index=False)  # fmt: skip
    received_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "access_point"

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "controller_event_id"],
                                    name="access_event_unique_controller_id")
        ]  # fmt: skip
        indexes = [models.Index(fields=["person", "access_point", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.access_point} {self.direction} {self.credential} {self.occurred_at:%Y-%m-%d %H:%M}"


class AccessAnomaly(TenantModel):
    event = models.ForeignKey(AccessEvent, on_delete=models.CASCADE, related_name="anomalies")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                      related_name="access_anomalies")  # fmt: skip
    kind = models.CharField(_("kind"), max_length=32, choices=AnomalyKind.choices)
    access_point = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")  # fmt: skip
    occurred_at = models.DateTimeField(_("time"))
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "access_point"

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("access anomaly")
        verbose_name_plural = _("access anomalies")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.event}"


class ExpiryNotice(models.Model):
    """One expiry alert raised (a record, its expiry date, the threshold): never twice."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="expiry_notices")
    record_type = models.CharField(max_length=16, choices=ExpiryRecordType.choices)
    record_id = models.PositiveBigIntegerField()
    expires_on = models.DateField()
    threshold = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_owner_field = PERSON_OWNERS
    tenant_site_field = None
    role_filter = staticmethod(personal_data_filter)

    class Meta:
        verbose_name = _("expiry notice")
        verbose_name_plural = _("expiry notices")
        constraints = [
            models.UniqueConstraint(fields=["record_type", "record_id", "expires_on", "threshold"],
                                    name="expiry_notice_once")
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.record_type}:{self.record_id} {self.expires_on} -{self.threshold}d"


class Credential(TenantModel):
    """A badge, QR code or vehicle plate issued to a person or a vehicle, valid for a window."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                      related_name="access_credentials")  # fmt: skip
    kind = models.CharField(_("kind"), max_length=8, choices=CredentialKind.choices)
    value = models.CharField(_("number, code or plate"), max_length=60)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="credentials", verbose_name=_("person"))  # fmt: skip
    vehicle = models.ForeignKey("tracking.Vehicle", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="access_credentials",
                                verbose_name=_("vehicle"))  # fmt: skip
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("revocation reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = None
    role_filter = staticmethod(personal_data_filter)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "value"],
                                    name="credential_unique_value"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    def state(self, at: object) -> str:
        """valid, revoked or expired at ``at``."""
        return credential_state(at, self.valid_from, self.valid_until, self.revoked_at)


class Visitor(TenantModel):
    """Someone let in for a visit: host, purpose, escorted or not, expected to leave by a time."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                      related_name="visitors")  # fmt: skip
    access_point = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="visitors",
                                     verbose_name=_("access point"))  # fmt: skip
    name = models.CharField(_("name"), max_length=200)
    document_type = models.CharField(_("document type"), max_length=8,
                                     choices=DocumentType.choices)  # fmt: skip
    # Encrypted at rest (Ley 29733), as a person's: never looked up by value.
    document_number = EncryptedCharField(_("document number"), max_length=20)
    host = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="hosted_visitors", verbose_name=_("host"))  # fmt: skip
    purpose = models.CharField(_("purpose"), max_length=300)
    vehicle_plate = models.CharField(_("vehicle plate"), max_length=20, blank=True)
    escorted = models.BooleanField(_("escorted"), default=True)
    checked_in_at = models.DateTimeField(_("checked in at"))
    expected_exit = models.DateTimeField(_("expected exit"))
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    overstay_alerted = models.BooleanField(default=False)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)

    tenant_site_field = "access_point"

    class Meta:
        ordering = ["-checked_in_at"]
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")

    def __str__(self) -> str:
        return f"{self.name} ({self.checked_in_at:%Y-%m-%d %H:%M})"


class TripPassenger(models.Model):
    """A person on a personnel-transport trip's manifest, checked at departure and arrival."""

    trip = models.ForeignKey("tracking.Trip", on_delete=models.CASCADE, related_name="passengers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="trips")
    boarded_at = models.DateTimeField(_("boarded at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    missing_alerted = models.BooleanField(default=False)

    objects = TenantQuerySet.as_manager()
    tenant_owner_field = "trip__organisation"
    tenant_site_field = "trip__site"

    class Meta:
        ordering = ["trip", "person__name"]
        verbose_name = _("trip passenger")
        verbose_name_plural = _("trip passengers")
        constraints = [
            models.UniqueConstraint(fields=["trip", "person"], name="trip_passenger_once")
        ]

    def __str__(self) -> str:
        return f"{self.trip} · {self.person}"
