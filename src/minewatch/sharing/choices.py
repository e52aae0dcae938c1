"""Enumerations of the sharing app, named after their field."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TlpLevel(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST), least to most restrictive."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


class SharedPrecision(models.TextChoices):
    """How precisely a member's incidents are placed for the group."""

    EXACT = "exact", _("Exact")
    APPROXIMATE = "approximate", _("About 1 km (0.01°)")
    COARSE = "coarse", _("About 50 km (0.5° grid)")


class SharedKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    ACTOR = "actor", _("Threat actor")


class TlpObjectKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    THREAT_ACTOR = "threat_actor", _("Threat actor")
    INTEL_REPORT = "intel_report", _("Intelligence report")


class Generalisation(models.TextChoices):
    REGION = "region", _("Department (UBIGEO)")
    GRID = "grid", _("Coarse grid")
