"""Vehicles, trackers, trips with cargo and escorts, positions, detections, ingest rejections.

``Position`` is the one large table. On PostgreSQL it is range-partitioned by
month on ``fix_time`` (migration 0002, ``services.partitions``); on SQLite it is a
plain table. Because a partitioned table's keys must include the partition key,
nothing holds a foreign key *to* a position: a detection names its evidence by
``(device, fix_time)``, which is unique.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel, TenantQuerySet
from minewatch.geo.models import LAT_VALIDATORS, LON_VALIDATORS, Route, Site, Zone
from minewatch.tracking.choices import (
    DetectionKind,
    DeviceProtocol,
    IngestSource,
    TripRole,
    TripStatus,
    VehicleKind,
)


class Vehicle(TenantModel):
    """A truck, escort vehicle, bus or pickup; the transport contractor also sees it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("owner")
    )
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="vehicles",
        verbose_name=_("home site"),
    )  # fmt: skip
    plate = models.CharField(_("plate"), max_length=20)
    kind = models.CharField(_("kind"), max_length=16, choices=VehicleKind.choices)
    contractor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True,
        related_name="contracted_vehicles", verbose_name=_("transport contractor"),
    )  # fmt: skip
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    tenant_owner_field = ("organisation", "contractor")
    tenant_site_field = "site"

    class Meta:
        ordering = ["plate"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "plate"], name="vehicle_unique_plate")
        ]

    def __str__(self) -> str:
        return self.plate


