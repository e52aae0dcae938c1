"""Enumerations of the geo app, named after their field."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SiteKind(models.TextChoices):
    MINE = "mine", _("Mine")
    CONCESSION = "concession", _("Concession")
    PLANT = "plant", _("Processing plant")
    CAMP = "camp", _("Camp")
    PORT = "port", _("Port")
    WAREHOUSE = "warehouse", _("Warehouse")
    EXPLOSIVES_MAGAZINE = "explosives_magazine", _("Explosives magazine")
    ACCESS_POINT = "access_point", _("Access point")


class ZoneKind(models.TextChoices):
    PERIMETER = "perimeter", _("Perimeter")
    CONCESSION = "concession", _("Concession")
    AUTHORISED_STOP = "authorised_stop", _("Authorised stop")
    HIGH_RISK = "high_risk", _("High-risk zone")
    ILLEGAL_MINING_HOTSPOT = "illegal_mining_hotspot", _("Illegal-mining hotspot")
    COMMUNITY = "community", _("Community")
    RESTRICTED = "restricted", _("Restricted area")


class ZoneShape(models.TextChoices):
    POLYGON = "polygon", _("Polygon")
    CIRCLE = "circle", _("Circle")
