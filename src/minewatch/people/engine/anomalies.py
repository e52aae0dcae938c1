"""Access-event anomalies. Pure: one event and what is known about the credential."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

UNKNOWN_CREDENTIAL = "unknown_credential"
NOT_CLEARED = "not_cleared"
NOT_ASSIGNED = "not_assigned"
OUTSIDE_SHIFT = "outside_shift"
ANTI_PASSBACK = "anti_passback"
REVOKED_CREDENTIAL = "revoked_credential"
EXPIRED_CREDENTIAL = "expired_credential"
REPEATED_DENIALS = "repeated_denials"
UNPLANNED_VEHICLE = "unplanned_vehicle"
AFTER_HOURS_MAGAZINE = "after_hours_magazine"

# What the gate knows of the credential itself (a badge, QR code or plate on file).
VALID, REVOKED, EXPIRED = "valid", "revoked", "expired"


def credential_state(at: dt.datetime, valid_from: dt.datetime, valid_until: dt.datetime | None,
                     revoked_at: dt.datetime | None) -> str:  # fmt: skip
    """A credential's state at ``at``: revoked from its revocation on, expired outside its
    validity window, valid otherwise.

    >>> t = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    >>> credential_state(t, t, None, t + dt.timedelta(days=1))
    'valid'
    >>> credential_state(t, t, t - dt.timedelta(seconds=1), None)
    'expired'
    """
    if revoked_at is not None and revoked_at <= at:
        return REVOKED
    if at < valid_from or (valid_until is not None and at > valid_until):
        return EXPIRED
    return VALID


@dataclass(frozen=True)
class Shift:
    """An assignment of the person to ``site_id``, on duty from ``start`` to ``end`` local time.

    A shift whose end is before its start runs overnight (22:00-06:00).
    """

    site_id: int
    start: dt.time
    end: dt.time

    def covers(self, at: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= at <= self.end
        return at >= self.start or at <= self.end


@dataclass(frozen=True)
class Holder:
    """What the gate knows of the person behind a credential."""

    person_id: int
    cleared: bool
    shifts: tuple[Shift, ...]
    last_direction: str | None = None  # at this access point's site, the latest before now


@dataclass(frozen=True)
class Hours:
    """Opening hours in local time (end before start runs overnight)."""

    start: dt.time
    end: dt.time

    def covers(self, at: dt.time) -> bool:
        return Shift(0, self.start, self.end).covers(at)


def anomalies(
    *, site_id: int, local_time: dt.time, direction: str, holder: Holder | None,
    sites_of_point: Iterable[int] = (), credential_state: str | None = None,
    vehicle: bool = False, vehicle_planned: bool = False, denied: bool = False,
    recent_denials: int = 0, denial_limit: int = 0, magazine_hours: Hours | None = None,
) -> list[str]:  # fmt: skip
    """Every anomaly of one event, in a stable order.

    ``sites_of_point`` are the sites the access point serves (itself and its parent).
    ``credential_state``: the badge, QR code or plate on file is valid, revoked or expired
    (None: no such credential; a person may still be known by badge or DNI).
    ``vehicle``: the credential is a plate; ``vehicle_planned`` when the plate is on a
    planned trip or holds a valid credential. ``recent_denials``: denials at this gate in
    the window, this one included; the ``denial_limit``-th is an anomaly (0: off).
    ``magazine_hours``: the point serves an explosives magazine open these hours.
    """
    found = []
    if credential_state == REVOKED:
        found.append(REVOKED_CREDENTIAL)
    elif credential_state == EXPIRED:
        found.append(EXPIRED_CREDENTIAL)
    if denied and denial_limit and recent_denials == denial_limit:
        found.append(REPEATED_DENIALS)
    if (magazine_hours is not None and direction == "in"
            and not magazine_hours.covers(local_time)):  # fmt: skip
        found.append(AFTER_HOURS_MAGAZINE)
    if holder is None:
        if vehicle:
            if not vehicle_planned:
                found.insert(0, UNPLANNED_VEHICLE)
        elif credential_state is None:
            found.insert(0, UNKNOWN_CREDENTIAL)
        return found
    if not holder.cleared:
        found.append(NOT_CLEARED)
    served = {site_id, *sites_of_point}
    here = [s for s in holder.shifts if s.site_id in served]
    if not here:
        found.append(NOT_ASSIGNED)
    elif not any(s.covers(local_time) for s in here):
        found.append(OUTSIDE_SHIFT)
    if direction == "in" and holder.last_direction == "in":
        found.append(ANTI_PASSBACK)
    return found


def repeated_denials(times: Iterable[dt.datetime], at: dt.datetime, window: dt.timedelta) -> int:
    """How many of ``times`` (earlier denials at the gate) fall in ``window`` before ``at``,
    plus this one."""
    return 1 + sum(1 for t in times if at - window <= t <= at)
