"""Enumerations of the incidents app, named after their field.

Threat, type, weapon and responder labels come from the taxonomy, which holds
both languages; :func:`bilingual` picks the active one at render time.
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from minewatch.incidents import taxonomy


def _pick(label_es: str, label_en: str) -> str:
    return label_en if (get_language() or "es").startswith("en") else label_es


bilingual = lazy(_pick, str)

THREAT_CHOICES = [(t.code, bilingual(t.label_es, t.label_en)) for t in taxonomy.THREATS]
INCIDENT_TYPE_CHOICES = [
    (t.code, bilingual(t.label_es, t.label_en)) for t in taxonomy.INCIDENT_TYPES
]
WEAPON_CHOICES = [(code, bilingual(es, en)) for code, es, en in taxonomy.WEAPONS]
RESPONDER_CHOICES = [(code, bilingual(es, en)) for code, es, en in taxonomy.RESPONDERS]


class IncidentStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    VERIFIED = "verified", _("Verified")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
    REFERRED_TO_AUTHORITIES = "referred_to_authorities", _("Referred to authorities")
    CLOSED = "closed", _("Closed")


# The workflow (SPEC capability 1): forward steps, closing early when a report
# proves unfounded, and reopening a closed case.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    IncidentStatus.REPORTED: frozenset({IncidentStatus.VERIFIED, IncidentStatus.CLOSED}),
    IncidentStatus.VERIFIED: frozenset(
        {
            IncidentStatus.UNDER_INVESTIGATION,
            IncidentStatus.REFERRED_TO_AUTHORITIES,
            IncidentStatus.CLOSED,
        }
    ),  # fmt: skip
    IncidentStatus.UNDER_INVESTIGATION: frozenset(
        {IncidentStatus.REFERRED_TO_AUTHORITIES, IncidentStatus.CLOSED}
    ),
    IncidentStatus.REFERRED_TO_AUTHORITIES: frozenset({IncidentStatus.CLOSED}),
    IncidentStatus.CLOSED: frozenset({IncidentStatus.REPORTED}),  # reopen
}


class TimePrecision(models.TextChoices):
    MINUTE = "minute", _("Exact to the minute")
    HOUR = "hour", _("Within the hour")
    DAY = "day", _("Day only")
    MONTH = "month", _("Month only")


class LocationPrecision(models.TextChoices):
    EXACT = "exact", _("Exact (GPS)")
    APPROXIMATE = "approximate", _("Approximate (within 1 km)")
    DISTRICT = "district", _("District")
    REGION = "region", _("Region")


class TimeOfDay(models.TextChoices):
    DAWN = "dawn", _("Dawn (04–07)")
    MORNING = "morning", _("Morning (07–12)")
    AFTERNOON = "afternoon", _("Afternoon (12–18)")
    EVENING = "evening", _("Evening (18–22)")
    NIGHT = "night", _("Night (22–04)")
    UNKNOWN = "unknown", _("Unknown")


class Confidentiality(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    RESTRICTED = "restricted", _("Restricted (managers and analysts)")
    CONFIDENTIAL = "confidential", _("Confidential (managers only)")


class MaterialUnit(models.TextChoices):
    TONNE = "t", _("tonnes")
    KILOGRAM = "kg", _("kilograms")
    TROY_OUNCE = "oz_t", _("troy ounces")
    CUBIC_METRE = "m3", _("cubic metres")
    UNIT = "unit", _("units")
    LITRE = "l", _("litres")
