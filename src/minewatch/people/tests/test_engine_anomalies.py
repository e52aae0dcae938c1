"""The access anomaly engine."""

import datetime as dt

from minewatch.people.engine.anomalies import (
    ANTI_PASSBACK,
    NOT_ASSIGNED,
    NOT_CLEARED,
    OUTSIDE_SHIFT,
    UNKNOWN_CREDENTIAL,
    Holder,
    Shift,
    anomalies,
)

DAY = Shift(site_id=1, start=dt.time(6), end=dt.time(18))
NIGHT = Shift(site_id=1, start=dt.time(22), end=dt.time(6))


def check(holder, *, site_id=10, at=dt.time(8), direction="in", parents=(1,)):
    return anomalies(site_id=site_id, local_time=at, direction=direction, holder=holder,
                     sites_of_point=parents)  # fmt: skip


def test_unknown_credential_is_the_only_anomaly():
    assert check(None) == [UNKNOWN_CREDENTIAL]


def test_cleared_person_on_shift_at_their_site_is_normal():
    assert check(Holder(1, True, (DAY,))) == []
    assert check(Holder(1, True, (DAY,)), direction="out") == []


def test_each_anomaly():
    assert check(Holder(1, False, (DAY,))) == [NOT_CLEARED]
    assert check(Holder(1, True, (Shift(2, dt.time(6), dt.time(18)),))) == [NOT_ASSIGNED]
    assert check(Holder(1, True, (DAY,)), at=dt.time(19)) == [OUTSIDE_SHIFT]
    assert check(Holder(1, True, (DAY,), last_direction="in")) == [ANTI_PASSBACK]
    assert check(Holder(1, True, (DAY,), last_direction="in"), direction="out") == []
    assert check(Holder(1, True, (DAY,), last_direction="out")) == []


def test_overnight_shift_covers_both_sides_of_midnight():
    holder = Holder(1, True, (NIGHT,))
    assert check(holder, at=dt.time(23)) == []
    assert check(holder, at=dt.time(3)) == []
    assert check(holder, at=dt.time(12)) == [OUTSIDE_SHIFT]


def test_several_anomalies_at_once_in_a_stable_order():
    holder = Holder(1, False, (Shift(2, dt.time(6), dt.time(18)),), last_direction="in")
    assert check(holder) == [NOT_CLEARED, NOT_ASSIGNED, ANTI_PASSBACK]
