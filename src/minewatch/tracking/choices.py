"""Enumerations of the tracking app, named after their field."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class VehicleKind(models.TextChoices):
    TRUCK = "truck", _("Truck")
    ESCORT = "escort", _("Escort vehicle")
    BUS = "bus", _("Bus")
    PICKUP = "pickup", _("Pickup")


class DeviceProtocol(models.TextChoices):
    OSMAND = "osmand", _("OsmAnd HTTP (Traccar Client)")
    TRACCAR = "traccar", _("Traccar server forwarding")
    MQTT = "mqtt", _("MQTT JSON")
    REPLAY = "replay", _("File replay")


class TripStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    EN_ROUTE = "en_route", _("En route")
    ARRIVED = "arrived", _("Arrived")
    ABORTED = "aborted", _("Aborted")


class TripRole(models.TextChoices):
    CARGO = "cargo", _("Cargo")
    ESCORT = "escort", _("Escort")
    LEAD = "lead", _("Lead")


class DetectionKind(models.TextChoices):
    """The engine's detectors (``engine.model.DETECTION_KINDS``)."""

    ZONE_ENTER = "zone_enter", _("Zone entered")
    ZONE_EXIT = "zone_exit", _("Zone left")
    ROUTE_DEVIATION = "route_deviation", _("Route deviation")
    UNSCHEDULED_STOP = "unscheduled_stop", _("Unscheduled stop")
    SIGNAL_LOSS = "signal_loss", _("Signal loss (possible jamming)")
    SIGNAL_RESTORED = "signal_restored", _("Signal restored")
    OVERSPEED = "overspeed", _("Overspeed")
    ALARM = "alarm", _("Alarm / panic")
    CONVOY_SPLIT = "convoy_split", _("Convoy split")
    LATE_ARRIVAL = "late_arrival", _("Late arrival")


class IngestSource(models.TextChoices):
    OSMAND = "osmand", _("OsmAnd HTTP")
    TRACCAR = "traccar", _("Traccar forwarding")
    MQTT = "mqtt", _("MQTT")
    REPLAY = "replay", _("File replay")


# Trip workflow: planned → en_route → arrived / aborted (a planned trip may also be aborted).
TRIP_TRANSITIONS: dict[str, tuple[str, ...]] = {
    TripStatus.PLANNED: (TripStatus.EN_ROUTE, TripStatus.ABORTED),
    TripStatus.EN_ROUTE: (TripStatus.ARRIVED, TripStatus.ABORTED),
    TripStatus.ARRIVED: (),
    TripStatus.ABORTED: (),
}
