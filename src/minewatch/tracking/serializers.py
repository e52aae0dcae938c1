"""Serializers of the tracking API; writes go through ``services.fleet``."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from minewatch.core.api import VisibleRelatedField
from minewatch.core.models import Organisation
from minewatch.core.serializers import WholeItemSerializerMixin
from minewatch.geo.models import Route, Site, Zone
from minewatch.tracking.choices import TripRole
from minewatch.tracking.models import (
    Detection,
    Device,
    IngestRejection,
    Position,
    Trip,
    TripVehicle,
    Vehicle,
)
from minewatch.tracking.progress import trip_progress
from minewatch.tracking.services import fleet


class VehicleSerializer(serializers.ModelSerializer):
    site = VisibleRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    contractor = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    contractor_name = serializers.CharField(source="contractor.name", read_only=True, default=None)

    class Meta:
        model = Vehicle
        fields = ["id", "organisation", "site", "plate", "kind", "contractor", "contractor_name",
                  "description", "is_active"]  # fmt: skip
        read_only_fields = ["organisation"]

    def create(self, validated: dict[str, Any]) -> Vehicle:
        return fleet.save_vehicle(actor=self.context["request"].user, **validated)

    def update(self, instance: Vehicle, validated: dict[str, Any]) -> Vehicle:
        return fleet.save_vehicle(actor=self.context["request"].user, vehicle=instance, **validated)


def authentication_warning(device: Device) -> str | None:
    """Why anyone could send positions as this device, or None when it is protected."""
    if device.accepts_unauthenticated:
        return str(_("Legacy tracker: positions are accepted without a secret, so anyone who "
                     "knows its identifier can forge them. Rotate its secret and configure it "
                     "on the tracker."))  # fmt: skip
    if not device.secret_hash:
        return str(_("No secret: the tracker's positions are refused until a secret is issued."))
    return None


class DeviceSerializer(serializers.ModelSerializer):
    """A tracker with its vehicle and its latest fix (``last_position``)."""

    site = VisibleRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    vehicle = VisibleRelatedField(queryset=Vehicle.objects.all(), required=False, allow_null=True)
    vehicle_plate = serializers.CharField(source="vehicle.plate", read_only=True, default=None)
    has_secret = serializers.SerializerMethodField()
    authentication_warning = serializers.SerializerMethodField()
    secret = serializers.SerializerMethodField(
        help_text="The new secret, in the answer that issued it only (creation); never again."
    )
    last_position = serializers.SerializerMethodField()
    trip_reference = serializers.SerializerMethodField()

    class Meta:
        model = Device
        fields = ["id", "organisation", "site", "unique_id", "name", "protocol", "vehicle",
                  "vehicle_plate", "is_active", "accepts_unauthenticated", "has_secret",
                  "authentication_warning", "secret", "last_position", "trip_reference",
                  "created_at"]  # fmt: skip
        read_only_fields = ["organisation", "created_at"]
        extra_kwargs = {"unique_id": {"validators": []}}

    def get_has_secret(self, device: Device) -> bool:
        return bool(device.secret_hash)

    def get_authentication_warning(self, device: Device) -> str | None:
        return authentication_warning(device)

    def get_secret(self, device: Device) -> str | None:
        return getattr(device, "issued_secret", None)

    def get_last_position(self, device: Device) -> dict | None:
        state = getattr(device, "tracker_state", None)
        return (state.last_position or None) if state else None

    def get_trip_reference(self, device: Device) -> str | None:
        return self.context.get("trip_by_vehicle", {}).get(device.vehicle_id)

    def create(self, validated: dict[str, Any]) -> Device:
        return fleet.save_device(actor=self.context["request"].user, **validated)

    def update(self, instance: Device, validated: dict[str, Any]) -> Device:
        return fleet.save_device(actor=self.context["request"].user, device=instance, **validated)


class TripVehicleSerializer(WholeItemSerializerMixin, serializers.ModelSerializer):
    vehicle = VisibleRelatedField(queryset=Vehicle.objects.all())
    plate = serializers.CharField(source="vehicle.plate", read_only=True)
    kind = serializers.CharField(source="vehicle.kind", read_only=True)
    role = serializers.ChoiceField(choices=TripRole.choices)

    class Meta:
        model = TripVehicle
        fields = ["vehicle", "plate", "kind", "role"]


class DetectionSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    device_key = serializers.CharField(source="device.unique_id", read_only=True, default=None)
    trip_reference = serializers.CharField(source="trip.reference", read_only=True, default=None)

    class Meta:
        model = Detection
        fields = ["id", "organisation", "site", "kind", "kind_display", "device", "device_key",
                  "trip", "trip_reference", "time", "lat", "lon", "details", "evidence_times",
                  "created_at"]  # fmt: skip


class TripSerializer(serializers.ModelSerializer):
    """A trip with its convoy, cargo and where it is now (progress, ETA, escort distance)."""

    site = VisibleRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    route = VisibleRelatedField(queryset=Route.objects.all(), required=False, allow_null=True)
    destination_zone = VisibleRelatedField(
        queryset=Zone.objects.all(), required=False, allow_null=True
    )
    route_name = serializers.CharField(source="route.name", read_only=True, default=None)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    vehicles = TripVehicleSerializer(source="members", many=True, required=False)
    seal_numbers = serializers.ListField(child=serializers.CharField(), required=False)
    progress = serializers.SerializerMethodField()
    detections = serializers.SerializerMethodField()

    class Meta:
        model = Trip
        exclude = ["created_at"]
        read_only_fields = ["organisation", "status", "departed_at", "arrived_at", "aborted_at",
                            "abort_reason"]  # fmt: skip

    def get_progress(self, trip: Trip) -> dict[str, Any]:
        latest = self.context.get("latest_by_vehicle", {})
        return vars(trip_progress(trip, latest, timezone.now()))

    def get_detections(self, trip: Trip) -> list[dict[str, Any]]:
        recent = self.context.get("recent_detections", {}).get(trip.pk, [])
        return DetectionSerializer(recent, many=True).data

    def to_representation(self, trip: Trip) -> dict[str, Any]:
        data = super().to_representation(trip)
        # Flat copies for the convoys screen (web/static/minewatch/adapters.js).
        progress = data["progress"]
        data.update({key: progress[key] for key in progress})
        data["cargo_tonnes"] = trip.cargo_tonnes
        return data

    def _write(self, validated: dict[str, Any], trip: Trip | None) -> Trip:
        members = validated.pop("members", None)
        vehicles = None if members is None else [(m["vehicle"], m["role"]) for m in members]
        return fleet.save_trip(
            actor=self.context["request"].user, trip=trip, vehicles=vehicles, **validated
        )

    def create(self, validated: dict[str, Any]) -> Trip:
        return self._write(validated, None)

    def update(self, instance: Trip, validated: dict[str, Any]) -> Trip:
        return self._write(validated, instance)


class TripActionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PositionSerializer(serializers.ModelSerializer):
    device_key = serializers.CharField(source="device.unique_id", read_only=True)

    class Meta:
        model = Position
        fields = ["id", "device", "device_key", "fix_time", "received_at", "lat", "lon",
                  "speed_kmh", "course", "altitude", "accuracy", "attributes", "source"]  # fmt: skip


class IngestRejectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = IngestRejection
        fields = ["id", "organisation", "device_key", "source", "reason", "field", "count",
                  "first_at", "last_at", "last_message", "last_sample"]  # fmt: skip
