"""Alarm panels (SIA DC-09), camera zones (Frigate), patrol routes and guard tours."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minewatch.core.choices import Role
from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel
from minewatch.geo.models import LAT_VALIDATORS, LON_VALIDATORS, Site, Zone

USER = settings.AUTH_USER_MODEL


def own_tours_filter(user: object) -> Q:
    """A guard sees only its own tours and scans; the control room sees all."""
    if getattr(user, "role", None) == Role.GUARD:
        return Q(guard_id=getattr(user, "pk", None))
    return Q()


class AlarmPanel(TenantModel):
    """An intrusion alarm panel reporting over SIA DC-09 to our receiver.

    ``zone_map`` names the panel's zones: ``{"3": {"name": "Cerco norte", "perimeter": true,
    "zone_id": 12}}`` (``zone_id`` a geo zone). ``max_silence_s`` supervises the heartbeat:
    silent longer than that, an alert (empty: not supervised).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="alarm_panels")
    name = models.CharField(_("name"), max_length=200)
    account = models.CharField(_("SIA account"), max_length=16, unique=True)
    key = models.CharField(_("AES key"), max_length=32, blank=True)
    zone_map = models.JSONField(_("zones"), default=dict, blank=True)
    max_silence_s = models.PositiveIntegerField(_("longest silence (s)"), null=True, blank=True)
    max_age_s = models.PositiveIntegerField(_("oldest accepted timestamp (s)"), default=40)
    last_seen_at = models.DateTimeField(_("last heard"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["name"]
        verbose_name = _("alarm panel")
        verbose_name_plural = _("alarm panels")

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"

    def zone_name(self, zone: str) -> str:
        entry = (self.zone_map or {}).get(zone) or {}
        return str(entry.get("name") or (f"zona {zone}" if zone else "panel"))


class PanelEventRecord(TenantModel):
    """One event a panel reported (heartbeats only update ``last_seen_at``)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    panel = models.ForeignKey(AlarmPanel, on_delete=models.CASCADE, related_name="events")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=4)
    category = models.CharField(max_length=20, db_index=True)
    zone = models.CharField(max_length=8, blank=True)
    area = models.CharField(max_length=8, blank=True)
    message = models.CharField(max_length=300, blank=True)
    sequence = models.CharField(max_length=8, blank=True)
    event_time = models.DateTimeField()
    received_at = models.DateTimeField(db_index=True)
    is_encrypted = models.BooleanField(default=False)
    alert = models.ForeignKey("alerts.Alert", on_delete=models.SET_NULL, null=True, blank=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("panel event")
        verbose_name_plural = _("panel events")

    def __str__(self) -> str:
        return f"{self.panel_id} {self.code}{self.zone} {self.received_at:%Y-%m-%d %H:%M:%S}"


class CameraZoneRule(TenantModel):
    """Where and when a Frigate detection on a camera is an intrusion."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="camera_rules")
    zone = models.ForeignKey(
        Zone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    camera = models.CharField(_("Frigate camera"), max_length=100, db_index=True)
    zones = models.JSONField(_("Frigate zones"), default=list)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    min_score = models.FloatField(
        _("minimum score"), default=0.7, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    window_start = models.TimeField(_("from (local time)"), null=True, blank=True)
    window_end = models.TimeField(_("until (local time)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["camera"]
        verbose_name = _("camera zone rule")
        verbose_name_plural = _("camera zone rules")

    def __str__(self) -> str:
        return f"{self.camera}: {', '.join(self.zones)}"


class CameraObservationRecord(TenantModel):
    """A camera detection judged an intrusion, with its snapshot (JPEG) when Frigate sent one."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(CameraZoneRule, on_delete=models.SET_NULL, null=True, blank=True)
    event_id = models.CharField(_("Frigate event"), max_length=100, db_index=True)
    camera = models.CharField(max_length=100)
    label = models.CharField(max_length=40)
    zone = models.CharField(max_length=100, blank=True)
    score = models.FloatField()
    occurred_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    snapshot = models.FileField(upload_to="alarms/snapshots/%Y/%m/", blank=True)
    alert = models.ForeignKey("alerts.Alert", on_delete=models.SET_NULL, null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("camera intrusion")
        verbose_name_plural = _("camera intrusions")

    def __str__(self) -> str:
        return f"{self.camera} {self.label} {self.occurred_at:%Y-%m-%d %H:%M}"


class PatrolRoute(TenantModel):
    """An ordered set of checkpoints a guard walks; lone guards also check in every N minutes."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patrol_routes")
    name = models.CharField(_("name"), max_length=200)
    lone_guard_interval_minutes = models.PositiveIntegerField(
        _("lone guard check-in every (min)"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["name"]
        verbose_name = _("patrol route")
        verbose_name_plural = _("patrol routes")

    def __str__(self) -> str:
        return self.name


class Checkpoint(models.Model):
    """A posted QR/NFC code, expected ``offset_minutes`` after the tour starts (± tolerance)."""

    route = models.ForeignKey(PatrolRoute, on_delete=models.CASCADE, related_name="checkpoints")
    order = models.PositiveSmallIntegerField()
    code = models.CharField(_("QR/NFC code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    offset_minutes = models.PositiveIntegerField(_("due after start (min)"))
    tolerance_minutes = models.PositiveIntegerField(_("tolerance (min)"), default=5)
    lat = models.FloatField(null=True, blank=True, validators=LAT_VALIDATORS)
    lon = models.FloatField(null=True, blank=True, validators=LON_VALIDATORS)

    tenant_owner_field = "route__organisation"
    tenant_site_field = "route__site"

    class Meta:
        ordering = ["route", "order"]
        constraints = [
            models.UniqueConstraint(fields=["route", "code"], name="alarms_checkpoint_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TourRun(TenantModel):
    """One guard walking one route from ``started_at``."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    route = models.ForeignKey(PatrolRoute, on_delete=models.PROTECT, related_name="runs")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    guard = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    is_lone_guard = models.BooleanField(_("lone guard"), default=False)
    last_check_in_at = models.DateTimeField(null=True, blank=True)
    alerted_codes = models.JSONField(default=list, blank=True)

    tenant_site_field = "site"
    role_filter = staticmethod(own_tours_filter)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.route} {self.started_at:%Y-%m-%d %H:%M}"


class CheckpointScan(TenantModel):
    """A guard scanned a checkpoint code (from the phone page or the API)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    tour = models.ForeignKey(TourRun, on_delete=models.CASCADE, related_name="scans")
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, related_name="scans")
    guard = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    scanned_at = models.DateTimeField()
    received_at = models.DateTimeField()
    lat = models.FloatField(null=True, blank=True, validators=LAT_VALIDATORS)
    lon = models.FloatField(null=True, blank=True, validators=LON_VALIDATORS)
    status = models.CharField(max_length=16)

    tenant_site_field = "site"
    role_filter = staticmethod(own_tours_filter)

    class Meta:
        ordering = ["-scanned_at", "-id"]

    def __str__(self) -> str:
        return f"{self.checkpoint_id} {self.scanned_at:%H:%M}"