class Device(TenantModel):
    """A tracker (phone app or hardware) identified by its unique id, e.g. an IMEI.

    ``unique_id`` is what the tracker sends (OsmAnd ``id``, Traccar ``uniqueId``,
    MQTT ``device``), so it is unique across all organisations. A sender must
    present the device's secret (stored hashed in ``secret_hash``; see
    ``tracking/credentials.py`` for where it goes) unless the device is marked
    ``accepts_unauthenticated`` (a legacy tracker that cannot send one; shown
    as a warning in the web app and the API).
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="devices", verbose_name=_("owner")
    )
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="devices",
        verbose_name=_("home site"),
    )  # fmt: skip
    unique_id = models.CharField(_("tracker identifier"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    protocol = models.CharField(
        _("protocol"), max_length=16, choices=DeviceProtocol.choices, default=DeviceProtocol.OSMAND
    )
    secret_hash = models.CharField(_("secret (hashed)"), max_length=128, blank=True,
                                   editable=False)  # fmt: skip
    accepts_unauthenticated = models.BooleanField(
        _("accepts positions without a secret (legacy tracker)"), default=False
    )
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="devices",
        verbose_name=_("vehicle"),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["unique_id"]
        verbose_name = _("tracking device")
        verbose_name_plural = _("tracking devices")

    def __str__(self) -> str:
        return self.name or self.unique_id


class Trip(TenantModel):
    """A convoy trip on a planned route, with windows, cargo and its vehicles (``TripVehicle``)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="trips")
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="trips",
        verbose_name=_("site"),
    )  # fmt: skip
    reference = models.CharField(_("reference"), max_length=40)
    route = models.ForeignKey(
        Route, on_delete=models.PROTECT, null=True, blank=True, related_name="trips",
        verbose_name=_("planned route"),
    )  # fmt: skip
    destination_zone = models.ForeignKey(
        Zone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("destination zone"),
    )  # fmt: skip
    departure_after = models.DateTimeField(_("departure window opens"), null=True, blank=True)
    departure_before = models.DateTimeField(_("departure window closes"), null=True, blank=True)
    arrival_after = models.DateTimeField(_("arrival window opens"), null=True, blank=True)
    arrival_before = models.DateTimeField(_("arrival window closes"), null=True, blank=True)
    cargo_material = models.CharField(_("cargo material"), max_length=100, blank=True)
    cargo_tonnes = models.FloatField(
        _("cargo (t)"), null=True, blank=True, validators=[MinValueValidator(0.0)]
    )
    declared_value_usd = models.DecimalField(
        _("declared value (USD)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    seal_numbers = models.JSONField(_("seal numbers"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=TripStatus.choices, default=TripStatus.PLANNED
    )
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    aborted_at = models.DateTimeField(_("aborted at"), null=True, blank=True)
    abort_reason = models.CharField(_("abort reason"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_synthetic = models.BooleanField(_("synthetic"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("trip")
        verbose_name_plural = _("trips")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="trip_unique_ref")
        ]

    def __str__(self) -> str:
        return self.reference


class TripVehicle(models.Model):
    """A vehicle in a trip's convoy with its role: cargo, escort or lead."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="members")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="trip_roles")
    role = models.CharField(_("role"), max_length=16, choices=TripRole.choices)

    objects = TenantQuerySet.as_manager()
    tenant_owner_field = "trip__organisation"
    tenant_site_field = "trip__site"

    class Meta:
        ordering = ["trip", "role", "vehicle"]
        verbose_name = _("trip vehicle")
        verbose_name_plural = _("trip vehicles")
        constraints = [
            models.UniqueConstraint(fields=["trip", "vehicle"], name="trip_vehicle_unique")
        ]

    def __str__(self) -> str:
        return f"{self.trip} · {self.vehicle} ({self.role})"


class Position(models.Model):
    """One fix of one device. ``(device, fix_time)`` is unique: a duplicate is stored once."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="positions")
    fix_time = models.DateTimeField(_("fix time"))
    received_at = models.DateTimeField(_("received at"))
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), validators=LON_VALIDATORS)
    speed_kmh = models.FloatField(_("speed (km/h)"), null=True, blank=True)
    course = models.FloatField(
        _("course (deg)"), null=True, blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(360.0)],
    )  # fmt: skip
    altitude = models.FloatField(_("altitude (m)"), null=True, blank=True)
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=IngestSource.choices)

    objects = TenantQuerySet.as_manager()
    tenant_owner_field = "device__organisation"
    tenant_site_field = "device__site"

    class Meta:
        ordering = ["device", "fix_time"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [
            models.UniqueConstraint(fields=["device", "fix_time"], name="position_unique_fix")
        ]
        indexes = [models.Index(fields=["fix_time"], name="position_fix_time")]

    def __str__(self) -> str:
        return f"{self.device_id} @ {self.fix_time:%Y-%m-%d %H:%M:%S}"


class Detection(TenantModel):
    """What a detector found: kind, device and trip, time and place, details, evidence fix times."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="detections"
    )
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="detections"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=DetectionKind.choices)
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="detections"
    )
    trip = models.ForeignKey(
        Trip, on_delete=models.SET_NULL, null=True, blank=True, related_name="detections"
    )
    time = models.DateTimeField(_("time"))
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Fix times (ISO 8601) of the device's positions that prove the detection.
    evidence_times = models.JSONField(_("evidence fix times"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["-time", "-pk"]
        verbose_name = _("detection")
        verbose_name_plural = _("detections")
        indexes = [
            models.Index(fields=["organisation", "time"], name="detection_org_time"),
            models.Index(fields=["kind", "time"], name="detection_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.device_id} @ {self.time:%Y-%m-%d %H:%M}"


class IngestRejection(models.Model):
    """A counter of fixes refused, per device identifier, source and reason (never silent).

    ``organisation`` is empty for identifiers of no registered device: those
    counters are visible to platform administrators only.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True,
        related_name="ingest_rejections",
    )  # fmt: skip
    device_key = models.CharField(_("device identifier"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=IngestSource.choices)
    reason = models.CharField(_("reason"), max_length=40)
    field = models.CharField(_("field"), max_length=60, blank=True)
    count = models.PositiveBigIntegerField(_("count"), default=0)
    first_at = models.DateTimeField(_("first seen"))
    last_at = models.DateTimeField(_("last seen"))
    last_message = models.CharField(_("last message"), max_length=300, blank=True)
    last_sample = models.TextField(_("last rejected input (truncated)"), blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_owner_field = "organisation"
    tenant_site_field = None

    class Meta:
        ordering = ["-last_at"]
        verbose_name = _("ingest rejection")
        verbose_name_plural = _("ingest rejections")
        constraints = [
            models.UniqueConstraint(
                fields=["device_key", "source", "reason"], name="rejection_unique_counter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} × {self.count} ({self.source}, {self.device_key or '?'})"


class TrackerState(models.Model):
    """The engine's state of one device (JSON) and its latest fix, so a restart continues."""

    device = models.OneToOneField(
        Device, on_delete=models.CASCADE, primary_key=True, related_name="tracker_state"
    )
    state = models.JSONField(default=dict)
    last_position = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("tracker state")
        verbose_name_plural = _("tracker states")

    def __str__(self) -> str:
        return f"state of {self.device_id}"
