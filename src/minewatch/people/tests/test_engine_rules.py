"""The pure rules added for issue #15: credential states, repeated denials, vehicles,
explosives magazines, the hire-from-outside rule."""

import datetime as dt

from minewatch.people.engine import anomalies as a
from minewatch.people.engine.localhire import (
    SAME_PROVINCE,
    WITHIN_DISTANCE,
    distance_km,
    local_hire,
)

DAY = a.Shift(site_id=1, start=dt.time(6), end=dt.time(18))
OK = a.Holder(1, True, (DAY,))


def check(holder=OK, **values):
    values.setdefault("local_time", dt.time(8))
    values.setdefault("direction", "in")
    return a.anomalies(site_id=10, holder=holder, sites_of_point=(1,), **values)


def test_credential_states():
    assert check(credential_state=a.VALID) == []
    assert check(credential_state=a.REVOKED) == [a.REVOKED_CREDENTIAL]
    assert check(credential_state=a.EXPIRED) == [a.EXPIRED_CREDENTIAL]
    # a revoked badge of nobody on file is revoked, not unknown
    assert check(None, credential_state=a.REVOKED) == [a.REVOKED_CREDENTIAL]


def test_vehicles():
    assert check(None, vehicle=True, vehicle_planned=True) == []
    assert check(None, vehicle=True) == [a.UNPLANNED_VEHICLE]
    assert check(None, vehicle=True, vehicle_planned=False, credential_state=a.EXPIRED) == [
        a.UNPLANNED_VEHICLE, a.EXPIRED_CREDENTIAL]  # fmt: skip


def test_repeated_denials_fire_at_the_limit_once():
    at = dt.datetime(2026, 1, 1, 8, 0)
    window = dt.timedelta(minutes=10)
    earlier = [at - dt.timedelta(minutes=m) for m in (1, 5, 30)]
    count = a.repeated_denials(earlier, at, window)
    assert count == 3
    assert check(denied=True, recent_denials=count, denial_limit=3) == [a.REPEATED_DENIALS]
    assert check(denied=True, recent_denials=4, denial_limit=3) == []
    assert check(denied=True, recent_denials=3, denial_limit=0) == []  # off
    assert check(denied=False, recent_denials=3, denial_limit=3) == []


def test_after_hours_magazine():
    hours = a.Hours(dt.time(6), dt.time(18))
    assert check(magazine_hours=hours) == []
    assert check(magazine_hours=hours, local_time=dt.time(22)) == [
        a.AFTER_HOURS_MAGAZINE,
        a.OUTSIDE_SHIFT,
    ]
    assert a.AFTER_HOURS_MAGAZINE not in check(magazine_hours=hours, local_time=dt.time(22),
                                               direction="out")  # fmt: skip


def test_local_hire():
    pataz = (-7.735, -77.53)
    assert local_hire(home_ubigeo="130801", home=None, site_ubigeo="130805", site=pataz,
                      max_km=0) == SAME_PROVINCE  # fmt: skip
    assert local_hire(home_ubigeo="150101", home=(-7.8, -77.6), site_ubigeo="130805",
                      site=pataz, max_km=50) == WITHIN_DISTANCE  # fmt: skip
    assert local_hire(home_ubigeo="150101", home=(-12.05, -77.04), site_ubigeo="130805",
                      site=pataz, max_km=50) is None  # fmt: skip
    assert local_hire(home_ubigeo="", home=None, site_ubigeo="", site=pataz, max_km=50) is None
    assert 760 < distance_km(-12.05, -77.04, -16.40, -71.54) < 770
