"""Rules about one incident's values. Each failure names its field (SPEC "Bad input")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from minewatch.core.errors import InvalidInput
from minewatch.incidents import taxonomy
from minewatch.incidents.choices import TimeOfDay

COUNT_FIELDS = (
    "fatalities", "injured_staff", "injured_contractors", "injured_security", "injured_police",
    "injured_community", "injured_assailants", "kidnapped", "assailants_min", "assailants_max",
    "duration_minutes", "response_minutes",
)  # fmt: skip
WEAPON_CODES = {code for code, _es, _en in taxonomy.WEAPONS}
RESPONDER_CODES = {code for code, _es, _en in taxonomy.RESPONDERS}


def check_type(threat: str | None, incident_type: str | None) -> tuple[str, str]:
    """Return (threat, type): the type must exist and belong to the threat (derived if absent)."""
    if not incident_type:
        raise InvalidInput("an incident type is required", field="incident_type")
    if incident_type not in taxonomy.TYPES_BY_CODE:
        raise InvalidInput(f"unknown incident type {incident_type!r}", field="incident_type")
    expected = taxonomy.threat_of(incident_type)
    if threat and threat not in taxonomy.THREATS_BY_CODE:
        raise InvalidInput(f"unknown threat {threat!r}", field="threat")
    if threat and threat != expected:
        raise InvalidInput(
            f"type {incident_type!r} belongs to threat {expected!r}, not {threat!r}",
            field="incident_type",
        )
    return expected, incident_type


def check_times(
    occurred_at: dt.datetime, reported_at: dt.datetime, now: dt.datetime, skew_s: int
) -> None:
    """occurred_at not in the future (beyond clock skew); reported no earlier than it occurred."""
    for name, value in (("occurred_at", occurred_at), ("reported_at", reported_at)):
        if value.tzinfo is None:
            raise InvalidInput(
                "a time zone is required (e.g. 2025-03-01T14:30:00-05:00)", field=name
            )
        if value > now + dt.timedelta(seconds=skew_s):
            raise InvalidInput("is in the future", field=name)
    if reported_at < occurred_at:
        raise InvalidInput("cannot be earlier than occurred_at", field="reported_at")


def check_counts(values: dict[str, Any]) -> None:
    """Counts are whole numbers >= 0, and assailants_min <= assailants_max."""
    for name in COUNT_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{value!r} is not a whole number", field=name)
        if value < 0:
            raise InvalidInput("cannot be negative", field=name)
    low, high = values.get("assailants_min"), values.get("assailants_max")
    if low is not None and high is not None and low > high:
        raise InvalidInput(
            f"assailants_min ({low}) is greater than assailants_max ({high})",
            field="assailants_min",
        )


def check_codes(values: dict[str, Any]) -> None:
    """Weapons and responders are lists of known codes; tags and actors lists of text."""
    for name, allowed in (("weapons", WEAPON_CODES), ("responders", RESPONDER_CODES)):
        codes = values.get(name)
        if codes is None:
            continue
        if not isinstance(codes, list):
            raise InvalidInput("must be a list", field=name)
        unknown = [c for c in codes if c not in allowed]
        if unknown:
            raise InvalidInput(
                f"unknown value(s) {unknown}; allowed: {sorted(allowed)}", field=name
            )
    for name in ("modus_operandi_tags", "linked_actors", "sources", "vehicles_used"):
        items = values.get(name)
        if items is not None and (
            not isinstance(items, list) or not all(isinstance(i, str) for i in items)
        ):
            raise InvalidInput("must be a list of text", field=name)


def check_money(values: dict[str, Any]) -> None:
    for name in ("loss_usd", "material_loss_quantity"):
        value = values.get(name)
        if value is None or value == "":
            continue
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise InvalidInput(f"{value!r} is not a number", field=name) from None
        if not amount.is_finite() or amount < 0:
            raise InvalidInput("must be a number >= 0", field=name)


def check_severity(severity: Any) -> int:
    if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 5:
        raise InvalidInput("must be a whole number from 1 to 5", field="severity")
    return severity


def time_of_day(occurred_at: dt.datetime, tz_name: str) -> str:
    """The band of the day in local time (America/Lima by default).

    >>> time_of_day(dt.datetime(2025, 1, 1, 8, 0, tzinfo=dt.UTC), "America/Lima")
    'dawn'
    """
    hour = occurred_at.astimezone(ZoneInfo(tz_name)).hour
    if 4 <= hour < 7:
        return TimeOfDay.DAWN
    if 7 <= hour < 12:
        return TimeOfDay.MORNING
    if 12 <= hour < 18:
        return TimeOfDay.AFTERNOON
    if 18 <= hour < 22:
        return TimeOfDay.EVENING
    return TimeOfDay.NIGHT
